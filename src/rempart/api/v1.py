"""Native ``/v1`` routes: scan, hash, lookup, banks and their content, imports, index status."""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from rempart.api.auth import RequireAdmin, RequireCurator, RequireHasher, RequireMatcher, ctx
from rempart.api.metrics import MATCHES, SCANS
from rempart.api.problems import ProblemError
from rempart.api.uploads import read_upload
from rempart.banks import io as bank_io
from rempart.banks.augment import augment_upload
from rempart.banks.lookup import LookupResult
from rempart.banks.lookup import Query as LookupQuery
from rempart.banks.schemas import (
    BankCreate,
    BankOut,
    BankSettings,
    ContentIn,
    ContentOut,
    ContentUpdate,
    check_bank_name,
)
from rempart.banks.services import normalize_signals
from rempart.scan.service import ScanResult
from rempart.signals.types import PDQ, SIGNAL_TYPES, VPDQ
from rempart.signals.vpdq import parse_vpdq

router = APIRouter(prefix="/v1", tags=["v1"])

UploadField = Annotated[UploadFile, File(description="the image or video")]
BankNames = Annotated[list[str] | None, Query(description="only these banks")]


class ImportResult(BaseModel):
    """Outcome of a bank import."""

    read: int
    imported: int
    skipped: int
    errors: list[str]


class LookupRequest(BaseModel):
    """A batch lookup of hashes of one signal type."""

    signal_type: str
    signals: list[str] = Field(min_length=1, max_length=10_000)
    banks: list[str] | None = None


class BankRename(BankSettings):
    """Bank update, optionally with a new name."""

    name: str | None = None


@router.post("/scan", dependencies=[RequireMatcher])
def scan(
    request: Request,
    file: UploadField,
    content_type: Annotated[
        str | None, Query(description="photo or video; sniffed if absent")
    ] = None,
    banks: BankNames = None,
    analyse: Annotated[
        bool,
        Query(
            description="also read provenance and run the image classifiers (false: hashes only)"
        ),
    ] = True,
) -> ScanResult:
    """Hash an upload and match every signal; the answer names bank, entry and distance.

    It also carries the upload's provenance (C2PA, IPTC/XMP, generator metadata, watermark)
    and the image classifiers' scores, unless ``analyse=false`` or the server disables them.
    """
    rempart = ctx(request)
    data = read_upload(file, rempart.limits)
    result = rempart.scanner.scan(data, content_type, banks=banks, analyse=analyse)
    SCANS.labels(result.content_type).inc()
    for m in result.matches:
        MATCHES.labels(m.bank).inc()
    return result


@router.post("/hash", dependencies=[RequireHasher])
def hash_upload(request: Request, file: UploadField) -> dict[str, Any]:
    """Signals of an upload without matching."""
    rempart = ctx(request)
    sig = rempart.scanner.hash(read_upload(file, rempart.limits))
    return rempart.scanner.describe(sig).model_dump(
        include={
            "content_type",
            "format",
            "width",
            "height",
            "duration_s",
            "signals",
            "pdq_quality",
            "notes",
        }
    )


def _lookup(
    request: Request, signal_type: str, values: list[str], banks: list[str] | None
) -> list[LookupResult]:
    lookup = ctx(request).lookup
    if signal_type not in SIGNAL_TYPES:
        raise ProblemError(422, f"unknown signal type {signal_type!r}", "signal_type")
    out = []
    for value in values:
        norm = normalize_signals({signal_type: value})[signal_type]
        if signal_type == VPDQ:
            out.append(lookup.lookup_vpdq(parse_vpdq(norm), bank_names=banks, query_value=norm))
        else:
            out.append(lookup.lookup(signal_type, [LookupQuery(norm)], bank_names=banks))
    return out


@router.get("/lookup", dependencies=[RequireMatcher])
def lookup_one(
    request: Request, signal_type: str, signal: str, banks: BankNames = None
) -> LookupResult:
    """Match one hash (PDQ within the bank thresholds, exact types by equality)."""
    return _lookup(request, signal_type, [signal], banks)[0]


@router.post("/lookup", dependencies=[RequireMatcher])
def lookup_many(request: Request, body: LookupRequest) -> list[LookupResult]:
    """Match up to 10,000 hashes of one type in one call."""
    if body.signal_type == PDQ:
        lookup = ctx(request).lookup
        norms = [normalize_signals({PDQ: v})[PDQ] for v in body.signals]
        return [lookup.lookup(PDQ, [LookupQuery(v)], bank_names=body.banks) for v in norms]
    return _lookup(request, body.signal_type, body.signals, body.banks)


@router.get("/banks", dependencies=[RequireCurator])
def list_banks(request: Request) -> list[BankOut]:
    """Every bank."""
    return ctx(request).banks.list_banks()


@router.post("/banks", status_code=201, dependencies=[RequireCurator])
def create_bank(request: Request, body: BankCreate) -> BankOut:
    """Create a bank with its category, source, thresholds and flags."""
    return ctx(request).banks.create_bank(body)


