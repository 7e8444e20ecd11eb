"""The matcher keeps its in-memory indexes equal to the bank tables: changes made through
``BankService`` reach lookups after ``sync()`` (or within a second from the background
thread, without a rebuild), and a snapshot restart replays what changed since the snapshot."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from rempart.banks.lookup import Query
from rempart.banks.matcher import Matcher
from rempart.banks.schemas import BankCreate, ContentIn
from rempart.config import Settings
from rempart.context import Rempart
from rempart.signals.pdq import pdq_hex_to_array
from rempart.signals.types import PDQ, SIGNAL_TYPES, VPDQ
from rempart.signals.vpdq import parse_vpdq
from rempart.store.models import ContentSignal

EXACT = [name for name, info in SIGNAL_TYPES.items() if info.exact]

# --- helpers ------------------------------------------------------------------------------


def rand_hex(rng: np.random.Generator, nbytes: int = 32) -> str:
    return rng.integers(0, 256, nbytes, dtype=np.uint8).tobytes().hex()


def flip(rng: np.random.Generator, value: str, bits: int) -> str:
    arr = np.unpackbits(np.frombuffer(bytes.fromhex(value), np.uint8))
    arr[rng.choice(256, bits, replace=False)] ^= 1
    return np.packbits(arr).tobytes().hex()


def vpdq_value(frames: list[str]) -> str:
    return json.dumps([f"{h},100,{i * 0.5}" for i, h in enumerate(frames)])


def item(rng: np.random.Generator, kind: str = "photo") -> ContentIn:
    """A banked item with every signal type of its kind."""
    if kind == "photo":
        signals = {"pdq": rand_hex(rng), "md5": rand_hex(rng, 16), "sha256": rand_hex(rng)}
    else:
        frames = [rand_hex(rng) for _ in range(int(rng.integers(1, 4)))]
        signals = {"vpdq": vpdq_value(frames), "video_md5": rand_hex(rng, 16)}
    return ContentIn(signals=signals, content_type=kind)


@contextmanager
def reopened(settings: Settings) -> Iterator[Rempart]:
    """A second process start on the same settings (loads its own index)."""
    ctx = Rempart.open(settings)
    try:
        yield ctx
    finally:
        ctx.close()


def table_rows(ctx: Rempart) -> list[Any]:
    with ctx.db.session() as s:
        return list(
            s.execute(
                select(
                    ContentSignal.id,
                    ContentSignal.bank_id,
                    ContentSignal.signal_type,
                    ContentSignal.signal_value,
                )
            ).all()
        )


def distances(queries: np.ndarray, codes: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.bitwise_count(queries[:, None, :] ^ codes[None, :, :]).sum(axis=2)
    return out


def pdq_answers(
    matcher: Matcher, queries: np.ndarray, radius: int = 31
) -> list[list[tuple[int, ...]]]:
    return [
        [(c.distance, c.signal_id, c.bank_id) for c in hits]
        for hits in matcher.query_pdq(queries, radius)
    ]


def vpdq_answers(
    matcher: Matcher, queries: np.ndarray, radius: int = 31
) -> list[list[tuple[int, ...]]]:
    return [
        [(c.distance, c.signal_id, c.frame, c.bank_id) for c in hits]
        for hits in matcher.query_vpdq_frames(queries, radius)
    ]


def assert_matches_tables(ctx: Rempart, matcher: Matcher, rng: np.random.Generator) -> None:
    """Every index of ``matcher`` answers exactly what the rows of ``content_signal`` say."""
    rows = table_rows(ctx)
    pdq = [r for r in rows if r.signal_type == PDQ]
    assert len(matcher.pdq) == len(pdq)
    codes = pdq_hex_to_array([r.signal_value for r in pdq])
    near = [flip(rng, pdq[i].signal_value, 9) for i in rng.integers(0, len(pdq), 25)] if pdq else []
    queries = pdq_hex_to_array(near + [rand_hex(rng) for _ in range(3)])
    dist = distances(queries, codes)
    want = [
        sorted((int(dist[q, k]), r.id, r.bank_id) for k, r in enumerate(pdq) if dist[q, k] <= 31)
        for q in range(queries.shape[0])
    ]
    assert pdq_answers(matcher, queries) == want
    for st in EXACT:
        expect: dict[str, dict[int, int]] = {}
        for r in rows:
            if r.signal_type == st:
                expect.setdefault(r.signal_value, {})[r.id] = r.bank_id
        assert matcher.exact[st].rows == expect, st
        for value, ids in list(expect.items())[:5]:
            got = {c.signal_id: c.bank_id for c in matcher.query_exact(st, value)}
            assert got == ids
    frames = [
        (r.id, f.frame_number, r.bank_id, f.hex)
        for r in rows
        if r.signal_type == VPDQ
        for f in parse_vpdq(r.signal_value)
    ]
    assert matcher.vpdq_frames == {
        r.id: len(parse_vpdq(r.signal_value)) for r in rows if r.signal_type == VPDQ
    }
    assert len(matcher.vpdq) == len(frames)
    if frames:
        fcodes = pdq_hex_to_array([f[3] for f in frames])
        fq = pdq_hex_to_array([flip(rng, f[3], 5) for f in frames[:10]])
        fd = distances(fq, fcodes)
        fwant = [
            sorted(
                (int(fd[q, k]), f[0], f[1], f[2]) for k, f in enumerate(frames) if fd[q, k] <= 31
            )
            for q in range(fq.shape[0])
        ]
        assert vpdq_answers(matcher, fq) == fwant


def wait_for(condition: Callable[[], bool], limit_s: float) -> float:
    """Seconds until ``condition()`` held; fails if it did not within ``limit_s``."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < limit_s, f"not visible within {limit_s} s"
        time.sleep(0.01)
    return time.monotonic() - start


