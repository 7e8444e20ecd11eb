"""Edit robustness benchmark: bank photos, scan edited copies and unrelated photos, print a table.

Real photographs (scikit-image's and scikit-learn's samples, shipped in their wheels) plus a few
synthetic ones are banked as HMA would (exact PDQ of the file), then every edit in
``tests.media.edits.EDITS`` is applied to each and the result is scanned through the real
``ScanService`` -> ``LookupService`` -> index path at the default threshold. Per edit:

- ``d_orig``: PDQ distance of the edited file's own hash to the banked hash (median / max), the
  part that does not depend on Rempart's query-side variants;
- ``match``: share of edited copies that match their own banked item (``--baseline``: with
  the query-side variants switched off, i.e. original + dihedral hashes only);
- ``false``: share that match any *other* banked item;
- ``pytx``: share python-threatexchange's PDQ (HMA's hasher, original orientation only)
  matches at distance <= 31.

Photos are banked with their bank-side augments (``banks.augment``: crops and small rotations
stored as derived PDQ signals), as an upload to the bank would be; ``--no-augment`` banks the
file's own hashes only. The banking CPU time per photo (hash + augments) is printed.

Unrelated photos (and edited unrelated photos) are scanned too: every match is a false match.
Run: ``.venv/bin/python bench/bench_edits.py [--synthetic N] [--baseline] [--no-augment]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.media.edits import EDITS, encode
from tests.photos import graphics, real_photos

from rempart.banks.augment import augment_upload
from rempart.banks.schemas import BankCreate, ContentIn
from rempart.config import Settings
from rempart.context import Rempart
from rempart.demo import synthetic_photo
from rempart.signals.pdq import pdq_distance
from rempart.signals.types import MD5, PDQ, SHA256

try:
    from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes
except ImportError:  # pragma: no cover - optional peer
    pdq_from_bytes = None

SKLEARN = Path(__import__("sklearn").__file__).parent / "datasets" / "images"
SAME = {"motorcycle_left": "motorcycle", "motorcycle_right": "motorcycle"}  # a stereo pair
THRESHOLD = 31
MARGIN = 45  # unrelated photos are also scanned at this distance, to show the margin


def corpus(n_synth: int) -> list[tuple[str, Image.Image]]:
    """Banked photos: every shipped real photograph, plus ``n_synth`` synthetic ones."""
    out = real_photos()
    for name in ("china.jpg", "flower.jpg"):
        if (SKLEARN / name).exists():
            with Image.open(SKLEARN / name) as im:
                out.append((name.split(".")[0], im.convert("RGB")))
    out += [(f"synth{i}", synthetic_photo(i, (800, 600))) for i in range(n_synth)]
    return out


def unrelated(n: int) -> list[tuple[str, Image.Image]]:
    """Photos that are in no bank: synthetic photos of other seeds and the shipped graphics."""
    out = [(f"other{i}", synthetic_photo(10_000 + i, (720, 540))) for i in range(n)]
    return out + graphics()


def pytx_hash(data: bytes) -> tuple[str, int] | None:
    if pdq_from_bytes is None:
        return None
    h, q = pdq_from_bytes(data)
    return str(h), int(q)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synthetic", type=int, default=4, help="synthetic photos banked too")
    ap.add_argument("--unrelated", type=int, default=12, help="unrelated synthetic photos")
    ap.add_argument("--baseline", action="store_true", help="no query-side variants")
    ap.add_argument("--no-augment", action="store_true", help="no bank-side augments")
    ap.add_argument("--only", default="", help="comma-separated edit names")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each false match")
    args = ap.parse_args()
    photos = corpus(args.synthetic)
    others = unrelated(args.unrelated)
    edits = [(n, f) for n, f in EDITS if not args.only or n in args.only.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            home=Path(tmp),
            database_url=f"sqlite:///{tmp}/bench.sqlite3",
            bank_augment=not args.no_augment,
        )
        ctx = Rempart.open(settings)
        try:
            run(ctx, photos, others, edits, args.baseline, args.verbose)
        finally:
            ctx.close()


def run(
    ctx: Rempart,
    photos: list[tuple[str, Image.Image]],
    others: list[tuple[str, Image.Image]],
    edits: list[tuple[str, object]],
    baseline: bool,
    verbose: bool = False,
) -> None:
    scanner = ctx.scanner
    if baseline:
        scanner.query_variants = False
    ctx.banks.create_bank(BankCreate(name="EDITS"))
    group: dict[int, str] = {}
    banked: dict[str, str] = {}
    banked_tx: dict[str, str] = {}
    bank_ms: list[float] = []
    n_derived = 0
    for name, img in photos:
        data = encode(img, 95)
        t = time.process_time()
        sig = scanner.describe(scanner.hash(data, fast=False)).signals  # as HMA's upload
        own = {k: sig[k] for k in (PDQ, MD5, SHA256)}
        derived = augment_upload(ctx.settings, ctx.limits, data, own)
        bank_ms.append((time.process_time() - t) * 1000)
        n_derived += len(derived)
        item = ctx.banks.add_content("EDITS", ContentIn(signals=own, note=name), derived)
        group[item.id] = SAME.get(name, name)
        banked[name] = sig[PDQ]
        tx = pytx_hash(data)
        if tx:
            banked_tx[name] = tx[0]
    ctx.matcher.sync()
    print(
        f"banked {len(photos)} photos ({n_derived} derived PDQs, bank_augment="
        f"{ctx.settings.bank_augment}; banking CPU median {statistics.median(bank_ms):.0f} ms, "
        f"max {max(bank_ms):.0f} ms per photo); {len(others)} unrelated; threshold {THRESHOLD}"
    )
    head = f"{'edit':26} {'d_orig med/max':>14} {'match':>6} {'false':>6} {'pytx':>6} {'ms':>6}"
    print(head)
    print("-" * len(head))
    totals = {"n": 0, "match": 0, "false": 0, "tx": 0}
    scan_ms: list[float] = []
    for ename, fn in edits:
        dists, ok, false, tx_ok, ms = [], 0, 0, 0, []
        for i, (name, img) in enumerate(photos):
            other = photos[(i + 7) % len(photos)][1]
            data = encode(fn(img, other), 92)  # type: ignore[operator]
            t = time.process_time()  # CPU time: other processes on the machine do not count
            res = scanner.scan(data, analyse=False)
            ms.append((time.process_time() - t) * 1000)
            mine = SAME.get(name, name)
            oname = photos[(i + 7) % len(photos)][0]
            theirs = SAME.get(oname, oname) if "collage" in ename else ""
            allowed = {mine, theirs}  # a collage also shows the other (banked) photo
            if PDQ in res.signals:
                dists.append(pdq_distance(res.signals[PDQ], banked[name]))
            ok += any(group[m.content_id] == mine for m in res.matches)
            wrong = [m for m in res.matches if group[m.content_id] not in allowed]
            false += bool(wrong)
            if wrong and verbose:
                print(f"  false: {name} {ename} -> {wrong[0].note} via {wrong[0].orientation}")
            tx = pytx_hash(data)
            if tx and name in banked_tx:
                tx_ok += tx[1] >= 50 and pdq_distance(tx[0], banked_tx[name]) <= THRESHOLD
        n = len(photos)
        totals["n"] += n
        totals["match"] += ok
        totals["false"] += false
        totals["tx"] += tx_ok
        scan_ms += ms
        dm = f"{statistics.median(dists):.0f}/{max(dists)}" if dists else "-"
        print(
            f"{ename:26} {dm:>14} {ok / n:6.0%} {false / n:6.0%} "
            f"{tx_ok / n if banked_tx else float('nan'):6.0%} {statistics.median(ms):6.1f}"
        )
    n = totals["n"]
    print("-" * len(head))
    print(
        f"{'ALL edits':26} {'':>14} {totals['match'] / n:6.0%} {totals['false'] / n:6.0%} "
        f"{totals['tx'] / n:6.0%} {statistics.median(scan_ms):6.1f}"
    )
    # unrelated photos, as they are and edited: any match is a false match. Scanned again
    # with the threshold raised to MARGIN to show how far the nearest unrelated hash is.
    unrelated_edits = [*edits[:: max(1, len(edits) // 10)], ("as_is", None)]
    for threshold in (THRESHOLD, MARGIN):
        ctx.settings.pdq_threshold = threshold
        fp, total = 0, 0
        for name, img in others:
            for ename, fn in unrelated_edits:
                if ename.startswith("collage"):
                    continue  # a collage with a banked photo in it is a true match
                pic = img if fn is None else fn(img, img)  # type: ignore[operator]
                res = scanner.scan(encode(pic, 92), analyse=False)
                total += 1
                if res.matches:
                    fp += 1
                    m = res.matches[0]
                    print(f"  match at <= {threshold}: unrelated {name} ({ename}) -> {m.note} "
                          f"d={m.distance} via {m.orientation}")  # fmt: skip
        print(f"unrelated scans: {total}, matches at <= {threshold}: {fp} ({fp / total:.1%})")
    ctx.settings.pdq_threshold = THRESHOLD
    p95 = sorted(scan_ms)[int(0.95 * len(scan_ms))]
    print(
        "scan CPU time (hash + derived queries + match, no classifiers): "
        f"median {statistics.median(scan_ms):.1f} ms, p95 {p95:.1f} ms"
    )


if __name__ == "__main__":
    main()
