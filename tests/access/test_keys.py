"""API keys: stored hashed, verified, revoked; roles validated."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rempart.access.roles import Role, allows
from rempart.context import Rempart
from rempart.store.models import ApiKey


def test_key_is_stored_hashed_and_revocable(rempart: Rempart) -> None:
    info, secret = rempart.keys.create("ops", ["curator", "matcher"])
    with rempart.db.session() as s:
        row = s.scalar(select(ApiKey).where(ApiKey.id == info.id))
        assert row is not None and secret not in (row.key_hash, row.prefix)
        assert len(row.key_hash) == 64
    principal = rempart.keys.verify(secret)
    assert principal is not None and principal.roles == ["curator", "matcher"]
    assert rempart.keys.verify(secret + "x") is None
    rempart.keys.revoke(info.id)
    assert rempart.keys.verify(secret) is None


def test_roles_validated() -> None:
    assert allows(["admin"], Role.CURATOR)
    assert not allows(["hasher"], Role.MATCHER)


def test_unknown_role_refused(rempart: Rempart) -> None:
    with pytest.raises(ValueError, match="unknown role"):
        rempart.keys.create("x", ["root"])
    with pytest.raises(ValueError, match="at least one role"):
        rempart.keys.create("x", [])
