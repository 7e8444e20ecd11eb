"""Local validation of statements of reasons against the Transparency Database's own rules.

The rules are those of the Commission's ``StatementStoreRequest`` / ``GroupedSubmissionsService``
(Laravel) for schema ``SCHEMA_VERSION``, plus what its API documentation requires and the
validator leaves to the platform (``territorial_scope`` present, end dates on or after the
application date) and unknown attributes refused (the TDB drops them without a word). An
attribute the TDB *excludes* (an ``*_other`` text without its ``OTHER`` option, the illegal-content
texts on a terms-and-conditions decision, ``source_identity`` on an own-initiative decision) is
accepted unchecked, as the TDB does; ``normalize`` removes it so that the copy we keep is exactly
what the TDB stores. We are never more lenient than the TDB: a statement valid here is never
refused there for its content.

Messages follow Laravel's wording so they read like the TDB's own answers.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from rempart.compliance.tdb.schema import (
    ALL_LANGUAGES,
    EEA_COUNTRY_CODES,
    END_DATE_FIELDS,
    FIELDS,
    MAX_LENGTHS,
    SCHEMA_VERSION,
    enum,
)

Errors = dict[str, list[str]]

MAX_BATCH = 100  # statements per call to the multiple endpoint (``between:1,100``)
PUID_RE = re.compile(r"[a-zA-Z0-9_-]+")
EAN13_RE = re.compile(r"[0-9]{13}")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_MAX = date(2038, 1, 1)
CONTENT_DATE_MIN = date(2000, 1, 1)
APPLICATION_DATE_MIN = date(2020, 1, 1)
DECISION_FIELDS = (
    "decision_visibility",
    "decision_monetary",
    "decision_provision",
    "decision_account",
)
GROUND_ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
GROUND_INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
ILLEGAL_FIELDS = ("illegal_content_legal_ground", "illegal_content_explanation")
INCOMPATIBLE_FIELDS = (
    "incompatible_content_ground",
    "incompatible_content_explanation",
    "incompatible_content_illegal",
)


def label(field: str) -> str:
    """A field's name as the TDB writes it in messages (``decision_facts`` → decision facts)."""
    return field.replace("_", " ")


# Laravel's ``TrimStrings`` middleware trims ``\s`` (Unicode, PCRE ``/u``) and U+FEFF, U+200B,
# U+200E from both ends of every input string; ``ConvertEmptyStringsToNull`` then turns "" into
# null. Python's ``str.strip()`` covers ``\s``; the three others are added here.
_TRIMMED = "\ufeff\u200b\u200e"


def laravel_trim(value: str) -> str:
    """A string as the TDB sees it after its ``TrimStrings`` middleware."""
    previous = None
    while previous != value:
        previous = value
        value = value.strip().strip(_TRIMMED)
    return value


def blank(value: Any) -> bool:
    """Null, or a string the middleware turns into null (empty once trimmed)."""
    return value is None or (isinstance(value, str) and laravel_trim(value) == "")


def present(value: Any) -> bool:
    """Laravel's ``required`` test: not null, not a blank string, not an empty list or object."""
    if blank(value):
        return False
    if isinstance(value, list | dict):
        return len(value) > 0
    return True


def parse_date(value: Any) -> date | None:
    """A ``YYYY-MM-DD`` date with leading zeros (PHP ``date_format:Y-m-d``), else None."""
    if not isinstance(value, str) or not DATE_RE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


