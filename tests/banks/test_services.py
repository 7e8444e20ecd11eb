"""Bank management: validation, content lifecycle, change log and lookups through the index."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from rempart.banks.lookup import Query
from rempart.banks.schemas import BankCreate, BankSettings, ContentIn, ContentUpdate
from rempart.clock import utcnow
from rempart.context import Rempart
from rempart.errors import Conflict, Invalid, NotFound

RNG = np.random.default_rng(7)


def rand_pdq() -> str:
    return RNG.integers(0, 256, 32, dtype=np.uint8).tobytes().hex()


def flip(hex_value: str, bits: int) -> str:
    arr = np.unpackbits(np.frombuffer(bytes.fromhex(hex_value), np.uint8))
    arr[RNG.choice(256, bits, replace=False)] ^= 1
    return np.packbits(arr).tobytes().hex()


def test_bank_validation(rempart: Rempart) -> None:
    with pytest.raises(ValueError, match="UPPER_SNAKE_CASE"):
        BankCreate(name="bad name")
    with pytest.raises(ValueError, match="DSA category"):
        BankCreate(name="B", dsa_category="NOT_A_CATEGORY")
    with pytest.raises(ValueError, match="specification"):
        BankCreate(name="B", specifications=["KEYWORD_NOPE"])
    with pytest.raises(ValueError, match="exact hash"):
        BankCreate(name="B", thresholds={"md5": 3})
    rempart.banks.create_bank(BankCreate(name="A_BANK", source="ncmec"))
    with pytest.raises(Conflict):
        rempart.banks.create_bank(BankCreate(name="A_BANK"))
    with pytest.raises(NotFound):
        rempart.banks.get_bank("MISSING")


def test_bank_fields_round_trip(rempart: Rempart) -> None:
    spec = BankCreate(
        name="NCII",
        dsa_category="STATEMENT_CATEGORY_CYBER_VIOLENCE",
        specifications=["KEYWORD_NON_CONSENSUAL_IMAGE_SHARING"],
        source="stopncii",
        labels=["ncii", "external"],
        enabled_ratio=0.5,
        thresholds={"pdq": 20},
    )
    out = rempart.banks.create_bank(spec)
    assert out.source == "stopncii" and out.thresholds == {"pdq": 20}
    assert out.created_at.tzinfo is not None
    updated = rempart.banks.update_bank("NCII", BankSettings(enabled=False), new_name="NCII_2")
    assert (
        updated.name == "NCII_2" and not updated.enabled and updated.labels == ["ncii", "external"]
    )


def test_content_lifecycle_reaches_index(rempart: Rempart) -> None:
    rempart.banks.create_bank(BankCreate(name="KNOWN"))
    value = rand_pdq()
    item = rempart.banks.add_content(
        "KNOWN", ContentIn(signals={"pdq": value.upper()}, note="n", provenance="p")
    )
    assert item.signals == {"pdq": value}  # normalised to lowercase
    rempart.matcher.sync()
    res = rempart.lookup.lookup("pdq", [Query(flip(value, 10))])
    assert [m.content_id for m in res.matches] == [item.id]
    assert res.matches[0].distance == 10 and res.matches[0].provenance == "p"
    rempart.banks.delete_content("KNOWN", item.id)
    rempart.matcher.sync()
    assert rempart.lookup.lookup("pdq", [Query(value)]).matches == []


def test_invalid_signal_rejected(rempart: Rempart) -> None:
    rempart.banks.create_bank(BankCreate(name="KNOWN"))
    with pytest.raises(Invalid, match="pdq"):
        rempart.banks.add_content("KNOWN", ContentIn(signals={"pdq": "abc"}))
    with pytest.raises(Invalid, match="unknown signal type"):
        rempart.banks.add_content("KNOWN", ContentIn(signals={"phash": "abc"}))


def test_per_bank_threshold_and_disabled(rempart: Rempart) -> None:
    strict = rempart.banks.create_bank(BankCreate(name="STRICT", thresholds={"pdq": 8}))
    rempart.banks.create_bank(BankCreate(name="LOOSE", thresholds={"pdq": 40}))
    value = rand_pdq()
    rempart.banks.add_content("STRICT", ContentIn(signals={"pdq": value}))
    loose = rempart.banks.add_content("LOOSE", ContentIn(signals={"pdq": value}))
    rempart.matcher.sync()
    near = flip(value, 12)
    assert [m.bank for m in rempart.lookup.lookup("pdq", [Query(near)]).matches] == ["LOOSE"]
    far = flip(value, 36)
    assert [m.bank for m in rempart.lookup.lookup("pdq", [Query(far)]).matches] == ["LOOSE"]
    assert {m.bank for m in rempart.lookup.lookup("pdq", [Query(flip(value, 4))]).matches} == {
        "STRICT",
        "LOOSE",
    }
    # disabled entry: kept, not matched; time-limited disable expires
    rempart.banks.update_content(
        "LOOSE", loose.id, ContentUpdate(disable_until=utcnow() + timedelta(hours=1))
    )
    assert rempart.lookup.lookup("pdq", [Query(near)]).matches == []
    rempart.banks.update_content(
        "LOOSE", loose.id, ContentUpdate(disable_until=utcnow() - timedelta(seconds=1))
    )
    assert len(rempart.lookup.lookup("pdq", [Query(near)]).matches) == 1
    rempart.banks.update_content("LOOSE", loose.id, ContentUpdate(enabled=False))
    assert rempart.lookup.lookup("pdq", [Query(near)]).matches == []
    # disabled bank
    rempart.banks.update_bank("STRICT", BankSettings(enabled=False))
    assert rempart.lookup.lookup("pdq", [Query(value)]).matches == []
    raw = rempart.lookup.lookup("pdq", [Query(value)], include_disabled=True)
    assert {m.bank for m in raw.matches} == {"STRICT", "LOOSE"}
    assert strict.id in {m.bank_id for m in raw.matches}


def test_negative_bank_suppresses(rempart: Rempart) -> None:
    rempart.banks.create_bank(BankCreate(name="KNOWN"))
    rempart.banks.create_bank(BankCreate(name="FALSE_POSITIVES", negative=True))
    value, other = rand_pdq(), rand_pdq()
    rempart.banks.add_content("KNOWN", ContentIn(signals={"pdq": value}))
    rempart.banks.add_content("KNOWN", ContentIn(signals={"pdq": other}))
    rempart.banks.add_content("FALSE_POSITIVES", ContentIn(signals={"pdq": value}))
    rempart.matcher.sync()
    res = rempart.lookup.lookup("pdq", [Query(value)])
    assert res.matches == [] and [m.bank for m in res.suppressed] == ["KNOWN"]
    assert [m.bank for m in res.negative_hits] == ["FALSE_POSITIVES"]
    assert [m.bank for m in rempart.lookup.lookup("pdq", [Query(other)]).matches] == ["KNOWN"]


def test_rollout_ratio(rempart: Rempart) -> None:
    rempart.banks.create_bank(BankCreate(name="ROLLOUT", enabled_ratio=0.0))
    value = rand_pdq()
    rempart.banks.add_content("ROLLOUT", ContentIn(signals={"pdq": value}))
    rempart.matcher.sync()
    assert rempart.lookup.lookup("pdq", [Query(value)]).matches == []
    assert len(rempart.lookup.lookup("pdq", [Query(value)], bypass_coinflip=True).matches) == 1
    more = [rand_pdq() for _ in range(200)]
    rempart.banks.add_many("ROLLOUT", [ContentIn(signals={"pdq": v}) for v in more])
    rempart.banks.update_bank("ROLLOUT", BankSettings(enabled_ratio=0.5))
    rempart.matcher.sync()
    answers = [bool(rempart.lookup.lookup("pdq", [Query(v)]).matches) for v in more]
    assert 60 < sum(answers) < 140  # about half the content is in the rollout
    again = [bool(rempart.lookup.lookup("pdq", [Query(v)]).matches) for v in more[:20]]
    assert again == answers[:20]  # and the same content always gets the same answer


def near(value: str, bit: int) -> str:
    """``value`` with one bit flipped: another view of the same photo, a distance of 1."""
    return f"{int(value, 16) ^ (1 << bit):064x}"


def test_rollout_rolls_once_per_content_not_once_per_view(rempart: Rempart) -> None:
    """A photo's orientations and derived crops are one content: a 50 % bank must not match it
    more often because the scan sent several slightly different views of it."""
    rempart.banks.create_bank(BankCreate(name="HALF", enabled_ratio=0.5))
    banked = [rand_pdq() for _ in range(120)]
    rempart.banks.add_many("HALF", [ContentIn(signals={"pdq": v}) for v in banked])
    rempart.matcher.sync()
    per_view = per_content = 0
    for value in banked:
        views = [Query(near(value, 3))] + [Query(near(value, 10 + i), f"v{i}") for i in range(7)]
        per_content += bool(rempart.lookup.lookup("pdq", views, rollout_key=views[0].value).matches)
        per_view += bool(rempart.lookup.lookup("pdq", views).matches)
    assert 30 < per_content < 90  # about half the content, as the ratio says
    assert per_view > 110  # keyed per view, eight rolls: nearly every content gets through


def test_exact_signals_and_bank_delete(rempart: Rempart) -> None:
    rempart.banks.create_bank(BankCreate(name="EXACT"))
    md5 = "d41d8cd98f00b204e9800998ecf8427e"
    rempart.banks.add_content("EXACT", ContentIn(signals={"md5": md5}))
    rempart.matcher.sync()
    assert len(rempart.lookup.lookup("md5", [Query(md5)]).matches) == 1
    rempart.banks.delete_bank("EXACT")
    rempart.matcher.sync()
    assert rempart.lookup.lookup("md5", [Query(md5)]).matches == []
    assert len(rempart.matcher.exact["md5"]) == 0


def test_restart_from_snapshot_replays_log(rempart: Rempart) -> None:
    rempart.banks.create_bank(BankCreate(name="KNOWN"))
    values = [rand_pdq() for _ in range(50)]
    for v in values:
        rempart.banks.add_content("KNOWN", ContentIn(signals={"pdq": v}))
    rempart.matcher.sync()
    rempart.matcher.save_snapshot()
    late = rand_pdq()
    rempart.banks.add_content("KNOWN", ContentIn(signals={"pdq": late}))
    again = Rempart.open(rempart.settings)
    try:
        assert again.matcher.loaded_from_snapshot
        assert len(again.matcher.pdq) == 51
        assert again.lookup.lookup("pdq", [Query(late)]).matches
        assert again.lookup.lookup("pdq", [Query(values[3])]).matches
    finally:
        again.close()
