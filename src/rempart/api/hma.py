"""HMA 2.0 (OpenMediaMatch) compatible routes, with HMA's JSON shapes, so an HMA client works
unchanged; ours adds an API key header. Errors are problem details that also carry HMA's
``message`` key. Differences, where HMA's behaviour is a bug, are noted per route."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.datastructures import UploadFile

from rempart.api.auth import Public, RequireCurator, RequireHasher, RequireMatcher, ctx
from rempart.api.fetch import fetch_url
from rempart.api.problems import ProblemError
from rempart.banks.lookup import LookupResult, Match
from rempart.banks.lookup import Query as LQuery
from rempart.banks.schemas import (
    BankCreate,
    BankSettings,
    ContentIn,
    ContentUpdate,
    check_bank_name,
)
from rempart.banks.services import normalize_signals
from rempart.context import Rempart
from rempart.errors import Conflict, Invalid, NotFound
from rempart.signals.hashing import PhotoSignals, VideoSignals
from rempart.signals.pdq import pdq_distance
from rempart.signals.types import MD5, PDQ, SHA256, SIGNAL_TYPES, VIDEO_MD5, VPDQ
from rempart.signals.vpdq import parse_vpdq, serialize_vpdq, vpdq_match

router = APIRouter(tags=["hma"])
DEFAULT_TYPES = {"photo": [PDQ], "video": [VIDEO_MD5, VPDQ]}
CONTENT_TYPES = ("photo", "video")
MAX_NOTE = 255


class HmaMetadata(BaseModel):
    """HMA's ``BankedContentMetadata``: the only keys it accepts."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    content_id: str | None = None
    content_uri: str | None = None
    json_data: Any | None = None


class BankCreateBody(BaseModel):
    """HMA's ``BankCreateRequest``."""

    name: str
    enabled_ratio: float | None = None
    enabled: bool | None = None


class BankUpdateBody(BaseModel):
    """HMA's ``BankUpdateRequest``."""

    name: str | None = None
    enabled: bool | None = None
    enabled_ratio: float | None = None


# --- shapes ---------------------------------------------------------------------------------
def bank_config(name: str, enabled: bool, ratio: float) -> dict[str, Any]:
    """HMA's BankConfig JSON: a disabled bank has ratio 0."""
    return {"matching_enabled_ratio": ratio if enabled else 0.0, "name": name}


def distance_str(m: Match) -> str:
    """HMA's ``pretty_str``: PDQ distance, vPDQ percentages, ``-`` for exact hashes."""
    if m.signal_type == VPDQ:
        return f"{m.query_match_pct or 0:.0f}%[{m.banked_match_pct or 0:.0f}%]"
    if SIGNAL_TYPES[m.signal_type].exact:
        return "-"
    return str(m.distance)


def by_bank(result: LookupResult) -> dict[str, list[dict[str, Any]]]:
    """``{bank: [{bank_content_id, distance}]}``, as HMA's lookup answers."""
    out: dict[str, list[dict[str, Any]]] = {}
    for m in result.matches:
        out.setdefault(m.bank, []).append(
            {"bank_content_id": m.content_id, "distance": distance_str(m)}
        )
    return out


def disable_ts(enabled: bool, until: datetime | None) -> int:
    """HMA's ``disable_until_ts``: 0 disabled, 1 enabled, else a unix time."""
    if not enabled:
        return 0
    return int(until.timestamp()) if until else 1


def _banks_param(banks: str | None) -> list[str] | None:
    return [b for b in banks.split(",") if b] if banks else None


def _types(content_type: str, types: str | None) -> list[str]:
    if not types:
        return DEFAULT_TYPES[content_type]
    names = [t.strip() for t in types.split(",") if t.strip()]
    if not names:
        raise ProblemError(400, "empty signal type selection")
    for n in names:
        info = SIGNAL_TYPES.get(n)
        if info is None or content_type not in info.content_types:
            raise ProblemError(400, f"signal type '{n}' doesn't exist or is disabled")
    return names


