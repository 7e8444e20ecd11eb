"""Roles of the matching service, as HMA splits its blueprints, plus ``admin``."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A capability granted to an API key."""

    HASHER = "hasher"  # may hash content (POST /h/hash)
    MATCHER = "matcher"  # may look up and scan (/m/*, /v1/scan, /v1/lookup)
    CURATOR = "curator"  # may manage banks and their content (/c/*, /v1/banks)
    ADMIN = "admin"  # everything, including index operations


ALL_ROLES = tuple(r.value for r in Role)


def parse_roles(values: list[str] | tuple[str, ...]) -> list[Role]:
    """Validate role names, raising ``ValueError`` naming the known ones."""
    out = []
    for v in values:
        try:
            out.append(Role(v.strip().lower()))
        except ValueError as exc:
            raise ValueError(f"unknown role {v!r}; known roles: {', '.join(ALL_ROLES)}") from exc
    if not out:
        raise ValueError(f"give at least one role: {', '.join(ALL_ROLES)}")
    return out


def allows(granted: list[str], needed: Role) -> bool:
    """Whether a key's roles include ``needed`` (admin includes every role)."""
    return Role.ADMIN.value in granted or needed.value in granted
