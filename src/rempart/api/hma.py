"""HMA 2.0 (OpenMediaMatch) compatible routes, with HMA's JSON shapes, status codes and
parameters, so an HMA client works unchanged. Every route checks a role; an unchanged client
authenticates with its base URL (``http://user:KEY@host``, HTTP Basic), or sends nothing from a
network given key-less HMA access (``REMPART_HMA_KEYLESS_ROLES`` / ``_NETWORKS``, off by
default; see ``api/auth.py``). Errors are problem details that also carry HMA's ``message``.

Reference: ``facebook/ThreatExchange`` ``hasher-matcher-actioner/src/OpenMediaMatch``
(``app.py``, ``blueprints/{hashing,matching,curation}.py``, ``schemas/*.py``) and its tests.
Where we differ on purpose it is said on the route; the differences never change a shape.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import func, select
from starlette.datastructures import FormData, UploadFile

from rempart.api.auth import HmaCurator, HmaHasher, HmaMatcher, Public, ctx
from rempart.api.fetch import fetch_url
from rempart.api.problems import ProblemError
from rempart.banks.augment import augment_upload
from rempart.banks.lookup import LookupResult, Match
from rempart.banks.lookup import Query as LQuery
from rempart.banks.schemas import (
    BankCreate,
    BankSettings,
    ContentIn,
    ContentOut,
    ContentUpdate,
    check_bank_name,
)
from rempart.clock import as_utc
from rempart.context import Rempart
from rempart.errors import Conflict, NotFound
from rempart.signals.hashing import PhotoSignals, VideoSignals
from rempart.signals.pdq import pdq_distance
from rempart.signals.types import MD5, PDQ, SHA256, SIGNAL_TYPES, VIDEO_MD5, VPDQ, SignalError
from rempart.signals.vpdq import parse_vpdq, serialize_vpdq, vpdq_match
from rempart.store.models import BankContent, ContentSignal

router = APIRouter(tags=["hma"])
# HMA hashes every signal type enabled for the content type; ours are these (HMA's default
# config has pdq and video_md5; vpdq is its extension). md5 and sha256 only when asked for.
DEFAULT_TYPES = {"photo": [PDQ], "video": [VIDEO_MD5, VPDQ]}
CONTENT_TYPES = ("photo", "video")
MAX_NOTE = 255
STALE_AFTER_S = 65.0  # HMA's INDEX_CACHE_MAX_STALE_SEC default
NOT_JSON = (
    "Did not attempt to load JSON data because the request Content-Type was not "
    "'application/json'."
)  # Flask's 415 text, which HMA's JSON routes answer with
# fetch refusals HMA answers with 400 ("Invalid or unsafe URL provided", "Failed to fetch URL")
URL_REFUSALS = {"bad_url", "unresolvable", "fetch_failed", "host_not_allowed", "private_address"}


class HmaMetadata(BaseModel):
    """HMA's ``BankedContentMetadata``: the only keys it accepts (``collab`` is dropped)."""

    model_config = ConfigDict(extra="forbid")

    content_id: str | None = None
    content_uri: str | None = None
    json_data: dict[str, Any] | None = None


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


def match_json(m: Match) -> dict[str, Any]:
    """HMA's ``MatchWithDistance``."""
    return {"bank_content_id": m.content_id, "distance": distance_str(m)}


def by_bank(matches: list[Match]) -> dict[str, list[dict[str, Any]]]:
    """``{bank: [{bank_content_id, distance}]}``, as HMA's lookup answers."""
    out: dict[str, list[dict[str, Any]]] = {}
    for m in matches:
        out.setdefault(m.bank, []).append(match_json(m))
    return out


def disable_ts(enabled: bool, until: datetime | None) -> int:
    """HMA's ``disable_until_ts``: 0 disabled, 1 enabled, else a unix time."""
    if not enabled:
        return 0
    return int(until.timestamp()) if until else 1


def metadata_json(c: ContentOut) -> dict[str, Any] | None:
    """HMA's ``BankedContentMetadata`` as it answers it (``by_alias``), or None if there is none.

    Metadata set through ``/v1`` with other keys than HMA's shows under ``json``.
    """
    meta = dict(c.metadata)
    content_id = meta.pop("content_id", None) or c.external_id
    content_uri = meta.pop("content_uri", None)
    extra = meta.pop("json", None) if "json" in meta else (meta or None)
    if content_id is None and content_uri is None and extra is None:
        return None
    return {"content_id": content_id, "content_uri": content_uri, "json": extra, "collab": None}


# --- request helpers ------------------------------------------------------------------------
def _is_json(request: Request) -> bool:
    """Flask's ``request.is_json``: application/json or application/*+json."""
    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return mime == "application/json" or (mime.startswith("application/") and "+json" in mime)


async def _json_body(request: Request) -> Any:
    """Flask's ``request.get_json()``: 415 unless JSON, 400 if it does not parse."""
    if not _is_json(request):
        raise ProblemError(415, NOT_JSON)
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProblemError(400, "Failed to decode JSON object") from exc


def _first(request: Request, name: str, parsed: str | None) -> str | None:
    """Flask's ``request.args.get``: the first of a repeated query parameter (FastAPI's
    parsing keeps the last), so ``?signal=a&signal=b`` means what it means to HMA."""
    values = request.query_params.getlist(name)
    return values[0] if values else parsed


