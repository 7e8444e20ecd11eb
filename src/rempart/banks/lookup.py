"""Turn raw index hits into matches: per-bank thresholds, enabled flags and rollout,
disabled entries, dihedral opt-out and negative banks, with the entry's provenance."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from sqlalchemy import select

from rempart.banks.matcher import Candidate, Matcher
from rempart.banks.schemas import BankOut
from rempart.banks.services import bank_out, is_active
from rempart.clock import Clock, utcnow
from rempart.config import Settings
from rempart.signals.pdq import DIHEDRAL_ORDER, pdq_hex_to_array
from rempart.signals.types import PDQ, SIGNAL_TYPES, TEXT, VPDQ
from rempart.signals.vpdq import VpdqFrame
from rempart.store.db import Database
from rempart.store.models import Bank, BankContent, ContentSignal

if TYPE_CHECKING:
    from rempart.banks.text import TextIndex

DIHEDRAL_LABELS = frozenset(DIHEDRAL_ORDER[1:])  # queries a bank's ``match_dihedral`` gates


class Match(BaseModel):
    """One banked item the content matched, and why: enough to explain and replay the verdict."""

    bank: str
    bank_id: int
    content_id: int
    signal_id: int
    signal_type: str
    banked_signal: str
    query_signal: str
    distance: int
    orientation: str = "original"
    negative: bool = False
    dsa_category: str | None = None
    specifications: list[str] = Field(default_factory=list)
    source: str = "internal"
    labels: list[str] = Field(default_factory=list)
    note: str = ""
    provenance: str = ""
    external_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    query_match_pct: float | None = None
    banked_match_pct: float | None = None


class LookupResult(BaseModel):
    """Matches, plus those a negative-bank hit suppressed (kept visible for review)."""

    matches: list[Match] = Field(default_factory=list)
    suppressed: list[Match] = Field(default_factory=list)
    negative_hits: list[Match] = Field(default_factory=list)


@dataclass(frozen=True)
class Query:
    """One value to look up, with its label: ``original``, a dihedral orientation (``rot90``,
    ``flip_y`` ...; only banks with ``match_dihedral``), or a derived query of the scan's
    (``trimmed``, ``content``, ``split``, ``inverted``; see ``rempart.scan.variants``)."""

    value: str
    orientation: str = "original"


def is_dihedral(label: str) -> bool:
    """Whether a query label involves a rotation or mirror (``rot90``, ``content+flip_y``):
    those are for banks with ``match_dihedral`` only; ``trimmed`` or ``inverted`` are not."""
    return any(part in DIHEDRAL_LABELS for part in label.split("+"))


def rollout_allows(bank: BankOut, value: str) -> bool:
    """HMA's enabled_ratio, made deterministic: the same content gets the same answer."""
    if bank.enabled_ratio >= 1.0:
        return True
    if bank.enabled_ratio <= 0.0:
        return False
    digest = hashlib.sha256(f"{bank.id}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < bank.enabled_ratio


class LookupService:
    """Answers "does this signal match a bank?" for the scan service and the APIs."""

    def __init__(
        self, db: Database, matcher: Matcher, settings: Settings, clock: Clock = utcnow
    ) -> None:
        self.db = db
        self.matcher = matcher
        self.settings = settings
        self.clock = clock
        self._text_index: TextIndex | None = None

    @property
    def text_index(self) -> TextIndex:
        """The text-bank embedding index, built on the first text lookup."""
        if self._text_index is None:
            from rempart.banks.text import TextIndex

            self._text_index = TextIndex(self.db)
        return self._text_index

    def banks(self) -> dict[int, BankOut]:
        """All banks by id (a small table, read per lookup so edits apply at once)."""
        with self.db.session() as s:
            return {b.id: bank_out(b) for b in s.scalars(select(Bank))}

    def threshold(self, bank: BankOut, signal_type: str) -> int:
        """The bank's distance for a signal type, else the configured default."""
        if signal_type in bank.thresholds:
            return bank.thresholds[signal_type]
        if signal_type == PDQ:
            return self.settings.pdq_threshold
        if signal_type == VPDQ:
            return self.settings.vpdq_frame_threshold
        return SIGNAL_TYPES[signal_type].default_threshold

    def lookup(
        self,
        signal_type: str,
        queries: Sequence[Query],
        *,
        bank_names: Sequence[str] | None = None,
        include_disabled: bool = False,
        bypass_coinflip: bool = False,
        rollout_key: str | None = None,
    ) -> LookupResult:
        """Match values of one signal type (PDQ, text or exact types) against the banks.

        ``rollout_key``: when the queries are views of one piece of content (its orientations
        and derived crops), the value its rollout roll is keyed on, so a bank at 50 % answers
        for the content once rather than once per view.
        """
        banks = self._eligible(self.banks(), bank_names, include_disabled)
        if not banks or not queries:
            return LookupResult()
        per_query: list[list[Candidate]]
        if signal_type == PDQ:
            radius = max(self.threshold(b, PDQ) for b in banks.values())
            codes = pdq_hex_to_array([q.value for q in queries])
            per_query = self.matcher.query_pdq(codes, radius)
        elif signal_type == TEXT:
            radius = max(self.threshold(b, TEXT) for b in banks.values())
            per_query = self.text_index.search([q.value for q in queries], radius)
        else:
            per_query = [self.matcher.query_exact(signal_type, q.value) for q in queries]
        kept: list[tuple[Candidate, Query, BankOut]] = []
        for q, cands in zip(queries, per_query, strict=True):
            for c in cands:
                bank = banks.get(c.bank_id)
                if bank is None or c.distance > self.threshold(bank, signal_type):
                    continue
                if not bank.match_dihedral and is_dihedral(q.orientation):
                    continue
                key = rollout_key or q.value
                if not (bypass_coinflip or include_disabled or rollout_allows(bank, key)):
                    continue
                kept.append((c, q, bank))
        return self._hydrate(signal_type, kept, include_disabled)

    def lookup_vpdq(
        self,
        frames: Sequence[VpdqFrame],
        *,
        bank_names: Sequence[str] | None = None,
        include_disabled: bool = False,
        bypass_coinflip: bool = False,
        query_value: str = "",
    ) -> LookupResult:
        """Video match by HMA's vPDQ rule: enough query frames (and banked frames) match."""
        banks = self._eligible(self.banks(), bank_names, include_disabled)
        good = [f for f in frames if f.quality >= self.settings.pdq_min_quality]
        if not banks or not good:
            return LookupResult()
        unique = sorted({f.hex for f in good})
        radius = max(self.threshold(b, VPDQ) for b in banks.values())
        hits = self.matcher.query_vpdq_frames(pdq_hex_to_array(unique), radius)
        matched_query: dict[int, set[int]] = defaultdict(set)
        matched_banked: dict[int, set[int]] = defaultdict(set)
        best: dict[int, Candidate] = {}
        for qi, cands in enumerate(hits):
            for c in cands:
                bank = banks.get(c.bank_id)
                if bank is None or c.distance > self.threshold(bank, VPDQ):
                    continue
                matched_query[c.signal_id].add(qi)
                matched_banked[c.signal_id].add(c.frame)
                if c.signal_id not in best or c.distance < best[c.signal_id].distance:
                    best[c.signal_id] = c
        kept: list[tuple[Candidate, Query, BankOut]] = []
        pct: dict[int, tuple[float, float]] = {}
        for sid, qset in matched_query.items():
            c = best[sid]
            bank = banks[c.bank_id]
            total = self.matcher.vpdq_frames.get(sid, 0) or 1
            q_pct = 100.0 * len(qset) / len(unique)
            b_pct = 100.0 * len(matched_banked[sid]) / total
            if q_pct < self.settings.vpdq_query_match_pct:
                continue
            if b_pct < self.settings.vpdq_index_match_pct:
                continue
            if not (bypass_coinflip or include_disabled or rollout_allows(bank, query_value)):
                continue
            pct[sid] = (round(q_pct, 2), round(b_pct, 2))
            kept.append((c, Query(query_value), bank))
        result = self._hydrate(VPDQ, kept, include_disabled)
        for m in [*result.matches, *result.suppressed, *result.negative_hits]:
            m.query_match_pct, m.banked_match_pct = pct[m.signal_id]
        return result

    # --- helpers -------------------------------------------------------------------------
    @staticmethod
    def _eligible(
        banks: dict[int, BankOut], names: Sequence[str] | None, include_disabled: bool
    ) -> dict[int, BankOut]:
        wanted = set(names) if names else None
        return {
            i: b
            for i, b in banks.items()
            if (include_disabled or b.enabled) and (wanted is None or b.name in wanted)
        }

    def _hydrate(
        self,
        signal_type: str,
        kept: list[tuple[Candidate, Query, BankOut]],
        include_disabled: bool,
    ) -> LookupResult:
        if not kept:
            return LookupResult()
        ids = sorted({c.signal_id for c, _, _ in kept})
        now = self.clock()
        rows: dict[int, tuple[ContentSignal, BankContent]] = {}
        with self.db.session() as s:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for sig, content in s.execute(
                    select(ContentSignal, BankContent)
                    .join(BankContent, BankContent.id == ContentSignal.content_id)
                    .where(ContentSignal.id.in_(chunk))
                ):
                    rows[sig.id] = (sig, content)
        best: dict[int, Match] = {}
        for c, q, bank in kept:
            row = rows.get(c.signal_id)
            if row is None:
                continue  # removed since the index saw it
            sig, content = row
            if not include_disabled and not is_active(content, now):
                continue
            m = Match(
                bank=bank.name,
                bank_id=bank.id,
                content_id=content.id,
                signal_id=sig.id,
                signal_type=signal_type,
                banked_signal=sig.signal_value,
                query_signal=q.value,
                distance=c.distance,
                orientation=_orientation(q.orientation, sig.derived),
                negative=bank.negative,
                dsa_category=bank.dsa_category,
                specifications=bank.specifications,
                source=bank.source,
                labels=bank.labels,
                note=content.note,
                provenance=content.provenance,
                external_id=content.external_id,
                metadata=dict(content.metadata_),
            )
            prev = best.get(content.id)
            if prev is None or (m.distance, m.orientation != "original") < (
                prev.distance,
                prev.orientation != "original",
            ):
                best[content.id] = m
        return split_negative(list(best.values()))


def _orientation(query: str, derived: str | None) -> str:
    """The match's ``orientation`` label: the query variant's, plus ``banked:<label>`` when the
    banked hash that matched is a bank-side augment (``banks.augment``), not the item's own."""
    if derived is None:
        return query
    return f"banked:{derived}" if query == "original" else f"{query}+banked:{derived}"


def split_negative(found: Sequence[Match]) -> LookupResult:
    """Apply negative banks: any hit in one suppresses every positive hit of the content."""
    ordered = sorted(found, key=lambda m: (m.distance, m.bank, m.content_id, m.signal_type))
    negative = [m for m in ordered if m.negative]
    positive = [m for m in ordered if not m.negative]
    if negative:
        return LookupResult(suppressed=positive, negative_hits=negative)
    return LookupResult(matches=positive)


def merge_results(results: Sequence[LookupResult]) -> LookupResult:
    """Combine per-signal results of one piece of content, re-applying negative banks."""
    return split_negative(
        [m for r in results for m in (*r.matches, *r.suppressed, *r.negative_hits)]
    )
