"""Bulk inserts (imports) store every value exactly as a single insert would, on both DBs."""

from __future__ import annotations

from datetime import UTC, datetime

from rempart.banks.schemas import BankCreate, ContentIn
from rempart.context import Rempart

NASTY = [
    "tab\there",
    "new\nline\r\n",
    "back\\slash \\N \\t",
    "",
    "é ünï 漢字 😀",
    "'quote\"",
    "\x01",
]


def test_bulk_insert_round_trips_awkward_text(rempart: Rempart) -> None:
    rempart.banks.create_bank(BankCreate(name="BULK"))
    until = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    items = [
        ContentIn(
            signals={"md5": f"{i:032x}"},
            note=text,
            provenance=text[:50],
            external_id=text or None,
            metadata={"text": text, "n": i, "nested": {"list": [1, None, True]}},
            enabled=i % 2 == 0,
            disable_until=until if i % 3 == 0 else None,
        )
        for i, text in enumerate(NASTY)
    ]
    assert rempart.banks.add_many("BULK", items) == len(items)
    stored = rempart.banks.list_content("BULK")
    assert len(stored) == len(items)
    for got, want in zip(stored, items, strict=True):
        assert got.signals == want.signals
        assert (got.note, got.provenance, got.external_id) == (
            want.note,
            want.provenance,
            want.external_id,
        )
        assert got.metadata == want.metadata
        assert got.enabled == want.enabled and got.disable_until == want.disable_until
    ids = [c.id for c in stored]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    more = rempart.banks.add_content("BULK", ContentIn(signals={"md5": "f" * 32}))
    assert more.id > max(ids)  # the sequence moved past the bulk block