def _banks_param(banks: str | None) -> list[str] | None:
    return [b for b in banks.split(",") if b] if banks else None


def _content_type(name: str | None) -> str | None:
    if name and name not in CONTENT_TYPES:
        raise ProblemError(400, f"no such content_type: '{name}'")
    return name or None


def _types(content_type: str, types: str | None) -> list[str]:
    """HMA's ``types``: comma-separated, blanks skipped; absent means the default types."""
    if types is None:
        return DEFAULT_TYPES[content_type]
    names: list[str] = []
    for raw in types.split(","):
        name = raw.strip()
        if not name:
            continue
        info = SIGNAL_TYPES.get(name)
        if info is None or content_type not in info.content_types:
            raise ProblemError(400, f"signal type '{name}' doesn't exist or is disabled")
        if name not in names:
            names.append(name)
    if not names:
        raise ProblemError(400, "empty signal type selection")
    return names


def _content_id(raw: str) -> int:
    """HMA's ``<int:content_id>`` route: anything but digits is not found."""
    if not raw.isdigit():
        raise ProblemError(404, f"content '{raw}' not found")
    return int(raw)


def _hashes(rempart: Rempart, sig: PhotoSignals | VideoSignals, names: list[str]) -> dict[str, str]:
    """HMA's hash answer: ``""`` where a hash cannot be made (PDQ quality below 50, as pytx)."""
    values: dict[str, str]
    if isinstance(sig, PhotoSignals):
        usable = sig.pdq is not None and sig.pdq.quality >= rempart.settings.pdq_min_quality
        pdq = sig.pdq.hex if sig.pdq is not None and usable else ""
        values = {PDQ: pdq, MD5: sig.md5, SHA256: sig.sha256}
    else:
        vpdq = serialize_vpdq(sig.vpdq) if sig.vpdq else ""
        values = {VIDEO_MD5: sig.video_md5, SHA256: sig.sha256, VPDQ: vpdq}
    return {n: values[n] for n in names if n in values}


def _files(form: FormData) -> list[tuple[str, UploadFile]]:
    return [(k, v) for k, v in form.multi_items() if isinstance(v, UploadFile)]


async def _read_upload(rempart: Rempart, files: list[tuple[str, UploadFile]]) -> tuple[str, bytes]:
    """HMA's upload rule: one file part whose field name is the content type."""
    if not files:
        raise ProblemError(400, "Missing multipart/form-data file upload")
    if len(files) > 1:
        raise ProblemError(400, "Only one file allowed per request")
    field, upload = files[0]
    _content_type(field)
    data = await upload.read(rempart.limits.max_bytes + 1)
    if len(data) > rempart.limits.max_bytes:
        raise ProblemError(413, "Content too large", "too_large")
    if not data:
        raise ProblemError(422, "the uploaded file is empty", "empty")
    return field, data


async def _upload(request: Request) -> tuple[str, bytes]:
    return await _read_upload(ctx(request), _files(await request.form()))


async def _fetch(request: Request, url: str) -> bytes:
    """The bytes at ``url``; refused URLs answer 400 as HMA's do (disabled fetching stays 403)."""
    rempart = ctx(request)
    try:
        return await run_in_threadpool(fetch_url, url, rempart.settings, rempart.limits)
    except ProblemError as exc:
        if exc.code in URL_REFUSALS:
            raise ProblemError(400, exc.detail, exc.code) from exc
        raise


async def _hash(
    rempart: Rempart, data: bytes, content_type: str | None, *, fast: bool
) -> tuple[str, PhotoSignals | VideoSignals]:
    """Signals of the bytes: the exact PDQ (HMA's) unless ``fast`` (matching only)."""
    sig = await run_in_threadpool(lambda: rempart.scanner.hash(data, content_type, fast=fast))
    return ("photo" if isinstance(sig, PhotoSignals) else "video"), sig


def _check_signal(rempart: Rempart, st: str, value: str) -> str:
    """HMA's ``query_index`` checks: the type, the signal, the index loaded."""
    info = SIGNAL_TYPES.get(st)
    if info is None:
        raise ProblemError(400, f"No such SignalType '{st}'")
    try:
        norm = info.normalize(value)
    except SignalError as exc:
        raise ProblemError(400, f"invalid signal: {exc}") from exc
    _require_index(rempart)
    return norm


def _require_index(rempart: Rempart) -> None:
    if not rempart.matcher.ready:
        raise ProblemError(503, "index not yet ready")


def _lookup(
    rempart: Rempart,
    st: str,
    value: str,
    banks: list[str] | None,
    *,
    bypass: bool = False,
    include_disabled: bool = False,
) -> LookupResult:
    norm = _check_signal(rempart, st, value)
    if st == VPDQ:
        return rempart.lookup.lookup_vpdq(
            parse_vpdq(norm),
            bank_names=banks,
            bypass_coinflip=bypass,
            include_disabled=include_disabled,
            query_value=norm,
        )
    return rempart.lookup.lookup(
        st,
        [LQuery(norm)],
        bank_names=banks,
        bypass_coinflip=bypass,
        include_disabled=include_disabled,
    )


