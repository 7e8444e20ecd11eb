"""Bank import benchmark: N PDQ hashes from a CSV file into a fresh bank (target: 1M < 60 s).

Runs on the embedded SQLite default, or on ``REMPART_DATABASE_URL`` when set. Also times the
first index load from the tables and from a snapshot.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from rempart.banks import io as bank_io
from rempart.banks.schemas import BankCreate
from rempart.config import Settings
from rempart.context import Rempart


def main() -> None:
    """Generate a CSV, import it, print rows/s and PASS/FAIL against the 60 s target."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        rng = np.random.default_rng(1)
        codes = rng.integers(0, 256, size=(args.rows, 32), dtype=np.uint8)
        csv_path = home / "hashes.csv"
        with csv_path.open("w") as f:
            f.write("signal_type,signal_value,provenance\n")
            hexes = codes.tobytes().hex()
            for i in range(args.rows):
                f.write(f"pdq,{hexes[i * 64 : (i + 1) * 64]},bench\n")
        settings = Settings(home=home)
        ctx = Rempart.open(settings, load_index=False)
        ctx.banks.create_bank(BankCreate(name="BENCH"))
        t0 = time.perf_counter()
        with csv_path.open() as f:
            report = bank_io.import_items(ctx.banks, "BENCH", f, "csv")
        took = time.perf_counter() - t0
        t1 = time.perf_counter()
        ctx.matcher.load()
        load_tables = time.perf_counter() - t1
        ctx.matcher.save_snapshot()
        ctx.close()
        t2 = time.perf_counter()
        again = Rempart.open(settings)
        load_snapshot = time.perf_counter() - t2
        again.close()
    target = 60.0 * args.rows / 1_000_000
    print(f"database: {settings.db_url.split('://')[0]}")
    print(
        f"import {report.imported:,} PDQ hashes: {took:.1f} s ({report.imported / took:,.0f}/s)"
        f"  target < {target:.0f} s: {'PASS' if took < target else 'FAIL'}"
    )
    print(
        f"index build from tables: {load_tables:.1f} s; start from snapshot: {load_snapshot:.2f} s"
    )


if __name__ == "__main__":
    main()
