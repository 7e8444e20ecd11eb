"""A stand-in for the EU Transparency Database API, run as a real HTTP server in tests.

It enforces the TDB's documented behaviour on its own, written from the Commission's Laravel
app (``GroupedSubmissionsService::multi_rules``, ``StatementMultipleAPIController``,
``PlatformUniqueIdService``, ``EuropeanCountriesService``, ``EuropeanLanguagesService`` and
``api-documentation.md``), and never imports Rempart's validator: the two are checked
against each other. What it emulates, Laravel-style:

- bearer tokens (401 ``Unauthenticated.``), ``Accept``/``Content-Type: application/json``;
- the ``TrimStrings`` and ``ConvertEmptyStringsToNull`` middleware;
- ``statements`` ``required|array|between:1,100``; per-statement rules with Laravel's
  semantics (implicit rules, ``nullable``, ``exclude_*``, ``in:null,...``, ``url`` as
  ``Str::isUrl``), errors keyed ``statement_<i>`` and nothing stored when any statement fails;
  and the two rules that ``api-documentation.md`` states beyond the validator:
  ``territorial_scope`` is required, an end date is on or after the application date;
- puids unique per platform (``existing_puids``), ``201`` with ``uuid``, ``created_at``,
  ``platform_name``, ``permalink``, ``self``, ``puid``;
- ``POST /api/v1/statement`` (one statement: a FormRequest 422 ``message``/``errors``, or
  ``existing: {puid}`` for a known puid), ``GET /api/v1/statement/existing-puid/{puid}``
  (302/404, the documented or the current answer), ``GET /api/ping``;
- injected failures: ``fail_next(500)``, ``fail_next(429, retry_after=3)``, a late answer
  (``delay_s``), a batch stored whose answer is lost (``store=True``).

Enumeration codes are read from the shipped data file (the TDB's own lists, as data); the
country and language codes are transcribed here from the Laravel services.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import socket
import threading
import time
import unicodedata
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

# --- codes (EuropeanCountriesService / EuropeanLanguagesService) ------------------------------

COUNTRIES = frozenset(
    " ".join(
        [
            "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE",
            "IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK",
        ]
    ).split()
)
LANGUAGES = frozenset(
    " ".join(
        [
            "AB AA AF AK SQ AM AR AN HY AS AV AE AY AZ BM BA EU BE BN BH",
            "BI BS BR BG MY CA KM CH CE NY ZH CU CV KW CO CR HR CS DA DV",
            "NL DZ EN EO ET EE FO FJ FI FR FF GD GL LG KA DE KI EL KL GN",
            "GU HT HA HE HZ HI HO HU IS IO IG ID IA IE IU IK GA IT JA JV",
            "KN KR KS KK RW KV KG KO KJ KU KY LO LA LV LB LI LN LT LU MK",
            "MG MS ML MT GV MI MR MH RO MN NA NV ND NG NE SE NO NB NN II",
            "OC OJ OR OM OS PI PA PS FA PL PT QU RM RN RU SM SG SA SC SR",
            "SN SD SI SK SL SO ST NR ES SU SW SS SV TL TY TG TA TT TE TH",
            "BO TI TO TS TN TR TK TW UG UK UR UZ VE VI VO WA CY FY WO XH",
            "YI YO ZA ZU",
        ]
    ).split()
)


def _codes(name: str) -> list[str]:
    raw = resources.files("rempart.data").joinpath("tdb_enums.json").read_text("utf-8")
    return [code for code, _ in json.loads(raw)[name]]


# --- a small Laravel validator ----------------------------------------------------------------

Data = dict[str, Any]
IMPLICIT = {"required", "required_if", "required_without_all", "required_when"}
MESSAGES = {  # GroupedSubmissionsService::multi_messages
    "decision_visibility_other.required_if": "The decision visibility other field is required "
    "when decision visibility is other.",
    "decision_monetary_other.required_if": "The decision monetary other field is required when "
    "decision monetary is other.",
    "content_type_other.required_if": "The content type other field is required when content "
    "is other.",
    "illegal_content_legal_ground.required_if": "The illegal content legal ground field is "
    "required when decision ground is illegal content.",
    "illegal_content_explanation.required_if": "The illegal content explanation field is "
    "required when decision ground is illegal content.",
    "incompatible_content_ground.required_if": "The incompatible content ground field is "
    "required when decision ground is incompatible content.",
    "incompatible_content_explanation.required_if": "The incompatible content explanation field "
    "is required when decision ground is incompatible content.",
    "content_date.date_format": "The content date does not match the format YYYY-MM-DD.",
    "application_date.date_format": "The application date does not match the format YYYY-MM-DD.",
    "end_date_account_restriction.date_format": "The end date of account restriction does not "
    "match the format YYYY-MM-DD.",
    "end_date_monetary_restriction.date_format": "The end date of monetary restriction does not "
    "match the format YYYY-MM-DD.",
    "end_date_service_restriction.date_format": "The end date of service restriction does not "
    "match the format YYYY-MM-DD.",
    "end_date_visibility_restriction.date_format": "The end date of visibility restriction does "
    "not match the format YYYY-MM-DD.",
}


@dataclass(frozen=True)
class R:
    """One Laravel rule: a name and its parameters (``R("max", 500)``)."""

    name: str
    args: tuple[Any, ...] = ()


def r(name: str, *args: Any) -> R:
    return R(name, args)


def _in(enum: str, nullable: bool = False) -> R:
    values = _codes(enum)
    return R("in", tuple((["null"] if nullable else []) + values))


def _lists(field_name: str, code: str) -> Callable[[Data], bool]:
    return lambda d: isinstance(d.get(field_name), list) and code in d[field_name]


VIS_OTHER = _lists("decision_visibility", "DECISION_VISIBILITY_OTHER")
TYPE_OTHER = _lists("content_type", "CONTENT_TYPE_OTHER")
ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
END_DATE = [
    r("date_format", "Y-m-d"),
    r("nullable"),
    r("before_or_equal", "2038-01-01"),
    r("after_or_equal_field", "application_date"),  # api-documentation: ">= application date"
]

# GroupedSubmissionsService::multi_rules, attribute by attribute
RULES: dict[str, list[R]] = {
    "decision_visibility": [
        r("array"),
        _in("DECISION_VISIBILITIES", True),
        r("required_without_all", "decision_monetary", "decision_provision", "decision_account"),
        r("nullable"),
    ],
    "decision_visibility_other": [
        r("max", 500),
        r("required_when", VIS_OTHER),
        r("exclude_when", lambda d: not VIS_OTHER(d)),
    ],
    "decision_monetary": [
        _in("DECISION_MONETARIES", True),
        r("required_without_all", "decision_visibility", "decision_provision", "decision_account"),
        r("nullable"),
    ],
    "decision_monetary_other": [
        r("required_if", "decision_monetary", "DECISION_MONETARY_OTHER"),
        r("exclude_unless", "decision_monetary", "DECISION_MONETARY_OTHER"),
        r("max", 500),
    ],
    "decision_provision": [
        _in("DECISION_PROVISIONS", True),
        r("required_without_all", "decision_visibility", "decision_monetary", "decision_account"),
        r("nullable"),
    ],
    "decision_account": [
        _in("DECISION_ACCOUNTS", True),
        r("required_without_all", "decision_visibility", "decision_monetary", "decision_provision"),
        r("nullable"),
    ],
    "account_type": [_in("ACCOUNT_TYPES", True), r("nullable")],
    "category_specification": [r("array"), _in("KEYWORDS", True), r("nullable")],
    "category_specification_other": [r("max", 500)],
    "decision_ground": [r("required"), _in("DECISION_GROUNDS")],
    "decision_ground_reference_url": [r("url"), r("nullable"), r("max", 500)],
    "illegal_content_legal_ground": [
        r("required_if", "decision_ground", ILLEGAL),
        r("exclude_unless", "decision_ground", ILLEGAL),
        r("max", 500),
    ],
    "illegal_content_explanation": [
        r("required_if", "decision_ground", ILLEGAL),
        r("exclude_unless", "decision_ground", ILLEGAL),
        r("max", 2000),
    ],
    "incompatible_content_ground": [
        r("required_if", "decision_ground", INCOMPATIBLE),
        r("exclude_unless", "decision_ground", INCOMPATIBLE),
        r("max", 500),
    ],
    "incompatible_content_explanation": [
        r("required_if", "decision_ground", INCOMPATIBLE),
        r("exclude_unless", "decision_ground", INCOMPATIBLE),
        r("max", 2000),
    ],
    "incompatible_content_illegal": [
        _in("INCOMPATIBLE_CONTENT_ILLEGALS"),
        r("exclude_unless", "decision_ground", INCOMPATIBLE),
    ],
    "content_type": [r("array"), r("required"), _in("CONTENT_TYPES")],
    "content_type_other": [
        r("max", 500),
        r("required_when", TYPE_OTHER),
        r("exclude_when", lambda d: not TYPE_OTHER(d)),
    ],
    "category": [r("required"), _in("STATEMENT_CATEGORIES")],
    "category_addition": [r("array"), _in("STATEMENT_CATEGORIES")],
    # multi_rules: 'array', 'nullable', in:EUROPEAN_COUNTRY_CODES; api-documentation.md
    # "Territorial Scope (territorial_scope): This is a required attribute" -> required here
    "territorial_scope": [
        r("required"),
        r("array"),
        r("nullable"),
        R("in", tuple(sorted(COUNTRIES))),
    ],
    "content_language": [R("in", tuple(sorted(LANGUAGES))), r("nullable")],
    "content_date": [
        r("required"),
        r("date_format", "Y-m-d"),
        r("after_or_equal", "2000-01-01"),
        r("before_or_equal", "2038-01-01"),
    ],
    "application_date": [
        r("required"),
        r("date_format", "Y-m-d"),
        r("after_or_equal", "2020-01-01"),
        r("before_or_equal", "2038-01-01"),
    ],
    "end_date_account_restriction": END_DATE,
    "end_date_monetary_restriction": END_DATE,
    "end_date_service_restriction": END_DATE,
    "end_date_visibility_restriction": END_DATE,
    "decision_facts": [r("required"), r("max", 5000)],
    "source_type": [r("required"), _in("SOURCE_TYPES")],
    "source_identity": [r("max", 500), r("nullable")],
    "automated_detection": [r("required"), _in("AUTOMATED_DETECTIONS")],
    "automated_decision": [r("required"), _in("AUTOMATED_DECISIONS")],
    "puid": [r("required"), r("max", 500), r("regex", r"^[a-zA-Z0-9-_]+$")],
    "content_id": [r("ean13_object"), r("nullable")],  # requirements.md §2.3: only "EAN-13"
}
URL_PROTOCOLS = " ".join(  # part of Str::isUrl's list (the common ones)
    [
        "aaa aaas about acap acct cap cid coap crid data dav dict dns ed2k example facetime fax",
        "feed file ftp ftps geo git gopher h323 http https iax icap im imap info ipp ipps irc irc6",
        "ircs iris jabber ldap ldaps magnet mailto maps market message mid mms mqtt msrp msrps",
        "mtqp mumble mupdate mvn news nfs ni nih nntp notes opaquelocktoken pop pres proxy redis",
        "rediss rmi rsync rtmp rtsp rtsps rtspu s3 secondlife service session sftp sgn shttp",
        "sieve sip sips skype smb sms smtp snews snmp soldat spotify ssh steam stun stuns svn tag",
        "teamspeak tel telnet tftp things tip tn3270 turn turns tv udp unreal urn ut2004 vemmi",
        "ventrilo videotex vnc view-source wais webcal ws wss xmpp xri ymsgr",
    ]
).split()
# Str::isUrl (Laravel, derived from Symfony's UrlValidator), flags ~ixu. Python's re has no
# \pL etc.: each non-ASCII character is first replaced by a stand-in for its Unicode class.
_L, _S, _M = "\ue000", "\ue001", "\ue002"  # \pL or \pN, \pS, \pM
URL_RE = re.compile(
    r"(?:" + "|".join(re.escape(p) for p in URL_PROTOCOLS) + r")://"
    rf"(?:(?:(?:[_.A-Za-z0-9{_L}-]|%[0-9A-Fa-f]{{2}})+:)?(?:(?:[_.A-Za-z0-9{_L}-]|%[0-9A-Fa-f]{{2}})+)@)?"
    r"(?:"
    rf"(?:(?:(?:[A-Za-z0-9{_L}{_S}{_M}\-_]++\.)+(?:xn--[a-z0-9-]++|[A-Za-z0-9{_L}{_M}]++))"
    r"|[a-z0-9\-_]++)\.?"
    r"|[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"
    r"|\[(?P<ipv6>[0-9a-f:.]+)\]"
    r")"
    r"(?::[0-9]+)?"
    rf"(?:/(?:[A-Za-z0-9{_L}\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{{2}})*)*"
    rf"(?:\?(?:[A-Za-z0-9{_L}\-._~!$&'\[\]()*+,;=:@/?]|%[0-9A-Fa-f]{{2}})*)?"
    rf"(?:\#(?:[A-Za-z0-9{_L}\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{{2}})*)?"
    r"\n?\Z",  # PCRE "$" without /D also matches before a final newline
    re.IGNORECASE,
)


def is_url(text: str) -> bool:
    """``Str::isUrl``: the pattern above, on the text with its Unicode classes stood in for."""
    form = []
    for c in text:
        kind = "" if c.isascii() else unicodedata.category(c)[0]
        form.append({"L": _L, "N": _L, "S": _S, "M": _M}.get(kind, c if c.isascii() else "\x00"))
    match = URL_RE.match("".join(form))
    if match is None:
        return False
    if match.group("ipv6") is not None:
        try:
            ipaddress.IPv6Address(match.group("ipv6"))
        except ValueError:
            return False
    return True


def label(attribute: str) -> str:
    return attribute.replace("_", " ")


def php_string(value: Any) -> str | None:
    """PHP's ``(string)`` cast for scalars; None for arrays."""
    if isinstance(value, bool):
        return "1" if value else ""
    if value is None:
        return ""
    if isinstance(value, int | float | str):
        return str(value)
    return None


