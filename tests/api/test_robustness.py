"""1,000 malformed files at the scan endpoint: every answer is a problem detail, never a 5xx."""

from __future__ import annotations

import io

import numpy as np
from fastapi.testclient import TestClient

from tests.conftest import encode, photo


def malformed_files(n: int) -> list[bytes]:
    """Truncations, bit flips, wrong headers and junk made from valid files of each format."""
    rng = np.random.default_rng(42)
    img = photo(5, (160, 120))
    seeds = [encode(img, fmt) for fmt in ("JPEG", "PNG", "GIF", "BMP", "TIFF", "WEBP")]
    out: list[bytes] = []
    while len(out) < n:
        base = bytearray(seeds[len(out) % len(seeds)])
        kind = len(out) % 5
        if kind == 0:
            out.append(bytes(base[: rng.integers(1, len(base))]))
        elif kind == 1:
            for _ in range(rng.integers(1, 20)):
                base[rng.integers(0, len(base))] = rng.integers(0, 256)
            out.append(bytes(base))
        elif kind == 2:
            out.append(bytes(base[:16]) + rng.bytes(int(rng.integers(0, 2000))))
        elif kind == 3:
            out.append(rng.bytes(int(rng.integers(0, 3000))))
        else:
            cut = rng.integers(8, len(base))
            out.append(bytes(base[:cut]) + b"PK\x03\x04" + bytes(base[cut:]))
    return out


def test_thousand_malformed_files_never_5xx(app_client: TestClient, keys: dict[str, str]) -> None:
    h = {"X-API-Key": keys["matcher"]}
    statuses: dict[int, int] = {}
    for data in malformed_files(1000):
        r = app_client.post("/v1/scan", files={"file": ("x", io.BytesIO(data))}, headers=h)
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        assert r.status_code < 500, r.text
        if r.status_code >= 400:
            assert r.headers["content-type"] == "application/problem+json"
    assert sum(v for k, v in statuses.items() if k >= 400) > 500  # most really are rejected