@router.get("/banks/{name}", dependencies=[RequireCurator])
def get_bank(request: Request, name: str) -> BankOut:
    """One bank."""
    return ctx(request).banks.get_bank(name)


@router.patch("/banks/{name}", dependencies=[RequireCurator])
def update_bank(request: Request, name: str, body: BankRename) -> BankOut:
    """Change a bank's settings or name."""
    try:
        new_name = check_bank_name(body.name) if body.name else None
    except ValueError as exc:
        raise ProblemError(422, str(exc), "validation") from exc
    changes = BankSettings.model_validate(body.model_dump(exclude={"name"}, exclude_none=True))
    return ctx(request).banks.update_bank(name, changes, new_name)


@router.delete("/banks/{name}", status_code=204, dependencies=[RequireCurator])
def delete_bank(request: Request, name: str) -> Response:
    """Delete a bank and everything in it."""
    ctx(request).banks.delete_bank(name)
    return Response(status_code=204)


@router.get("/banks/{name}/content", dependencies=[RequireCurator])
def list_content(
    request: Request,
    name: str,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ContentOut]:
    """A page of a bank's items."""
    return ctx(request).banks.list_content(name, offset=offset, limit=limit)


@router.post("/banks/{name}/content", status_code=201, dependencies=[RequireCurator])
def add_content(request: Request, name: str, body: ContentIn) -> ContentOut:
    """Bank an item by its hashes."""
    return ctx(request).banks.add_content(name, body)


@router.post("/banks/{name}/media", status_code=201, dependencies=[RequireCurator])
def add_media(
    request: Request,
    name: str,
    file: UploadField,
    note: Annotated[str, Query()] = "",
    provenance: Annotated[str, Query(max_length=255)] = "",
) -> ContentOut:
    """Bank an item by uploading it: it is hashed and only the hashes are kept."""
    rempart = ctx(request)
    data = read_upload(file, rempart.limits)
    sig = rempart.scanner.hash(data)
    signals = rempart.scanner.describe(sig).signals
    kind = sig_type(signals)
    derived = (
        augment_upload(rempart.settings, rempart.limits, data, signals) if kind == "photo" else []
    )
    return rempart.banks.add_content(
        name,
        ContentIn(signals=signals, content_type=kind, note=note, provenance=provenance),
        derived,
    )


def sig_type(signals: dict[str, str]) -> str:
    """Content type implied by a signal set."""
    return "video" if "video_md5" in signals or VPDQ in signals else "photo"


@router.get("/banks/{name}/content/{content_id}", dependencies=[RequireCurator])
def get_content(request: Request, name: str, content_id: int) -> ContentOut:
    """One banked item."""
    return ctx(request).banks.get_content(name, content_id)


@router.patch("/banks/{name}/content/{content_id}", dependencies=[RequireCurator])
def update_content(request: Request, name: str, content_id: int, body: ContentUpdate) -> ContentOut:
    """Edit note, metadata, enabled flag or disabled-until time."""
    return ctx(request).banks.update_content(name, content_id, body)


@router.delete("/banks/{name}/content/{content_id}", status_code=204, dependencies=[RequireCurator])
def delete_content(request: Request, name: str, content_id: int) -> Response:
    """Remove a banked item."""
    ctx(request).banks.delete_content(name, content_id)
    return Response(status_code=204)


@router.post("/banks/{name}/import", dependencies=[RequireCurator])
def import_bank(
    request: Request,
    name: str,
    file: UploadField,
    format: Annotated[str, Query(pattern="^(csv|jsonl|te)$")] = "csv",
    provenance: Annotated[str, Query(max_length=255)] = "",
    skip_invalid: bool = False,
) -> ImportResult:
    """Import hashes (CSV, JSON lines or threatexchange file format); all-or-nothing by default."""
    try:
        text = io.TextIOWrapper(file.file, encoding="utf-8", newline="")
        report = bank_io.import_items(
            ctx(request).banks,
            name,
            text,
            format,
            provenance=provenance,
            skip_invalid=skip_invalid,
        )
    except UnicodeDecodeError as exc:
        raise ProblemError(422, "the file is not UTF-8 text", "encoding") from exc
    return ImportResult(**report.__dict__)


@router.get("/banks/{name}/export", dependencies=[RequireCurator])
def export_bank(
    request: Request,
    name: str,
    format: Annotated[str, Query(pattern="^(csv|jsonl|te)$")] = "csv",
) -> Response:
    """Export a bank's hashes."""
    media = {"csv": "text/csv", "jsonl": "application/x-ndjson", "te": "text/plain"}[format]
    body = bank_io.export_text(ctx(request).banks, name, format)
    return Response(body, media_type=media)


@router.get("/index", dependencies=[RequireMatcher])
def index_status(request: Request) -> dict[str, object]:
    """Index sizes, change-log position and load time."""
    return ctx(request).matcher.status()


@router.post("/index/snapshot", dependencies=[RequireAdmin])
def index_snapshot(request: Request) -> dict[str, object]:
    """Persist the index now so the next start is fast."""
    path = ctx(request).matcher.save_snapshot()
    return {"saved": str(path) if path else None, "seq": ctx(request).matcher.seq}
