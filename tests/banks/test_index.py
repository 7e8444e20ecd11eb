"""The PDQ match index is exact: every query returns precisely what a brute-force scan finds.

Covers every radius 0..64 (31, the PDQ default, in particular) on skewed data, the probing
path of every realistic multi-index layout, random interleavings of add/remove/compact against
a plain dict model, the threaded batch path, save/load (plain and memory-mapped) and refusal of
damaged saves, input validation, concurrent readers and writers, and memory per hash.
"""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from rempart.banks.hamming import segment, storage
from rempart.banks.hamming.bits import MAX_KEY_BITS
from rempart.banks.hamming.layout import Layout, probe_count
from rempart.banks.index import QUERY_CHUNK, HammingIndex, Hits

Codes = np.ndarray[Any, np.dtype[np.uint8]]
IntArr = np.ndarray[Any, Any]

# --- helpers ------------------------------------------------------------------------------


def random_codes(rng: np.random.Generator, n: int) -> Codes:
    return rng.integers(0, 256, (n, 32), dtype=np.uint8)


def flip_bits(rng: np.random.Generator, codes: Codes, counts: Any) -> Codes:
    """Each row with exactly ``counts[i]`` distinct bits flipped, at random positions."""
    n = codes.shape[0]
    k = np.broadcast_to(np.asarray(counts), (n,))
    ranks = rng.random((n, 256)).argsort(axis=1).argsort(axis=1)
    return codes ^ np.packbits(ranks < k[:, None], axis=1)


