"""Signal type registry: names, thresholds, and the ``normalize`` gate."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.signals.types import (
    MD5,
    PDQ,
    SHA256,
    SIGNAL_TYPES,
    TEXT,
    VIDEO_MD5,
    VPDQ,
    SignalError,
    content_types,
)

PDQ_HEX = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def test_registry_matches_hma_names_and_thresholds() -> None:
    assert (PDQ, VPDQ, VIDEO_MD5, MD5, SHA256) == ("pdq", "vpdq", "video_md5", "md5", "sha256")
    assert set(SIGNAL_TYPES) == {PDQ, VPDQ, VIDEO_MD5, MD5, SHA256, TEXT}
    # text banks: 1000 * (1 - cosine) of multilingual embeddings, not an HMA type
    assert SIGNAL_TYPES[TEXT].default_threshold == 80 and not SIGNAL_TYPES[TEXT].exact
    assert SIGNAL_TYPES[TEXT].content_types == ("text",)
    assert SIGNAL_TYPES[PDQ].default_threshold == 31 and not SIGNAL_TYPES[PDQ].exact
    assert SIGNAL_TYPES[VPDQ].default_threshold == 31 and not SIGNAL_TYPES[VPDQ].exact
    for name in (MD5, SHA256, VIDEO_MD5):
        assert SIGNAL_TYPES[name].exact and SIGNAL_TYPES[name].default_threshold == 0
    assert SIGNAL_TYPES[PDQ].content_types == ("photo",)
    assert SIGNAL_TYPES[VPDQ].content_types == ("video",)
    assert set(SIGNAL_TYPES[SHA256].content_types) == {"photo", "video"}
    assert content_types() == ["photo", "video"]
    assert all(name == info.name for name, info in SIGNAL_TYPES.items())


def test_normalize_canonicalizes_hex() -> None:
    assert SIGNAL_TYPES[PDQ].normalize(f"  {PDQ_HEX.upper()}\n") == PDQ_HEX
    assert SIGNAL_TYPES[MD5].normalize("D41D8CD98F00B204E9800998ECF8427E") == (
        "d41d8cd98f00b204e9800998ecf8427e"
    )
    assert SIGNAL_TYPES[SHA256].normalize("a" * 64) == "a" * 64
    assert SIGNAL_TYPES[VIDEO_MD5].normalize("0" * 32) == "0" * 32


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (PDQ, PDQ_HEX[:-1], "64 hexadecimal"),
        (PDQ, PDQ_HEX + "0", "got 65"),
        (PDQ, "g" * 64, "0-9, a-f"),
        (MD5, "a" * 64, "32 hexadecimal"),
        (SHA256, "", "got 0"),
        (SHA256, "0x" + "a" * 62, "hexadecimal"),
        (VPDQ, "[]", "no frames"),
        (VPDQ, "not json", "not valid JSON"),
    ],
)
def test_normalize_rejects_bad_values_clearly(name: str, value: str, message: str) -> None:
    with pytest.raises(SignalError, match=message):
        SIGNAL_TYPES[name].normalize(value)


def test_vpdq_normalize_round_trips() -> None:
    value = f'["{PDQ_HEX},100,0.0", "{PDQ_HEX.upper()},40,1.0"]'
    assert SIGNAL_TYPES[VPDQ].normalize(value) == f'["{PDQ_HEX},100,0.0", "{PDQ_HEX},40,1.0"]'


def test_signal_error_is_a_value_error() -> None:
    assert issubclass(SignalError, ValueError)


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.sampled_from(sorted(SIGNAL_TYPES)),
    st.one_of(st.text(max_size=120), st.text("0123456789abcdefABCDEF ", max_size=70)),
)
def test_normalize_fuzz_only_raises_signal_error(name: str, value: str) -> None:
    try:
        out = SIGNAL_TYPES[name].normalize(value)
    except SignalError:
        return
    assert SIGNAL_TYPES[name].normalize(out) == out  # canonical form is a fixed point