class _Check:
    """One statement's validation: collects messages per field."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.errors: Errors = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def given(self, field: str) -> bool:
        """Whether the field carries a value (null counts as absent)."""
        return self.body.get(field) is not None

    # --- building blocks -------------------------------------------------------------------

    def text(self, field: str, *, required: bool = False) -> None:
        """A free-text field: a string within its maximum length."""
        value = self.body.get(field)
        if not present(value):
            if required:
                self.add(field, f"The {label(field)} field is required.")
            elif value is not None and not isinstance(value, str):
                self.add(field, f"The {label(field)} field must be a string.")
            return
        if not isinstance(value, str):
            self.add(field, f"The {label(field)} field must be a string.")
            return
        limit = MAX_LENGTHS[field]
        if len(laravel_trim(value)) > limit:  # ``max:`` counts characters (mb_strlen)
            self.add(
                field, f"The {label(field)} field must not be greater than {limit} characters."
            )

    def one_of(self, field: str, codes: frozenset[str], *, required: bool = False) -> str | None:
        """A single enumeration value; returns it when valid."""
        value = self.body.get(field)
        if blank(value):
            if required:
                self.add(field, f"The {label(field)} field is required.")
            return None
        if not isinstance(value, str) or value not in codes:
            self.add(field, f"The selected {label(field)} is invalid.")
            return None
        return value

    def many_of(self, field: str, codes: frozenset[str], *, required: bool = False) -> list[str]:
        """A list of enumeration values; returns the valid ones."""
        value = self.body.get(field)
        if value is None:
            if required:
                self.add(field, f"The {label(field)} field is required.")
            return []
        if not isinstance(value, list):
            self.add(field, f"The {label(field)} field must be an array.")
            return []
        if required and not value:
            self.add(field, f"The {label(field)} field is required.")
            return []
        if not all(isinstance(v, str) and v in codes for v in value):
            self.add(field, f"The selected {label(field)} is invalid.")
        return [v for v in value if isinstance(v, str) and v in codes]

    def other_text(self, field: str, needed: bool) -> None:
        """An ``*_other`` text: required when its OTHER option is chosen, excluded otherwise."""
        if needed:
            self.text(field, required=True)

    def day(self, field: str, low: date | None, *, required: bool = False) -> date | None:
        """A ``YYYY-MM-DD`` date between ``low`` (if any) and 2038-01-01."""
        value = self.body.get(field)
        if blank(value):
            if required:
                self.add(field, f"The {label(field)} field is required.")
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.add(field, f"The {label(field)} does not match the format YYYY-MM-DD.")
            return None
        if low is not None and parsed < low:
            self.add(field, f"The {label(field)} field must be a date after or equal to {low}.")
            return None
        if parsed > DATE_MAX:
            self.add(
                field, f"The {label(field)} field must be a date before or equal to {DATE_MAX}."
            )
            return None
        return parsed

    # --- the rules, grouped as the TDB documents them --------------------------------------

    def unknown(self) -> None:
        for key in self.body:
            if key not in FIELDS:
                self.add(
                    str(key),
                    f"The {key} field is not a Transparency Database attribute "
                    f"(schema {SCHEMA_VERSION}).",
                )

    def decisions(self) -> None:
        if not any(present(self.body.get(f)) for f in DECISION_FIELDS):
            for field in DECISION_FIELDS:
                others = " / ".join(label(f) for f in DECISION_FIELDS if f != field)
                self.add(
                    field,
                    f"The {label(field)} field is required when none of {others} are present.",
                )
        visibility = self.many_of("decision_visibility", enum("DECISION_VISIBILITIES"))
        self.other_text(
            "decision_visibility_other",
            "DECISION_VISIBILITY_OTHER" in visibility,
        )
        monetary = self.one_of("decision_monetary", enum("DECISION_MONETARIES"))
        self.other_text(
            "decision_monetary_other",
            monetary == "DECISION_MONETARY_OTHER",
        )
        self.one_of("decision_provision", enum("DECISION_PROVISIONS"))
        self.one_of("decision_account", enum("DECISION_ACCOUNTS"))
        self.one_of("account_type", enum("ACCOUNT_TYPES"))

    def ground(self) -> None:
        ground = self.one_of("decision_ground", enum("DECISION_GROUNDS"), required=True)
        if ground == GROUND_ILLEGAL:
            self.text("illegal_content_legal_ground", required=True)
            self.text("illegal_content_explanation", required=True)
        if ground == GROUND_INCOMPATIBLE:
            self.text("incompatible_content_ground", required=True)
            self.text("incompatible_content_explanation", required=True)
            if "incompatible_content_illegal" in self.body:  # null is refused by the TDB too
                value = self.body["incompatible_content_illegal"]
                if not isinstance(value, str) or value not in enum("INCOMPATIBLE_CONTENT_ILLEGALS"):
                    self.add(
                        "incompatible_content_illegal",
                        "The selected incompatible content illegal is invalid.",
                    )
        url = self.body.get("decision_ground_reference_url")
        if not blank(url):
            self.text("decision_ground_reference_url")
            if isinstance(url, str) and not valid_url(url):
                self.add(
                    "decision_ground_reference_url",
                    "The decision ground reference url field must be a valid URL.",
                )

    def content(self) -> None:
        types = self.many_of("content_type", enum("CONTENT_TYPES"), required=True)
        self.other_text(
            "content_type_other",
            "CONTENT_TYPE_OTHER" in types,
        )
        self.one_of("category", enum("STATEMENT_CATEGORIES"), required=True)
        if "category_addition" in self.body:  # the TDB refuses null here
            value = self.body["category_addition"]
            if not isinstance(value, list):
                self.add("category_addition", "The category addition field must be an array.")
            else:
                self.many_of("category_addition", enum("STATEMENT_CATEGORIES"))
        self.many_of("category_specification", enum("KEYWORDS"))
        self.text("category_specification_other")  # checked even when it is dropped
        self.many_of("territorial_scope", frozenset(EEA_COUNTRY_CODES), required=True)
        language = self.body.get("content_language")
        if not blank(language) and not (isinstance(language, str) and language in ALL_LANGUAGES):
            hint = " (use the uppercase ISO 639-1 code)" if isinstance(language, str) else ""
            self.add("content_language", f"The selected content language is invalid{hint}.")
        self.content_id()

    def content_id(self) -> None:
        if "content_id" not in self.body or self.body["content_id"] is None:
            return
        value = self.body["content_id"]
        if not isinstance(value, dict) or not value:
            self.add("content_id", "The content id field must be an object with an EAN-13 key.")
            return
        for key in value:
            if key != "EAN-13":
                self.add("content_id", "The content id field may only contain the EAN-13 key.")
                return
        code = value["EAN-13"]
        if not isinstance(code, str) or not EAN13_RE.fullmatch(code):
            self.add("content_id.EAN-13", "The content id.EAN-13 field must be exactly 13 digits.")

    def dates(self) -> None:
        self.day("content_date", CONTENT_DATE_MIN, required=True)
        start = self.day("application_date", APPLICATION_DATE_MIN, required=True)
        for field in END_DATE_FIELDS:
            end = self.day(field, None)
            if end is not None and start is not None and end < start:
                self.add(
                    field,
                    f"The {label(field)} field must be a date after or equal to application date.",
                )

    def facts(self) -> None:
        self.text("decision_facts", required=True)
        self.one_of("source_type", enum("SOURCE_TYPES"), required=True)
        self.text("source_identity")  # checked even when dropped (own-initiative decisions)
        self.one_of("automated_detection", enum("AUTOMATED_DETECTIONS"), required=True)
        self.one_of("automated_decision", enum("AUTOMATED_DECISIONS"), required=True)

    def puid(self) -> None:
        value = self.body.get("puid")
        if not present(value):
            self.add("puid", "The puid field is required.")
            return
        if not isinstance(value, str):
            self.add("puid", "The puid field must be a string.")
            return
        if len(value) > MAX_LENGTHS["puid"]:
            self.add("puid", "The puid field must not be greater than 500 characters.")
        if not PUID_RE.fullmatch(value):
            self.add("puid", "The puid field format is invalid (only a-z, A-Z, 0-9, - and _).")


# Laravel's ``url`` rule is ``Str::isUrl``: a PCRE pattern (derived from Symfony's
# UrlValidator) over ~300 schemes. We accept a strict subset of it, so that a URL we accept is
# always one the TDB accepts: scheme http or https; a host that is a dotted name (labels of
# letters, digits, "-" and "_"; a top-level label of letters and digits, or punycode) or an
# IPv4 address (a single-label host such as "http://intranet" is valid there, but no public
# reference); an optional port; path, query and fragment from the
# pattern's own character sets (letters and digits of any script, ``-._~!$&'()*+,;=:@``, ``%XX``;
# ``/?`` in query and fragment, ``[]`` in the query). No user part and no IPv6 literal.
_URL_LETTER = "\ue000"  # stands for any letter or digit outside ASCII (PCRE \pL\pN)
_URL_CHARS = rf"(?:[A-Za-z0-9{_URL_LETTER}\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{{2}})"
_URL_QUERY = rf"(?:[A-Za-z0-9{_URL_LETTER}\-._~!$&'\[\]()*+,;=:@/?]|%[0-9A-Fa-f]{{2}})"
_URL_FRAGMENT = rf"(?:[A-Za-z0-9{_URL_LETTER}\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{{2}})"
_URL_LABEL = rf"[A-Za-z0-9{_URL_LETTER}_-]+"
_URL_HOST = (
    rf"(?:{_URL_LABEL}\.)+(?:xn--[A-Za-z0-9-]+|[A-Za-z0-9{_URL_LETTER}]+)\.?"
    r"|[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"
)
URL_RE = re.compile(
    rf"(?i:https?)://(?:{_URL_HOST})(?::[0-9]+)?(?:/{_URL_CHARS}*)*"
    rf"(?:\?{_URL_QUERY}*)?(?:#{_URL_FRAGMENT}*)?"
)


def _url_form(value: str) -> str | None:
    """``value`` with every non-ASCII letter or digit replaced by one stand-in character;
    None when it holds any other non-ASCII character (which our subset refuses)."""
    out = []
    for c in value:
        if c.isascii():
            out.append(c)
        elif unicodedata.category(c)[0] in "LN":
            out.append(_URL_LETTER)
        else:
            return None
    return "".join(out)


def valid_url(value: str) -> bool:
    """Whether ``value`` is a URL in our strict subset of Laravel's ``url`` rule (above)."""
    form = _url_form(value)
    return form is not None and URL_RE.fullmatch(form) is not None