def _hashes(sig: PhotoSignals | VideoSignals, names: list[str]) -> dict[str, str]:
    if isinstance(sig, PhotoSignals):
        values = {PDQ: sig.pdq.hex if sig.pdq else "", MD5: sig.md5, SHA256: sig.sha256}
    else:
        values = {VIDEO_MD5: sig.video_md5, SHA256: sig.sha256, VPDQ: serialize_vpdq(sig.vpdq)}
    return {n: values[n] for n in names if n in values}


async def _upload(request: Request, rempart: Rempart) -> tuple[str, bytes]:
    """HMA's upload rule: one file part whose field name is the content type."""
    form = await request.form()
    files = [(k, v) for k, v in form.multi_items() if isinstance(v, UploadFile)]
    if not files:
        raise ProblemError(400, "Missing multipart/form-data file upload")
    if len(files) > 1:
        raise ProblemError(400, "Only one file allowed per request")
    field, upload = files[0]
    if field not in CONTENT_TYPES:
        raise ProblemError(400, f"no such content_type: '{field}'")
    data = await upload.read(rempart.limits.max_bytes + 1)
    if len(data) > rempart.limits.max_bytes:
        raise ProblemError(413, "Content too large", "too_large")
    if not data:
        raise ProblemError(422, "the uploaded file is empty", "empty")
    return field, data


def _hash(rempart: Rempart, data: bytes, content_type: str | None) -> PhotoSignals | VideoSignals:
    return rempart.scanner.hash(data, content_type)


async def _hash_request(
    request: Request, url: str | None, content_type: str | None
) -> tuple[str, PhotoSignals | VideoSignals]:
    rempart = ctx(request)
    if url:
        data = await run_in_threadpool(fetch_url, url, rempart.settings, rempart.limits)
        sig = await run_in_threadpool(_hash, rempart, data, content_type)
    else:
        field, data = await _upload(request, rempart)
        sig = await run_in_threadpool(_hash, rempart, data, field)
    kind = "photo" if isinstance(sig, PhotoSignals) else "video"
    return kind, sig


def _lookup(
    rempart: Rempart, st: str, value: str, banks: list[str] | None, bypass: bool
) -> LookupResult:
    if st not in SIGNAL_TYPES:
        raise ProblemError(400, f"No such SignalType '{st}'")
    try:
        norm = normalize_signals({st: value})[st]
    except Invalid as exc:
        raise ProblemError(400, f"invalid signal: {exc.detail}") from exc
    if st == VPDQ:
        return rempart.lookup.lookup_vpdq(
            parse_vpdq(norm), bank_names=banks, bypass_coinflip=bypass, query_value=norm
        )
    return rempart.lookup.lookup(st, [LQuery(norm)], bank_names=banks, bypass_coinflip=bypass)


# --- status -----------------------------------------------------------------------------------
@router.get("/status", response_class=PlainTextResponse, dependencies=[Public])
def status(request: Request) -> PlainTextResponse:
    """HMA's health check: ``I-AM-ALIVE``, or 503 ``INDEX-NOT-LOADED`` (public)."""
    if not ctx(request).matcher.ready:
        return PlainTextResponse("INDEX-NOT-LOADED", status_code=503)
    return PlainTextResponse("I-AM-ALIVE")


@router.get("/status/live", response_class=PlainTextResponse, dependencies=[Public])
def status_live() -> PlainTextResponse:
    """HMA's liveness check (public)."""
    return PlainTextResponse("I-AM-ALIVE")


# --- hashing ----------------------------------------------------------------------------------
@router.get("/h/hash", dependencies=[RequireHasher])
async def hash_url(
    request: Request,
    url: str,
    content_type: str | None = None,
    types: str | None = None,
) -> dict[str, str]:
    """Hash the file at a URL (off unless configured: it makes the server fetch addresses)."""
    if content_type is not None and content_type not in CONTENT_TYPES:
        raise ProblemError(400, f"no such content_type: '{content_type}'")
    kind, sig = await _hash_request(request, url, content_type)
    return _hashes(sig, _types(kind, types))