def _match_content(
    rempart: Rempart,
    sig: PhotoSignals | VideoSignals,
    wanted: list[str],
    banks: list[str] | None,
    bypass: bool,
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """``{signal_type: {bank: [...]}}`` for the wanted types of hashed content, every type
    present even without matches (as HMA answers)."""
    _require_index(rempart)
    scan = rempart.scanner.match_signals(sig, banks=banks, bypass_coinflip=bypass)
    return {st: by_bank([m for m in scan.matches if m.signal_type == st]) for st in wanted}


# --- status -----------------------------------------------------------------------------------
@router.get("/status", response_class=PlainTextResponse, dependencies=[Public])
def status(request: Request) -> PlainTextResponse:
    """HMA's readiness check (public): ``I-AM-ALIVE``; 503 ``INDEX-NOT-LOADED`` before the
    index is loaded, 503 ``INDEX-STALE`` when it has not caught up with the banks for 65 s."""
    rempart = ctx(request)
    m = rempart.matcher
    if not m.ready:
        return PlainTextResponse("INDEX-NOT-LOADED", status_code=503)
    stale_after = max(STALE_AFTER_S, 10 * rempart.settings.index_sync_interval_s)
    if time.time() - m.last_sync > stale_after:
        return PlainTextResponse("INDEX-STALE", status_code=503)
    return PlainTextResponse("I-AM-ALIVE")


@router.get("/", include_in_schema=False, dependencies=[Public])
def home() -> RedirectResponse:
    """HMA's home without its UI: a redirect to ``/status`` (302, as Flask's)."""
    return RedirectResponse("/status", status_code=302)


@router.get("/status/live", response_class=PlainTextResponse, dependencies=[Public])
def status_live() -> PlainTextResponse:
    """HMA's liveness check (public)."""
    return PlainTextResponse("I-AM-ALIVE")


def _route_paths(routes: list[Any], prefix: str = "") -> Iterator[str]:
    """Every route path, into included routers (which FastAPI may keep unflattened)."""
    for route in routes:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            yield prefix + path
        inner = getattr(route, "original_router", None)
        if inner is not None:
            included = getattr(route, "include_context", None)
            yield from _route_paths(inner.routes, prefix + str(getattr(included, "prefix", "")))


@router.get("/site-map", dependencies=[Public])
def site_map(request: Request) -> list[str]:
    """HMA's sorted list of route paths, in its ``<param>`` form (public, as HMA's)."""
    paths = {
        re.sub(r"\{([^}:]+)(:[^}]*)?\}", r"<\1>", path)
        for path in _route_paths(list(request.app.routes))
    }
    return sorted(paths)


# --- hashing ----------------------------------------------------------------------------------
@router.get("/h/hash", dependencies=[HmaHasher])
async def hash_url(
    request: Request,
    url: str,
    content_type: str | None = None,
    types: str | None = None,
) -> dict[str, str]:
    """Hash the file at a URL: ``{signal_type: hash}``. Off unless configured (403), since it
    makes the server fetch addresses; the content type is sniffed, not taken from the header."""
    ct = _content_type(content_type)
    if ct is not None:
        _types(ct, types)
    data = await _fetch(request, url)
    kind, sig = await _hash(ctx(request), data, ct, fast=False)
    return _hashes(ctx(request), sig, _types(kind, types))


@router.post("/h/hash", dependencies=[HmaHasher])
async def hash_upload(request: Request, types: str | None = None) -> dict[str, str]:
    """Hash an upload sent as multipart field ``photo`` or ``video``: ``{signal_type: hash}``."""
    rempart = ctx(request)
    field, data = await _upload(request)
    wanted = _types(field, types)
    _, sig = await _hash(rempart, data, field, fast=False)
    return _hashes(rempart, sig, wanted)


# --- matching ---------------------------------------------------------------------------------
@router.get("/m/raw_lookup", dependencies=[HmaMatcher])
def raw_lookup(
    request: Request,
    signal: str,
    signal_type: str,
    banks: str | None = None,
    include_distance: bool = False,
) -> dict[str, list[Any]]:
    """Index hits ignoring enabled flags and rollout: ``{"matches": [id, ...]}``, or with
    ``include_distance`` ``{"matches": [{bank_content_id, distance}]}``."""
    signal = _first(request, "signal", signal) or ""
    signal_type = _first(request, "signal_type", signal_type) or ""
    banks = _first(request, "banks", banks)
    res = _lookup(ctx(request), signal_type, signal, _banks_param(banks), include_disabled=True)
    found = [*res.matches, *res.suppressed, *res.negative_hits]
    if include_distance:
        return {"matches": [match_json(m) for m in found]}
    return {"matches": [m.content_id for m in found]}


@router.get("/m/lookup", dependencies=[HmaMatcher])
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
    """Match a hash: ``{bank: [{bank_content_id, distance}]}``; or the file at ``url``:
    ``{signal_type: {bank: [...]}}``, only ``signal_type``'s map if that is given too.

    ``seed`` is accepted and ignored: our rollout is deterministic per content. Unlike HMA,
    which ignores it here, ``bypass_coinflip`` is honoured as on ``POST``.
    """
    del seed
    rempart = ctx(request)
    signal, signal_type = (
        _first(request, "signal", signal),
        _first(request, "signal_type", signal_type),
    )
    url, banks = _first(request, "url", url), _first(request, "banks", banks)
    content_type, types = (
        _first(request, "content_type", content_type),
        _first(request, "types", types),
    )
    names = _banks_param(banks)
    if url:
        ct = _content_type(content_type)
        data = await _fetch(request, url)
        kind, sig = await _hash(rempart, data, ct, fast=True)
        wanted = _types(kind, types)
        nested = await run_in_threadpool(
            _match_content, rempart, sig, wanted, names, bypass_coinflip
        )
        return nested.get(signal_type, {}) if signal_type is not None else nested
    if not signal or not signal_type:
        raise ProblemError(400, "Either url or both signal and signal_type are required")
    res = await run_in_threadpool(
        lambda: _lookup(rempart, signal_type, signal, names, bypass=bypass_coinflip)
    )
    return by_bank(res.matches)


@router.post("/m/lookup", dependencies=[HmaMatcher])
async def lookup_post(
    request: Request,
    types: str | None = None,
    banks: str | None = None,
    seed: str | None = None,
    bypass_coinflip: str | None = None,
) -> dict[str, Any]:
    """Hash an upload (field ``photo`` or ``video``) and match it: ``{type: {bank: [...]}}``.

    Unlike HMA, a mirrored or rotated copy of a banked photo also matches (dihedral PDQ),
    for banks that allow it, and a photo whose PDQ quality is below 50 gets ``{"pdq": {}}``
    where HMA answers 400.
    """
    del seed
    rempart = ctx(request)
    field, data = await _upload(request)
    wanted = _types(field, types)
    _, sig = await _hash(rempart, data, field, fast=True)
    bypass = bypass_coinflip == "true"  # HMA compares the raw string
    return await run_in_threadpool(
        _match_content, rempart, sig, wanted, _banks_param(banks), bypass
    )


@router.post("/m/compare", dependencies=[HmaMatcher])
async def compare(request: Request) -> dict[str, Any]:
    """Compare pairs of hashes: ``{type: [h1, h2]}`` → ``{type: [match, {distance...}]}``."""
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise ProblemError(400, "Request input was not a dict")
    rempart = ctx(request)
    out: dict[str, Any] = {}
    for st, pair in body.items():
        if not isinstance(pair, list):
            raise ProblemError(400, f"Comparison hashes for {st} was not a list")
        if len(pair) != 2:
            raise ProblemError(400, "Comparison hash list length must be exactly 2")
        info = SIGNAL_TYPES.get(st)
        if info is None:
            raise ProblemError(400, f"No such SignalType '{st}'")
        try:
            a, b = (info.normalize(v) for v in pair)
        except SignalError as exc:
            raise ProblemError(400, f"Invalid {st} hash: {exc}") from exc
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


def _index_sizes(rempart: Rempart) -> dict[str, int]:
    m = rempart.matcher
    return {PDQ: len(m.pdq), VPDQ: len(m.vpdq_frames), **{k: len(v) for k, v in m.exact.items()}}


def _signal_types_param(signal_type: str | None) -> list[str]:
    if signal_type is not None and signal_type not in SIGNAL_TYPES:
        raise ProblemError(400, f"No such signal type '{signal_type}'")
    return [st for st in SIGNAL_TYPES if signal_type in (None, st)]


@router.get("/m/index/status", dependencies=[HmaMatcher])
def index_status(request: Request, signal_type: str | None = None) -> dict[str, Any]:
    """Per signal type: ``{present, built_to, size}``."""
    rempart = ctx(request)
    m = rempart.matcher
    sizes = _index_sizes(rempart)
    built = int(m.last_sync) if m.ready else -1
    return {
        st: {"built_to": built, "present": m.ready, "size": sizes.get(st, 0)}
        for st in _signal_types_param(signal_type)
    }


# --- curation ---------------------------------------------------------------------------------
@router.get("/c/banks", dependencies=[HmaCurator])
def banks_list(request: Request) -> list[dict[str, Any]]:
    """All banks as HMA BankConfig objects."""
    return [
        bank_config(b.name, b.enabled, b.enabled_ratio) for b in ctx(request).banks.list_banks()
    ]


def _check_name(name: str) -> None:
    try:
        check_bank_name(name)
    except ValueError as exc:
        raise ProblemError(400, "Bank names must be UPPER_WITH_UNDERSCORE") from exc


def _check_ratio(ratio: float) -> None:
    if not 0.0 <= ratio <= 1.0:
        raise ProblemError(400, "enabled_ratio must be between 0 and 1")


@router.post("/c/banks", status_code=201, dependencies=[HmaCurator])
def banks_create(request: Request, body: BankCreateBody) -> dict[str, Any]:
    """Create a bank (201). Unlike HMA, whose ``enabled_ratio`` defaults to 1.0 before
    ``enabled`` is looked at, ``enabled: false`` alone does disable it."""
    _check_name(body.name)
    ratio = body.enabled_ratio if body.enabled_ratio is not None else 1.0
    enabled = body.enabled if body.enabled is not None else True
    _check_ratio(ratio)
    try:
        b = ctx(request).banks.create_bank(
            BankCreate(name=body.name, enabled=enabled, enabled_ratio=ratio)
        )
    except Conflict as exc:
        raise ProblemError(403, "Bank already exists") from exc
    return bank_config(b.name, b.enabled, b.enabled_ratio)


@router.get("/c/bank/{bank_name}", dependencies=[HmaCurator])
def bank_get(request: Request, bank_name: str) -> dict[str, Any]:
    """One bank."""
    try:
        b = ctx(request).banks.get_bank(bank_name)
    except NotFound as exc:
        raise ProblemError(404, f"bank '{bank_name}' not found") from exc
    return bank_config(b.name, b.enabled, b.enabled_ratio)


@router.put("/c/bank/{bank_name}", dependencies=[HmaCurator])
def bank_update(
    request: Request, bank_name: str, body: BankUpdateBody | None = None
) -> dict[str, Any]:
    """Rename (``name``), enable/disable (``enabled``) or set the rollout (``enabled_ratio``)."""
    rempart = ctx(request)
    body = body or BankUpdateBody()
    try:
        rempart.banks.get_bank(bank_name)
    except NotFound as exc:
        raise ProblemError(404, "Bank not found") from exc
    if body.name is not None:
        _check_name(body.name)
    changes = BankSettings()
    if body.enabled is not None:
        changes.enabled = body.enabled
        changes.enabled_ratio = 1.0 if body.enabled else None
    if body.enabled_ratio is not None:
        _check_ratio(body.enabled_ratio)
        changes.enabled_ratio = body.enabled_ratio
        changes.enabled = body.enabled_ratio > 0 if body.enabled is None else body.enabled
    try:
        b = rempart.banks.update_bank(bank_name, changes, body.name)
    except NotFound as exc:
        raise ProblemError(404, "Bank not found") from exc
    except Conflict as exc:
        raise ProblemError(403, "Bank name already exists") from exc
    return bank_config(b.name, b.enabled, b.enabled_ratio)


@router.delete("/c/bank/{bank_name}", dependencies=[HmaCurator])
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
    """HMA's ``_validate_bank_add_metadata``: a JSON object of HMA's keys; stored as given."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ProblemError(400, "metadata should be a json object")
    raw = {("json_data" if k == "json" else k): v for k, v in raw.items() if k != "collab"}
    try:
        meta = HmaMetadata.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]).replace("json_data", "json")
        raise ProblemError(400, f"Invalid metadata: {where}: {first['msg']}") from exc
    out = meta.model_dump(exclude_none=True)
    if "json_data" in out:
        out["json"] = out.pop("json_data")
    return out


def _json_param(value: str, name: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ProblemError(400, f"metadata {name} must be valid JSON") from exc


def _add(
    rempart: Rempart,
    bank: str,
    signals: dict[str, Any],
    kind: str,
    note: str,
    metadata: dict[str, Any],
    data: bytes | None = None,
) -> dict[str, Any]:
    """HMA's ``_bank_add_signals``: ``{"id": ..., "signals": {type: value}}``. ``data``: the
    uploaded photo, whose bank-side augments (``banks.augment``) are stored as derived
    signals (matched, never listed)."""
    if not signals:
        raise ProblemError(400, "No signals given")
    norm: dict[str, str] = {}
    for st, value in signals.items():
        info = SIGNAL_TYPES.get(st)
        if info is None:
            raise ProblemError(400, f"No such signal type {st}")
        try:
            norm[st] = info.normalize(value)
        except SignalError as exc:
            raise ProblemError(400, f"Invalid {st} signal: {exc}") from exc
    derived = []
    if data is not None and kind == "photo":
        derived = augment_upload(rempart.settings, rempart.limits, data, norm)
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
        derived,
    )
    return {"id": item.id, "signals": item.signals}


def _require_bank(rempart: Rempart, bank_name: str) -> None:
    try:
        rempart.banks.get_bank(bank_name)
    except NotFound as exc:
        raise ProblemError(404, f"bank '{bank_name}' not found") from exc


def _get_content(rempart: Rempart, bank_name: str, content_id: int) -> ContentOut:
    try:
        return rempart.banks.get_content(bank_name, content_id)
    except NotFound as exc:
        raise ProblemError(404, f"content '{content_id}' not found") from exc


def _banked_signals(
    rempart: Rempart, sig: PhotoSignals | VideoSignals, kind: str, types: str | None
) -> dict[str, str]:
    """The signals to bank: the selected types that could be made. A photo whose PDQ is
    unusable (quality below 50; HMA answers 400) is banked by its MD5 and SHA-256 instead,
    unless ``types`` asked for PDQ only."""
    hashes = {k: v for k, v in _hashes(rempart, sig, _types(kind, types)).items() if v}
    if not hashes and isinstance(sig, PhotoSignals) and types is None:
        hashes = {MD5: sig.md5, SHA256: sig.sha256}
    if not hashes:
        why = sig.pdq_note if isinstance(sig, PhotoSignals) else "no vPDQ frame"
        raise ProblemError(400, f"No signals given: {why or 'no usable signal'}")
    return hashes


@router.post("/c/bank/{bank_name}/content", dependencies=[HmaCurator])
async def content_add(
    request: Request,
    bank_name: str,
    url: str | None = None,
    content_type: str | None = None,
    types: str | None = None,
    metadata: str | None = None,
) -> dict[str, Any]:
    """Bank content by upload (multipart field ``photo``/``video``) or ``url``; answers
    ``{"id": ..., "signals": {type: hash}}`` with the types HMA would hash (``types``).

    ``metadata`` ({content_id, content_uri, json}) may come in a JSON body, a multipart field
    (as HMA reads it) or the ``metadata`` query parameter (as HMA's docstring says); ``note``
    (at most 255 characters) in the JSON body or a multipart field.
    """
    rempart = ctx(request)
    _require_bank(rempart, bank_name)
    raw_meta: Any = None
    note: Any = None
    files: list[tuple[str, UploadFile]] = []
    if _is_json(request):
        body = await _json_body(request)
        if isinstance(body, dict):
            raw_meta, note = body.get("metadata"), body.get("note")
    elif request.headers.get("content-type", "").startswith(
        ("multipart/form-data", "application/x-www-form-urlencoded")
    ):
        form = await request.form()
        files = _files(form)
        form_meta, note = form.get("metadata"), form.get("note")
        if isinstance(form_meta, str) and form_meta:
            raw_meta = _json_param(form_meta, "form field")
    if raw_meta is None and metadata:
        raw_meta = _json_param(metadata, "query parameter")
    meta = _metadata(raw_meta)
    note_text = _note(note)
    if url:
        ct = _content_type(content_type)
        data = await _fetch(request, url)
    elif files:
        ct, data = await _read_upload(rempart, files)
        _types(ct, types)
    else:
        raise ProblemError(400, "Neither `url` nor multipart file upload was received")
    kind, sig = await _hash(rempart, data, ct, fast=False)
    hashes = _banked_signals(rempart, sig, kind, types)
    return await run_in_threadpool(_add, rempart, bank_name, hashes, kind, note_text, meta, data)


@router.post("/c/bank/{bank_name}/signal", dependencies=[HmaCurator])
async def signal_add(request: Request, bank_name: str) -> dict[str, Any]:
    """Bank one item from JSON ``{signal_type: value, ...}`` (plus optional ``note`` and
    ``metadata``, which HMA's ``/signal`` does not take); answers ``{"id", "signals"}``."""
    rempart = ctx(request)
    _require_bank(rempart, bank_name)
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise ProblemError(400, "the body must be a JSON object of signal type to signal")
    note = _note(body.pop("note", None))
    meta = _metadata(body.pop("metadata", None)) if isinstance(body.get("metadata"), dict) else {}
    kind = "video" if VIDEO_MD5 in body or VPDQ in body else "photo"
    return await run_in_threadpool(_add, rempart, bank_name, body, kind, note, meta)


@router.get("/c/bank/{bank_name}/content/{content_id}", dependencies=[HmaCurator])
def content_get(
    request: Request,
    bank_name: str,
    content_id: str,
    include_signals: str = "false",
    include_metadata: str = "true",
    signal_type: str | None = None,
) -> dict[str, Any]:
    """One banked item, HMA's ``BankContentResponse``: ``signals`` with
    ``include_signals=true`` (if it has any), ``metadata`` unless ``include_metadata=false``
    (if it has any), ``note`` if set. ``signal_type`` (older HMA) gives ``signals`` of that
    type only, ``{}`` if none. Unlike HMA, only items of this bank are found."""
    rempart = ctx(request)
    _require_bank(rempart, bank_name)
    only = _signal_types_param(signal_type) if signal_type is not None else None
    c = _get_content(rempart, bank_name, _content_id(content_id))
    b = rempart.banks.get_bank(bank_name)
    doc: dict[str, Any] = {
        "id": c.id,
        "disable_until_ts": disable_ts(c.enabled, c.disable_until),
        "original_media_uri": None,
        "bank": bank_config(b.name, b.enabled, b.enabled_ratio),
    }
    if only is not None:
        doc["signals"] = {k: v for k, v in c.signals.items() if k in only}
    elif include_signals.lower() == "true" and c.signals:
        doc["signals"] = dict(c.signals)
    meta = metadata_json(c)
    if include_metadata.lower() == "true" and meta is not None:
        doc["metadata"] = meta
    if c.note:
        doc["note"] = c.note
    return doc


@router.put("/c/bank/{bank_name}/content/{content_id}", dependencies=[HmaCurator])
async def content_update(request: Request, bank_name: str, content_id: str) -> dict[str, Any]:
    """Set ``disable_until_ts`` (0 off, 1 on, else a unix time up to 5 years ahead) and/or
    ``note``; answers HMA's ``BankContentConfig``."""
    rempart = ctx(request)
    _require_bank(rempart, bank_name)
    cid = _content_id(content_id)
    _get_content(rempart, bank_name, cid)
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise ProblemError(400, "the body must be a JSON object")
    change = ContentUpdate()
    if body.get("disable_until_ts") is not None:
        raw = body["disable_until_ts"]
        try:
            ts = int(raw)
        except (TypeError, ValueError) as exc:
            raise ProblemError(400, f"Invalid int: '{raw}'") from exc
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
        c = await run_in_threadpool(rempart.banks.update_content, bank_name, cid, change)
    except NotFound as exc:
        raise ProblemError(404, f"content '{cid}' not found") from exc
    b = rempart.banks.get_bank(bank_name)
    return {
        "bank": bank_config(b.name, b.enabled, b.enabled_ratio),
        "collab_metadata": {},
        "disable_until_ts": disable_ts(c.enabled, c.disable_until),
        "id": c.id,
        "note": c.note or None,
        "original_media_uri": None,
        "user_metadata": c.metadata or None,
    }


@router.delete("/c/bank/{bank_name}/content/{content_id}", dependencies=[HmaCurator])
def content_delete(request: Request, bank_name: str, content_id: str) -> dict[str, int]:
    """Delete one item of this bank: ``{"deleted": 1}``, or 0 if it is not there."""
    rempart = ctx(request)
    _require_bank(rempart, bank_name)
    cid = _content_id(content_id)
    try:
        rempart.banks.delete_content(bank_name, cid)
    except NotFound:
        return {"deleted": 0}
    return {"deleted": 1}


@router.get("/c/signal_type", dependencies=[HmaCurator])
def signal_types() -> list[dict[str, Any]]:
    """Signal types served, HMA shape."""
    return [{"enabled_ratio": 1.0, "name": n} for n in SIGNAL_TYPES]


@router.get("/c/signal_type/index", dependencies=[HmaCurator])
def signal_type_index(request: Request, signal_type: str | None = None) -> dict[str, Any]:
    """HMA's per-type index freshness: ``{db_size, index_size, index_out_of_date,
    newest_db_item, index_built_to}``."""
    wanted = _signal_types_param(signal_type)
    rempart = ctx(request)
    with rempart.db.session() as s:
        rows = s.execute(
            select(ContentSignal.signal_type, func.count(), func.max(BankContent.created_at))
            .join(BankContent, BankContent.id == ContentSignal.content_id)
            .group_by(ContentSignal.signal_type)
        ).all()
    db = {st: (int(n), int(as_utc(newest).timestamp()) if newest else -1) for st, n, newest in rows}
    sizes = _index_sizes(rempart)
    built = int(rempart.matcher.last_sync) if rempart.matcher.ready else -1
    out: dict[str, Any] = {}
    for st in wanted:
        db_size, newest = db.get(st, (0, -1))
        out[st] = {
            "db_size": db_size,
            "index_size": sizes.get(st, 0),
            "index_out_of_date": db_size != sizes.get(st, 0),
            "newest_db_item": newest,
            "index_built_to": built,
        }
    return out


@router.get("/c/content_type", dependencies=[HmaCurator])
def content_types() -> list[dict[str, Any]]:
    """Content types served, HMA shape."""
    return [{"enabled": True, "name": n} for n in CONTENT_TYPES]


@router.put("/c/signal_type/{signal_type_name}", status_code=204, dependencies=[HmaCurator])
async def signal_type_update(request: Request, signal_type_name: str) -> Response:
    """HMA's per-type rollout (``{"enabled_ratio": x}``, 204). Every type here is served at
    ratio 1.0 and that is the only value taken; another is refused (400, ``not_supported``;
    HMA's own unimplemented config routes answer 501) rather than pretending to apply it."""
    if signal_type_name not in SIGNAL_TYPES:
        raise ProblemError(400, f"No such signal type '{signal_type_name}'")
    body = await _json_body(request)
    raw = body.get("enabled_ratio") if isinstance(body, dict) else None
    if raw is None:
        raise ProblemError(400, "enabled_ratio is required")
    try:
        ratio = float(raw)
    except (TypeError, ValueError) as exc:
        raise ProblemError(400, f"Invalid float: '{raw}'") from exc
    if ratio != 1.0:
        raise ProblemError(
            400,
            "per-signal-type rollout is not supported: every signal type is served at "
            "enabled_ratio 1.0; use a bank's enabled_ratio instead",
            "not_supported",
        )
    return Response(status_code=204)


# --- exchanges --------------------------------------------------------------------------------
# HMA's signal exchanges (ThreatExchange, NCMEC, StopNCII...) are not served: no exchange API is
# installed, so the lists are empty and every named exchange or API is unknown, with HMA's
# answers for those cases. Clients that list exchanges keep working.
@router.get("/c/exchanges", dependencies=[HmaCurator])
def exchanges_list() -> list[str]:
    """Configured exchanges: none."""
    return []


@router.get("/c/exchanges/apis", dependencies=[HmaCurator])
def exchange_apis_list() -> list[str]:
    """Installed exchange APIs: none."""
    return []


@router.get("/c/exchanges/api/{api_name}", dependencies=[HmaCurator])
@router.post("/c/exchanges/api/{api_name}", dependencies=[HmaCurator])
@router.get("/c/exchanges/api/{api_name}/schema", dependencies=[HmaCurator])
def exchange_api_config(api_name: str) -> dict[str, Any]:
    """An exchange API's credential status: no API is installed (400, as HMA)."""
    raise ProblemError(400, f"no such Exchange API '{api_name}'")


@router.post("/c/exchanges", dependencies=[HmaCurator])
async def exchange_create(request: Request) -> dict[str, Any]:
    """Create an exchange: HMA's checks, then 400 since no exchange type is installed."""
    body = await _json_body(request)
    if not isinstance(body, dict) or body.get("bank") is None:
        raise ProblemError(400, "bank is required")
    bank = body["bank"]
    if not isinstance(bank, str) or not re.fullmatch(r"[A-Z0-9_]+", bank):
        raise ProblemError(400, "Field `bank` must match /^[A-Z0-9_]+$/")
    if not isinstance(body.get("api_json", {}), dict):
        raise ProblemError(400, "Field `api_json` must be object")
    api = body.get("api")
    if api is None:
        raise ProblemError(400, "Field `api_type` is required")
    raise ProblemError(400, f"No such exchange type '{api}'")


@router.get("/c/exchange/{exchange_name}", dependencies=[HmaCurator])
@router.put("/c/exchange/{exchange_name}", dependencies=[HmaCurator])
@router.delete("/c/exchange/{exchange_name}", dependencies=[HmaCurator])
@router.get("/c/exchange/{exchange_name}/status", dependencies=[HmaCurator])
def exchange_get(exchange_name: str) -> dict[str, Any]:
    """A named exchange: none exists (404, as HMA for an unknown one)."""
    raise ProblemError(404, f"Exchange '{exchange_name}' not found")


# --- HMA's UI queries -------------------------------------------------------------------------
# The JSON routes HMA's match page (static/js/match-form.js) and bank page call. They answer
# ``{"hashes", "banks", "matches": [{bank_name, content_id, distance, signal_type,
# signal_value}]}``, closest first; ``bypass_enabled_ratio`` (a form field, default true as in
# HMA) skips the rollout coin flip.
def _form_flag(form: FormData, name: str, default: str = "true") -> bool:
    value = form.get(name, default)
    return isinstance(value, str) and value.lower() == "true"


def _form_text(form: FormData, name: str, label: str) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ProblemError(400, f"{label} is required")
    return value.strip()


def _distance_key(match: dict[str, Any]) -> float:
    d = str(match["distance"])
    return float(d) if d.replace(".", "", 1).isdigit() else float("inf")


def _detailed(
    hashes: dict[str, str], by_type: dict[str, dict[str, list[dict[str, Any]]]]
) -> dict[str, Any]:
    matches = [
        {
            "bank_name": bank,
            "content_id": m["bank_content_id"],
            "distance": m["distance"],
            "signal_type": st,
            "signal_value": hashes.get(st, ""),
        }
        for st, banks in by_type.items()
        for bank, found in banks.items()
        for m in found
    ]
    matches.sort(key=_distance_key)
    return {
        "hashes": hashes,
        "banks": sorted({m["bank_name"] for m in matches}),
        "matches": matches,
    }


def _lookup_hash(
    rempart: Rempart, st: str, value: str, banks: list[str] | None, bypass: bool
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    return {st: by_bank(_lookup(rempart, st, value, banks, bypass=bypass).matches)}


async def _query_content(
    rempart: Rempart, data: bytes, ct: str | None, bypass: bool, banks: list[str] | None = None
) -> dict[str, Any]:
    kind, sig = await _hash(rempart, data, ct, fast=True)
    wanted = _types(kind, None)
    hashes = {k: v for k, v in _hashes(rempart, sig, wanted).items() if v}
    found = await run_in_threadpool(_match_content, rempart, sig, wanted, banks, bypass)
    return _detailed(hashes, found)


@router.post("/ui/query", dependencies=[HmaMatcher])
async def ui_query(request: Request) -> dict[str, Any]:
    """Match an upload (file field named by its content type)."""
    rempart = ctx(request)
    form = await request.form()
    ct, data = await _read_upload(rempart, _files(form))
    return await _query_content(rempart, data, ct, _form_flag(form, "bypass_enabled_ratio"))


@router.post("/ui/query_url", dependencies=[HmaMatcher])
async def ui_query_url(request: Request) -> dict[str, Any]:
    """Match the file at a URL (form fields ``url`` and ``content_type``)."""
    rempart = ctx(request)
    form = await request.form()
    url = _form_text(form, "url", "URL")
    ct = _content_type(_form_text(form, "content_type", "Content type"))
    data = await _fetch(request, url)
    return await _query_content(rempart, data, ct, _form_flag(form, "bypass_enabled_ratio"))


@router.post("/ui/query_hash", dependencies=[HmaMatcher])
async def ui_query_hash(request: Request) -> dict[str, Any]:
    """Match one hash (form fields ``signal_type`` and ``signal_value``)."""
    rempart = ctx(request)
    form = await request.form()
    st = _form_text(form, "signal_type", "Signal type")
    value = _form_text(form, "signal_value", "Signal value")
    bypass = _form_flag(form, "bypass_enabled_ratio")
    found = await run_in_threadpool(_lookup_hash, rempart, st, value, None, bypass)
    return _detailed({st: value}, found)


@router.post("/ui/bank/{bank_name}/content/find", dependencies=[HmaCurator])
async def ui_bank_find(request: Request, bank_name: str) -> dict[str, Any]:
    """The items of one bank that a URL's file or a hash matches (rollout ignored), to pick
    what to remove: ``{"content_ids", "matches", "bank_name"}``."""
    rempart = ctx(request)
    _require_bank(rempart, bank_name)
    body = await _json_body(request)
    if not isinstance(body, dict) or not body:
        raise ProblemError(400, "JSON payload required")
    if "url" in body:
        ct = body.get("content_type")
        if not ct:
            raise ProblemError(400, "content_type required when searching by URL")
        if not isinstance(body["url"], str) or not isinstance(ct, str):
            raise ProblemError(400, "url and content_type must be strings")
        data = await _fetch(request, body["url"])
        result = await _query_content(rempart, data, _content_type(ct), True, [bank_name])
    elif "signal_type" in body and "signal_value" in body:
        st, value = body["signal_type"], body["signal_value"]
        if not isinstance(st, str) or not isinstance(value, str):
            raise ProblemError(400, "signal_type and signal_value must be strings")
        found = await run_in_threadpool(_lookup_hash, rempart, st, value, [bank_name], True)
        result = _detailed({st: value}, found)
    else:
        raise ProblemError(
            400,
            "Either 'url' with 'content_type' or 'signal_type' with 'signal_value' required",
        )
    matches = [
        {k: m[k] for k in ("signal_type", "signal_value", "content_id", "distance")}
        for m in result["matches"]
    ]
    return {
        "content_ids": sorted({m["content_id"] for m in matches}),
        "matches": matches,
        "bank_name": bank_name,
    }
