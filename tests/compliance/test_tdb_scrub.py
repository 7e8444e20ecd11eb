"""Personal data never reaches the public Transparency Database from free text."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.compliance.tdb.schema import FREE_TEXT_FIELDS
from rempart.compliance.tdb.scrub import scrub_statement, scrub_text
from tests.standins.tdb_server import doc_example

# independent detectors (not the scrubber's own patterns)
EMAIL = re.compile(r"[^\s@]+@[\w-]+(?:\.[\w-]+)+")
IPV4 = re.compile(
    r"(?<![0-9.])(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}"
    r"(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(?![0-9]|\.[0-9])"
)


def has_ipv6(text: str) -> bool:
    for token in re.split(r"[\s,;()<>\"'\[\]]+", text):
        if token.count(":") >= 2:
            try:
                ipaddress.IPv6Address(token.strip(".").split("%")[0])
            except ValueError:
                continue
            return True
    return False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail bob.smith+tag@example.co.uk now", "mail [email] now"),
        ("O'Brien@Example.COM", "[email]"),
        ("from 203.0.113.7, then 10.0.0.1.", "from [ip], then [ip]."),
        ("v6 2001:db8::8a2e:370:7334 and ::1", "v6 [ip] and [ip]"),
        ("mapped ::ffff:192.0.2.1 here", "mapped [ip] here"),
        ("host 1.2.3.4:8080", "host [ip]:8080"),
        ("call +33 6 12 34 56 78", "call [phone]"),
        ("call 06-12-34-56-78 or (555) 123-4567", "call [phone] or [phone]"),
        ("tel. 030 1234567, +4915112345678", "tel. [phone], [phone]"),
        ("IBAN DE89 3704 0044 0532 0130 00 paid", "IBAN [iban] paid"),
        ("IBAN GB82WEST12345698765432", "IBAN [iban]"),
        ("card 4111 1111 1111 1111 and 4111-1111-1111-1111", "card [number] and [number]"),
        ("by @alice_b and @bob.", "by [handle] and [handle]."),
        ("see https://social.example/users/bob", "see [url]"),
        ("see https://example.com/watch?v=abc123&t=1", "see [url]"),
        ("see www.example.org/u/alice.", "see [url]."),
        ("see https://user:pw@example.com", "see [url]"),
        ("see http://198.51.100.4/", "see [url]"),
    ],
)
def test_personal_data_is_replaced(text: str, expected: str) -> None:
    assert scrub_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Posted on 2023-08-08 and again on 12.03.2024 (08/08/2023), active 2019-2023.",
        "The video reached 1 250 000 views and 1.250.000 shares.",
        "Removed under Art. 16(1)(a) DSA and section 4.2 of https://example.com",
        "Terms at https://example.com/ apply; 5 items; at 12:30; ratio 3:1.",
        "Note: content incompatible with the terms; see the policy.",
        "",
    ],
)
def test_facts_without_personal_data_are_kept(text: str) -> None:
    assert scrub_text(text) == text


def test_scrub_statement() -> None:
    body = doc_example()
    body["decision_facts"] = "Reported by jane@example.com about @spammer"
    body["incompatible_content_explanation"] = "links to https://x.example/p/123"
    body["source_identity"] = "Jane Doe, jane@example.com"
    out = scrub_statement(body)
    assert out["decision_facts"] == "Reported by [email] about [handle]"
    assert out["incompatible_content_explanation"] == "links to [url]"
    assert "source_identity" not in out  # a natural person: dropped
    assert body["source_identity"] == "Jane Doe, jane@example.com"  # input left alone
    assert out["decision_ground_reference_url"] == "https://www.anurl.com"  # not free text
    assert out["content_type"] == body["content_type"]
    kept = scrub_statement(body, source_is_person=False)
    assert kept["source_identity"] == "Jane Doe, [email]"  # an organisation: kept, scrubbed
    assert set(FREE_TEXT_FIELDS) >= {"decision_facts", "source_identity", "decision_monetary_other"}


def test_non_text_values_are_left_alone() -> None:
    body = doc_example()
    body["decision_facts"] = 12345
    assert scrub_statement(body)["decision_facts"] == 12345


PERSONAL = st.one_of(
    st.emails(),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
    st.from_regex(r"@[A-Za-z0-9_]{1,15}", fullmatch=True),
    st.from_regex(r"\+[1-9][0-9]{1,2} [0-9]{3} [0-9]{3} [0-9]{3,4}", fullmatch=True),
)
WORDS = st.text(alphabet="abcdefghij klmnopqrstuvwxyz,.;!?-'ÉéßΩ", max_size=30)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(PERSONAL, WORDS), max_size=8))
def test_no_email_or_ip_survives(parts: list[str]) -> None:
    text = " ".join(parts)
    out = scrub_text(text)
    assert not EMAIL.search(out), (text, out)
    assert not IPV4.search(out), (text, out)
    assert not has_ipv6(out), (text, out)
    assert scrub_text(out) == out


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_never_raises_and_is_idempotent(text: str) -> None:
    once = scrub_text(text)
    assert isinstance(once, str)
    assert scrub_text(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 .-+()@:/abc", max_size=80))
def test_digit_soup_is_idempotent(text: str) -> None:
    once = scrub_text(text)
    assert scrub_text(once) == once
    assert not IPV4.search(once)


def test_long_text_is_fast() -> None:
    import time

    text = ("a" * 4000 + "@") + ("1." * 2000) + ("x:" * 2000)
    started = time.perf_counter()
    scrub_text(text)
    assert time.perf_counter() - started < 2.0
