"""Every statement of reasons Rempart builds is one the real Transparency Database accepts.

``upstream_errors`` below is a second, independent reading of the TDB's validation, written
here from the Commission's Laravel source (github.com/digital-services-act/transparency-database)
and not from Rempart's ``rules.py`` or the stand-in server:

- ``app/Services/GroupedSubmissionsService.php`` ``multi_rules()`` — the per-statement rules of
  ``POST /api/v1/statements`` (the endpoint Rempart uses; ``StatementStoreRequest::rules()``
  for ``POST /api/v1/statement`` holds the same attribute rules);
- ``app/Models/Statement.php`` — the enumeration keys (schema of 1 July 2025);
- ``app/Services/EuropeanCountriesService.php`` / ``EuropeanLanguagesService.php`` — codes;
- ``resources/markdown/api-documentation.md`` — what the documentation adds to the validator:
  ``territorial_scope`` "is a required attribute", and each end date "must be after or equal to
  the application date";
- Laravel's ``TrimStrings`` / ``ConvertEmptyStringsToNull`` middleware and its validator's
  semantics (implicit ``required*`` rules, ``nullable``, ``exclude_*``, ``max`` in characters).

Where that reading has to approximate Laravel (the ``url`` rule), it is stricter than Laravel,
so "no errors here" still means "accepted there". The property tests generate decision inputs
that Rempart's own schemas accept and check the statement that reaches the submission queue.
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from itertools import count
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from rempart.compliance.sor import stored_statement, tdb_statement
from rempart.compliance.tdb.models import PENDING
from rempart.compliance.tdb.rules import validate_statement
from rempart.compliance.tdb.service import prepare_statement
from rempart.context import Rempart
from rempart.moderation.decisions import GROUND_FIELDS, RESTRICTION_FIELDS, _automation
from rempart.moderation.models import AutomatedFlag, Case, Decision, Item
from rempart.moderation.schemas import DecisionIn, ItemIn, NoticeIn
from tests.compliance.test_tdb_rules import MUTATIONS, statements
from tests.moderation.conftest import person
from tests.standins.tdb_server import doc_example


def codes(text: str | list[str]) -> frozenset[str]:
    """Codes written as one space-separated string (or a list)."""
    return frozenset(text.split() if isinstance(text, str) else text)


# --- enumeration keys, app/Models/Statement.php -----------------------------------------------

VISIBILITY = (
    "DECISION_VISIBILITY_CONTENT_REMOVED DECISION_VISIBILITY_CONTENT_DISABLED "
    "DECISION_VISIBILITY_CONTENT_DEMOTED DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED "
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED DECISION_VISIBILITY_CONTENT_LABELLED "
    "DECISION_VISIBILITY_OTHER"
)
MONETARY = "DECISION_MONETARY_SUSPENSION DECISION_MONETARY_TERMINATION DECISION_MONETARY_OTHER"
PROVISION = (
    "DECISION_PROVISION_PARTIAL_SUSPENSION DECISION_PROVISION_TOTAL_SUSPENSION "
    "DECISION_PROVISION_PARTIAL_TERMINATION DECISION_PROVISION_TOTAL_TERMINATION"
)
ACCOUNT = "DECISION_ACCOUNT_SUSPENDED DECISION_ACCOUNT_TERMINATED"
ACCOUNT_TYPE = "ACCOUNT_TYPE_BUSINESS ACCOUNT_TYPE_PRIVATE"
ILLEGAL, INCOMPATIBLE = "DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"
CONTENT_TYPE = (
    "CONTENT_TYPE_APP CONTENT_TYPE_AUDIO CONTENT_TYPE_IMAGE CONTENT_TYPE_PRODUCT "
    "CONTENT_TYPE_SYNTHETIC_MEDIA CONTENT_TYPE_TEXT CONTENT_TYPE_VIDEO CONTENT_TYPE_OTHER"
)
CATEGORY = sorted(
    f"STATEMENT_CATEGORY_{c}"
    for c in codes(
        "ANIMAL_WELFARE CONSUMER_INFORMATION CYBER_VIOLENCE CYBER_VIOLENCE_AGAINST_WOMEN "
        "DATA_PROTECTION_AND_PRIVACY_VIOLATIONS ILLEGAL_OR_HARMFUL_SPEECH "
        "INTELLECTUAL_PROPERTY_INFRINGEMENTS NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS "
        "NOT_SPECIFIED_NOTICE OTHER_VIOLATION_TC PROTECTION_OF_MINORS RISK_FOR_PUBLIC_SECURITY "
        "SCAMS_AND_FRAUD SELF_HARM UNSAFE_AND_PROHIBITED_PRODUCTS VIOLENCE"
    )
)
KEYWORD = sorted(
    f"KEYWORD_{k}"
    for k in codes(
        "ADULT_SEXUAL_MATERIAL AGE_SPECIFIC_RESTRICTIONS AGE_SPECIFIC_RESTRICTIONS_MINORS "
        "ANIMAL_HARM BIOMETRIC_DATA_BREACH BULLYING_AGAINST_GIRLS CHILD_SEXUAL_ABUSE_MATERIAL "
        "CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE CONTENT_PROMOTING_EATING_DISORDERS COORDINATED_HARM "
        "COPYRIGHT_INFRINGEMENT CYBER_BULLYING_INTIMIDATION CYBER_HARASSMENT "
        "CYBER_HARASSMENT_AGAINST_WOMEN CYBER_INCITEMENT CYBER_STALKING "
        "CYBER_STALKING_AGAINST_WOMEN DATA_FALSIFICATION DEFAMATION DESIGN_INFRINGEMENT "
        "DISCRIMINATION FEMALE_GENDERED_DISINFORMATION GEOGRAPHIC_INDICATIONS_INFRINGEMENT "
        "GEOGRAPHICAL_REQUIREMENTS GOODS_SERVICES_NOT_PERMITTED GROOMING_SEXUAL_ENTICEMENT_MINORS "
        "HATE_SPEECH HIDDEN_ADVERTISEMENT HUMAN_EXPLOITATION HUMAN_TRAFFICKING "
        "ILLEGAL_ORGANIZATIONS IMPERSONATION_ACCOUNT_HIJACKING INAUTHENTIC_ACCOUNTS "
        "INAUTHENTIC_LISTINGS INAUTHENTIC_USER_REVIEWS INCITEMENT_AGAINST_WOMEN "
        "INCITEMENT_VIOLENCE_HATRED INSUFFICIENT_INFORMATION_ON_TRADERS LANGUAGE_REQUIREMENTS "
        "MISINFORMATION_DISINFORMATION MISLEADING_INFO_CONSUMER_RIGHTS "
        "MISLEADING_INFO_GOODS_SERVICES MISSING_PROCESSING_GROUND NON_CONSENSUAL_IMAGE_SHARING "
        "NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN NON_CONSENSUAL_MATERIAL_DEEPFAKE "
        "NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN NONCOMPLIANCE_PRICING NUDITY "
        "PATENT_INFRINGEMENT PHISHING PROHIBITED_PRODUCTS PYRAMID_SCHEMES RIGHT_TO_BE_FORGOTTEN "
        "RISK_ENVIRONMENTAL_DAMAGE RISK_PUBLIC_HEALTH SELF_MUTILATION STALKING SUICIDE "
        "TERRORIST_CONTENT TRADE_SECRET_INFRINGEMENT TRADEMARK_INFRINGEMENT "
        "TRAFFICKING_WOMEN_GIRLS UNLAWFUL_SALE_ANIMALS UNSAFE_CHALLENGES UNSAFE_PRODUCTS "
        "VIOLATION_EU_LAW VIOLATION_NATIONAL_LAW OTHER"
    )
)
SOURCE_TYPE = (
    "SOURCE_ARTICLE_16 SOURCE_TRUSTED_FLAGGER SOURCE_TYPE_OTHER_NOTIFICATION SOURCE_VOLUNTARY"
)
AUTOMATED_DECISION = (
    "AUTOMATED_DECISION_FULLY AUTOMATED_DECISION_PARTIALLY AUTOMATED_DECISION_NOT_AUTOMATED"
)
YES_NO = "Yes No"  # AUTOMATED_DETECTIONS, INCOMPATIBLE_CONTENT_ILLEGALS
# EuropeanCountriesService::EUROPEAN_COUNTRY_CODES (EU + EEA; Greece is GR)
COUNTRY = (
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK"
)
# EuropeanLanguagesService::ALL_LANGUAGES, its keys in its order
LANGUAGE = (
    "AB AA AF AK SQ AM AR AN HY AS AV AE AY AZ BM BA EU BE BN BH BI BS BR BG MY CA KM CH CE NY "
    "ZH CU CV KW CO CR HR CS DA DV NL DZ EN EO ET EE FO FJ FI FR FF GD GL LG KA DE KI EL KL GN "
    "GU HT HA HE HZ HI HO HU IS IO IG ID IA IE IU IK GA IT JA JV KN KR KS KK RW KV KG KO KJ KU "
    "KY LO LA LV LB LI LN LT LU MK MG MS ML MT GV MI MR MH RO MN NA NV ND NG NE SE NO NB NN II "
    "OC OJ OR OM OS PI PA PS FA PL PT QU RM RN RU SM SG SA SC SR SN SD SI SK SL SO ST NR ES SU "
    "SW SS SV TL TY TG TA TT TE TH BO TI TO TS TN TR TK TW UG UK UR UZ VE VI VO WA CY FY WO XH "
    "YI YO ZA ZU"
)


# --- the rules, GroupedSubmissionsService::multi_rules() ----------------------------------------
# Each rule is (name, argument). Implicit rules (required*) run on absent values too.

Rule = tuple[str, Any]
VIS_OTHER = "DECISION_VISIBILITY_OTHER"
TYPE_OTHER = "CONTENT_TYPE_OTHER"
END_DATE = [("date_format", None), ("nullable", None), ("before_or_equal", "2038-01-01")]
DECISIONS = ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")


def _without(field: str) -> Rule:
    return ("required_without_all", [f for f in DECISIONS if f != field])


RULES: dict[str, list[Rule]] = {
    # 'decision_visibility' => ['array', in:null,..., 'required_without_all:...', 'nullable']
    "decision_visibility": [
        ("array", None),
        ("in", codes(VISIBILITY)),
        _without("decision_visibility"),
        ("nullable", None),
    ],
    # 'max:500', Rule::requiredIf(OTHER chosen), Rule::excludeIf(! OTHER chosen)
    "decision_visibility_other": [
        ("max", 500),
        ("required_when_listed", ("decision_visibility", VIS_OTHER)),
        ("exclude_unless_listed", ("decision_visibility", VIS_OTHER)),
    ],
    "decision_monetary": [("in", codes(MONETARY)), _without("decision_monetary"), ("nullable", 0)],
    # 'required_if:decision_monetary,DECISION_MONETARY_OTHER', 'exclude_unless:...', 'max:500'
    "decision_monetary_other": [
        ("required_if", ("decision_monetary", "DECISION_MONETARY_OTHER")),
        ("exclude_unless", ("decision_monetary", "DECISION_MONETARY_OTHER")),
        ("max", 500),
    ],
    "decision_provision": [
        ("in", codes(PROVISION)),
        _without("decision_provision"),
        ("nullable", None),
    ],
    "decision_account": [("in", codes(ACCOUNT)), _without("decision_account"), ("nullable", 0)],
    "account_type": [("in", codes(ACCOUNT_TYPE)), ("nullable", None)],
    "category_specification": [("array", None), ("in", codes(KEYWORD)), ("nullable", None)],
    "category_specification_other": [("max", 500)],
    "decision_ground": [("required", None), ("in", codes([ILLEGAL, INCOMPATIBLE]))],
    "decision_ground_reference_url": [("url", None), ("nullable", None), ("max", 500)],
    "illegal_content_legal_ground": [
        ("required_if", ("decision_ground", ILLEGAL)),
        ("exclude_unless", ("decision_ground", ILLEGAL)),
        ("max", 500),
    ],
    "illegal_content_explanation": [
        ("required_if", ("decision_ground", ILLEGAL)),
        ("exclude_unless", ("decision_ground", ILLEGAL)),
        ("max", 2000),
    ],
    "incompatible_content_ground": [
        ("required_if", ("decision_ground", INCOMPATIBLE)),
        ("exclude_unless", ("decision_ground", INCOMPATIBLE)),
        ("max", 500),
    ],
    "incompatible_content_explanation": [
        ("required_if", ("decision_ground", INCOMPATIBLE)),
        ("exclude_unless", ("decision_ground", INCOMPATIBLE)),
        ("max", 2000),
    ],
    # no 'nullable': a null here is checked against in:Yes,No (and fails)
    "incompatible_content_illegal": [
        ("in", codes(YES_NO)),
        ("exclude_unless", ("decision_ground", INCOMPATIBLE)),
    ],
    "content_type": [("array", None), ("required", None), ("in", codes(CONTENT_TYPE))],
    "content_type_other": [
        ("max", 500),
        ("required_when_listed", ("content_type", TYPE_OTHER)),
        ("exclude_unless_listed", ("content_type", TYPE_OTHER)),
    ],
    "category": [("required", None), ("in", codes(CATEGORY))],
    "category_addition": [("array", None), ("in", codes(CATEGORY))],  # no 'nullable'
    # ['array', 'nullable', in:EUROPEAN_COUNTRY_CODES]; api-documentation.md: "required"
    "territorial_scope": [
        ("required", None),
        ("array", None),
        ("in", codes(COUNTRY)),
        ("nullable", None),
    ],
    "content_language": [("in", codes(LANGUAGE)), ("nullable", None)],
    "content_date": [
        ("required", None),
        ("date_format", None),
        ("after_or_equal", "2000-01-01"),
        ("before_or_equal", "2038-01-01"),
    ],
    "application_date": [
        ("required", None),
        ("date_format", None),
        ("after_or_equal", "2020-01-01"),
        ("before_or_equal", "2038-01-01"),
    ],
    # api-documentation.md: "The date must be after or equal to the application date."
    **{
        f"end_date_{kind}_restriction": [*END_DATE, ("after_or_equal_field", "application_date")]
        for kind in ("account", "monetary", "service", "visibility")
    },
    "decision_facts": [("required", None), ("max", 5000)],
    "source_type": [("required", None), ("in", codes(SOURCE_TYPE))],
    "source_identity": [("max", 500), ("nullable", None)],
    "automated_detection": [("required", None), ("in", codes(YES_NO))],
    "automated_decision": [("required", None), ("in", codes(AUTOMATED_DECISION))],
    # 'puid' => ['required', 'max:500', 'regex:/^[a-zA-Z0-9-_]+$/D']
    "puid": [("required", None), ("max", 500), ("regex", re.compile(r"[a-zA-Z0-9_-]+"))],
}
IMPLICIT = {"required", "required_if", "required_without_all", "required_when_listed"}


def laravel_input(value: Any) -> Any:
    """TrimStrings (``\\s``, U+FEFF, U+200B, U+200E at both ends) then ConvertEmptyStringsToNull."""
    if isinstance(value, str):
        value = re.sub(r"^[\s\ufeff\u200b\u200e]+|[\s\ufeff\u200b\u200e]+$", "", value)
        return value or None
    if isinstance(value, list):
        return [laravel_input(v) for v in value]
    if isinstance(value, dict):
        return {k: laravel_input(v) for k, v in value.items()}
    return value


def filled(value: Any) -> bool:
    """Validator::validateRequired."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return False
    return not (isinstance(value, list | dict) and not value)