def matched_ids(ctx: Rempart, signal_type: str, value: str) -> list[int]:
    return [m.content_id for m in ctx.lookup.lookup(signal_type, [Query(value)]).matches]


# --- sync ---------------------------------------------------------------------------------


def test_additions_and_removals_reach_lookups_after_sync(rempart: Rempart) -> None:
    rng = np.random.default_rng(1)
    rempart.banks.create_bank(BankCreate(name="KNOWN"))
    rempart.banks.create_bank(BankCreate(name="OTHER"))
    single = rempart.banks.add_content("KNOWN", item(rng))
    video = rempart.banks.add_content("KNOWN", item(rng, "video"))
    bulk = [item(rng) for _ in range(40)]
    assert rempart.banks.add_many("OTHER", bulk) == 40
    assert rempart.matcher.sync() == 3 + 2 + 3 * 40  # one log row per signal
    near = flip(rng, single.signals["pdq"], 12)
    assert matched_ids(rempart, "pdq", near) == [single.id]
    for st in ("md5", "sha256"):
        assert matched_ids(rempart, st, single.signals[st]) == [single.id]
    assert matched_ids(rempart, "video_md5", video.signals["video_md5"]) == [video.id]
    other = [m.bank for m in rempart.lookup.lookup("pdq", [Query(bulk[7].signals["pdq"])]).matches]
    assert other == ["OTHER"]
    assert_matches_tables(rempart, rempart.matcher, rng)

    rempart.banks.delete_content("KNOWN", single.id)
    rempart.banks.delete_content("KNOWN", video.id)
    rempart.banks.delete_bank("OTHER")
    assert rempart.matcher.sync() == 3 + 2 + 3 * 40
    assert matched_ids(rempart, "pdq", near) == []
    assert matched_ids(rempart, "md5", single.signals["md5"]) == []
    assert matched_ids(rempart, "video_md5", video.signals["video_md5"]) == []
    assert rempart.lookup.lookup("pdq", [Query(bulk[7].signals["pdq"])]).matches == []
    assert len(rempart.matcher.pdq) == len(rempart.matcher.vpdq) == 0
    assert rempart.matcher.sync() == 0  # nothing applied twice
    assert_matches_tables(rempart, rempart.matcher, rng)


def test_content_added_after_deleting_the_newest_item_is_matched(rempart: Rempart) -> None:
    """Regression: SQLite hands a deleted newest row's id to the next insert, so the log holds
    ``add id``, ``remove id``, ``add id``; the last add must win, also in one sync batch."""
    rng = np.random.default_rng(2)
    rempart.banks.create_bank(BankCreate(name="KNOWN"))
    keep = rempart.banks.add_content("KNOWN", item(rng))
    for synced_between in (True, False):
        first = rempart.banks.add_content("KNOWN", item(rng))
        if synced_between:
            rempart.matcher.sync()
        rempart.banks.delete_content("KNOWN", first.id)
        second = rempart.banks.add_content("KNOWN", item(rng))
        rempart.matcher.sync()
        for st in ("pdq", "md5", "sha256"):
            assert matched_ids(rempart, st, second.signals[st]) == [second.id], st
            assert matched_ids(rempart, st, first.signals[st]) == [], st
        assert matched_ids(rempart, "pdq", keep.signals["pdq"]) == [keep.id]
        assert_matches_tables(rempart, rempart.matcher, rng)
        rempart.banks.delete_content("KNOWN", second.id)
        rempart.matcher.sync()
    rempart.matcher.save_snapshot()  # the same sequence replayed from a snapshot at restart
    first = rempart.banks.add_content("KNOWN", item(rng))
    rempart.banks.delete_content("KNOWN", first.id)
    second = rempart.banks.add_content("KNOWN", item(rng))
    with reopened(rempart.settings) as again:
        assert again.matcher.loaded_from_snapshot
        assert matched_ids(again, "pdq", second.signals["pdq"]) == [second.id]
        assert matched_ids(again, "pdq", first.signals["pdq"]) == []
        assert_matches_tables(again, again.matcher, rng)


