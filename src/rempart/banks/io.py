"""Bank import and export: CSV, JSON lines, and python-threatexchange's file-exchange format
(one ``<signal_type> <signal>`` per line, as ``LocalFileSignalExchangeAPI`` reads and writes)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from pydantic import ValidationError
from sqlalchemy import select

from rempart.banks.schemas import MAX_LABEL, ContentIn, Record, kind_of
from rempart.banks.services import BankService, normalize_signals
from rempart.clock import as_utc
from rempart.errors import Invalid
from rempart.signals.types import SIGNAL_TYPES
from rempart.store.models import BankContent, ContentSignal

VIDEO_ONLY = {t for t, info in SIGNAL_TYPES.items() if info.content_types == ("video",)}

FORMATS = ("csv", "jsonl", "te")
CSV_COLUMNS = (
    "signal_type",
    "signal_value",
    "note",
    "provenance",
    "external_id",
    "disable_until",
    "metadata",
)
MAX_ERRORS_SHOWN = 10


@dataclass
class ImportReport:
    """What an import did: rows read, imported, skipped, and the first errors by line."""

    read: int = 0
    imported: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def _parse_time(value: str) -> datetime | None:
    return as_utc(datetime.fromisoformat(value)) if value else None


def _csv_item(row: dict[str, str], provenance: str) -> Record:
    meta_raw = (row.get("metadata") or "").strip()
    metadata: dict[str, Any] = json.loads(meta_raw) if meta_raw else {}
    if not isinstance(metadata, dict):
        raise ValueError("metadata must be a JSON object")
    return _item(
        {(row.get("signal_type") or "").strip(): (row.get("signal_value") or "").strip()},
        note=row.get("note") or "",
        provenance=row.get("provenance") or provenance,
        external_id=row.get("external_id") or None,
        disable_until=_parse_time((row.get("disable_until") or "").strip()),
        metadata=metadata,
    )


def _item(
    signals: dict[str, str],
    *,
    provenance: str,
    note: str = "",
    external_id: str | None = None,
    disable_until: datetime | None = None,
    metadata: dict[str, Any] | None = None,
) -> Record:
    """A bulk record from already-typed text fields, without pydantic's per-object cost.

    Imports build a million of these; every field here is a str (or parsed above), so only
    the length limits need checking. Signals are validated by ``normalize_signals`` later.
    """
    for label, value in (("provenance", provenance), ("external_id", external_id or "")):
        if len(value) > MAX_LABEL:
            raise ValueError(f"{label} is longer than {MAX_LABEL} characters")
    kind = kind_of(signals)
    return Record(signals, kind, note, provenance, external_id, metadata or {}, True, disable_until)


def parse(
    stream: IO[str], fmt: str, *, provenance: str = "", signal_type: str | None = None
) -> Iterator[tuple[int, Record | str]]:
    """Yield ``(line, item)`` or ``(line, error message)`` for each record of ``stream``."""
    if fmt not in FORMATS:
        raise Invalid(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "csv":
        reader = csv.DictReader(stream)
        try:
            header = reader.fieldnames or []
        except csv.Error as exc:
            raise Invalid(f"the CSV header cannot be read: {exc}") from exc
        missing = {"signal_type", "signal_value"} - set(header)
        if missing:
            raise Invalid(f"CSV header must include {', '.join(sorted(missing))}")
        rows = iter(reader)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as exc:  # malformed quoting or line ends: the rest is unreadable
                yield reader.line_num, f"malformed CSV: {exc}"
                return
            try:
                yield reader.line_num, _csv_item(row, provenance)
            except (ValueError, ValidationError) as exc:
                yield reader.line_num, _short(exc)
    for n, line in enumerate(stream, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            if fmt == "jsonl":
                obj = json.loads(text)
                if not isinstance(obj, dict):
                    raise ValueError("each line must be a JSON object")
                obj.setdefault("provenance", provenance)
                for key in ("id", "bank", "created_at", "updated_at"):
                    obj.pop(key, None)  # accept our own export as input
                yield n, ContentIn.model_validate(obj).record()
            else:
                st, _, value = (
                    text.partition(" ") if signal_type is None else (signal_type, "", text)
                )
                if not value:
                    raise ValueError("expected '<signal_type> <signal>'")
                yield n, _item({st: value.strip()}, provenance=provenance)
        except (ValueError, ValidationError) as exc:
            yield n, _short(exc)


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        return f"{loc}: {err['msg']}" if loc else str(err["msg"])
    return str(exc)


def import_items(
    service: BankService,
    bank: str,
    stream: IO[str],
    fmt: str,
    *,
    provenance: str = "",
    signal_type: str | None = None,
    skip_invalid: bool = False,
) -> ImportReport:
    """Validate every record, then import them in batches.

    With bad records and ``skip_invalid`` off, nothing is imported and ``Invalid`` lists the
    first errors by line: a half-imported list is worse than none.
    """
    service.get_bank(bank)  # NotFound before reading a large file
    report = ImportReport()
    good: list[Record] = []
    for line, item in parse(stream, fmt, provenance=provenance, signal_type=signal_type):
        report.read += 1
        if isinstance(item, str):
            _error(report, line, item)
            continue
        try:
            item.signals = normalize_signals(item.signals)
        except Invalid as exc:
            _error(report, line, exc.detail)
            continue
        good.append(item)
    if report.skipped and not skip_invalid:
        shown = "; ".join(report.errors)
        raise Invalid(f"{report.skipped} invalid record(s), nothing imported: {shown}")
    report.imported = service.add_many(bank, good)
    return report


def _error(report: ImportReport, line: int, message: str) -> None:
    report.skipped += 1
    if len(report.errors) < MAX_ERRORS_SHOWN:
        report.errors.append(f"line {line}: {message}")


def export_rows(service: BankService, bank: str, page: int = 50_000) -> Iterator[dict[str, Any]]:
    """Every (item, signal) of a bank as a flat dict, streamed by id; derived signals (bank-side
    augments, ``banks.augment``) are not the item's hashes and are left out."""
    b = service.get_bank(bank)
    last = 0
    while True:
        with service.db.session() as s:
            rows = (
                s.execute(
                    select(BankContent, ContentSignal)
                    .join(ContentSignal, ContentSignal.content_id == BankContent.id)
                    .where(BankContent.bank_id == b.id, ContentSignal.id > last)
                    .where(ContentSignal.derived.is_(None))  # augments are not the item's
                    .order_by(ContentSignal.id)
                    .limit(page)
                )
                .tuples()
                .all()
            )
        if not rows:
            return
        for content, sig in rows:
            last = sig.id
            yield {
                "id": content.id,
                "signal_type": sig.signal_type,
                "signal_value": sig.signal_value,
                "note": content.note,
                "provenance": content.provenance,
                "external_id": content.external_id,
                "enabled": content.enabled,
                "disable_until": as_utc(content.disable_until).isoformat()
                if content.disable_until
                else None,
                "metadata": content.metadata_,
            }