def filled(value: Any) -> bool:
    """``validateRequired``."""
    if value is None:
        return False
    if isinstance(value, str) and value.strip() == "":
        return False
    return not (isinstance(value, list | dict) and len(value) == 0)


def parse_ymd(value: Any) -> date | None:
    """PHP ``DateTime::createFromFormat('!Y-m-d')`` that formats back to the same text."""
    text = php_string(value)
    if not text or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def size(value: Any) -> int:
    if isinstance(value, list | dict):
        return len(value)
    text = php_string(value)
    return len(text) if text is not None else 0


class Validation:
    """Runs ``RULES`` over one statement as Laravel's Validator does.

    ``retired`` codes are refused by every ``in`` rule: a schema change at the TDB (as on
    1 July 2025) that a platform has not caught up with yet.
    """

    def __init__(self, data: Data, retired: set[str] | frozenset[str] = frozenset()) -> None:
        self.data = data
        self.retired = retired
        self.errors: dict[str, list[str]] = {}
        self.validated: Data = {}

    def fail(self, attribute: str, rule: str, default: str) -> None:
        message = MESSAGES.get(f"{attribute}.{rule}", default)
        self.errors.setdefault(attribute, []).append(message)

    def excluded(self, rules: list[R]) -> bool:
        for rule in rules:
            if rule.name == "exclude_unless":
                other, wanted = rule.args
                if php_string(self.data.get(other)) != wanted:
                    return True
            if rule.name == "exclude_when" and rule.args[0](self.data):
                return True
        return False

    def run(self) -> None:
        for attribute, rules in RULES.items():
            if self.excluded(rules):
                continue
            present = attribute in self.data
            value = self.data.get(attribute)
            nullable = any(x.name == "nullable" for x in rules)
            names = {x.name for x in rules}
            for rule in rules:
                if rule.name in {"nullable", "exclude_unless", "exclude_when"}:
                    continue
                implicit = rule.name in IMPLICIT
                if isinstance(value, str) and value.strip() == "" and not implicit:
                    continue
                if not implicit and (not present or (nullable and value is None)):
                    continue
                self.check(attribute, value, rule, names)
            if present:
                self.validated[attribute] = value

    def check(self, attribute: str, value: Any, rule: R, names: set[str]) -> None:
        name, args, lab = rule.name, rule.args, label(attribute)
        needed = name == "required" or (name == "required_when" and args[0](self.data))
        if needed and not filled(value):
            self.fail(attribute, "required", f"The {lab} field is required.")
        elif name == "required_if":
            other, wanted = args
            if php_string(self.data.get(other)) == wanted and not filled(value):
                self.fail(
                    attribute,
                    "required_if",
                    f"The {lab} field is required when {label(other)} is {wanted}.",
                )
        elif name == "required_without_all":
            if not any(filled(self.data.get(o)) for o in args) and not filled(value):
                others = " / ".join(label(o) for o in args)
                self.fail(
                    attribute,
                    "required_without_all",
                    f"The {lab} field is required when none of {others} are present.",
                )
        elif name == "array" and not isinstance(value, list | dict):
            self.fail(attribute, "array", f"The {lab} field must be an array.")
        elif name == "in" and not self.passes_in(value, args, "array" in names, self.retired):
            self.fail(attribute, "in", f"The selected {lab} is invalid.")
        elif name == "max" and size(value) > args[0]:
            kind = "items" if isinstance(value, list | dict) else "characters"
            verb = "have more than" if kind == "items" else "be greater than"
            self.fail(attribute, "max", f"The {lab} field must not {verb} {args[0]} {kind}.")
        elif name == "url":
            text = php_string(value)
            if text is None or not is_url(text):
                self.fail(attribute, "url", f"The {lab} field must be a valid URL.")
        elif name == "date_format" and parse_ymd(value) is None:
            self.fail(attribute, "date_format", f"The {lab} field must match the format Y-m-d.")
        elif name in {"after_or_equal", "before_or_equal", "after_or_equal_field"}:
            self.compare(attribute, value, name, args[0])
        elif name == "regex":
            text = value if isinstance(value, str) else php_string(value)
            # /D: "$" does not match before a final newline
            bad = text is None or isinstance(value, bool) or text.endswith("\n")
            if bad or not re.search(args[0], text or ""):
                self.fail(attribute, "regex", f"The {lab} field format is invalid.")
        elif name == "ean13_object":  # 'content_id' => array:EAN-13, 'content_id.EAN-13' => regex
            if not isinstance(value, dict) or set(value) != {"EAN-13"}:
                self.fail(attribute, "array", f"The {lab} field must be an array.")
            elif not isinstance(value["EAN-13"], str | int) or not re.fullmatch(
                r"[0-9]{13}", str(value["EAN-13"])
            ):
                self.fail(
                    "content_id.EAN-13", "regex", "The content id.EAN-13 field format is invalid."
                )

    def compare(self, attribute: str, value: Any, name: str, bound: str) -> None:
        mine = parse_ymd(value)
        other = parse_ymd(self.data.get(bound)) if name == "after_or_equal_field" else None
        limit = other if name == "after_or_equal_field" else date.fromisoformat(bound)
        shown = label(bound) if name == "after_or_equal_field" else bound
        lab = label(attribute)
        if name == "before_or_equal":
            if mine is None or mine > limit:  # type: ignore[operator]
                self.fail(
                    attribute, name, f"The {lab} field must be a date before or equal to {shown}."
                )
        elif mine is None or limit is None or mine < limit:
            self.fail(
                attribute,
                "after_or_equal",
                f"The {lab} field must be a date after or equal to {shown}.",
            )

    @staticmethod
    def passes_in(
        value: Any, allowed: tuple[Any, ...], is_array: bool, retired: set[str] | frozenset[str]
    ) -> bool:
        def ok(v: Any) -> bool:
            text = php_string(v)
            return text in allowed and text not in retired

        if isinstance(value, list | dict):
            if not is_array:
                return False
            items = list(value.values()) if isinstance(value, dict) else value
            if any(isinstance(v, list | dict) for v in items):
                return False
            return all(ok(v) for v in items)
        return ok(value)