@router.post("/h/hash", dependencies=[RequireHasher])
async def hash_upload(request: Request, types: str | None = None) -> dict[str, str]:
    """Hash an upload sent as multipart field ``photo`` or ``video``."""
    kind, sig = await _hash_request(request, None, None)
    return _hashes(sig, _types(kind, types))


# --- matching ---------------------------------------------------------------------------------
@router.get("/m/raw_lookup", dependencies=[RequireMatcher])
def raw_lookup(
    request: Request,
    signal: str,
    signal_type: str,
    banks: str | None = None,
    include_distance: bool = False,
) -> dict[str, list[Any]]:
    """Index hits ignoring enabled flags and rollout: ``{"matches": [...]}``."""
    rempart = ctx(request)
    if signal_type not in SIGNAL_TYPES:
        raise ProblemError(400, f"No such SignalType '{signal_type}'")
    try:
        norm = normalize_signals({signal_type: signal})[signal_type]
    except Invalid as exc:
        raise ProblemError(400, f"invalid signal: {exc.detail}") from exc
    names = _banks_param(banks)
    if signal_type == VPDQ:
        res = rempart.lookup.lookup_vpdq(
            parse_vpdq(norm), bank_names=names, include_disabled=True, query_value=norm
        )
    else:
        res = rempart.lookup.lookup(
            signal_type, [LQuery(norm)], bank_names=names, include_disabled=True
        )
    found = [*res.matches, *res.suppressed, *res.negative_hits]
    if include_distance:
        return {
            "matches": [
                {"bank_content_id": m.content_id, "distance": distance_str(m)} for m in found
            ]
        }
    return {"matches": [m.content_id for m in found]}


@router.get("/m/lookup", dependencies=[RequireMatcher])
async def lookup_get(
    request: Request,
    signal: str | None = None,
    signal_type: str | None = None,
    url: str | None = None,
    content_type: str | None = None,
    types: str | None = None,
    banks: str | None = None,
    seed: str | None = None,
    bypass_coinflip: bool = False,
) -> dict[str, Any]:
    """Match a hash (``{bank: [...]}``) or the file at a URL (``{type: {bank: [...]}}``).

    ``seed`` is accepted and ignored: our rollout is deterministic per content.
    """
    del seed
    rempart = ctx(request)
    names = _banks_param(banks)
    if url:
        kind, sig = await _hash_request(request, url, content_type)
        hashes = _hashes(sig, _types(kind, types))
        nested = {
            st: by_bank(await run_in_threadpool(_lookup, rempart, st, v, names, bypass_coinflip))
            for st, v in hashes.items()
            if v
        }
        return nested.get(signal_type, {}) if signal_type else nested
    if not signal or not signal_type:
        raise ProblemError(400, "Either url or both signal and signal_type are required")
    res = await run_in_threadpool(_lookup, rempart, signal_type, signal, names, bypass_coinflip)
    return by_bank(res)


@router.post("/m/lookup", dependencies=[RequireMatcher])
async def lookup_post(
    request: Request,
    types: str | None = None,
    banks: str | None = None,
    seed: str | None = None,
    bypass_coinflip: str | None = None,
) -> dict[str, Any]:
    """Hash an upload (field ``photo`` or ``video``) and match it: ``{type: {bank: [...]}}``.

    Unlike HMA, a mirrored or rotated copy of a banked photo also matches (dihedral PDQ),
    for banks that allow it.
    """
    del seed
    rempart = ctx(request)
    kind, sig = await _hash_request(request, None, None)
    names = _banks_param(banks)
    bypass = bypass_coinflip == "true"
    wanted = _types(kind, types)
    scan = await run_in_threadpool(
        lambda: rempart.scanner.match_signals(sig, banks=names, bypass_coinflip=bypass)
    )
    out: dict[str, dict[str, list[dict[str, Any]]]] = {st: {} for st in wanted}
    for m in scan.matches:
        if m.signal_type in out:
            out[m.signal_type].setdefault(m.bank, []).append(
                {"bank_content_id": m.content_id, "distance": distance_str(m)}
            )
    return out


