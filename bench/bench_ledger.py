"""Ledger benchmark: append rate (events/s) and ``verify`` time for N events (default 1M).

Appends are timed two ways: one transaction per event (``append_now``, what a single API call
costs) on a sample, and batched (many ``append`` calls in one transaction, how bulk work logs)
for the whole log. Then signing a head, an inclusion and a consistency proof, and a full
``verify`` (every leaf hash, every head's root and signature recomputed) are timed. Runs on
the embedded SQLite default, or on ``REMPART_DATABASE_URL`` when set.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from rempart.clock import utcnow
from rempart.config import Settings
from rempart.evidence.ledger.service import Ledger
from rempart.store.db import Database

KINDS = ["intake", "match", "classification", "policy_evaluation", "decision", "evidence_view"]


def _data(i: int) -> dict[str, object]:
    return {"item": f"item-{i}", "bank": "BENCH", "distance": i % 32, "sha256": f"{i:064x}"}


def main() -> None:
    """Fill a fresh ledger, print events/s and the verification time."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="100,000 events")
    ap.add_argument("--single", type=int, default=5_000, help="events appended one per commit")
    ap.add_argument("--sample", type=int, default=20_000, help="events via append() in batches")
    ap.add_argument("--batch", type=int, default=1_000, help="events per batched transaction")
    ap.add_argument("--heads", type=int, default=100, help="signed heads spread over the log")
    args = ap.parse_args()
    total = 100_000 if args.quick else args.events
    single = min(args.single, total)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp), database_url=os.environ.get("REMPART_DATABASE_URL"))
        db = Database(settings.db_url)
        db.migrate()
        ledger = Ledger(db, settings, utcnow)
        print(f"database: {settings.db_url.split('://')[0]}; events: {total:,}")

        t0 = time.perf_counter()
        for i in range(single):
            ledger.append_now(KINDS[i % 6], actor="bench", subject=f"case:{i // 10}", data=_data(i))
        took = time.perf_counter() - t0
        print(f"append, one transaction per event: {single / took:,.0f} events/s ({single:,})")

        sample = min(args.sample, total - single)
        t0 = time.perf_counter()
        for i in range(single, single + sample, args.batch):
            with db.session() as s:
                for j in range(i, min(single + sample, i + args.batch)):
                    ledger.append(
                        s, KINDS[j % 6], actor="bench", subject=f"case:{j // 10}", data=_data(j)
                    )
        took = time.perf_counter() - t0
        if sample:
            print(
                f"append, {args.batch} append() calls per transaction: "
                f"{sample / took:,.0f} events/s ({sample:,})"
            )

        start = single + sample
        every = max(1, (total - start) // max(1, args.heads))
        head_time, signed = 0.0, 0
        t0 = time.perf_counter()
        i = start
        while i < total:
            stop = min(total, i + args.batch)
            batch = [(KINDS[j % 6], "bench", f"case:{j // 10}", _data(j)) for j in range(i, stop)]
            with db.session() as s:
                ledger.append_many(s, batch)
            if (stop - start) // every != (i - start) // every:
                h0 = time.perf_counter()
                ledger.sign_head()
                head_time += time.perf_counter() - h0
                signed += 1
            i = stop
        took = time.perf_counter() - t0 - head_time
        if total > start:
            print(
                f"append, append_many() of {args.batch} per transaction: "
                f"{(total - start) / took:,.0f} events/s ({total - start:,}); "
                f"{signed} heads signed along the way: {head_time:.1f} s in all"
            )
        fresh = Ledger(db, settings, utcnow)  # no cached tree: what a restarted server pays
        t0 = time.perf_counter()
        head = fresh.sign_head()
        print(f"sign head over {head.tree_size:,} events (cold): {time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        fresh.sign_head()
        print(f"sign head again (cached tree): {time.perf_counter() - t0:.3f} s")
        t0 = time.perf_counter()
        fresh.inclusion_proof(total // 3)
        print(f"inclusion proof (cold: caches chunk roots): {time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        fresh.inclusion_proof(total // 5)
        print(f"inclusion proof (warm): {time.perf_counter() - t0:.3f} s")
        t0 = time.perf_counter()
        fresh.consistency_proof(total // 2, total)
        print(f"consistency proof (warm): {time.perf_counter() - t0:.3f} s")
        t0 = time.perf_counter()
        report = fresh.verify()
        took = time.perf_counter() - t0
        print(
            f"verify {report.events:,} events and {report.heads} heads: {took:.1f} s "
            f"({report.events / took:,.0f} events/s) ok={report.ok}"
        )
        db.dispose()


if __name__ == "__main__":
    main()