def test_random_bank_changes_keep_every_index_equal_to_the_tables(rempart: Rempart) -> None:
    rng = np.random.default_rng(3)
    names = ["A", "B", "C"]
    for name in names:
        rempart.banks.create_bank(BankCreate(name=name))
    live: dict[int, str] = {}  # content id -> bank
    for step in range(70):
        op = rng.random()
        bank = names[int(rng.integers(0, len(names)))]
        if op < 0.4 or not live:
            kind = "video" if rng.random() < 0.25 else "photo"
            live[rempart.banks.add_content(bank, item(rng, kind)).id] = bank
        elif op < 0.5:
            before = {c.id for c in rempart.banks.list_content(bank, limit=1000)}
            rempart.banks.add_many(bank, [item(rng) for _ in range(int(rng.integers(1, 6)))])
            for c in rempart.banks.list_content(bank, limit=1000):
                if c.id not in before:
                    live[c.id] = bank
        elif op < 0.85:
            # often the newest item (its ids are reused by SQLite), else any
            cid = max(live) if rng.random() < 0.5 else list(live)[int(rng.integers(len(live)))]
            rempart.banks.delete_content(live.pop(cid), cid)
        elif op < 0.9 and len(live) > 5:
            doomed = names[int(rng.integers(0, len(names)))]
            rempart.banks.delete_bank(doomed)
            rempart.banks.create_bank(BankCreate(name=doomed))
            live = {c: b for c, b in live.items() if b != doomed}
        if rng.random() < 0.3:
            rempart.matcher.sync()
        if step % 20 == 19:
            rempart.matcher.sync()
            assert_matches_tables(rempart, rempart.matcher, rng)
    rempart.matcher.sync()
    assert_matches_tables(rempart, rempart.matcher, rng)
    with reopened(rempart.settings) as fresh:  # a full build from the tables agrees
        assert not fresh.matcher.loaded_from_snapshot
        assert_matches_tables(fresh, fresh.matcher, rng)


# --- background thread --------------------------------------------------------------------


def test_background_sync_applies_changes_within_a_second_without_rebuild(
    rempart: Rempart,
) -> None:
    rng = np.random.default_rng(4)
    rempart.banks.create_bank(BankCreate(name="KNOWN"))
    preload = [item(rng) for _ in range(300)]
    rempart.banks.add_many("KNOWN", preload)
    with reopened(rempart.settings) as server:
        matcher = server.matcher
        pdq = matcher.pdq
        main = pdq._snapshot.segments[0]  # the segment a full build made
        before = pdq.stats()
        assert before["main_rows"] == 300
        matcher.start(0.1)
        # another process (the fixture's services) edits the bank
        added = rempart.banks.add_content("KNOWN", item(rng))
        near = flip(rng, added.signals["pdq"], 8)
        wait_for(lambda: matched_ids(server, "pdq", near) == [added.id], 1.0)
        wait_for(lambda: matched_ids(server, "md5", added.signals["md5"]) == [added.id], 1.0)
        old = server.banks.list_content("KNOWN", limit=1)[0]
        rempart.banks.delete_content("KNOWN", old.id)
        rempart.banks.delete_content("KNOWN", added.id)
        wait_for(lambda: matched_ids(server, "pdq", near) == [], 1.0)
        wait_for(lambda: matched_ids(server, "pdq", old.signals["pdq"]) == [], 1.0)
        video = rempart.banks.add_content("KNOWN", item(rng, "video"))
        wait_for(lambda: video_matches(server, video.signals["vpdq"]) == [video.id], 1.0)
        # changes were applied in place: same index, same main segment, nothing rebuilt
        assert matcher.pdq is pdq and pdq._snapshot.segments[0] is main
        after = pdq.stats()
        assert after["main_rows"] == 300 and after["build_seconds"] == before["build_seconds"]
        assert after["size"] == 299 and after["tombstones"] == 1
        assert server.matcher.status()["from_snapshot"] is False
        matcher.stop()
        assert matcher._thread is None
        assert_matches_tables(server, matcher, rng)