@router.post("/m/compare", dependencies=[RequireMatcher])
async def compare(request: Request) -> dict[str, Any]:
    """Compare pairs of hashes: ``{type: [h1, h2]}`` → ``{type: [match, {distance...}]}``."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProblemError(400, "Failed to decode JSON object") from exc
    if not isinstance(body, dict):
        raise ProblemError(400, "Request input was not a dict")
    rempart = ctx(request)
    out: dict[str, Any] = {}
    for st, pair in body.items():
        if not isinstance(pair, list):
            raise ProblemError(400, f"Comparison hashes for {st} was not a list")
        if len(pair) != 2:
            raise ProblemError(400, "Comparison hash list length must be exactly 2")
        if st not in SIGNAL_TYPES:
            raise ProblemError(400, f"No such SignalType '{st}'")
        try:
            a, b = (normalize_signals({st: str(v)})[st] for v in pair)
        except Invalid as exc:
            raise ProblemError(400, f"Invalid {st} hash: {exc.detail}") from exc
        if st == PDQ:
            d = pdq_distance(a, b)
            out[st] = [d <= rempart.settings.pdq_threshold, {"distance": d}]
        elif st == VPDQ:
            q, c = vpdq_match(
                parse_vpdq(a),
                parse_vpdq(b),
                frame_threshold=rempart.settings.vpdq_frame_threshold,
                min_quality=rempart.settings.pdq_min_quality,
            )
            ok = (
                q >= rempart.settings.vpdq_query_match_pct
                and c >= rempart.settings.vpdq_index_match_pct
            )
            out[st] = [ok, {"query_match_percent": q, "compared_match_percent": c}]
        else:
            out[st] = [a == b, {}]
    return out


@router.get("/m/index/status", dependencies=[RequireMatcher])
def index_status(request: Request, signal_type: str | None = None) -> dict[str, Any]:
    """Per signal type: ``{present, built_to, size}``."""
    m = ctx(request).matcher
    if signal_type is not None and signal_type not in SIGNAL_TYPES:
        raise ProblemError(400, f"No such signal type '{signal_type}'")
    sizes = {PDQ: len(m.pdq), VPDQ: len(m.vpdq_frames), **{k: len(v) for k, v in m.exact.items()}}
    built = int(m.last_sync) if m.ready else -1
    return {
        st: {"built_to": built, "present": m.ready, "size": sizes.get(st, 0)}
        for st in SIGNAL_TYPES
        if signal_type in (None, st)
    }


# --- curation ---------------------------------------------------------------------------------
@router.get("/c/banks", dependencies=[RequireCurator])
def banks_list(request: Request) -> list[dict[str, Any]]:
    """All banks as HMA BankConfig objects."""
    return [
        bank_config(b.name, b.enabled, b.enabled_ratio) for b in ctx(request).banks.list_banks()
    ]


@router.post("/c/banks", status_code=201, dependencies=[RequireCurator])
def banks_create(request: Request, body: BankCreateBody) -> dict[str, Any]:
    """Create a bank (201). Unlike HMA, ``enabled: false`` alone does disable it."""
    try:
        check_bank_name(body.name)
    except ValueError as exc:
        raise ProblemError(400, "Bank names must be UPPER_WITH_UNDERSCORE") from exc
    ratio = body.enabled_ratio if body.enabled_ratio is not None else 1.0
    enabled = body.enabled if body.enabled is not None else True
    if not 0.0 <= ratio <= 1.0:
        raise ProblemError(400, "enabled_ratio must be between 0 and 1")
    try:
        b = ctx(request).banks.create_bank(
            BankCreate(name=body.name, enabled=enabled, enabled_ratio=ratio)
        )
    except Conflict as exc:
        raise ProblemError(403, "Bank already exists") from exc
    return bank_config(b.name, b.enabled, b.enabled_ratio)


@router.get("/c/bank/{bank_name}", dependencies=[RequireCurator])
def bank_get(request: Request, bank_name: str) -> dict[str, Any]:
    """One bank."""
    try:
        b = ctx(request).banks.get_bank(bank_name)
    except NotFound as exc:
        raise ProblemError(404, f"bank '{bank_name}' not found") from exc
    return bank_config(b.name, b.enabled, b.enabled_ratio)


@router.put("/c/bank/{bank_name}", dependencies=[RequireCurator])
def bank_update(
    request: Request, bank_name: str, body: BankUpdateBody | None = None
) -> dict[str, Any]:
    """Rename, enable/disable or change the rollout ratio of a bank."""
    body = body or BankUpdateBody()
    if body.name is not None:
        try:
            check_bank_name(body.name)
        except ValueError as exc:
            raise ProblemError(400, "Bank names must be UPPER_WITH_UNDERSCORE") from exc
    changes = BankSettings()
    if body.enabled is not None:
        changes.enabled = body.enabled
        changes.enabled_ratio = 1.0 if body.enabled else None
    if body.enabled_ratio is not None:
        if not 0.0 <= body.enabled_ratio <= 1.0:
            raise ProblemError(400, "enabled_ratio must be between 0 and 1")
        changes.enabled_ratio = body.enabled_ratio
        changes.enabled = body.enabled_ratio > 0 if body.enabled is None else body.enabled
    try:
        b = ctx(request).banks.update_bank(bank_name, changes, body.name)
    except NotFound as exc:
        raise ProblemError(404, "Bank not found") from exc
    except Conflict as exc:
        raise ProblemError(403, "Bank name already exists") from exc
    return bank_config(b.name, b.enabled, b.enabled_ratio)


@router.delete("/c/bank/{bank_name}", dependencies=[RequireCurator])
def bank_delete(request: Request, bank_name: str) -> dict[str, str]:
    """Delete a bank and its content (``Done`` even if it did not exist, as HMA)."""
    with contextlib.suppress(NotFound):
        ctx(request).banks.delete_bank(bank_name)
    return {"message": "Done"}


def _note(value: Any) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise ProblemError(400, "note should be a string")
    if len(value) > MAX_NOTE:
        raise ProblemError(400, f"note must be at most {MAX_NOTE} characters")
    return value


def _metadata(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ProblemError(400, "metadata should be a json object")
    raw = {k: v for k, v in raw.items() if k != "collab"}
    if "json" in raw:
        raw["json_data"] = raw.pop("json")
    try:
        meta = HmaMetadata.model_validate(raw)
    except ValidationError as exc:
        raise ProblemError(400, f"Invalid metadata: {exc.errors()[0]['msg']}") from exc
    out = meta.model_dump(exclude_none=True)
    if "json_data" in out:
        out["json"] = out.pop("json_data")
    return out


def _add(
    rempart: Rempart,
    bank: str,
    signals: dict[str, str],
    kind: str,
    note: str,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    if not signals:
        raise ProblemError(400, "No signals given")
    for st in signals:
        if st not in SIGNAL_TYPES:
            raise ProblemError(400, f"No such signal type {st}")
    try:
        norm = normalize_signals(signals)
    except Invalid as exc:
        raise ProblemError(400, exc.detail) from exc
    item = rempart.banks.add_content(
        bank,
        ContentIn(
            signals=norm,
            content_type=kind,
            note=note,
            metadata=metadata,
            external_id=metadata.get("content_id"),
            provenance="hma-api",
        ),
    )
    return {"id": item.id, "signals": item.signals}


def _require_bank(rempart: Rempart, bank_name: str) -> None:
    try:
        rempart.banks.get_bank(bank_name)
    except NotFound as exc:
        raise ProblemError(404, f"bank '{bank_name}' not found") from exc


@router.post("/c/bank/{bank_name}/content", dependencies=[RequireCurator])
async def content_add(
    request: Request,
    bank_name: str,
    url: str | None = None,
    content_type: str | None = None,
    types: str | None = None,
) -> dict[str, Any]:
    """Bank content by upload (field ``photo``/``video``) or URL; returns ``{id, signals}``.

    Banks every signal we compute (also MD5 and SHA-256), except a PDQ below the quality
    threshold, which could never match reliably.
    """
    rempart = ctx(request)
    _require_bank(rempart, bank_name)
    metadata: Any = None
    note: Any = None
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = {}
        if isinstance(body, dict):
            metadata, note = body.get("metadata"), body.get("note")
    elif ctype.startswith("multipart/form-data"):
        form = await request.form()
        raw_meta, note = form.get("metadata"), form.get("note")
        if isinstance(raw_meta, str) and raw_meta:
            try:
                metadata = json.loads(raw_meta)
            except json.JSONDecodeError as exc:
                raise ProblemError(400, "metadata form field must be valid JSON") from exc
    meta = _metadata(metadata)
    note_text = _note(note)
    if not url and not ctype.startswith("multipart/form-data"):
        raise ProblemError(400, "Neither `url` nor multipart file upload was received")
    kind, sig = await _hash_request(request, url, content_type)
    hashes = _hashes(sig, list(SIGNAL_TYPES))
    if isinstance(sig, PhotoSignals) and (
        sig.pdq is None or sig.pdq.quality < rempart.settings.pdq_min_quality
    ):
        hashes.pop(PDQ, None)
    if isinstance(sig, VideoSignals) and not sig.vpdq:
        hashes.pop(VPDQ, None)
    if types:
        wanted = set(_types(kind, types))
        hashes = {k: v for k, v in hashes.items() if k in wanted}
    return await run_in_threadpool(_add, rempart, bank_name, hashes, kind, note_text, meta)


@router.post("/c/bank/{bank_name}/signal", dependencies=[RequireCurator])
async def signal_add(request: Request, bank_name: str) -> dict[str, Any]:
    """Bank one item from JSON ``{signal_type: value, ..., "note": ...}``."""
    rempart = ctx(request)
    _require_bank(rempart, bank_name)
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise ProblemError(
            415,
            "Did not attempt to load JSON data because the request "
            "Content-Type was not 'application/json'.",
        )
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProblemError(400, "Failed to decode JSON object") from exc
    if not isinstance(body, dict):
        raise ProblemError(400, "the body must be a JSON object of signal type to signal")
    note = _note(body.pop("note", None))
    if not all(isinstance(v, str) for v in body.values()):
        raise ProblemError(400, "signal values must be strings")
    kind = "video" if VIDEO_MD5 in body or VPDQ in body else "photo"
    return await run_in_threadpool(_add, rempart, bank_name, body, kind, note, {})


def _content_json(rempart: Rempart, bank_name: str, content_id: int) -> dict[str, Any]:
    try:
        c = rempart.banks.get_content(bank_name, content_id)
        b = rempart.banks.get_bank(bank_name)
    except NotFound as exc:
        raise ProblemError(404, f"content '{content_id}' not found") from exc
    return {
        "id": c.id,
        "disable_until_ts": disable_ts(c.enabled, c.disable_until),
        "original_media_uri": None,
        "bank": bank_config(b.name, b.enabled, b.enabled_ratio),
        "signals": c.signals,
        "metadata": c.metadata,
        "note": c.note or None,
    }


@router.get("/c/bank/{bank_name}/content/{content_id}", dependencies=[RequireCurator])
def content_get(
    request: Request,
    bank_name: str,
    content_id: int,
    include_signals: Annotated[str, Query()] = "false",
    include_metadata: Annotated[str, Query()] = "true",
) -> dict[str, Any]:
    """One banked item in HMA's shape (only items of this bank, unlike HMA)."""
    rempart = ctx(request)
    _require_bank(rempart, bank_name)
    doc = _content_json(rempart, bank_name, content_id)
    if include_signals != "true" or not doc["signals"]:
        doc.pop("signals")
    meta = doc.pop("metadata")
    if include_metadata == "true" and meta:
        doc["metadata"] = {
            "content_id": meta.get("content_id"),
            "content_uri": meta.get("content_uri"),
            "json": meta.get("json"),
            "collab": None,
        }
    if doc["note"] is None:
        doc.pop("note")
    return doc


