"""Our copy of the TDB's statement rules: every rule, every enumeration, and agreement with the
independently written stand-in (a statement we accept is one the TDB stores)."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart import taxonomy
from rempart.compliance.tdb.rules import (
    MAX_BATCH,
    normalize,
    validate_batch,
    validate_statement,
)
from rempart.compliance.tdb.schema import (
    ALL_LANGUAGES,
    EEA_COUNTRY_CODES,
    EU_COUNTRY_CODES,
    FIELDS,
    SCHEMA_VERSION,
    enum,
)
from tests.standins.tdb_server import Validation, doc_example

ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"


def base(**changes: Any) -> dict[str, Any]:
    """The documented example, changed; ``None`` removes a field."""
    body = doc_example()
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def errors_of(**changes: Any) -> dict[str, list[str]]:
    return validate_statement(base(**changes))


def standin_errors(body: dict[str, Any]) -> dict[str, list[str]]:
    from tests.standins.tdb_server import middleware

    check = Validation(middleware(copy.deepcopy(body)))
    check.run()
    return check.errors


# --- the schema ------------------------------------------------------------------------------


def test_schema_version_and_codes() -> None:
    assert SCHEMA_VERSION == "2025-07-01"
    assert len(EEA_COUNTRY_CODES) == 30 and "GR" in EEA_COUNTRY_CODES
    assert "EL" not in EEA_COUNTRY_CODES  # Greece is GR in territorial_scope
    assert set(EEA_COUNTRY_CODES) - set(EU_COUNTRY_CODES) == {"IS", "LI", "NO"}
    assert len(ALL_LANGUAGES) == 184
    assert all(code.isupper() and len(code) == 2 for code in ALL_LANGUAGES)
    assert {"EN", "EL", "GA", "MT", "NB", "NN"} <= set(ALL_LANGUAGES)
    # 1 July 2025: renamed and removed codes
    assert "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS" in enum("STATEMENT_CATEGORIES")
    assert "STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS" not in enum("STATEMENT_CATEGORIES")
    assert "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE" in enum("STATEMENT_CATEGORIES")
    assert "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER" not in enum("STATEMENT_CATEGORIES")
    assert "KEYWORD_DANGEROUS_TOYS" not in enum("KEYWORDS")
    assert "KEYWORD_CYBER_BULLYING_INTIMIDATION" in enum("KEYWORDS")


def test_the_documented_example_is_valid() -> None:
    assert validate_statement(doc_example()) == {}
    assert standin_errors(doc_example()) == {}


def test_not_an_object() -> None:
    assert validate_statement([1, 2]) == {"statement": ["The statement must be a JSON object."]}  # type: ignore[arg-type]


def test_an_empty_statement_names_every_required_field() -> None:
    errors = validate_statement({})
    assert set(errors) == {
        "decision_visibility",
        "decision_monetary",
        "decision_provision",
        "decision_account",
        "decision_ground",
        "content_type",
        "category",
        "territorial_scope",
        "content_date",
        "application_date",
        "decision_facts",
        "source_type",
        "automated_detection",
        "automated_decision",
        "puid",
    }
    assert errors["decision_visibility"] == [
        "The decision visibility field is required when none of decision monetary / decision "
        "provision / decision account are present."
    ]


# --- each enumeration: every code accepted, anything else refused ----------------------------

SINGLE = {
    "decision_monetary": "DECISION_MONETARIES",
    "decision_provision": "DECISION_PROVISIONS",
    "decision_account": "DECISION_ACCOUNTS",
    "account_type": "ACCOUNT_TYPES",
    "decision_ground": "DECISION_GROUNDS",
    "category": "STATEMENT_CATEGORIES",
    "source_type": "SOURCE_TYPES",
    "automated_detection": "AUTOMATED_DETECTIONS",
    "automated_decision": "AUTOMATED_DECISIONS",
    "incompatible_content_illegal": "INCOMPATIBLE_CONTENT_ILLEGALS",
}
MULTI = {
    "decision_visibility": "DECISION_VISIBILITIES",
    "content_type": "CONTENT_TYPES",
    "category_addition": "STATEMENT_CATEGORIES",
    "category_specification": "KEYWORDS",
}
OTHER_TEXT = {
    "DECISION_VISIBILITY_OTHER": "decision_visibility_other",
    "DECISION_MONETARY_OTHER": "decision_monetary_other",
    "CONTENT_TYPE_OTHER": "content_type_other",
}
GROUND_TEXTS = {
    ILLEGAL: {
        "illegal_content_legal_ground": "Art. 130 StGB",
        "illegal_content_explanation": "incitement to hatred",
    },
    INCOMPATIBLE: {
        "incompatible_content_ground": "terms 4.2",
        "incompatible_content_explanation": "spam",
    },
}


def with_value(field: str, value: Any) -> dict[str, Any]:
    body = base(**{field: value})
    for other_code, other_field in OTHER_TEXT.items():
        if other_code == value or (isinstance(value, list) and other_code in value):
            body[other_field] = "something else"
    if field == "decision_ground":
        for texts in GROUND_TEXTS.values():
            for key in texts:
                body.pop(key, None)
        body.pop("incompatible_content_illegal", None)
        body.update(GROUND_TEXTS[value])
    return body


@pytest.mark.parametrize(
    ("field", "code"),
    [(f, c) for f, e in {**SINGLE, **MULTI}.items() for c in sorted(taxonomy.codes(e))],
)
def test_every_code_of_every_enumeration_is_accepted(field: str, code: str) -> None:
    value: Any = [code] if field in MULTI else code
    body = with_value(field, value)
    assert validate_statement(body) == {}, body
    assert standin_errors(body) == {}


@pytest.mark.parametrize("field", sorted({**SINGLE, **MULTI}))
@pytest.mark.parametrize("bad", ["NOPE", "", "null", 3, ["x"], {"a": 1}])
def test_values_outside_an_enumeration_are_refused(field: str, bad: Any) -> None:
    if field in MULTI:
        bad = [bad] if not isinstance(bad, list) else bad
    body = base(**{field: bad})
    if bad in ("", [""]) and field not in ("decision_ground", "category", "source_type"):
        if field in ("automated_detection", "automated_decision", "content_type"):
            assert field in validate_statement(body)
        return  # an empty optional value is simply absent
    errors = validate_statement(body)
    assert field in errors, (field, bad, errors)
    if standin_errors(body):
        assert errors  # never more lenient than the TDB


def test_lowercase_and_unknown_languages() -> None:
    assert errors_of(content_language="EN") == {}
    assert "content_language" in errors_of(content_language="en")
    assert "content_language" in errors_of(content_language="XX")
    assert "content_language" in errors_of(content_language="ENG")
    assert errors_of(content_language=None) == {}


@pytest.mark.parametrize("code", EEA_COUNTRY_CODES)
def test_every_eea_country(code: str) -> None:
    assert errors_of(territorial_scope=[code]) == {}


@pytest.mark.parametrize("bad", [["EL"], ["UK"], ["CH"], ["de"], [], "DE", ["DE", 1]])
def test_territorial_scope_is_a_list_of_eea_codes(bad: Any) -> None:
    assert "territorial_scope" in errors_of(territorial_scope=bad)
    assert "territorial_scope" in errors_of(territorial_scope=None)  # the docs require it


# --- conditional fields ----------------------------------------------------------------------


def test_one_restriction_is_enough() -> None:
    lone = {f: None for f in ("decision_monetary", "decision_provision", "decision_account")}
    lone["end_date_monetary_restriction"] = None
    assert errors_of(**lone) == {}
    only_account = {
        "decision_visibility": None,
        "decision_monetary": None,
        "decision_provision": None,
        "end_date_monetary_restriction": None,
    }
    assert errors_of(**only_account) == {}
    none = {**only_account, "decision_account": None}
    assert set(errors_of(**none)) == {
        "decision_visibility",
        "decision_monetary",
        "decision_provision",
        "decision_account",
    }
    assert set(errors_of(**{**none, "decision_visibility": []})) >= {"decision_account"}


@pytest.mark.parametrize(("code", "field"), OTHER_TEXT.items())
def test_other_options_need_their_text(code: str, field: str) -> None:
    list_field = {"DECISION_VISIBILITY_OTHER": "decision_visibility"}.get(code)
    target = list_field or ("decision_monetary" if "MONETARY" in code else "content_type")
    value: Any = code if target == "decision_monetary" else [code]
    assert field in errors_of(**{target: value})
    assert field in errors_of(**{target: value, field: "   "})
    assert field in errors_of(**{target: value, field: "x" * 501})
    assert errors_of(**{target: value, field: "x" * 500}) == {}
    # without its OTHER option the text is excluded by the TDB: accepted, and not kept
    body = base(**{field: "ignored"})
    assert validate_statement(body) == {}
    assert field not in normalize(body)


def test_grounds_need_their_texts() -> None:
    illegal = base(decision_ground=ILLEGAL, **GROUND_TEXTS[ILLEGAL])
    for key in (*GROUND_TEXTS[INCOMPATIBLE], "incompatible_content_illegal"):
        illegal.pop(key)
    assert validate_statement(illegal) == {}
    for key in GROUND_TEXTS[ILLEGAL]:
        missing = {k: v for k, v in illegal.items() if k != key}
        assert key in validate_statement(missing)
    assert "illegal_content_legal_ground" in validate_statement(
        {**illegal, "illegal_content_legal_ground": "x" * 501}
    )
    assert "illegal_content_explanation" in validate_statement(
        {**illegal, "illegal_content_explanation": "x" * 2001}
    )
    assert validate_statement({**illegal, "illegal_content_explanation": "x" * 2000}) == {}
    for key in GROUND_TEXTS[INCOMPATIBLE]:
        assert key in errors_of(**{key: None})
    assert "incompatible_content_explanation" in errors_of(
        incompatible_content_explanation="x" * 2001
    )
    # the other ground's texts are excluded by the TDB: accepted, then dropped
    mixed = {**doc_example(), **GROUND_TEXTS[ILLEGAL]}
    assert validate_statement(mixed) == {}
    assert not set(GROUND_TEXTS[ILLEGAL]) & set(normalize(mixed))
    assert "incompatible_content_illegal" not in normalize(
        {**illegal, "incompatible_content_illegal": "No"}
    )


@pytest.mark.parametrize("bad", ["yes", "true", True, None, ""])
def test_incompatible_content_illegal_is_yes_or_no(bad: Any) -> None:
    body = doc_example()
    body["incompatible_content_illegal"] = bad
    assert "incompatible_content_illegal" in validate_statement(body)
    assert errors_of(incompatible_content_illegal="No") == {}
    assert errors_of(incompatible_content_illegal=None) == {}  # absent is fine


def test_category_fields() -> None:
    assert errors_of(category_addition=["STATEMENT_CATEGORY_SCAMS_AND_FRAUD"]) == {}
    body = doc_example()
    body["category_addition"] = None
    assert "category_addition" in validate_statement(body)  # the TDB refuses null here too
    assert "category_addition" in errors_of(category_addition="STATEMENT_CATEGORY_SCAMS_AND_FRAUD")
    assert "category_addition" in errors_of(category_addition=["KEYWORD_PHISHING"])
    assert errors_of(category_specification=["KEYWORD_PHISHING", "KEYWORD_OTHER"]) == {}
    assert "category_specification" in errors_of(category_specification=["KEYWORD_DANGEROUS_TOYS"])
    assert (
        errors_of(category_specification=["KEYWORD_OTHER"], category_specification_other="x" * 500)
        == {}
    )
    assert "category_specification_other" in errors_of(
        category_specification=["KEYWORD_OTHER"], category_specification_other="x" * 501
    )


# --- texts, dates, ids -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("decision_facts", 5000),
        ("incompatible_content_ground", 500),
        ("incompatible_content_explanation", 2000),
        ("source_identity", 500),
    ],
)
def test_maximum_lengths(field: str, limit: int) -> None:
    assert errors_of(**{field: "é" * limit}) == {}  # characters, not bytes
    assert errors_of(**{field: "  " + "a" * limit + "  "}) == {}  # the TDB trims first
    message = f"The {field.replace('_', ' ')} field must not be greater than {limit} characters."
    assert errors_of(**{field: "a" * (limit + 1)}) == {field: [message]}
    assert standin_errors(base(**{field: "a" * (limit + 1)})) == {field: [message]}


def test_free_text_must_be_text() -> None:
    assert errors_of(decision_facts="   ") == {
        "decision_facts": ["The decision facts field is required."]
    }
    assert "decision_facts" in errors_of(decision_facts=12345)
    assert "decision_facts" in errors_of(decision_facts=["a"])


def test_decision_ground_reference_url() -> None:
    assert errors_of(decision_ground_reference_url="https://example.com/terms#4") == {}
    assert errors_of(decision_ground_reference_url=None) == {}
    for bad in ("not a url", "example.com/terms", "https://", "https://exa mple.com"):
        assert "decision_ground_reference_url" in errors_of(decision_ground_reference_url=bad)
    long = "https://example.com/" + "a" * 481
    assert "decision_ground_reference_url" in errors_of(decision_ground_reference_url=long)


@pytest.mark.parametrize(
    ("field", "low"), [("content_date", "2000-01-01"), ("application_date", "2020-01-01")]
)
def test_date_bounds(field: str, low: str) -> None:
    ends = {f: None for f in ("end_date_monetary_restriction",)}
    assert errors_of(**{field: low}, **ends) == {}
    assert errors_of(**{field: "2038-01-01"}, **ends) == {}
    early = (date.fromisoformat(low) - timedelta(days=1)).isoformat()
    assert errors_of(**{field: early}, **ends)[field] == [
        f"The {field.replace('_', ' ')} field must be a date after or equal to {low}."
    ]
    assert field in errors_of(**{field: "2038-01-02"}, **ends)


@pytest.mark.parametrize(
    "bad", ["2023-8-8", "08-08-2023", "2023-02-30", "2023-08-08 10:00", "20230808", 20230808]
)
def test_dates_are_yyyy_mm_dd(bad: Any) -> None:
    errors = errors_of(content_date=bad)
    assert errors == {"content_date": ["The content date does not match the format YYYY-MM-DD."]}
    assert "content_date" in standin_errors(base(content_date=bad))


@pytest.mark.parametrize(
    "field",
    [
        "end_date_account_restriction",
        "end_date_monetary_restriction",
        "end_date_service_restriction",
        "end_date_visibility_restriction",
    ],
)
def test_end_dates(field: str) -> None:
    assert errors_of(**{field: "2023-08-08"}) == {}  # the same day as the application
    assert errors_of(**{field: "2030-01-01"}) == {}
    assert field in errors_of(**{field: "2023-08-07"})  # before the application date
    assert field in errors_of(**{field: "2038-01-02"})
    assert field in errors_of(**{field: "someday"})
    assert field in standin_errors(base(**{field: "2023-08-07"}))


@pytest.mark.parametrize(
    "bad", ["TK 421", "TK421\n", "tk/421", "é", "a" * 501, "", 421, "a.b", "a+b"]
)
def test_puid(bad: Any) -> None:
    assert "puid" in errors_of(puid=bad)
    if bad not in ("TK421\n", 421):  # the TDB trims strings and takes numbers as text
        assert "puid" in standin_errors(base(puid=bad))


def test_puid_accepts_letters_digits_dash_underscore() -> None:
    assert errors_of(puid="rmp-12_AbC-" + "9" * 480) == {}
    assert errors_of(puid="a" * 500) == {}


@pytest.mark.parametrize(
    "bad",
    [
        {"EAN-13": "012345678912"},
        {"EAN-13": "01234567891234"},
        {"EAN-13": "012345678912a"},
        {"EAN-13": 123456789123},
        {"ISBN": "0123456789123"},
        {"EAN-13": "0123456789123", "GTIN": "1"},
        "0123456789123",
        {},
    ],
)
def test_content_id_is_one_ean13(bad: Any) -> None:
    errors = errors_of(content_id=bad)
    assert set(errors) & {"content_id", "content_id.EAN-13"}, errors
    assert errors_of(content_id=None) == {}


def test_unknown_fields_are_refused() -> None:
    errors = errors_of(platform_uid="x", content_language_other="Klingon")
    assert set(errors) == {"platform_uid", "content_language_other"}
    assert "not a Transparency Database attribute" in errors["platform_uid"][0]
    # the TDB itself silently drops them
    assert standin_errors(base(platform_uid="x")) == {}


def test_source_identity_on_own_initiative_is_dropped() -> None:
    body = base(source_type="SOURCE_VOLUNTARY", source_identity="the notifier")
    assert validate_statement(body) == {}
    assert "source_identity" not in normalize(body)
    assert (
        normalize(base(source_identity="Acme Rights Ltd"))["source_identity"] == "Acme Rights Ltd"
    )


def test_normalize_drops_nulls_and_keeps_the_rest() -> None:
    body = base(account_type=None)
    body["content_language"] = None
    out = normalize(body)
    assert "content_language" not in out and out["puid"] == "TK421"
    assert set(out) <= FIELDS


# --- batches ---------------------------------------------------------------------------------


def test_batches() -> None:
    good = [base(puid=f"p{i}") for i in range(3)]
    assert validate_batch(good) == {}
    bad = [*good, base(puid="p3", category="NOPE"), base(puid="p4", decision_facts="")]
    assert set(validate_batch(bad)) == {"statement_3", "statement_4"}
    assert validate_batch(bad)["statement_3"] == {"category": ["The selected category is invalid."]}
    size = "The statements field must have between 1 and 100 items."
    assert validate_batch([]) == {"statements": {"statements": [size]}}
    many = [base(puid=f"p{i}") for i in range(MAX_BATCH + 1)]
    assert validate_batch(many) == {"statements": {"statements": [size]}}
    assert validate_batch(many[:MAX_BATCH]) == {}
    twice = [base(puid="same"), base(puid="other"), base(puid="same")]
    assert set(validate_batch(twice)) == {"statement_0", "statement_2"}


# --- generated statements: our rules and the stand-in agree ----------------------------------

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=60
).filter(lambda s: s.strip() != "")


def days(low: date, high: date) -> st.SearchStrategy[date]:
    return st.dates(min_value=low, max_value=high)


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    """Valid statements over the whole schema."""
    body: dict[str, Any] = {}
    kinds = draw(
        st.sets(
            st.sampled_from(
                [
                    "decision_visibility",
                    "decision_monetary",
                    "decision_provision",
                    "decision_account",
                ]
            ),
            min_size=1,
        )
    )

    def pick(name: str) -> str:
        return draw(st.sampled_from(sorted(enum(name))))

    def picks(name: str, min_size: int = 1) -> list[str]:
        return draw(st.lists(st.sampled_from(sorted(enum(name))), min_size=min_size, unique=True))

    if "decision_visibility" in kinds:
        body["decision_visibility"] = picks("DECISION_VISIBILITIES")
        if "DECISION_VISIBILITY_OTHER" in body["decision_visibility"]:
            body["decision_visibility_other"] = draw(TEXT)
    if "decision_monetary" in kinds:
        body["decision_monetary"] = pick("DECISION_MONETARIES")
        if body["decision_monetary"] == "DECISION_MONETARY_OTHER":
            body["decision_monetary_other"] = draw(TEXT)
    if "decision_provision" in kinds:
        body["decision_provision"] = pick("DECISION_PROVISIONS")
    if "decision_account" in kinds:
        body["decision_account"] = pick("DECISION_ACCOUNTS")
    if draw(st.booleans()):
        body["account_type"] = pick("ACCOUNT_TYPES")
    body["decision_ground"] = pick("DECISION_GROUNDS")
    if body["decision_ground"] == ILLEGAL:
        body["illegal_content_legal_ground"] = draw(TEXT)
        body["illegal_content_explanation"] = draw(TEXT)
    else:
        body["incompatible_content_ground"] = draw(TEXT)
        body["incompatible_content_explanation"] = draw(TEXT)
        if draw(st.booleans()):
            body["incompatible_content_illegal"] = pick("INCOMPATIBLE_CONTENT_ILLEGALS")
    if draw(st.booleans()):
        body["decision_ground_reference_url"] = draw(
            st.sampled_from(["https://example.com/terms", "http://platform.example.org/tos#3"])
        )
    body["content_type"] = picks("CONTENT_TYPES")
    if "CONTENT_TYPE_OTHER" in body["content_type"]:
        body["content_type_other"] = draw(TEXT)
    body["category"] = pick("STATEMENT_CATEGORIES")
    if draw(st.booleans()):
        body["category_addition"] = picks("STATEMENT_CATEGORIES", 0)
    if draw(st.booleans()):
        body["category_specification"] = picks("KEYWORDS", 0)
        if "KEYWORD_OTHER" in body["category_specification"] and draw(st.booleans()):
            body["category_specification_other"] = draw(TEXT)
    body["territorial_scope"] = draw(
        st.lists(st.sampled_from(EEA_COUNTRY_CODES), min_size=1, unique=True)
    )
    if draw(st.booleans()):
        body["content_language"] = draw(st.sampled_from(sorted(ALL_LANGUAGES)))
    body["content_date"] = draw(days(date(2000, 1, 1), date(2038, 1, 1))).isoformat()
    start = draw(days(date(2020, 1, 1), date(2038, 1, 1)))
    body["application_date"] = start.isoformat()
    for end in (
        "end_date_account_restriction",
        "end_date_monetary_restriction",
        "end_date_service_restriction",
        "end_date_visibility_restriction",
    ):
        if draw(st.booleans()):
            body[end] = draw(days(start, date(2038, 1, 1))).isoformat()
    body["decision_facts"] = draw(TEXT)
    body["source_type"] = pick("SOURCE_TYPES")
    if draw(st.booleans()):
        body["source_identity"] = draw(TEXT)
    body["automated_detection"] = pick("AUTOMATED_DETECTIONS")
    body["automated_decision"] = pick("AUTOMATED_DECISIONS")
    body["puid"] = draw(st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True))
    if draw(st.booleans()):
        body["content_id"] = {"EAN-13": draw(st.from_regex(r"[0-9]{13}", fullmatch=True))}
    return body


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(statements())
def test_generated_statements_are_valid_for_both(body: dict[str, Any]) -> None:
    assert validate_statement(body) == {}
    assert standin_errors(body) == {}
    assert validate_statement(normalize(body)) == {}


MUTATIONS = st.sampled_from(
    [
        ("drop", "decision_ground"),
        ("drop", "content_type"),
        ("drop", "category"),
        ("drop", "content_date"),
        ("drop", "application_date"),
        ("drop", "decision_facts"),
        ("drop", "source_type"),
        ("drop", "automated_detection"),
        ("drop", "automated_decision"),
        ("drop", "puid"),
        ("set", "decision_ground", "ILLEGAL_CONTENT"),
        ("set", "category", "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT"),
        ("set", "content_type", ["CONTENT_TYPE_PODCAST"]),
        ("set", "territorial_scope", ["EL"]),
        ("set", "content_language", "en"),
        ("set", "content_date", "1999-12-31"),
        ("set", "application_date", "2019-12-31"),
        ("set", "application_date", "2023-13-01"),
        ("set", "end_date_service_restriction", "2019-01-01"),
        ("set", "decision_facts", "x" * 5001),
        ("set", "source_identity", "x" * 501),
        ("set", "automated_detection", "yes"),
        ("set", "automated_decision", "No"),
        ("set", "puid", "has space"),
        ("set", "content_id", {"EAN-13": "123"}),
        ("set", "decision_monetary", "DECISION_MONETARY_OTHER"),
        ("set", "content_type", ["CONTENT_TYPE_OTHER"]),
        ("set", "decision_visibility", ["DECISION_VISIBILITY_OTHER"]),
        ("set", "category_addition", None),
        ("set", "decision_ground_reference_url", "nope"),
    ]
)


@FAST
@given(statements(), st.lists(MUTATIONS, min_size=1, max_size=3))
def test_we_refuse_whatever_the_tdb_refuses(body: dict[str, Any], changes: list[Any]) -> None:
    for change in changes:
        if change[0] == "drop":
            body.pop(change[1], None)
        else:
            body[change[1]] = change[2]
            if change[1] == "decision_monetary":
                body.pop("decision_monetary_other", None)
            if change[1] == "content_type":
                body.pop("content_type_other", None)
            if change[1] == "decision_visibility":
                body.pop("decision_visibility_other", None)
    ours, theirs = validate_statement(body), standin_errors(body)
    flagged = set(theirs)
    if "application_date" in ours:  # end dates cannot be compared with a bad start date
        flagged = {f for f in flagged if not f.startswith("end_date_")}
    assert flagged <= set(ours), (theirs, ours)
    assert ours  # every mutation makes the statement invalid here


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(FIELDS)) | st.text(max_size=8), JSON, max_size=12))
def test_any_json_object_gets_messages_never_an_exception(body: dict[str, Any]) -> None:
    errors = validate_statement(body)
    json.dumps(errors)
    assert all(isinstance(m, str) for ms in errors.values() for m in ms)
    if standin_errors(body):
        assert errors


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a<b>",  # "<" is in none of Str::isUrl's path characters
        "https://example.com/%zz",  # a broken percent escape
        "https://example.co-uk/terms",  # a top-level label with "-"
        "https://user:pw@example.com/",  # we send no user part
        "http://intranet/terms",  # valid for Laravel, but no public reference
        "javascript://example.com/",
    ],
)
def test_reference_urls_outside_our_subset_of_laravels_url_rule(url: str) -> None:
    assert "decision_ground_reference_url" in errors_of(decision_ground_reference_url=url)


@pytest.mark.parametrize(
    "url",
    ["https://exämple.eu/cgu?v=[2]#§", "HTTP://EXAMPLE.COM", "https://1.2.3.4:8443/tos"],
)
def test_reference_urls_we_accept_the_tdb_accepts(url: str) -> None:
    if "§" in url:  # "§" is \pS: not in the fragment set, refused by both
        assert "decision_ground_reference_url" in errors_of(decision_ground_reference_url=url)
        assert "decision_ground_reference_url" in standin_errors(
            base(decision_ground_reference_url=url)
        )
        url = url.replace("§", "s")
    assert errors_of(decision_ground_reference_url=url) == {}
    assert standin_errors(base(decision_ground_reference_url=url)) == {}


def test_text_blank_once_the_tdb_trims_it_is_missing() -> None:
    """TrimStrings also removes U+FEFF, U+200B and U+200E; "" then becomes null."""
    for blank in ("\u200b", " \ufeff ", "\u200e\n"):
        assert "decision_facts" in errors_of(decision_facts=blank)
        assert "decision_facts" in standin_errors(base(decision_facts=blank))
        assert errors_of(account_type=blank) == {}  # an optional code left blank is absent
        assert standin_errors(base(account_type=blank)) == {}
    padded = "\u200b" + "x" * 5000 + " \u200b"
    assert errors_of(decision_facts=padded) == {} == standin_errors(base(decision_facts=padded))


def test_territorial_scope_is_required_as_documented() -> None:
    assert "territorial_scope" in errors_of(territorial_scope=None)
    assert "territorial_scope" in standin_errors(base(territorial_scope=None))
