"""Provenance check time per image kind, and C2PA signing time (`make bench`)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, ".")
from tests import provtools as pt

from rempart.config import Settings
from rempart.signals.provenance import ProvenanceService

chain, key, ca = pt.make_signing_identity(Path(tempfile.mkdtemp()))
svc = ProvenanceService(Settings(c2pa_trust_anchors=ca, c2pa_sign_cert=chain, c2pa_sign_key=key))
big = pt.photo("astronaut").resize((1024, 1024))
cases = {
    "clean JPEG 512px (4:2:0)": pt.clean_photo("astronaut"),
    "clean JPEG 1024px (4:2:0)": pt.encode(big, "JPEG", quality=90),
    "clean PNG 512px": pt.clean_photo("astronaut", "PNG"),
    "clean PNG 1024px": pt.encode(big, "PNG"),
    "A1111 PNG 512px": pt.png_with_a1111_parameters(),
    "XMP JPEG": pt.jpeg_with_xmp_dst("trainedAlgorithmicMedia"),
    "watermarked PNG 512px": pt.watermarked_png(),
    "C2PA JPEG (Trusted)": svc.sign(pt.encode(big, "JPEG", quality=90), "image/jpeg"),
    "C2PA PNG 1024px (Trusted)": svc.sign(pt.encode(big, "PNG"), "image/png"),
}
svc.check(cases["clean PNG 512px"])  # warm up c2pa context
for name, data in cases.items():
    times = []
    for _ in range(10):
        t = time.perf_counter()
        r = svc.check(data)
        times.append((time.perf_counter() - t) * 1000)
    print(f"{name:28s} {r.ai_generated:8s} median {statistics.median(times):6.1f} ms")
png = pt.encode(big, "PNG")
times = []
for _ in range(10):
    t = time.perf_counter()
    svc.sign(png, "image/png")
    times.append((time.perf_counter() - t) * 1000)
print(f"{'sign PNG 1024px':28s} {'':8s} median {statistics.median(times):6.1f} ms")
