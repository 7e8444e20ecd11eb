"""Roles: the matching service's (as HMA splits its blueprints), moderation's, and ``admin``."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A capability granted to an API key."""

    HASHER = "hasher"  # may hash content (POST /h/hash)
    MATCHER = "matcher"  # may look up and scan (/m/*, /v1/scan, /v1/lookup)
    CURATOR = "curator"  # may manage banks and their content (/c/*, /v1/banks)
    MODERATOR = "moderator"  # works review queues, takes first decisions
    SENIOR_MODERATOR = "senior_moderator"  # decides appeals, escalations, reassigns
    CHILD_SAFETY = "child_safety"  # the only role that sees the child-safety queue and cases
    LEGAL = "legal"  # authority orders, out-of-court disputes, transparency reports
    AUDITOR = "auditor"  # read-only access to records and reports
    TRUSTED_FLAGGER = "trusted_flagger"  # an Art. 22 trusted flagger's notice client
    PLATFORM = "platform"  # the platform's machine client: items, accounts, notices, scans
    ADMIN = "admin"  # everything except what is reserved to child safety


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


def allows(granted: list[str], needed: Role | frozenset[Role], *, admin: bool = True) -> bool:
    """Whether a key's roles include ``needed`` (or one of a set); admin holds all unless told."""
    wanted = needed if isinstance(needed, frozenset) else frozenset({needed})
    if admin and Role.ADMIN.value in granted:
        return True
    return any(r.value in granted for r in wanted)