def export_items(service: BankService, bank: str, fmt: str, out: IO[str]) -> int:
    """Write a bank in ``fmt``; returns the number of records written."""
    if fmt not in FORMATS:
        raise Invalid(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    n = 0
    writer = (
        csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n") if fmt == "csv" else None
    )
    if writer is not None:
        writer.writeheader()
    pending: dict[str, Any] | None = None  # JSON lines: one record per item, all its signals
    for row in export_rows(service, bank):
        if fmt == "jsonl":
            if pending is not None and pending["id"] == row["id"]:
                pending["signals"][row["signal_type"]] = row["signal_value"]
                continue
            if pending is not None:
                out.write(json.dumps(pending, sort_keys=True) + "\n")
                n += 1
            pending = {k: v for k, v in row.items() if k not in ("signal_type", "signal_value")}
            pending["signals"] = {row["signal_type"]: row["signal_value"]}
            continue
        n += 1
        if writer is not None:
            writer.writerow(
                {
                    **{k: row[k] or "" for k in CSV_COLUMNS if k != "metadata"},
                    "metadata": json.dumps(row["metadata"]) if row["metadata"] else "",
                }
            )
        else:
            out.write(f"{row['signal_type']} {row['signal_value']}\n")
    if pending is not None:
        out.write(json.dumps(pending, sort_keys=True) + "\n")
        n += 1
    return n


def export_text(service: BankService, bank: str, fmt: str) -> str:
    """A bank exported to a string (for small banks and the API)."""
    buf = io.StringIO()
    export_items(service, bank, fmt, buf)
    return buf.getvalue()