def flip_spread(rng: np.random.Generator, code: Codes, k: int, layout: Layout) -> Codes:
    """``code`` with ``k`` bits flipped as evenly as possible over the layout's chunks.

    This is the worst case for the pigeonhole bound: every chunk differs by about k / m bits,
    so a wrong flip budget for any single table loses the match.
    """
    m, b = layout.tables, layout.bits
    per = np.full(m, k // m)
    per[: k % m] += 1
    per = rng.permutation(per)
    bits = np.unpackbits(code)
    for t, c in enumerate(per.tolist()):
        pos = t * b + rng.choice(b, min(c, b), replace=False)
        bits[pos] ^= 1
    out: Codes = np.packbits(bits)
    return out


def distances(queries: Codes, codes: Codes) -> IntArr:
    """Brute force: Hamming distance of every query to every code, byte by byte."""
    out = np.empty((queries.shape[0], codes.shape[0]), np.int64)
    for lo in range(0, queries.shape[0], 16):
        x = queries[lo : lo + 16, None, :] ^ codes[None, :, :]
        out[lo : lo + 16] = np.bitwise_count(x).sum(axis=2)
    return out


def expected(dist_row: IntArr, ids: IntArr, banks: IntArr, radius: int) -> Hits:
    """Brute-force hits of one query, ordered by distance then id (the index's order)."""
    m = np.flatnonzero(dist_row <= radius)
    order = np.lexsort((ids[m], dist_row[m]))
    m = m[order]
    return Hits(ids[m].astype(np.int64), dist_row[m].astype(np.int32), banks[m].astype(np.int32))


def assert_hits(got: Hits, want: Hits, where: str = "") -> None:
    assert got.ids.dtype == np.int64 and got.distances.dtype == np.int32, where
    assert got.banks.dtype == np.int32, where
    np.testing.assert_array_equal(got.ids, want.ids, err_msg=f"ids {where}")
    np.testing.assert_array_equal(got.distances, want.distances, err_msg=f"distances {where}")
    np.testing.assert_array_equal(got.banks, want.banks, err_msg=f"banks {where}")


def one_chunk_variants(rng: np.random.Generator, n: int, start: int, bits: int) -> Codes:
    """``n`` codes identical except for random bits in ``[start, start + bits)``."""
    base = np.unpackbits(random_codes(rng, 1), axis=1)
    rows = np.repeat(base, n, axis=0)
    rows[:, start : start + bits] = rng.integers(0, 2, (n, bits), dtype=np.uint8)
    out: Codes = np.packbits(rows, axis=1)
    return out


def skewed_codes(rng: np.random.Generator, background: int = 6000) -> Codes:
    """Uniform codes plus the shapes that make bucket sizes very uneven."""
    centers = random_codes(rng, 40)
    cluster = np.repeat(centers, 60, axis=0)
    parts = [
        random_codes(rng, background),
        flip_bits(rng, cluster, rng.integers(0, 12, cluster.shape[0])),  # near duplicates
        np.repeat(random_codes(rng, 1), 1500, axis=0),  # one code 1500 times
        np.zeros((800, 32), np.uint8),  # all-zero codes (blank images)
        one_chunk_variants(rng, 1000, 0, 15),  # differ only in the first chunk
        one_chunk_variants(rng, 500, 120, 16),  # differ only in a middle chunk
    ]
    codes = np.concatenate(parts)
    out: Codes = codes[rng.permutation(codes.shape[0])]
    return out


def ids_and_banks(rng: np.random.Generator, n: int) -> tuple[IntArr, IntArr]:
    ids = rng.permutation(n).astype(np.int64) * 13 + 5  # sparse, unordered ids
    return ids, rng.integers(0, 7, n).astype(np.int32)


# --- exactness ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def skewed() -> tuple[HammingIndex, Codes, IntArr, IntArr]:
    rng = np.random.default_rng(20261202)
    codes = skewed_codes(rng)
    ids, banks = ids_and_banks(rng, codes.shape[0])
    return HammingIndex.build(codes, ids, banks), codes, ids, banks


def _skewed_queries(rng: np.random.Generator, index: HammingIndex, codes: Codes) -> Codes:
    stats = index.stats()
    layout = Layout(int(stats["tables"]), int(stats["chunk_bits"]))
    near = flip_bits(rng, codes[rng.integers(0, codes.shape[0], 40)], rng.integers(0, 45, 40))
    spread = [flip_spread(rng, codes[i], k, layout) for i, k in enumerate(range(27, 36))]
    return np.concatenate(
        [
            near,
            np.stack(spread),
            random_codes(rng, 4),
            np.zeros((1, 32), np.uint8),
            np.full((1, 32), 255, np.uint8),
            flip_bits(rng, np.zeros((2, 32), np.uint8), 3),
        ]
    )


def test_search_equals_brute_force_for_every_radius_on_skewed_data(
    skewed: tuple[HammingIndex, Codes, IntArr, IntArr],
) -> None:
    index, codes, ids, banks = skewed
    assert index.stats()["layout"] == "multi-index hashing"  # the probing path is under test
    rng = np.random.default_rng(1)
    queries = _skewed_queries(rng, index, codes)
    dist = distances(queries, codes)
    assert int((dist <= 31).sum()) > 2000  # big buckets really are hit (zero and copy groups)
    for radius in range(65):
        batch = index.search(queries, radius)
        assert len(batch) == queries.shape[0]
        for i, hits in enumerate(batch):
            assert_hits(hits, expected(dist[i], ids, banks, radius), f"q{i} r{radius}")
        for i in range(0, queries.shape[0], 6):
            single = index.search_one(queries[i], radius)
            assert_hits(single, expected(dist[i], ids, banks, radius), f"one q{i} r{radius}")


def test_radius_31_boundary_on_a_uniform_index() -> None:
    """Codes 31 bits away (spread over the chunks, the pigeonhole worst case) are found at
    distance 31; codes 32 bits away are not: the PDQ default threshold is exact at its edge."""
    rng = np.random.default_rng(31)
    codes = random_codes(rng, 20000)
    ids = np.arange(codes.shape[0], dtype=np.int64)
    index = HammingIndex.build(codes, ids, np.zeros(codes.shape[0], np.int32))
    stats = index.stats()
    assert stats["layout"] == "multi-index hashing"
    layout = Layout(int(stats["tables"]), int(stats["chunk_bits"]))
    origins = rng.choice(codes.shape[0], 150, replace=False)
    at31 = np.stack([flip_spread(rng, codes[i], 31, layout) for i in origins])
    at32 = np.stack([flip_spread(rng, codes[i], 32, layout) for i in origins])
    random31 = flip_bits(rng, codes[origins], 31)
    for queries, k in ((at31, 31), (at32, 32), (random31, 31)):
        for i, hits in zip(origins.tolist(), index.search(queries, 31), strict=True):
            found = dict(zip(hits.ids.tolist(), hits.distances.tolist(), strict=True))
            if k <= 31:
                assert found.get(i) == k
            else:
                assert i not in found
        dist = distances(queries, codes)
        for q, hits in enumerate(index.search(queries, 31)):
            assert_hits(hits, expected(dist[q], ids, np.zeros_like(ids), 31))


def test_radius_extremes_and_empty_inputs(
    skewed: tuple[HammingIndex, Codes, IntArr, IntArr],
) -> None:
    index, codes, ids, banks = skewed
    everything = index.search_one(codes[0], 256)
    assert len(everything) == codes.shape[0]
    assert_hits(everything, expected(distances(codes[:1], codes)[0], ids, banks, 256))
    zero = index.search_one(np.zeros(32, np.uint8), 0)
    assert len(zero) == 800 and set(zero.distances.tolist()) == {0}
    assert np.all(np.diff(zero.ids) > 0)  # equal distances come in id order
    assert index.search(np.zeros((0, 32), np.uint8), 31) == []
    empty = HammingIndex()
    assert len(empty) == 0
    assert len(empty.search_one(codes[0], 256)) == 0
    assert [len(h) for h in empty.search(codes[:3], 64)] == [0, 0, 0]


REAL_LAYOUTS = [Layout(t, min(MAX_KEY_BITS, 256 // t)) for t in (13, 16, 17, 18, 21, 32)]


@pytest.mark.parametrize("layout", REAL_LAYOUTS, ids=lambda x: f"{x.tables}x{x.bits}")
def test_probing_is_exact_for_every_layout_and_radius(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Force the multi-index path (no scan fallback) so the pigeonhole plan itself is checked,
    on small skewed data, with queries whose differences are spread evenly over the chunks."""
    monkeypatch.setattr(segment, "choose_layout", lambda n, *a, **k: layout)
    monkeypatch.setattr(segment, "probing_pays", lambda *a: True)
    monkeypatch.setattr(segment, "scan_cost", lambda n: float("inf"))
    rng = np.random.default_rng(layout.tables)
    centers = random_codes(rng, 5)
    codes = np.concatenate(
        [
            flip_bits(rng, np.repeat(centers, 80, axis=0), rng.integers(0, 40, 400)),
            np.zeros((30, 32), np.uint8),
            one_chunk_variants(rng, 60, layout.bits, layout.bits),
            random_codes(rng, 60),
        ]
    )
    ids, banks = ids_and_banks(rng, codes.shape[0])
    index = HammingIndex.build(codes, ids, banks)
    assert index.stats()["tables"] == layout.tables
    picks = zip(rng.integers(0, 400, 40).tolist(), rng.integers(0, 70, 40).tolist(), strict=True)
    queries = np.concatenate(
        [
            np.stack([flip_spread(rng, codes[i], k, layout) for i, k in picks]),
            flip_bits(rng, codes[rng.integers(0, codes.shape[0], 8)], rng.integers(0, 50, 8)),
            np.zeros((1, 32), np.uint8),
        ]
    )
    dist = distances(queries, codes)
    radii = [r for r in range(65) if probe_count(layout, r) <= 20_000]
    assert set(range(41)) <= set(radii)
    for radius in radii:
        for i, hits in enumerate(index.search(queries, radius)):
            assert_hits(hits, expected(dist[i], ids, banks, radius), f"q{i} r{radius}")
        for i in (0, 7, 40):
            single = index.search_one(queries[i], radius)
            assert_hits(single, expected(dist[i], ids, banks, radius), f"one q{i} r{radius}")


def test_batch_of_many_queries_equals_single_searches(
    skewed: tuple[HammingIndex, Codes, IntArr, IntArr],
) -> None:
    """More than QUERY_CHUNK queries take the threaded path; answers and order are unchanged."""
    index, codes, ids, banks = skewed
    rng = np.random.default_rng(2)
    queries = flip_bits(rng, codes[rng.integers(0, codes.shape[0], 700)], rng.integers(0, 40, 700))
    queries[650:] = queries[:50]  # repeated queries get the same answer
    assert queries.shape[0] > 2 * QUERY_CHUNK
    dist = distances(queries, codes)
    for radius in (0, 31, 48):
        batch = index.search(queries, radius)
        assert len(batch) == queries.shape[0]
        for i, hits in enumerate(batch):
            assert_hits(hits, index.search_one(queries[i], radius), f"q{i} r{radius}")
            assert_hits(hits, expected(dist[i], ids, banks, radius), f"q{i} r{radius}")


# --- changes: add, remove, compact against a dict model ----------------------------------

CENTERS = random_codes(np.random.default_rng(99), 16)


def near_centers(seed: int, n: int) -> Codes:
    rng = np.random.default_rng(seed)
    base = CENTERS[rng.integers(0, CENTERS.shape[0], n)]
    return flip_bits(rng, base, rng.integers(0, 40, n))


class IndexMachine(RuleBasedStateMachine):
    """Random add/remove/compact/save-load sequences against a dict model; after every step
    searches equal brute force over the model."""

    force_probing = False

    def __init__(self) -> None:
        super().__init__()
        self.mp = pytest.MonkeyPatch()
        if self.force_probing:  # every segment probes (small tails included), never scans
            self.mp.setattr(segment, "choose_layout", lambda n, *a, **k: Layout(16, 16))
            self.mp.setattr(segment, "probing_pays", lambda *a: True)
            self.mp.setattr(segment, "scan_cost", lambda n: float("inf"))
        self.dir = Path(tempfile.mkdtemp(prefix="rempart-index-"))
        self.index = HammingIndex()
        self.model: dict[int, tuple[bytes, int]] = {}
        self.id_space = 64
        self.steps = 0

    def teardown(self) -> None:
        self.mp.undo()
        shutil.rmtree(self.dir, ignore_errors=True)

    @initialize(
        how=st.sampled_from(["build", "add"]),
        base=st.sampled_from([0, 200, 10_500]),
        delta_max=st.sampled_from([1, 5, 40]),
        seed=st.integers(0, 2**32 - 1),
    )
    def start(self, how: str, base: int, delta_max: int, seed: int) -> None:
        codes = near_centers(seed, base)
        ids = np.arange(base, dtype=np.int64) * 2  # odd ids are never in the base
        banks = (ids % 5).astype(np.int32)
        if how == "build":
            self.index = HammingIndex.build(codes, ids, banks)
        else:
            self.index = HammingIndex(delta_max=delta_max)
            self.index.add(codes, ids, banks)
        self.model = {
            int(i): (c.tobytes(), int(b)) for i, c, b in zip(ids, codes, banks, strict=True)
        }
        self.id_space = 2 * base + 64

    def _ids(self, picks: list[int]) -> IntArr:
        return np.array([p % self.id_space for p in picks], dtype=np.int64)

    def _add(self, ids: IntArr, seed: int) -> None:
        codes = near_centers(seed, ids.shape[0])
        banks = np.random.default_rng(seed).integers(0, 9, ids.shape[0]).astype(np.int32)
        self.index.add(codes, ids, banks)
        for i, c, b in zip(ids.tolist(), codes, banks.tolist(), strict=True):
            self.model[i] = (c.tobytes(), b)  # the last occurrence wins

    @rule(picks=st.lists(st.integers(0, 2**20), min_size=1, max_size=50), seed=st.integers(0, 999))
    def add(self, picks: list[int], seed: int) -> None:
        self._add(self._ids(picks), seed)  # may repeat within the call and hit existing ids

    @rule(picks=st.lists(st.integers(0, 2**20), min_size=1, max_size=20), seed=st.integers(0, 999))
    def readd_existing(self, picks: list[int], seed: int) -> None:
        if self.model:
            known = list(self.model)
            self._add(np.array([known[p % len(known)] for p in picks], np.int64), seed)

    @rule(picks=st.lists(st.integers(0, 2**20), max_size=60), unknown=st.booleans())
    def remove(self, picks: list[int], unknown: bool) -> None:
        ids = self._ids(picks)
        if unknown:
            ids = np.concatenate([ids, [10**12, -5]])
        self.index.remove(ids)
        for i in ids.tolist():
            self.model.pop(i, None)

    @rule(picks=st.lists(st.integers(0, 2**20), min_size=1, max_size=30))
    def remove_existing(self, picks: list[int]) -> None:
        if self.model:
            known = list(self.model)
            ids = np.array([known[p % len(known)] for p in picks], np.int64)
            self.index.remove(ids)
            for i in ids.tolist():
                self.model.pop(i, None)

    @rule()
    def compact(self) -> None:
        self.index.compact()
        stats = self.index.stats()
        assert (stats["tail_segments"], stats["delta_size"], stats["tombstones"]) == (0, 0, 0)
        assert not self.index.needs_compaction()

    @rule(mmap=st.booleans())
    def save_and_load(self, mmap: bool) -> None:
        self.index.save(self.dir, meta={"n": len(self.model)})
        self.index = HammingIndex.load(self.dir, mmap=mmap)
        assert self.index.meta == {"n": len(self.model)}

    def _check(self, seed: int, radius: int) -> None:
        rng = np.random.default_rng(seed)
        if self.model:
            ids = np.fromiter(self.model, np.int64, len(self.model))
            codes = np.frombuffer(b"".join(v[0] for v in self.model.values()), np.uint8)
            codes = codes.reshape(-1, 32)
            banks = np.array([v[1] for v in self.model.values()], np.int32)
            origin = codes[rng.integers(0, codes.shape[0], 5)]
            queries = np.concatenate(
                [flip_bits(rng, origin, rng.integers(0, 40, 5)), random_codes(rng, 1)]
            )
        else:
            ids = np.zeros(0, np.int64)
            codes = np.zeros((0, 32), np.uint8)
            banks = np.zeros(0, np.int32)
            queries = near_centers(seed, 3)
        dist = distances(queries, codes)
        for i, hits in enumerate(self.index.search(queries, radius)):
            want = expected(dist[i], ids, banks, radius)
            assert_hits(hits, want, f"q{i} r{radius}")
            assert_hits(self.index.search_one(queries[i], radius), want, f"one q{i}")

    @rule(seed=st.integers(0, 2**32 - 1), radius=st.integers(0, 64))
    def search(self, seed: int, radius: int) -> None:
        self._check(seed, radius)

    @invariant()
    def answers_match_model(self) -> None:
        self.steps += 1
        assert len(self.index) == len(self.model)
        assert self.index.stats()["size"] == len(self.model)
        self._check(self.steps, (31, 0, 64, 12, 45)[self.steps % 5])


_machine_settings = settings(
    max_examples=15,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class ProbingIndexMachine(IndexMachine):
    force_probing = True


TestIndexMatchesModel = IndexMachine.TestCase
TestIndexMatchesModel.settings = _machine_settings
TestProbingIndexMatchesModel = ProbingIndexMachine.TestCase
TestProbingIndexMatchesModel.settings = _machine_settings


def test_add_replaces_and_remove_ignores_unknown_ids() -> None:
    rng = np.random.default_rng(3)
    codes = random_codes(rng, 4)
    index = HammingIndex.build(codes[:2], np.array([1, 2]), np.array([10, 20]))
    index.add(codes[2:3], np.array([1]), np.array([11]))  # id 1 now has a new code and bank
    assert len(index) == 2
    assert len(index.search_one(codes[0], 0)) == 0
    hit = index.search_one(codes[2], 0)
    assert hit.ids.tolist() == [1] and hit.banks.tolist() == [11]
    index.add(codes[[0, 3]], np.array([7, 7]), np.array([1, 2]))  # repeated in one call: last wins
    assert len(index.search_one(codes[0], 0)) == 0
    assert index.search_one(codes[3], 0).banks.tolist() == [2]
    index.remove(np.array([2, 999, -1]))
    assert len(index) == 2
    assert len(index.search_one(codes[1], 0)) == 0
    index.remove(np.zeros(0, np.int64))
    index.add(np.zeros((0, 32), np.uint8), np.zeros(0, np.int64), np.zeros(0, np.int32))
    assert len(index) == 2


def test_needs_compaction_and_compact_keep_answers() -> None:
    rng = np.random.default_rng(4)
    codes = skewed_codes(rng, background=3000)
    ids, banks = ids_and_banks(rng, codes.shape[0])
    index = HammingIndex.build(codes, ids, banks)
    assert not index.needs_compaction()
    index.remove(ids[: codes.shape[0] // 2])  # tombstones beyond a tenth of the rows
    assert index.needs_compaction()
    before = index.stats()
    assert before["tombstones"] == codes.shape[0] // 2
    queries = flip_bits(rng, codes[:: codes.shape[0] // 50], 10)
    answers = index.search(queries, 31)
    index.compact()
    after = index.stats()
    assert not index.needs_compaction()
    assert after["tombstones"] == 0 and after["main_rows"] == codes.shape[0] - codes.shape[0] // 2
    keep = np.arange(codes.shape[0] // 2, codes.shape[0])
    dist = distances(queries, codes[keep])
    for i, (old, new) in enumerate(zip(answers, index.search(queries, 31), strict=True)):
        assert_hits(new, old)
        assert_hits(new, expected(dist[i], ids[keep], banks[keep], 31))
    index.compact()  # nothing to do: a no-op that keeps the same answers
    assert index.stats()["main_rows"] == after["main_rows"]


# --- persistence --------------------------------------------------------------------------


def _changed_index(rng: np.random.Generator) -> tuple[HammingIndex, Codes]:
    """An index with a main segment, a tail segment, a delta and tombstones."""
    codes = skewed_codes(rng, background=4000)
    ids, banks = ids_and_banks(rng, codes.shape[0])
    index = HammingIndex.build(codes, ids, banks)
    extra = random_codes(rng, 4200)
    index.add(extra[:4100], np.arange(4100) + 10**9, np.full(4100, 3, np.int32))
    index.add(extra[4100:], np.arange(100) + 2 * 10**9, np.full(100, 4, np.int32))
    index.remove(ids[::7])
    index.remove(np.arange(0, 4100, 9) + 10**9)
    stats = index.stats()
    assert int(stats["tail_segments"]) >= 1
    assert int(stats["delta_size"]) > 0 and int(stats["tombstones"]) > 0
    queries = np.concatenate([flip_bits(rng, codes[::400], 12), flip_bits(rng, extra[::300], 9)])
    return index, queries


def _same_answers(a: HammingIndex, b: HammingIndex, queries: Codes) -> None:
    for radius in (0, 16, 31, 48):
        for x, y in zip(a.search(queries, radius), b.search(queries, radius), strict=True):
            assert_hits(y, x)
        assert_hits(b.search_one(queries[0], radius), a.search_one(queries[0], radius))


@pytest.mark.parametrize("mmap", [False, True])
def test_save_then_load_gives_identical_results(tmp_path: Path, mmap: bool) -> None:
    rng = np.random.default_rng(5)
    index, queries = _changed_index(rng)
    index.save(tmp_path / "idx", meta={"seq": 42, "note": "x"})
    loaded = HammingIndex.load(tmp_path / "idx", mmap=mmap)
    assert loaded.meta == {"seq": 42, "note": "x"}
    assert len(loaded) == len(index)
    strip = {"build_seconds"}
    assert {k: v for k, v in loaded.stats().items() if k not in strip} == {
        k: v for k, v in index.stats().items() if k not in strip
    }
    if mmap:
        main_codes = loaded._snapshot.segments[0].codes
        assert isinstance(main_codes, np.memmap) or isinstance(main_codes.base, np.memmap)
    _same_answers(index, loaded, queries)
    # A loaded (even memory-mapped) index keeps taking changes, like the one it was saved from.
    new = random_codes(rng, 50)
    for idx in (index, loaded):
        idx.add(new, np.arange(50) + 3 * 10**9, np.full(50, 6, np.int32))
        idx.remove(np.arange(0, 4100, 5) + 10**9)
    _same_answers(index, loaded, np.concatenate([queries, new[:5]]))
    # Saving over the directory it is mapped from leaves it working and the new save loadable.
    loaded.save(tmp_path / "idx")
    loaded.compact()
    index.compact()
    _same_answers(index, loaded, queries)
    _same_answers(index, HammingIndex.load(tmp_path / "idx", mmap=mmap), queries)
    versions = [p for p in (tmp_path / "idx").iterdir() if p.is_dir()]
    assert len(versions) == 1  # old versions are cleaned up


def test_a_failed_save_leaves_the_previous_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(6)
    index, queries = _changed_index(rng)
    target = tmp_path / "idx"
    index.save(target, meta={"v": 1})
    before = index.search(queries, 31)
    index.remove(np.arange(0, 4100) + 10**9)
    real_fsync = storage._fsync

    for crash_on in ("s1.ids.npy", "meta.json", "CURRENT."):  # mid-write, before the pointer

        def failing(path: Path, crash_on: str = crash_on) -> None:
            if path.name.startswith(crash_on):
                raise OSError("disk full")
            real_fsync(path)

        monkeypatch.setattr(storage, "_fsync", failing)
        with pytest.raises(OSError, match="disk full"):
            index.save(target, meta={"v": 2})
        for mmap in (False, True):
            old = HammingIndex.load(target, mmap=mmap)
            assert old.meta == {"v": 1}
            for x, y in zip(before, old.search(queries, 31), strict=True):
                assert_hits(y, x)
    monkeypatch.setattr(storage, "_fsync", real_fsync)
    index.save(target, meta={"v": 3})
    assert HammingIndex.load(target).meta == {"v": 3}
    versions = [p.name for p in target.iterdir() if p.is_dir()]
    assert len(versions) == 1 and not versions[0].endswith(".tmp")  # crashed versions removed


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(7)
    index, _ = _changed_index(rng)
    path = tmp_path_factory.mktemp("saved") / "idx"
    index.save(path)
    return path


def _version(path: Path) -> Path:
    return path / (path / "CURRENT").read_text().strip()


def _truncate(p: Path) -> None:
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])


DAMAGE: dict[str, tuple[str, Callable[[Path], Any]]] = {
    **{f"truncated {a}": (f"s0.{a}.npy", _truncate) for a in storage._ARRAYS},
    "truncated dead": ("s0.dead.npy", _truncate),
    "truncated tail codes": ("s1.codes.npy", _truncate),
    **{f"missing {a}": (f"s0.{a}.npy", Path.unlink) for a in storage._ARRAYS},
    "missing delta ids": ("s2.ids.npy", Path.unlink),
    "missing meta": ("meta.json", Path.unlink),
    "meta not json": ("meta.json", lambda p: p.write_text("{")),
    "garbage array": ("s0.postings.npy", lambda p: p.write_bytes(b"\x93NUMPY garbage" * 9)),
    "pickled array": (
        "s0.ids.npy",
        lambda p: np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True),
    ),
}


def _edit_meta(p: Path, change: str) -> None:
    info = json.loads(p.read_text())
    if change == "format":
        info["format"] = 99
    elif change == "rows":
        info["segments"][0]["rows"] += 1
    elif change == "layout":
        info["segments"][0]["bits"] -= 1
    p.write_text(json.dumps(info))


for _change in ("format", "rows", "layout"):
    DAMAGE[f"meta {_change}"] = ("meta.json", functools.partial(_edit_meta, change=_change))


@pytest.mark.parametrize("mmap", [False, True])
@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damaged_save_is_refused(saved: Path, tmp_path: Path, case: str, mmap: bool) -> None:
    copy = tmp_path / "idx"
    shutil.copytree(saved, copy)
    name, damage = DAMAGE[case]
    damage(_version(copy) / name)
    with pytest.raises(ValueError):
        HammingIndex.load(copy, mmap=mmap)


def test_mixed_up_or_missing_saves_are_refused(saved: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not hold a saved Hamming index"):
        HammingIndex.load(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="does not hold a saved Hamming index"):
        HammingIndex.load(tmp_path / "empty")
    copy = tmp_path / "idx"
    shutil.copytree(saved, copy)
    (copy / "CURRENT").write_text("v-gone")
    with pytest.raises(ValueError):
        HammingIndex.load(copy)
    # A file from another save (different size) is refused, not combined.
    other = tmp_path / "other"
    rng = np.random.default_rng(8)
    HammingIndex.build(random_codes(rng, 300), np.arange(300), np.zeros(300, np.int32)).save(other)
    copy2 = tmp_path / "idx2"
    shutil.copytree(saved, copy2)
    shutil.copy(_version(other) / "s0.ids.npy", _version(copy2) / "s0.ids.npy")
    for mmap in (False, True):
        with pytest.raises(ValueError, match=r"inconsistent|checksum"):
            HammingIndex.load(copy2, mmap=mmap)


@pytest.mark.parametrize("name", ["codes", "ids", "bank_codes", "postings", "offsets"])
def test_bit_flipped_save_is_refused(saved: Path, tmp_path: Path, name: str) -> None:
    """Damage that keeps every shape (one flipped bit) is caught by the per-file CRC-32."""
    copy = tmp_path / "idx"
    shutil.copytree(saved, copy)
    path = _version(copy) / f"s0.{name}.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    for mmap in (False, True):
        with pytest.raises(ValueError, match="checksum"):
            HammingIndex.load(copy, mmap=mmap)


# --- input validation ---------------------------------------------------------------------

GOOD = np.zeros((3, 32), np.uint8)
IDS = np.arange(3, dtype=np.int64)
BANKS = np.zeros(3, np.int32)

BAD_BUILDS = [
    (GOOD.astype(np.float32), IDS, BANKS, "dtype uint8"),
    (GOOD.astype(np.int64), IDS, BANKS, "dtype uint8"),
    (GOOD[:, :31], IDS, BANKS, r"shape \(n, 32\)"),
    (GOOD.reshape(-1), IDS, BANKS, r"shape \(n, 32\)"),
    (GOOD.tolist(), IDS, BANKS, "numpy array"),
    (GOOD, IDS[:2], BANKS, "ids has 2 entries but codes has 3 rows"),
    (GOOD, IDS.astype(np.float64), BANKS, "integer dtype"),
    (GOOD, IDS.reshape(3, 1), BANKS, "1-d"),
    (GOOD, IDS, np.array([0, 1, 2**40]), "banks values must fit in int32"),
    (GOOD, np.array([0, 1, 2**63], np.uint64), BANKS, "ids values must fit in int64"),
    (GOOD, np.array([4, 5, 4]), BANKS, "ids must be unique"),
]


@pytest.mark.parametrize(("codes", "ids", "banks", "message"), BAD_BUILDS)
def test_bad_build_input_is_explained(codes: Any, ids: Any, banks: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HammingIndex.build(codes, ids, banks)
    if "unique" not in message:
        index = HammingIndex.build(GOOD, IDS, BANKS)
        with pytest.raises(ValueError, match=message):
            index.add(codes, ids, banks)
        assert len(index) == 3  # a refused add changes nothing
        assert index.search_one(GOOD[0], 0).ids.tolist() == [0, 1, 2]


@pytest.mark.parametrize("radius", [-1, 257, 3.0, True, "31", None, np.float64(2)])
def test_radius_must_be_an_int_in_range(radius: Any) -> None:
    index = HammingIndex.build(GOOD, IDS, BANKS)
    with pytest.raises(ValueError, match="radius must be"):
        index.search(GOOD, radius)
    with pytest.raises(ValueError, match="radius must be"):
        index.search_one(GOOD[0], radius)


def test_radius_accepts_numpy_ints_and_the_full_range() -> None:
    index = HammingIndex.build(GOOD, IDS, BANKS)
    assert len(index.search(GOOD, np.int64(0))[0]) == 3  # type: ignore[arg-type]
    assert len(index.search_one(np.full(32, 255, np.uint8), 256)) == 3
    assert len(index.search_one(np.full(32, 255, np.uint8), 255)) == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (GOOD[0, :31], r"shape \(32,\)"),
        (GOOD[:2], r"shape \(32,\)"),
        (GOOD[0].astype(np.int8), r"uint8 array"),
        (bytes(32), "got bytes"),
    ],
)
def test_bad_single_query_is_explained(query: Any, message: str) -> None:
    index = HammingIndex.build(GOOD, IDS, BANKS)
    with pytest.raises(ValueError, match=message):
        index.search_one(query, 3)
    assert index.search_one(GOOD[:1], 0).ids.tolist() == [0, 1, 2]  # a (1, 32) row is fine


def test_bad_batch_queries_and_removals_are_explained() -> None:
    index = HammingIndex.build(GOOD, IDS, BANKS)
    with pytest.raises(ValueError, match="queries must have shape"):
        index.search(GOOD[0], 3)
    with pytest.raises(ValueError, match="queries must have dtype uint8"):
        index.search(GOOD.astype(np.uint16), 3)
    with pytest.raises(ValueError, match="ids must be a 1-d"):
        index.remove(IDS.reshape(1, 3))
    with pytest.raises(ValueError, match="ids must have an integer dtype"):
        index.remove(np.array([1.0]))
    assert len(index) == 3


# --- threads ------------------------------------------------------------------------------


def test_concurrent_searches_while_writing_never_fail_or_see_removed_ids() -> None:
    rng = np.random.default_rng(9)
    n = 11000
    codes = skewed_codes(rng, background=n - 5800)[:n]
    index = HammingIndex(delta_max=64)
    index.add(codes, np.arange(n, dtype=np.int64), np.zeros(n, np.int32))
    new_codes = random_codes(rng, 3000)
    all_codes = np.concatenate([codes, new_codes])
    removed = np.empty(n + 3000, np.int64)  # ids whose remove() has returned: removed[:count]
    added = np.empty(3000, np.int64)  # ids added and never removed: added[:count]
    counts = {"removed": 0, "added": 0, "searches": 0}
    errors: list[BaseException] = []
    done = threading.Event()

    def writer() -> None:
        try:
            order = rng.permutation(n)
            for step in range(150):
                ids = order[step * 20 : (step + 1) * 20]
                index.remove(ids)
                k = counts["removed"]
                removed[k : k + ids.size] = ids
                counts["removed"] = k + ids.size
                fresh = np.arange(step * 20, (step + 1) * 20, dtype=np.int64)
                index.add(new_codes[fresh], fresh + n, np.ones(20, np.int32))
                gone = fresh[fresh % 2 == 0] + n  # half the new entries go again at once
                index.remove(gone)
                k = counts["removed"]
                removed[k : k + gone.size] = gone
                counts["removed"] = k + gone.size
                stay = fresh[fresh % 2 == 1] + n
                k = counts["added"]
                added[k : k + stay.size] = stay
                counts["added"] = k + stay.size
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    def compactor() -> None:
        try:
            while not done.is_set():
                index.compact()
                done.wait(0.02)
        except BaseException as exc:
            errors.append(exc)

    def reader(seed: int) -> None:
        local = np.random.default_rng(seed)
        try:
            while not done.is_set() or counts["searches"] < 20:
                gone = removed[: counts["removed"]].copy()  # removed before this search
                kept = added[: counts["added"]][-10:].copy()  # added before, never removed
                probe = np.concatenate([gone[-30:], kept, local.integers(0, n, 2)])
                queries = all_codes[probe]
                radius = int(local.choice([0, 8, 31]))
                if local.random() < 0.5:
                    results = index.search(queries, radius)
                else:
                    results = [index.search_one(q, radius) for q in queries]
                counts["searches"] += 1
                for hits in results:
                    assert not np.isin(hits.ids, gone).any(), "a removed id was returned"
                start = min(30, gone.size)
                for qid, hits in zip(kept.tolist(), results[start:], strict=False):
                    assert qid in hits.ids.tolist(), "an added id is missing"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=compactor)]
    threads += [threading.Thread(target=reader, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert counts["searches"] >= 20
    live = np.setdiff1d(np.arange(n + 3000), removed[: counts["removed"]])
    live = live[(live < n) | np.isin(live, added[: counts["added"]])]
    assert len(index) == live.size
    queries = all_codes[live[:: max(1, live.size // 40)]]
    dist = distances(queries, all_codes[live])
    banks = (live >= n).astype(np.int32)
    for i, hits in enumerate(index.search(queries, 31)):
        assert_hits(hits, expected(dist[i], live, banks, 31))


# --- memory -------------------------------------------------------------------------------


def test_memory_per_hash_for_a_200k_build() -> None:
    rng = np.random.default_rng(10)
    n = 200_000
    index = HammingIndex.build(random_codes(rng, n), np.arange(n), rng.integers(0, 50, n))
    stats = index.stats()
    tables = int(stats["tables"])
    assert tables > 0
    used = index.memory_bytes()
    assert used == stats["memory_bytes"]
    assert used >= n * (32 + 8 + 1) + tables * 4 * n  # codes, ids, bank codes and postings
    assert used / n <= 128
    assert float(stats["bytes_per_hash"]) <= 128
