"""Removing personal data from what goes to the public Transparency Database (DSA Art. 24(5)).

Free text written by moderators ("user bob@example.com posted from 203.0.113.7 ...") is public
once submitted, so every free-text attribute is scrubbed before it is stored for sending:
e-mail addresses, phone numbers, IP addresses, IBAN- and card-like numbers, @handles and URLs
that carry a path or a query (profile links, post links) become a neutral placeholder. The
scrubber errs on the side of removing too much; it never raises, and scrubbing twice changes
nothing more than scrubbing once.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from rempart.compliance.tdb.schema import FREE_TEXT_FIELDS

PLACEHOLDERS = {
    "email": "[email]",
    "phone": "[phone]",
    "ip": "[ip]",
    "iban": "[iban]",
    "card": "[number]",
    "handle": "[handle]",
    "url": "[url]",
}

_LOCAL = r"[^\s@<>()\[\]{},;:\"]"  # an address's local part: anything but separators
_LABEL = r"[\w](?:[\w-]*[\w])?"  # a domain label (internationalised names included)
EMAIL_RE = re.compile(rf"(?<!{_LOCAL}){_LOCAL}+@(?:\[[^\]\s]*\]|{_LABEL}(?:\.{_LABEL})+)")
URL_RE = re.compile(r"(?i)\b(?:(?:https?|ftps?)://|www\.)[^\s<>\"'`]+")
IPV4_RE = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9]|\.[0-9])")
IPV6_CANDIDATE_RE = re.compile(r"(?<![0-9A-Fa-f:.])[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%\w+)?")
IBAN_RE = re.compile(r"\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){11,30}\b")
CARD_RE = re.compile(
    r"(?<![0-9+])(?:[0-9]{13,19}|[0-9]{4}(?:[ -]?[0-9]{4}){3}(?:[ -]?[0-9]{1,3})?"
    r"|[0-9]{4}[ -]?[0-9]{6}[ -]?[0-9]{5})(?![0-9])"
)
PHONE_RE = re.compile(r"(?<![\w+])(?:\+|00)?\(?[0-9][0-9()\s./\-]{5,22}[0-9](?![0-9])")
HANDLE_RE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?")
# dates and year ranges are kept: they are the facts of a decision, not personal data
DATE_LIKE_RE = re.compile(
    r"(?<![0-9])(?:[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"|(?<![./-])(?:0?[1-9]|[12][0-9]|3[01])([./-])(?:0?[1-9]|1[0-2])\1(?:[0-9]{4}|[0-9]{2})"
    r"(?![./-]?[0-9])|(?:19|20)[0-9]{2}\s?[-/]\s?(?:19|20)[0-9]{2})(?![0-9])"
)
COUNT_RE = re.compile(r"[1-9][0-9]{0,2}(?:[ .,][0-9]{3})+")
_TRAILING = ".,;:!?)]}'\""
_MAX_PASSES = 8


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _url(match: re.Match[str]) -> str:
    """A URL keeps only a bare origin; any path, query, fragment or user part is removed."""
    text = match.group(0)
    core = text.rstrip(_TRAILING)
    tail = text[len(core) :]
    try:
        parts = urlsplit(core if "://" in core else "http://" + core)
        bare = parts.path in ("", "/") and not parts.query and not parts.fragment
        bare = bare and "@" not in parts.netloc and not _is_ip(parts.hostname or "")
    except ValueError:
        bare = False
    return (core if bare else PLACEHOLDERS["url"]) + tail


def _ipv6(match: re.Match[str]) -> str:
    text = match.group(0)
    if text.count(":") < 2:
        return text
    try:
        ipaddress.IPv6Address(text.split("%", 1)[0])
    except ValueError:
        return text
    return PLACEHOLDERS["ip"]


def _ipv4(match: re.Match[str]) -> str:
    text = match.group(0)
    if all(int(octet) <= 255 for octet in text.split(".")):
        return PLACEHOLDERS["ip"]
    return text


def _phone(match: re.Match[str]) -> str:
    """Digit runs that look like a phone number: 7-15 digits, not a date or a count."""
    text = match.group(0)
    dates = list(DATE_LIKE_RE.finditer(text))
    if dates:  # look for numbers only between the dates
        out, at = [], 0
        for found in dates:
            out += [PHONE_RE.sub(_phone, text[at : found.start()]), found.group(0)]
            at = found.end()
        return "".join([*out, PHONE_RE.sub(_phone, text[at:])])
    core = text.rstrip(" .-/(")
    digits = sum(c.isdigit() for c in core)
    international = core.startswith(("+", "00"))
    grouped = any(c in " .-/()" for c in core)
    if not 7 <= digits <= 15 or not (international or grouped or digits >= 9):
        return text
    if COUNT_RE.fullmatch(core):
        return text  # a count such as 1 250 000 or 1.250.000
    return PLACEHOLDERS["phone"] + text[len(core) :]


_STEPS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (URL_RE, _url),
    (EMAIL_RE, lambda m: PLACEHOLDERS["email"]),
    (IPV6_CANDIDATE_RE, _ipv6),
    (IPV4_RE, _ipv4),
    (IBAN_RE, lambda m: PLACEHOLDERS["iban"]),
    (CARD_RE, lambda m: PLACEHOLDERS["card"]),
    (PHONE_RE, _phone),
    (HANDLE_RE, lambda m: PLACEHOLDERS["handle"]),
)


def _once(text: str) -> str:
    for pattern, replace in _STEPS:
        text = pattern.sub(replace, text)
    return text


def scrub_text(s: str) -> str:
    """``s`` with personal data replaced by placeholders such as ``[email]`` and ``[ip]``."""
    if not isinstance(s, str):
        return s
    for _ in range(_MAX_PASSES):  # until nothing changes, so that scrubbing is idempotent
        out = _once(s)
        if out == s:
            return out
        s = out
    return s


def scrub_statement(body: dict[str, Any], *, source_is_person: bool = True) -> dict[str, Any]:
    """A copy of a statement with every free-text attribute scrubbed.

    ``source_identity`` (who notified) is dropped unless the caller says the source is not a
    natural person (a trusted flagger organisation, a rights holder's company, an authority):
    a private notifier's identity has no place in a public database.
    """
    out = dict(body)
    if source_is_person:
        out.pop("source_identity", None)
    for field in FREE_TEXT_FIELDS:
        value = out.get(field)
        if isinstance(value, str):
            out[field] = scrub_text(value)
    return out