TRIM_RE = re.compile(r"^[\s\ufeff\u200b\u200e]+|[\s\ufeff\u200b\u200e]+$")  # TrimStrings


def middleware(value: Any) -> Any:
    """Laravel's TrimStrings then ConvertEmptyStringsToNull, applied to the whole input."""
    if isinstance(value, str):
        trimmed = TRIM_RE.sub("", value)
        return None if trimmed == "" else trimmed
    if isinstance(value, list):
        return [middleware(v) for v in value]
    if isinstance(value, dict):
        return {k: middleware(v) for k, v in value.items()}
    return value


# --- the server -------------------------------------------------------------------------------


@dataclass
class Failure:
    """An injected answer to one statements call.

    ``status`` is answered after ``delay_s``; with ``store`` the call is first carried out
    (as when the TDB stores a batch but the answer never reaches the client in time).
    """

    status: int
    retry_after: str | None = None
    message: str = "Server Error"
    delay_s: float = 0.0
    store: bool = False


@dataclass
class Call:
    """One request the stand-in received."""

    method: str
    path: str
    size: int | None
    status: int
    headers: dict[str, str]


@dataclass
class TdbStandIn:
    """State of the stand-in TDB: platforms by token, stored statements, injected failures."""

    tokens: dict[str, str] = field(default_factory=lambda: {"sandbox-token": "Rempart test"})
    statements: dict[str, Data] = field(default_factory=dict)  # uuid -> stored statement
    puids: dict[str, dict[str, str]] = field(default_factory=dict)  # platform -> puid -> uuid
    failures: deque[Failure] = field(default_factory=deque)
    calls: list[Call] = field(default_factory=list)
    retired: set[str] = field(default_factory=set)  # codes the TDB stopped accepting
    latency_s: float = 0.0  # every statements call takes at least this long
    # the 302 answer of existing-puid: "documented" (api-documentation.md: the stored statement)
    # or "current" (StatementAPIController::existingPuid today: only a message and the puid)
    existing_answer: str = "documented"
    base_url: str = "http://tdb.invalid"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        """Forget everything stored, injected and logged (between tests)."""
        with self.lock:
            self.statements.clear()
            self.puids.clear()
            self.failures.clear()
            self.calls.clear()
            self.retired.clear()
            self.latency_s = 0.0
            self.existing_answer = "documented"

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: str | int | None = None,
        delay_s: float = 0.0,
        store: bool = False,
    ) -> None:
        """Answer the next ``times`` statement calls with ``status`` (after ``delay_s``)."""
        message = (
            "Limit Reached. Please do not overload the API" if status == 429 else "Server Error"
        )
        ra = None if retry_after is None else str(retry_after)
        for _ in range(times):
            self.failures.append(Failure(status, ra, message, delay_s, store))

    def stored(self, platform: str = "Rempart test") -> dict[str, str]:
        """puid -> uuid of what one platform has stored."""
        return dict(self.puids.get(platform, {}))

    def batch_sizes(self) -> list[int]:
        """Sizes of every statements call, in order (including refused ones)."""
        return [c.size for c in self.calls if c.path == "/api/v1/statements" and c.size is not None]