def _listed(body: dict[str, Any], field: str, code: str) -> bool:
    value = body.get(field)
    return isinstance(value, list) and code in value


def normalize(body: dict[str, Any]) -> dict[str, Any]:
    """The statement as the TDB stores it: nulls and the attributes it excludes removed.

    Excluded (accepted but never stored): ``*_other`` texts whose OTHER option is not chosen,
    the illegal-content texts unless the ground is illegal content, the incompatible-content
    ones unless it is incompatible content, and ``source_identity`` on own-initiative decisions.
    """
    ground = body.get("decision_ground")
    keep = {
        "decision_visibility_other": _listed(
            body, "decision_visibility", "DECISION_VISIBILITY_OTHER"
        ),
        "decision_monetary_other": body.get("decision_monetary") == "DECISION_MONETARY_OTHER",
        "content_type_other": _listed(body, "content_type", "CONTENT_TYPE_OTHER"),
        "category_specification_other": _listed(body, "category_specification", "KEYWORD_OTHER"),
        "source_identity": body.get("source_type") != "SOURCE_VOLUNTARY",
        **{f: ground == GROUND_ILLEGAL for f in ILLEGAL_FIELDS},
        **{f: ground == GROUND_INCOMPATIBLE for f in INCOMPATIBLE_FIELDS},
    }
    return {k: v for k, v in body.items() if v is not None and keep.get(k, True)}


