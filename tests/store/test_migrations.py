"""Migrations create exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from rempart.store.all_models import Base
from rempart.store.db import Database


def test_migrations_match_models(db_url: str) -> None:
    db = Database(db_url)
    db.migrate()
    db.migrate()  # idempotent
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    assert diff == []


def test_deleted_content_ids_are_never_reused(db_url: str, tmp_path: Path) -> None:
    """A content id names one banked item forever (HMA clients and audit logs keep it)."""
    from rempart.banks.schemas import BankCreate, ContentIn
    from rempart.config import Settings
    from rempart.context import Rempart

    ctx = Rempart.open(Settings(home=tmp_path / "home", database_url=db_url), load_index=False)
    try:
        ctx.banks.create_bank(BankCreate(name="B"))
        first = ctx.banks.add_content("B", ContentIn(signals={"md5": "0" * 32}))
        ctx.banks.delete_content("B", first.id)
        second = ctx.banks.add_content("B", ContentIn(signals={"md5": "1" * 32}))
        assert second.id > first.id
    finally:
        ctx.close()