def summary_message(errors: dict[str, list[str]]) -> str:
    """Laravel's ValidationException message: the first error and how many more there are."""
    messages = [m for ms in errors.values() for m in ms]
    more = len(messages) - 1
    if more <= 0:
        return messages[0]
    return f"{messages[0]} (and {more} more error{'s' if more > 1 else ''})"


def _unauthenticated(request: Request) -> Response:
    if "json" not in request.headers.get("accept", ""):
        return Response(status_code=302, headers={"Location": "/login"})
    return JSONResponse({"message": "Unauthenticated."}, status_code=401)


def create_app(state: TdbStandIn) -> FastAPI:
    """The stand-in's routes over ``state``."""
    app = FastAPI()

    def platform_of(request: Request) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return state.tokens.get(token) if scheme.lower() == "bearer" else None

    def log(request: Request, status: int, size: int | None = None) -> None:
        state.calls.append(
            Call(request.method, request.url.path, size, status, dict(request.headers))
        )

    async def payload(request: Request) -> Any:
        if "json" not in request.headers.get("content-type", ""):
            return {}
        try:
            return middleware(json.loads(await request.body() or b"{}"))
        except ValueError:
            return {}

    def next_failure() -> Failure | None:
        with state.lock:
            return state.failures.popleft() if state.failures else None

    async def injected(request: Request, failure: Failure, size: int | None) -> Response:
        await asyncio.sleep(failure.delay_s)
        log(request, failure.status, size)
        headers = {"Retry-After": failure.retry_after} if failure.retry_after else None
        return JSONResponse({"message": failure.message}, failure.status, headers=headers)

    @app.get("/api/ping")
    def ping(request: Request) -> Response:
        if platform_of(request) is None:
            log(request, 401)
            return _unauthenticated(request)
        log(request, 200)
        return JSONResponse({"you_say": "ping", "i_say": "pong"})

    @app.get("/api/v1/statement/existing-puid/{puid}")
    def existing(request: Request, puid: str) -> Response:
        platform = platform_of(request)
        if platform is None:
            log(request, 401)
            return _unauthenticated(request)
        found = state.puids.get(platform, {}).get(puid)
        if found is None:
            log(request, 404)
            return JSONResponse({"message": "statement of reason not found", "puid": puid}, 404)
        log(request, 302)
        if state.existing_answer == "current":
            return JSONResponse({"message": "statement of reason found", "puid": puid}, 302)
        return JSONResponse(state.statements[found], 302)

    @app.get("/api/v1/statement/{uid}")
    def show(request: Request, uid: str) -> Response:
        if platform_of(request) is None:
            log(request, 401)
            return _unauthenticated(request)
        if uid not in state.statements:
            log(request, 404)
            return JSONResponse({"message": "Not Found"}, 404)
        log(request, 200)
        return JSONResponse(state.statements[uid])

    def record_of(statement: Data, platform: str) -> Data:
        """Store one validated statement (the caller holds the lock)."""
        uid = str(uuid.uuid4())
        record = stored_form(statement)
        record.update(
            uuid=uid,
            created_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            platform_name=platform,
            permalink=f"{state.base_url}/statement/{uid}",
            self=f"{state.base_url}/api/v1/statement/{uid}",
            puid=statement["puid"],
        )
        state.statements[uid] = record
        state.puids.setdefault(platform, {})[statement["puid"]] = uid
        return record

    @app.post("/api/v1/statement")
    async def store_one(request: Request) -> Response:
        """StatementAPIController::store: one statement, a FormRequest's 422, a known puid's
        PuidNotUniqueSingleException."""
        platform = platform_of(request)
        body = await payload(request)
        if platform is None:
            log(request, 401, 1)
            return _unauthenticated(request)
        await asyncio.sleep(state.latency_s)
        failure = next_failure()
        if failure is not None and not failure.store:
            return await injected(request, failure, 1)
        check = Validation(body if isinstance(body, dict) else {}, state.retired)
        check.run()
        if check.errors:
            log(request, 422, 1)
            return JSONResponse(
                {"message": summary_message(check.errors), "errors": check.errors}, 422
            )
        with state.lock:
            puid = str(check.validated["puid"])
            if puid in state.puids.get(platform, {}):
                message = "The identifier given is not unique within this platform."
                log(request, 422, 1)
                return JSONResponse(
                    {"message": message, "errors": {"puid": [message]}, "existing": {"puid": puid}},
                    422,
                )
            record = record_of(check.validated, platform)
        if failure is not None:
            return await injected(request, failure, 1)
        log(request, 201, 1)
        return JSONResponse(record, 201)

    @app.post("/api/v1/statements")
    async def store(request: Request) -> Response:
        platform = platform_of(request)
        body = await payload(request)
        statements = body.get("statements") if isinstance(body, dict) else None
        size = len(statements) if isinstance(statements, list) else None
        if platform is None:
            log(request, 401, size)
            return _unauthenticated(request)
        await asyncio.sleep(state.latency_s)
        failure = next_failure()
        if failure is not None and not failure.store:
            return await injected(request, failure, size)
        problem = None
        if not filled(statements):
            problem = "The statements field is required."
        elif not isinstance(statements, list | dict):
            problem = "The statements field must be an array."
        elif not 1 <= len(statements) <= 100:
            problem = "The statements field must have between 1 and 100 items."
        if problem:
            log(request, 422, size)
            return JSONResponse({"message": problem, "errors": {"statements": [problem]}}, 422)
        items = list(statements.values()) if isinstance(statements, dict) else list(statements)
        errors: dict[str, Any] = {}
        validated: list[Data] = []
        for i, statement in enumerate(items):
            check = Validation(statement if isinstance(statement, dict) else {}, state.retired)
            check.run()
            if check.errors:
                errors[f"statement_{i}"] = check.errors
            validated.append(check.validated)
        if errors:
            log(request, 422, size)
            return JSONResponse({"errors": errors}, 422)
        with state.lock:
            known = state.puids.setdefault(platform, {})
            puids = [str(s["puid"]) for s in validated]
            duplicates = sorted({p for p in puids if puids.count(p) > 1})
            if not duplicates:
                duplicates = [p for p in puids if p in known]
            if duplicates:
                message = "The platform identifier(s) are not all unique within this call."
                log(request, 422, size)
                return JSONResponse(
                    {
                        "message": message,
                        "errors": {"puid": [message], "existing_puids": duplicates},
                    },
                    422,
                )
            out = [record_of(statement, platform) for statement in validated]
        if failure is not None:  # stored, but the answer is lost or late
            return await injected(request, failure, size)
        log(request, 201, size)
        return JSONResponse({"statements": out}, 201)

    return app