def video_matches(ctx: Rempart, vpdq: str) -> list[int]:
    return [m.content_id for m in ctx.lookup.lookup_vpdq(parse_vpdq(vpdq)).matches]


def _signals(ctx: Rempart, content_id: int) -> list[ContentSignal]:
    with ctx.db.session() as s:
        return list(s.scalars(select(ContentSignal).where(ContentSignal.content_id == content_id)))


# --- snapshots ----------------------------------------------------------------------------


def test_snapshot_restart_replays_later_changes_and_answers_the_same(rempart: Rempart) -> None:
    rng = np.random.default_rng(5)
    for name in ("KNOWN", "GONE"):
        rempart.banks.create_bank(BankCreate(name=name))
    items = [rempart.banks.add_content("KNOWN", item(rng)) for _ in range(30)]
    items += [rempart.banks.add_content("KNOWN", item(rng, "video")) for _ in range(5)]
    rempart.banks.add_many("GONE", [item(rng) for _ in range(20)])
    rempart.banks.add_many("KNOWN", [ContentIn(signals={"pdq": rand_hex(rng)}) for _ in range(300)])
    rempart.matcher.sync()
    assert rempart.matcher.save_snapshot() == rempart.settings.index_dir / "pdq"
    # after the snapshot: additions, removals of snapshotted items, a bank deletion
    late = [rempart.banks.add_content("KNOWN", item(rng)) for _ in range(5)]
    late_video = rempart.banks.add_content("KNOWN", item(rng, "video"))
    for it in (items[0], items[1], items[31]):
        rempart.banks.delete_content("KNOWN", it.id)
    rempart.banks.delete_bank("GONE")
    rempart.matcher.sync()
    with reopened(rempart.settings) as again:
        assert again.matcher.loaded_from_snapshot and again.matcher.status()["from_snapshot"]
        assert again.matcher.seq == rempart.matcher.seq
        assert len(again.matcher.pdq) == len(rempart.matcher.pdq) == 30 - 2 + 300 + 5
        assert matched_ids(again, "pdq", late[2].signals["pdq"]) == [late[2].id]
        assert matched_ids(again, "pdq", items[0].signals["pdq"]) == []
        assert matched_ids(again, "md5", items[1].signals["md5"]) == []
        assert matched_ids(again, "pdq", items[5].signals["pdq"]) == [items[5].id]
        assert matched_ids(again, "video_md5", late_video.signals["video_md5"]) == [late_video.id]
        assert matched_ids(again, "video_md5", items[31].signals["video_md5"]) == []
        queries = pdq_hex_to_array(
            [flip(rng, it.signals["pdq"], 10) for it in items[:30] + late]
            + [rand_hex(rng) for _ in range(5)]
        )
        assert pdq_answers(again.matcher, queries) == pdq_answers(rempart.matcher, queries)
        for st in EXACT:
            assert again.matcher.exact[st].rows == rempart.matcher.exact[st].rows
        assert again.matcher.vpdq_frames == rempart.matcher.vpdq_frames
        assert_matches_tables(again, again.matcher, rng)