@router.put("/c/bank/{bank_name}/content/{content_id}", dependencies=[RequireCurator])
async def content_update(request: Request, bank_name: str, content_id: int) -> dict[str, Any]:
    """Set ``disable_until_ts`` (0 off, 1 on, else a unix time) and/or ``note``."""
    rempart = ctx(request)
    _require_bank(rempart, bank_name)
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise ProblemError(
            415,
            "Did not attempt to load JSON data because the request "
            "Content-Type was not 'application/json'.",
        )
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProblemError(400, "Failed to decode JSON object") from exc
    if not isinstance(body, dict):
        raise ProblemError(400, "the body must be a JSON object")
    change = ContentUpdate()
    if body.get("disable_until_ts") is not None:
        try:
            ts = int(body["disable_until_ts"])
        except (TypeError, ValueError) as exc:
            raise ProblemError(400, f"Invalid int: '{body['disable_until_ts']}'") from exc
        if ts < 0:
            raise ProblemError(400, "disable_until_ts must be a non-negative integer")
        if ts > datetime.now(UTC).timestamp() + 5 * 365 * 86400:
            raise ProblemError(400, "disable_until_ts must be less than 5 years in the future")
        if ts == 0:
            change.enabled = False
        elif ts == 1:
            change.enabled, change.clear_disable_until = True, True
        else:
            change.enabled = True
            change.disable_until = datetime.fromtimestamp(ts, UTC)
    if "note" in body:
        change.note = _note(body["note"])
    try:
        c = await run_in_threadpool(rempart.banks.update_content, bank_name, content_id, change)
        b = rempart.banks.get_bank(bank_name)
    except NotFound as exc:
        raise ProblemError(404, f"content '{content_id}' not found") from exc
    return {
        "bank": bank_config(b.name, b.enabled, b.enabled_ratio),
        "collab_metadata": {},
        "disable_until_ts": disable_ts(c.enabled, c.disable_until),
        "id": c.id,
        "note": c.note or None,
        "original_media_uri": None,
        "user_metadata": c.metadata or None,
    }


@router.delete("/c/bank/{bank_name}/content/{content_id}", dependencies=[RequireCurator])
def content_delete(request: Request, bank_name: str, content_id: int) -> dict[str, int]:
    """Delete one item of this bank: ``{"deleted": 1}``, or 0 if it is not there."""
    rempart = ctx(request)
    _require_bank(rempart, bank_name)
    try:
        rempart.banks.delete_content(bank_name, content_id)
    except NotFound:
        return {"deleted": 0}
    return {"deleted": 1}


@router.get("/c/signal_type", dependencies=[RequireCurator])
def signal_types() -> list[dict[str, Any]]:
    """Signal types served, HMA shape."""
    return [{"enabled_ratio": 1.0, "name": n} for n in SIGNAL_TYPES]


@router.get("/c/content_type", dependencies=[RequireCurator])
def content_types() -> list[dict[str, Any]]:
    """Content types served, HMA shape."""
    return [{"enabled": True, "name": n} for n in CONTENT_TYPES]