OPTIONAL = [
    "decision_visibility_other",
    "decision_monetary",
    "decision_monetary_other",
    "decision_provision",
    "decision_account",
    "account_type",
    "decision_ground_reference_url",
    "content_type_other",
    "category_specification_other",
    "incompatible_content_ground",
    "incompatible_content_explanation",
    "incompatible_content_illegal",
    "content_language",
    "end_date_account_restriction",
    "end_date_monetary_restriction",
    "end_date_service_restriction",
    "end_date_visibility_restriction",
    "source_type",
    "source_identity",
    "content_date",
    "illegal_content_explanation",
    "illegal_content_legal_ground",
]
ARRAYS = [
    "decision_visibility",
    "category_addition",
    "category_specification",
    "content_type",
    "territorial_scope",
]


def stored_form(statement: Data) -> Data:
    """The statement as the TDB answers it: arrays and optional attributes filled with defaults,
    ``*_other`` values without their OTHER option (and ``source_identity`` on own-initiative
    decisions) nulled, as ``sanitizePayloadStatement`` does."""
    out = dict(statement)
    for name in ARRAYS:
        out.setdefault(name, [])
    for name in OPTIONAL:
        out.setdefault(name, None)
    if "KEYWORD_OTHER" not in (out.get("category_specification") or []):
        out["category_specification_other"] = None
    if out.get("source_type") == "SOURCE_VOLUNTARY":
        out["source_identity"] = None
    return out