def test_snapshot_of_another_database_is_ignored(rempart: Rempart, tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    rempart.banks.create_bank(BankCreate(name="KNOWN"))
    known = rempart.banks.add_content("KNOWN", item(rng))
    rempart.matcher.sync()
    rempart.matcher.save_snapshot()
    elsewhere = Settings(
        home=rempart.settings.home, database_url=f"sqlite:///{tmp_path / 'other.sqlite3'}"
    )
    with reopened(elsewhere) as other:
        assert not other.matcher.loaded_from_snapshot
        assert len(other.matcher.pdq) == 0 and len(other.matcher.exact["md5"]) == 0
        other.banks.create_bank(BankCreate(name="KNOWN"))
        assert matched_ids(other, "pdq", known.signals["pdq"]) == []
        theirs = other.banks.add_content("KNOWN", item(rng))
        other.matcher.sync()
        assert matched_ids(other, "pdq", theirs.signals["pdq"]) == [theirs.id]
    with reopened(rempart.settings) as again:  # the snapshot is still good for its own database
        assert again.matcher.loaded_from_snapshot
        assert matched_ids(again, "pdq", known.signals["pdq"]) == [known.id]


def _truncate_codes(index_dir: Path) -> None:
    pdq = index_dir / "pdq"
    p = pdq / (pdq / "CURRENT").read_text() / "s0.codes.npy"
    p.write_bytes(p.read_bytes()[:100])


def _remove_ids(index_dir: Path) -> None:
    pdq = index_dir / "pdq"
    (pdq / (pdq / "CURRENT").read_text() / "s0.ids.npy").unlink()


def _garble_meta(index_dir: Path) -> None:
    (index_dir / "meta.json").write_text("{")


def test_damaged_snapshot_falls_back_to_the_tables(rempart: Rempart) -> None:
    rng = np.random.default_rng(7)
    rempart.banks.create_bank(BankCreate(name="KNOWN"))
    rempart.banks.add_many("KNOWN", [item(rng) for _ in range(50)])
    known = rempart.banks.add_content("KNOWN", item(rng))
    rempart.matcher.sync()
    for damage in (_truncate_codes, _remove_ids, _garble_meta):
        rempart.matcher.save_snapshot()
        damage(rempart.settings.index_dir)
        with reopened(rempart.settings) as again:
            assert not again.matcher.loaded_from_snapshot, damage.__name__
            assert matched_ids(again, "pdq", known.signals["pdq"]) == [known.id]
            assert_matches_tables(again, again.matcher, rng)


# --- vPDQ and exact tables ----------------------------------------------------------------


def test_vpdq_frames_and_exact_tables_follow_adds_and_removes(rempart: Rempart) -> None:
    rng = np.random.default_rng(8)
    rempart.banks.create_bank(BankCreate(name="VIDEOS"))
    frames = [rand_hex(rng) for _ in range(4)]
    video = rempart.banks.add_content(
        "VIDEOS",
        ContentIn(
            signals={"vpdq": vpdq_value(frames), "video_md5": rand_hex(rng, 16)},
            content_type="video",
        ),
    )
    photo = rempart.banks.add_content("VIDEOS", item(rng))
    rempart.matcher.sync()
    sid = {s.signal_type: s.id for s in _signals(rempart, video.id)}["vpdq"]
    assert rempart.matcher.vpdq_frames == {sid: 4}
    hits = vpdq_answers(rempart.matcher, pdq_hex_to_array([flip(rng, h, 3) for h in frames]))
    bank_id = rempart.banks.get_bank("VIDEOS").id
    assert hits == [[(3, sid, i, bank_id)] for i in range(4)]
    assert len(rempart.matcher.vpdq) == 4
    res = rempart.lookup.lookup_vpdq(parse_vpdq(vpdq_value(frames)))
    assert [m.content_id for m in res.matches] == [video.id]
    assert res.matches[0].query_match_pct == res.matches[0].banked_match_pct == 100.0
    assert matched_ids(rempart, "video_md5", video.signals["video_md5"]) == [video.id]
    assert matched_ids(rempart, "sha256", photo.signals["sha256"]) == [photo.id]

    rempart.banks.delete_content("VIDEOS", video.id)
    rempart.banks.delete_content("VIDEOS", photo.id)
    rempart.matcher.sync()
    assert rempart.matcher.vpdq_frames == {} and len(rempart.matcher.vpdq) == 0
    assert vpdq_answers(rempart.matcher, pdq_hex_to_array(frames)) == [[]] * 4
    assert video_matches(rempart, vpdq_value(frames)) == []
    assert matched_ids(rempart, "video_md5", video.signals["video_md5"]) == []
    assert matched_ids(rempart, "sha256", photo.signals["sha256"]) == []
    assert {st: len(rempart.matcher.exact[st]) for st in EXACT} == dict.fromkeys(EXACT, 0)


def test_bulk_import_is_one_log_entry_per_batch_and_deletes_before_sync_win(
    rempart: Rempart,
) -> None:
    """A bulk batch logs one id range; an item deleted before the matcher reads it stays out."""
    from sqlalchemy import func

    from rempart.store.models import RANGE_OP, SignalChange

    rng = np.random.default_rng(11)
    rempart.banks.create_bank(BankCreate(name="BULK"))
    values = [rand_hex(rng) for _ in range(30)]
    assert rempart.banks.add_many("BULK", [ContentIn(signals={PDQ: v}) for v in values], 10) == 30
    with rempart.db.session() as s:
        ops = s.execute(select(SignalChange.op, func.count()).group_by(SignalChange.op)).all()
    assert dict(ops) == {RANGE_OP: 3}
    doomed = rempart.banks.list_content("BULK", limit=30)[4]
    rempart.banks.delete_content("BULK", doomed.id)
    rempart.matcher.sync()
    found = {
        v: [m.content_id for m in rempart.lookup.lookup(PDQ, [Query(v)]).matches] for v in values
    }
    assert found[doomed.signals[PDQ]] == []
    assert all(len(ids) == 1 for v, ids in found.items() if v != doomed.signals[PDQ])
    assert len(rempart.matcher.pdq) == 29