def ymd(value: Any) -> date | None:
    """``date_format:Y-m-d``: parses and formats back to the same text."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


_URL_PART = r"(?:[\w\-.~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*"
_URL_QUERY = r"(?:[\w\-.~!$&'\[\]()*+,;=:@/?]|%[0-9A-Fa-f]{2})*"
_URL_FRAGMENT = r"(?:[\w\-.~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*"


def url_ok(value: Any) -> bool:
    """Stricter than Laravel's ``url`` (Str::isUrl, from Symfony's UrlValidator): an http(s)
    URL without a user part, a dotted host name whose last label holds only letters/digits,
    and path, query and fragment from the pattern's own character sets (\\w: letters, digits
    of any script and "_", all within \\pL\\pN_)."""
    if not isinstance(value, str) or any(not (c.isalnum() or c.isascii()) for c in value):
        return False
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return False
    host = parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc
    labels = host.rstrip(".").split(".")
    return (
        parts.scheme.lower() in {"http", "https"}
        and "@" not in parts.netloc
        and len(labels) >= 2
        and all(re.fullmatch(r"[\w-]+", label) for label in labels)
        and re.fullmatch(r"[^\W_]+", labels[-1]) is not None
        and re.fullmatch(rf"(?:/{_URL_PART})*", parts.path) is not None
        and re.fullmatch(_URL_QUERY, parts.query) is not None
        and re.fullmatch(_URL_FRAGMENT, parts.fragment) is not None
        and value == parts.geturl()
    )


def excluded(data: dict[str, Any], rules: list[Rule]) -> bool:
    for name, arg in rules:
        if name == "exclude_unless" and data.get(arg[0]) != arg[1]:
            return True
        if name == "exclude_unless_listed":
            listed = data.get(arg[0])
            if not (isinstance(listed, list) and arg[1] in listed):
                return True
    return False


def broken(data: dict[str, Any], field: str, value: Any, name: str, arg: Any) -> bool:
    """Whether one rule fails (the value is present, or the rule is implicit)."""
    if name == "required":
        return not filled(value)
    if name == "required_if":
        return data.get(arg[0]) == arg[1] and not filled(value)
    if name == "required_when_listed":
        listed = data.get(arg[0])
        return isinstance(listed, list) and arg[1] in listed and not filled(value)
    if name == "required_without_all":
        return not filled(value) and not any(filled(data.get(o)) for o in arg)
    if name == "array":
        return not isinstance(value, list)
    if name == "in":
        items = value if isinstance(value, list) else [value]
        return not all(isinstance(v, str) and v in arg for v in items)
    if name == "max":
        return isinstance(value, list | dict) or not isinstance(value, str) or len(value) > arg
    if name == "url":
        return not url_ok(value)
    if name == "date_format":
        return ymd(value) is None
    if name in {"after_or_equal", "before_or_equal"}:
        day = ymd(value)
        bound = date.fromisoformat(arg)
        return day is None or (day < bound if name == "after_or_equal" else day > bound)
    if name == "after_or_equal_field":
        day, other = ymd(value), ymd(data.get(arg))
        return day is None or other is None or day < other
    if name == "regex":
        return not isinstance(value, str) or arg.fullmatch(value) is None
    raise AssertionError(name)


def upstream_errors(statement: dict[str, Any]) -> dict[str, list[str]]:
    """Field -> the names of the rules it breaks, as the TDB would judge ``statement``."""
    data = laravel_input(statement)
    errors: dict[str, list[str]] = {}
    for field, rules in RULES.items():
        if excluded(data, rules):
            continue
        present = field in data
        value = data.get(field)
        nullable = any(name == "nullable" for name, _ in rules)
        for name, arg in rules:
            if name in {"nullable", "exclude_unless", "exclude_unless_listed"}:
                continue
            if name not in IMPLICIT and (not present or (value is None and nullable)):
                continue
            if broken(data, field, value, name, arg):
                errors.setdefault(field, []).append(name)
    return errors


# --- the independent reading can fail -----------------------------------------------------------


def test_the_documented_example_passes() -> None:
    assert upstream_errors(doc_example()) == {}


DROP = object()


@pytest.mark.parametrize(
    ("field", "value", "refused"),
    [
        ("territorial_scope", ["EL"], "territorial_scope"),
        ("territorial_scope", DROP, "territorial_scope"),
        ("content_language", "en", "content_language"),
        ("content_date", "1999-12-31", "content_date"),
        ("application_date", "2023-8-08", "application_date"),
        ("end_date_monetary_restriction", "2023-08-07", "end_date_monetary_restriction"),
        ("end_date_monetary_restriction", "2038-01-02", "end_date_monetary_restriction"),
        ("decision_facts", " \u200b ", "decision_facts"),
        ("incompatible_content_explanation", "x" * 2001, "incompatible_content_explanation"),
        ("incompatible_content_illegal", None, "incompatible_content_illegal"),
        ("decision_ground_reference_url", "https://a.example/<x>", "decision_ground_reference_url"),
        ("category_addition", None, "category_addition"),
        ("content_type", ["CONTENT_TYPE_OTHER"], "content_type_other"),
        ("puid", "a\nb", "puid"),
        ("automated_decision", "Yes", "automated_decision"),
        ("decision_monetary", "DECISION_MONETARY_OTHER", "decision_monetary_other"),
    ],
)
def test_the_independent_reading_refuses(field: str, value: Any, refused: str) -> None:
    body = doc_example()
    if value is DROP:
        del body[field]
    else:
        body[field] = value
    assert refused in upstream_errors(body)


def test_the_enumerations_we_ship_are_the_tdbs() -> None:
    """The shipped enumeration file holds exactly the keys of Statement.php (this schema)."""
    from rempart.compliance.tdb.schema import ALL_LANGUAGES, EEA_COUNTRY_CODES, enum

    assert enum("DECISION_VISIBILITIES") == codes(VISIBILITY)
    assert enum("DECISION_MONETARIES") == codes(MONETARY)
    assert enum("DECISION_PROVISIONS") == codes(PROVISION)
    assert enum("DECISION_ACCOUNTS") == codes(ACCOUNT)
    assert enum("ACCOUNT_TYPES") == codes(ACCOUNT_TYPE)
    assert enum("DECISION_GROUNDS") == {ILLEGAL, INCOMPATIBLE}
    assert enum("CONTENT_TYPES") == codes(CONTENT_TYPE)
    assert enum("STATEMENT_CATEGORIES") == codes(CATEGORY)
    assert enum("KEYWORDS") == codes(KEYWORD) and len(KEYWORD) == 69
    assert enum("SOURCE_TYPES") == codes(SOURCE_TYPE)
    assert enum("AUTOMATED_DECISIONS") == codes(AUTOMATED_DECISION)
    assert enum("AUTOMATED_DETECTIONS") == enum("INCOMPATIBLE_CONTENT_ILLEGALS") == codes(YES_NO)
    assert set(EEA_COUNTRY_CODES) == codes(COUNTRY)
    assert set(ALL_LANGUAGES) == codes(LANGUAGE)


# --- what we accept, the TDB accepts ------------------------------------------------------------

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(statements(), st.lists(MUTATIONS, max_size=2))
def test_a_statement_we_accept_is_accepted_upstream(body: dict[str, Any], changes: Any) -> None:
    for change in changes:
        if change[0] == "drop":
            body.pop(change[1], None)
        else:
            body[change[1]] = change[2]
    if not validate_statement(body):
        assert upstream_errors(body) == {}
    if upstream_errors(body):
        assert validate_statement(body)


# --- what we build from decisions, the TDB accepts ----------------------------------------------

EEA = sorted(codes(COUNTRY))
DAYS = st.dates(date(1990, 1, 1), date(2060, 12, 31))
# free text as moderators write it: personal data that scrubbing replaces by longer placeholders
PIECES = st.sampled_from(
    ["a@b.io", "@al", "+33 6 12 34 56 78", "10.0.0.1", "see https://x.io/p/1", "ok", " ", "\n"]
)


def texts(limit: int) -> st.SearchStrategy[str]:
    """Text of at most ``limit`` characters that Rempart's schemas take (not blank)."""
    near = st.lists(PIECES, min_size=1, max_size=limit // 2).map(lambda p: "".join(p)[:limit])
    tight = PIECES.map(lambda p: (p * (limit // len(p) + 1))[:limit])
    return (st.text(min_size=1, max_size=60) | near | tight).filter(lambda t: t.strip() != "")


URLS = st.sampled_from(
    ["https://platform.example/terms#3", "https://exämple.eu/cgu?v=2", "http://tos", "nope"]
) | st.text(max_size=40)


@st.composite
def decision_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """A decision body as a reviewer or a policy rule submits it (DecisionIn's fields)."""
    kinds = draw(st.sets(st.sampled_from(DECISIONS), min_size=1))
    body: dict[str, Any] = {"action": True}
    if "decision_visibility" in kinds:
        body["decision_visibility"] = draw(
            st.lists(st.sampled_from(sorted(codes(VISIBILITY))), min_size=1)
        )
        if VIS_OTHER in body["decision_visibility"]:
            body["decision_visibility_other"] = draw(texts(500) | st.just("\u200b"))
    if "decision_monetary" in kinds:
        body["decision_monetary"] = draw(st.sampled_from(sorted(codes(MONETARY))))
        if body["decision_monetary"] == "DECISION_MONETARY_OTHER":
            body["decision_monetary_other"] = draw(texts(500))
    if "decision_provision" in kinds:
        body["decision_provision"] = draw(st.sampled_from(sorted(codes(PROVISION))))
    if "decision_account" in kinds:
        body["decision_account"] = draw(st.sampled_from(sorted(codes(ACCOUNT))))
    for kind in ("visibility", "monetary", "service", "account"):
        if draw(st.booleans()):
            body[f"end_date_{kind}_restriction"] = draw(DAYS)
    body["decision_ground"] = draw(st.sampled_from([ILLEGAL, INCOMPATIBLE]))
    if body["decision_ground"] == ILLEGAL:
        body["illegal_content_legal_ground"] = draw(texts(500))
        body["illegal_content_explanation"] = draw(texts(2000))
    else:
        body["incompatible_content_ground"] = draw(texts(500))
        body["incompatible_content_explanation"] = draw(texts(2000))
        body["incompatible_content_illegal"] = draw(st.none() | st.booleans())
    if draw(st.booleans()):  # both texts may be given whatever the ground
        body.setdefault("illegal_content_legal_ground", draw(texts(500)))
        body.setdefault("incompatible_content_ground", draw(texts(500)))
    if draw(st.booleans()):
        body["decision_ground_reference_url"] = draw(URLS)
    body["category"] = draw(st.sampled_from(CATEGORY))
    body["category_addition"] = draw(st.lists(st.sampled_from(CATEGORY), max_size=3))
    body["category_specification"] = draw(st.lists(st.sampled_from(KEYWORD), max_size=3))
    if draw(st.booleans()):
        body["category_specification_other"] = draw(texts(500))
    body["territorial_scope"] = draw(
        st.none() | st.lists(st.sampled_from(EEA + [c.lower() for c in EEA]), max_size=5)
    )
    body["decision_facts"] = draw(texts(5000))
    return body


@st.composite
def item_facts(draw: st.DrawFn) -> dict[str, Any]:
    """An item as the platform describes it (ItemIn's fields)."""
    types = draw(st.lists(st.sampled_from(sorted(codes(CONTENT_TYPE))), max_size=3))
    return {
        "ref": "post-1",
        "content_types": types,
        "content_type_other": draw(st.none() | texts(500)),
        "language": draw(st.none() | st.from_regex(r"[A-Za-z]{2}", fullmatch=True)),
        "territories": draw(st.lists(st.sampled_from(EEA), max_size=4)),
        "content_date": draw(st.none() | DAYS),
    }


SOURCES = st.sampled_from(
    [
        ("SOURCE_VOLUNTARY", None, True),
        ("SOURCE_ARTICLE_16", None, True),
        ("SOURCE_TRUSTED_FLAGGER", "Stichting Meldpunt Kinderporno", False),
        ("SOURCE_TYPE_OTHER_NOTIFICATION", "Arcom (FR)", False),
    ]
)


def decision_from(
    body: DecisionIn,
    item: ItemIn,
    *,
    today: date,
    posted: date,
    person_decides: bool,
    detected: bool,
    source: tuple[str, str | None, bool],
) -> Decision:
    """The Decision that DecisionService.record stores for these inputs (same derivations)."""
    d = Decision(
        action=True,
        territorial_scope=body.territorial_scope or (list(item.territories) or EEA),
        application_date=today,
        decision_facts=body.decision_facts,
        source_type=source[0],
        source_identity=source[1],
        content_types=list(item.content_types) or ["CONTENT_TYPE_OTHER"],
        content_type_other=item.content_type_other
        or (None if item.content_types else "not described by the platform"),
        content_language=item.language,
        content_date=item.content_date or posted,
        account_type="ACCOUNT_TYPE_PRIVATE",
        automated_detection=detected,
        automated_decision=_automation(person_decides, detected),
        category=body.category,
    )
    for field in RESTRICTION_FIELDS + GROUND_FIELDS:
        setattr(d, field, getattr(body, field))
    return d


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    decision_inputs(),
    item_facts(),
    st.dates(date(2024, 1, 1), date(2037, 12, 31)),
    DAYS,
    st.booleans(),
    st.booleans(),
    SOURCES,
)
def test_every_statement_built_from_a_decision_is_accepted_upstream(
    raw: dict[str, Any],
    facts: dict[str, Any],
    today: date,
    posted: date,
    person_decides: bool,
    detected: bool,
    source: tuple[str, str | None, bool],
) -> None:
    try:
        body, item = DecisionIn.model_validate(raw), ItemIn.model_validate(facts)
    except ValidationError:
        assume(False)
        raise
    d = decision_from(
        body,
        item,
        today=today,
        posted=posted,
        person_decides=person_decides,
        detected=detected,
        source=source,
    )
    # what TdbSubmitter.enqueue stores for sending: built, scrubbed, fitted, with a puid
    statement = prepare_statement(tdb_statement(d), source_is_person=source[2])
    statement["puid"] = f"rmp-1-{secrets.token_hex(8)}"
    assert upstream_errors(statement) == {}, statement
    assert validate_statement(statement) == {}
    # the decision's own facts survive where the TDB can hold them
    assert statement["decision_ground"] == body.decision_ground
    assert statement["category"] == body.category
    assert statement["automated_detection"] == ("Yes" if detected else "No")
    for field in DECISIONS:
        if getattr(body, field):
            assert field in statement
    if item.language and item.language in codes(LANGUAGE):
        assert statement["content_language"] == item.language


# --- the real decision path, every kind of decision ---------------------------------------------

_refs = count(1)
KINDS = {
    "visibility": {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"]},
    "visibility_other": {
        "decision_visibility": ["DECISION_VISIBILITY_OTHER", "DECISION_VISIBILITY_CONTENT_DEMOTED"],
        "decision_visibility_other": "Hidden from search for a@b.io's followers",
        "end_date_visibility_restriction": "2026-01-01",  # before the decision: kept in bounds
    },
    "account": {
        "decision_account": "DECISION_ACCOUNT_SUSPENDED",
        "end_date_account_restriction": "2037-12-31",  # the last day the TDB takes
    },
    "monetary": {
        "decision_monetary": "DECISION_MONETARY_OTHER",
        "decision_monetary_other": "Payouts held for 30 days",
        "end_date_monetary_restriction": "2026-04-01",
    },
    "provision": {"decision_provision": "DECISION_PROVISION_PARTIAL_SUSPENSION"},
}
GROUNDS = {
    "illegal": {
        "decision_ground": ILLEGAL,
        "illegal_content_legal_ground": "Loi du 29 juillet 1881, art. 24 bis",
        # 2000 characters, the limit; scrubbing "@al" into "[handle]" would take it past
        "illegal_content_explanation": ("Denies a crime against humanity, says @al. " * 50)[:2000],
        "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        "category_specification": ["KEYWORD_HATE_SPEECH", "KEYWORD_OTHER"],
        "category_specification_other": "Holocaust denial",
    },
    "incompatible": {
        "decision_ground": INCOMPATIBLE,
        "incompatible_content_ground": "Community rules, section 4 (spam)",
        "incompatible_content_explanation": "Repeated identical links posted by @spammer.",
        "incompatible_content_illegal": False,
        "decision_ground_reference_url": "https://example.org/rules#spam",
        "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    },
}


def open_case(mod: Rempart, *, flagged: bool, language: str, posted: date) -> int:
    ref = f"post-{next(_refs)}"
    mod.moderation.put_item(
        ItemIn(
            ref=ref,
            account={"ref": f"user-{ref}", "account_type": "ACCOUNT_TYPE_BUSINESS"},
            content_types=["CONTENT_TYPE_VIDEO", "CONTENT_TYPE_OTHER"],
            language=language,
            territories=["FR", "BE"],
            content_date=posted,
        )
    )
    with mod.db.session() as s:
        item = s.query(Item).filter_by(platform_ref=ref).one()
        case = Case(item_id=item.id, kind="general")
        s.add(case)
        s.flush()
        if flagged:
            s.add(
                AutomatedFlag(
                    case_id=case.id, item_id=item.id, detector_kind="classifier", detector="t"
                )
            )
        return case.id


@pytest.mark.parametrize("ground", sorted(GROUNDS))
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("automation", ["fully", "partially", "not"])
def test_every_kind_of_decision_gets_a_statement_the_tdb_accepts(
    mod: Rempart, kind: str, ground: str, automation: str
) -> None:
    body = DecisionIn.model_validate(
        {
            **KINDS[kind],
            **GROUNDS[ground],
            "decision_facts": ("Found by review; a@b.io " * 300)[:5000],
        }
    )
    case_id = open_case(mod, flagged=automation != "not", language="fr", posted=date(1998, 5, 1))
    if automation == "fully":  # a policy rule decides on its own
        with mod.db.session() as s:
            case = s.get(Case, case_id)
            assert case is not None
            decision_id = mod.decisions.record(s, case, body, by="rule:test/1", person=False).id
    else:
        decision_id = mod.decisions.decide_case(case_id, body, person("mia")).id
    [row] = mod.tdb.list(decision_id=decision_id)
    assert row.status == PENDING, row.field_errors  # queued for sending, not refused locally
    statement = stored_statement(mod, decision_id, ["legal"])
    assert upstream_errors(statement) == {}, statement
    expected = {"fully": "AUTOMATED_DECISION_FULLY", "partially": "AUTOMATED_DECISION_PARTIALLY"}
    assert statement["automated_decision"] == expected.get(
        automation, "AUTOMATED_DECISION_NOT_AUTOMATED"
    )
    assert statement["automated_detection"] == ("No" if automation == "not" else "Yes")
    assert statement["content_date"] == "2000-01-01"  # 1998: the earliest date the TDB takes
    assert statement["content_language"] == "FR"
    assert statement["territorial_scope"] == ["BE", "FR"]
    assert "a@b.io" not in str(statement)
    for field in DECISIONS:
        assert (field in statement) == (field in KINDS[kind])


def test_a_notice_decision_gets_a_statement_the_tdb_accepts(mod: Rempart) -> None:
    mod.moderation.put_item(
        ItemIn(ref="post-n", content_types=["CONTENT_TYPE_TEXT"], language="de")
    )
    mod.notices.submit(
        NoticeIn(
            explanation="Hate speech against a group.",
            items=[{"ref": "post-n"}],
            category="STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
            notifier_name="Ada Example",
            notifier_email="ada@example.org",
            bona_fide=True,
        )
    )
    job = mod.queues.claim_next("notices", reviewer="mia", roles=["moderator"])
    assert job is not None
    body = DecisionIn.model_validate(
        {**KINDS["visibility"], **GROUNDS["illegal"], "decision_facts": "Notice upheld."}
    )
    d = mod.decisions.decide_job(job.id, body, person("mia"), job.lease_token)
    statement = stored_statement(mod, d.id, ["legal"])
    assert upstream_errors(statement) == {}
    assert statement["source_type"] == "SOURCE_ARTICLE_16" and "source_identity" not in statement
    assert statement["content_language"] == "DE"
    assert "Ada Example" not in str(statement) and "ada@example.org" not in str(statement)