@contextmanager
def serve(state: TdbStandIn | None = None) -> Iterator[TdbStandIn]:
    """Run the stand-in on a free localhost port in a thread; ``state.base_url`` is its URL."""
    state = state or TdbStandIn()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    state.base_url = f"http://127.0.0.1:{port}"
    config = uvicorn.Config(create_app(state), log_level="critical", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the TDB stand-in did not start")
        time.sleep(0.01)
    try:
        yield state
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def doc_example() -> Data:
    """The example statement of the TDB's API documentation (schema of 1 July 2025)."""
    return {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DISABLED"],
        "decision_monetary": "DECISION_MONETARY_TERMINATION",
        "end_date_monetary_restriction": "2023-08-08",
        "decision_provision": "DECISION_PROVISION_TOTAL_SUSPENSION",
        "decision_account": "DECISION_ACCOUNT_SUSPENDED",
        "account_type": "ACCOUNT_TYPE_BUSINESS",
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "decision_ground_reference_url": "https://www.anurl.com",
        "content_type": [
            "CONTENT_TYPE_VIDEO",
            "CONTENT_TYPE_AUDIO",
            "CONTENT_TYPE_SYNTHETIC_MEDIA",
        ],
        "category": "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN",
        "incompatible_content_ground": "incompatible content grounds",
        "incompatible_content_explanation": "incompatible content explanation",
        "incompatible_content_illegal": "Yes",
        "territorial_scope": ["PT", "ES", "DE"],
        "content_language": "EN",
        "content_date": "2023-08-08",
        "content_id": {"EAN-13": "0123456789123"},
        "application_date": "2023-08-08",
        "decision_facts": "facts about the decision",
        "source_type": "SOURCE_TRUSTED_FLAGGER",
        "automated_detection": "No",
        "automated_decision": "AUTOMATED_DECISION_PARTIALLY",
        "puid": "TK421",
    }