ELLIPSIS = "\u2026"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters as the TDB counts them, ending in "…"."""
    text = laravel_trim(text)
    if len(text) <= limit:
        return text
    return laravel_trim(text[: limit - 1]) + ELLIPSIS


def fit(body: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """``body`` with every text that fitted its limit in ``before`` (the statement as built)
    but no longer does (scrubbing put longer placeholders in) shortened back to the limit."""
    out = dict(body)
    for field, limit in MAX_LENGTHS.items():
        value, original = out.get(field), before.get(field)
        if (
            isinstance(value, str)
            and isinstance(original, str)
            and len(laravel_trim(original)) <= limit < len(laravel_trim(value))
        ):
            out[field] = shorten(value, limit)
    return out


def validate_statement(body: dict[str, Any]) -> Errors:
    """Field → messages for one statement; empty when the TDB would accept it as it is."""
    if not isinstance(body, dict):
        return {"statement": ["The statement must be a JSON object."]}
    check = _Check(body)
    check.unknown()
    check.decisions()
    check.ground()
    check.content()
    check.dates()
    check.facts()
    check.puid()
    return check.errors


def validate_batch(statements: list[dict[str, Any]]) -> dict[str, Errors]:
    """Errors per statement (``statement_0``...) for one call of 1 to 100 statements.

    A batch of the wrong size is answered under ``statements``, as the TDB does; a puid given
    twice in one call is reported on each statement that repeats it (the TDB refuses the call).
    """
    if not isinstance(statements, list):
        return {"statements": {"statements": ["The statements field must be an array."]}}
    if not 1 <= len(statements) <= MAX_BATCH:
        return {
            "statements": {
                "statements": [f"The statements field must have between 1 and {MAX_BATCH} items."]
            }
        }
    puids = [s.get("puid") if isinstance(s, dict) else None for s in statements]
    repeated = {p for p in puids if isinstance(p, str) and p and puids.count(p) > 1}
    out: dict[str, Errors] = {}
    for i, statement in enumerate(statements):
        errors = validate_statement(statement)
        if puids[i] in repeated:
            message = "The platform identifier(s) are not all unique within this call."
            errors.setdefault("puid", []).append(message)
        if errors:
            out[f"statement_{i}"] = errors
    return out
