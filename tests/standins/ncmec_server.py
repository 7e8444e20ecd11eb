"""A stand-in for NCMEC's CyberTipline Reporting API (ISP Web Services), a real HTTP server.

Written on its own (it never imports Rempart's builder): the XSD is transcribed here type by
type (``TYPES``), so builder and stand-in are checked against each other. What it enforces:

- HTTP Basic auth (401 + ``responseCode 2000``);
- ``/submit``: a ``<report>`` valid against the XSD at every depth: children in sequence
  order, only repeatable ones repeated, required ones present, attributes the type declares
  and nothing else, values of each simple type (booleans, ``xs:dateTime``, integers,
  enumerations): ``4100`` otherwise, ``4110`` for malformed XML; issues a ``reportId``;
- ``/upload`` (multipart ``id`` + ``file``): ``fileId`` and the MD5 ``hash``; 5001 unknown report;
- ``/fileinfo``: ``<fileDetails>`` valid against the XSD, for a file of that report
  (``5002`` otherwise);
- ``/finish`` (``5102`` twice), ``/retract`` (``5101`` on a retracted report, also for every
  later action), ``/status``;
- counts every call per path, and injects failures: ``fail_next(path, code)`` answers with an
  NCMEC code (``1000`` …) or an HTTP status (``503``) the next time ``path`` is called.
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import re
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response

USER, PASSWORD = "esp-user", "esp-pass"

# --- The XSD (https://report.cybertip.org/ispws/xsd), transcribed type by type -------------
# Written from the published schema as the Reporting API documentation and a client generated
# from that XSD lay it out (element order = xs:sequence order; attributes; simple types), never
# from Rempart's builder. Notation of a sequence: "name:Type" once at most, "name:Type*"
# repeatable, "name:Type!" required; Type is a complex type below or a simple type.
SIMPLE = {"string", "boolean", "dateTime", "date", "int", "long", "double"}
ENUMS: dict[str, frozenset[str]] = {
    "IncidentType": frozenset(
        {
            "Child Pornography (possession, manufacture, and distribution)",
            "Child Sex Trafficking",
            "Child Sex Tourism",
            "Child Sexual Molestation",
            "Misleading Domain Name",
            "Misleading Words or Digital Images on the Internet",
            "Online Enticement of Children for Sexual Acts",
            "Unsolicited Obscene Material Sent to a Child",
        }
    ),
    "EventName": frozenset({"Login", "Registration", "Purchase", "Upload", "Other", "Unknown"}),
    "EmailType": frozenset({"Home", "Work", "Business", "Recovery"}),
    "PhoneType": frozenset({"Mobile", "Home", "Business", "Work", "Fax", "Internet", "Recovery"}),
    "AddressType": frozenset({"Home", "Business", "Billing", "Shipping", "Technical"}),
    "AssociatedAccountType": frozenset(
        {"Billing", "Linked", "Business", "Creator", "Parent/Guardian", "Other"}
    ),
    "FileRelevance": frozenset({"Reported", "Supplemental Reported"}),
    "Industry": frozenset({"A1", "A2", "B1", "B2"}),
    "MetadataType": frozenset({"EXIF", "HASH"}),
    "BatchedReason": frozenset({"VIRAL_POTENTIAL_MEME"}),
}


@dataclass(frozen=True)
class Complex:
    """A complex type: its xs:sequence (or xs:choice), attributes and simple content."""

    seq: str = ""
    attrs: tuple[tuple[str, str], ...] = ()
    text: str | None = None  # simpleContent base type; None: element-only (or empty)
    choice: bool = False

    def children(self) -> list[tuple[str, str, bool, bool]]:
        """(name, type, repeatable, required) in sequence order."""
        out = []
        for item in self.seq.split():
            name, _, kind = item.partition(":")
            out.append((name, kind.rstrip("*!"), "*" in kind, "!" in kind))
        return out


_PERSON = "firstName:string lastName:string phone:Phone* email:Email* address:Address*"
_DISABLED = (("disabledDate", "dateTime"), ("userNotified", "boolean"),
             ("userNotifiedDate", "dateTime"))  # fmt: skip
TYPES: dict[str, Complex] = {
    "Report": Complex(
        "batchedReport:BatchedReport incidentSummary:IncidentSummary! "
        "internetDetails:InternetDetails* lawEnforcement:LawEnforcement reporter:Reporter! "
        "personOrUserReported:PersonOrUserReported intendedRecipient:IntendedRecipient* "
        "victim:Victim* additionalInfo:string"
    ),
    "BatchedReport": Complex(attrs=(("reason", "BatchedReason"),)),
    "IncidentSummary": Complex(
        "incidentType:IncidentType! platform:string escalateToHighPriority:string "
        "reportAnnotations:ReportAnnotations incidentDateTime:dateTime! "
        "incidentDateTimeDescription:string"
    ),
    "ReportAnnotations": Complex(
        "sextortion:Empty csamSolicitation:Empty minorToMinorInteraction:Empty spam:Empty "
        "sadisticOnlineExploitation:Empty"
    ),
    "Empty": Complex(),
    "InternetDetails": Complex(
        "webPageIncident:WebPageIncident emailIncident:EmailIncident "
        "newsgroupIncident:NewsgroupIncident chatImIncident:ChatImIncident "
        "onlineGamingIncident:OnlineGamingIncident cellPhoneIncident:CellPhoneIncident "
        "nonInternetIncident:NonInternetIncident peer2peerIncident:Peer2peerIncident",
        choice=True,
    ),
    "WebPageIncident": Complex("url:string* additionalInfo:string thirdPartyHostedContent:boolean"),
    "EmailIncident": Complex("emailAddress:Email* content:string additionalInfo:string"),
    "NewsgroupIncident": Complex(
        "name:string emailAddress:Email* content:string additionalInfo:string"
    ),
    "ChatImIncident": Complex(
        "chatClient:string chatRoomName:string content:string additionalInfo:string"
    ),
    "OnlineGamingIncident": Complex(
        "gameName:string console:string content:string additionalInfo:string"
    ),
    "CellPhoneIncident": Complex(
        "phoneNumber:Phone latitude:double longitude:double additionalInfo:string"
    ),
    "NonInternetIncident": Complex(
        "locationName:string incidentAddress:Address* additionalInfo:string"
    ),
    "Peer2peerIncident": Complex(
        "client:string ipCaptureEvent:IpCaptureEvent* fileNames:string additionalInfo:string"
    ),
    "LawEnforcement": Complex(
        "agencyName:string! caseNumber:string officerContact:ContactPerson reportedToLe:boolean "
        "servedLegalProcessDomestic:boolean servedLegalProcessInternational:ServedInternational"
    ),
    "ServedInternational": Complex(attrs=(("fleaCountry", "Country"),), text="boolean"),
    "Reporter": Complex(
        "reportingPerson:ReportingPerson! contactPerson:ContactPerson companyTemplate:string "
        "termsOfService:string legalURL:string"
    ),
    "Person": Complex(_PERSON + " age:int dateOfBirth:date"),
    "ReportingPerson": Complex(
        "firstName:string lastName:string phone:Phone* email:Email*! address:Address* age:int "
        "dateOfBirth:date"
    ),
    "ContactPerson": Complex(_PERSON),
    "Address": Complex(
        "address:string city:string zipCode:string state:State nonUsaState:string country:Country",
        attrs=(("type", "AddressType"),),
    ),
    "Email": Complex(
        attrs=(("type", "EmailType"), ("verified", "boolean"), ("verificationDate", "dateTime")),
        text="string",
    ),
    "Phone": Complex(
        attrs=(
            ("type", "PhoneType"),
            ("verified", "boolean"),
            ("verificationDate", "dateTime"),
            ("countryCallingCode", "string"),
            ("extension", "string"),
        ),
        text="string",
    ),
    "PersonOrUserReported": Complex(
        "personOrUserReportedPerson:Person vehicleDescription:string espIdentifier:string "
        "espService:string compromisedAccount:boolean screenName:string displayName:string* "
        "profileUrl:string* profileBio:string ipCaptureEvent:IpCaptureEvent* "
        "deviceId:DeviceId* thirdPartyUserReported:boolean priorCTReports:long* "
        "groupIdentifier:string accountTemporarilyDisabled:TemporarilyDisabled "
        "accountPermanentlyDisabled:PermanentlyDisabled estimatedLocation:EstimatedLocation "
        "allEmailsReported:boolean associatedAccount:AssociatedAccount* additionalInfo:string"
    ),
    "IntendedRecipient": Complex(
        "intendedRecipientPerson:Person espIdentifier:string espService:string "
        "compromisedAccount:boolean screenName:string displayName:string* profileUrl:string* "
        "profileBio:string ipCaptureEvent:IpCaptureEvent* deviceId:DeviceId* "
        "priorCTReports:long* groupIdentifier:string "
        "accountTemporarilyDisabled:TemporarilyDisabled "
        "accountPermanentlyDisabled:PermanentlyDisabled estimatedLocation:EstimatedLocation "
        "allEmailsReported:boolean additionalInfo:string*"
    ),
    "Victim": Complex(
        "victimPerson:Person espIdentifier:string espService:string compromisedAccount:boolean "
        "screenName:string displayName:string* profileUrl:string* profileBio:string "
        "ipCaptureEvent:IpCaptureEvent* deviceId:DeviceId* schoolName:string "
        "priorCTReports:long* accountTemporarilyDisabled:TemporarilyDisabled "
        "accountPermanentlyDisabled:PermanentlyDisabled estimatedLocation:EstimatedLocation "
        "allEmailsReported:boolean associatedAccount:AssociatedAccount* additionalInfo:string"
    ),
    "TemporarilyDisabled": Complex(
        attrs=(*_DISABLED, ("reenabledDate", "dateTime")), text="boolean"
    ),
    "PermanentlyDisabled": Complex(attrs=_DISABLED, text="boolean"),
    "EstimatedLocation": Complex(
        "city:string region:string countryCode:Country",
        attrs=(("verified", "boolean"), ("timestamp", "dateTime")),
    ),
    "IpCaptureEvent": Complex(
        "ipAddress:string! eventName:EventName dateTime:dateTime possibleProxy:boolean port:int"
    ),
    "DeviceId": Complex("idType:string! idValue:string! eventName:EventName dateTime:dateTime"),
    "Platform": Complex(attrs=(("thirdPartyUser", "boolean"),), text="string"),
    "AssociatedAccount": Complex(
        "platform:Platform firstName:string middleName:string lastName:string "
        "approximateAge:int dateOfBirth:date phone:Phone* email:Email* "
        "allEmailsReported:boolean address:Address* espService:string espIdentifier:string "
        "profileUrl:string* screenName:string displayName:string* profileBio:string "
        "groupIdentifier:string compromisedAccount:boolean "
        "accountTemporarilyDisabled:TemporarilyDisabled "
        "accountPermanentlyDisabled:PermanentlyDisabled ipCaptureEvent:IpCaptureEvent* "
        "deviceId:DeviceId* priorCTReport:long* additionalInfo:string",
        attrs=(("type", "AssociatedAccountType"),),
    ),
    "FileDetails": Complex(
        "reportId:long! fileId:string! fileName:string originalFileName:string "
        "uploadedToEspTimestamp:dateTime locationOfFile:string fileViewedByEsp:boolean "
        "exifViewedByEsp:boolean publiclyAvailable:boolean fileRelevance:FileRelevance "
        "potentialMeme:boolean fileAnnotations:FileAnnotations industryClassification:Industry "
        "originalFileHash:Hash* ipCaptureEvent:IpCaptureEvent deviceId:DeviceId* "
        "details:Details* additionalInfo:string*"
    ),
    "FileAnnotations": Complex(
        "animeDrawingVirtualHentai:Empty potentialMeme:Empty viral:Empty "
        "possibleSelfProduction:Empty physicalHarm:Empty violenceGore:Empty bestiality:Empty "
        "liveStreaming:Empty infant:Empty generativeAi:Empty"
    ),
    "Hash": Complex(attrs=(("hashType", "string"),), text="string"),
    "Details": Complex("nameValuePair:NameValue*", attrs=(("type", "MetadataType"),)),
    "NameValue": Complex("name:string value:string"),
}
ROOTS = {"report": "Report", "fileDetails": "FileDetails"}
REQUIRED_ATTRS = {"Hash": ("hashType",)}
_ROOT_ATTRS = {"{http://www.w3.org/2001/XMLSchema-instance}noNamespaceSchemaLocation"}
_DATE_TIME = re.compile(r"-?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_DATE = re.compile(r"-?\d{4}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?")
_CODE = re.compile(r"[A-Z][A-Z0-9]")  # ISO 3166 alpha-2 (and A1, A2, O1) / US state codes


def sequences() -> dict[str, tuple[str, ...]]:
    """Element name -> its children in XSD order, for every element with element content."""
    out: dict[str, tuple[str, ...]] = {}
    seen: set[tuple[str, str]] = set()

    def walk(element: str, kind: str) -> None:
        spec = TYPES.get(kind)
        if spec is None or (element, kind) in seen:
            return
        seen.add((element, kind))
        kids = spec.children()
        if kids:
            out.setdefault(element, tuple(k[0] for k in kids))
        for name, child_kind, _, _ in kids:
            walk(name, child_kind)

    for root, kind in ROOTS.items():
        walk(root, kind)
    return out


def _simple_ok(kind: str, text: str) -> bool:
    if kind == "string":
        return True
    if kind == "boolean":
        return text in {"true", "false", "1", "0"}
    if kind == "dateTime":
        return _DATE_TIME.fullmatch(text) is not None
    if kind == "date":
        return _DATE.fullmatch(text) is not None
    if kind in ("int", "long"):
        return re.fullmatch(r"[+-]?\d+", text) is not None
    if kind == "double":
        try:
            float(text)
        except ValueError:
            return False
        return True
    if kind in ("Country", "State"):
        return _CODE.fullmatch(text) is not None
    return text in ENUMS[kind]


def validate(el: ET.Element, kind: str, path: str = "") -> None:
    """``el`` against its XSD type: children, order, occurrences, attributes, values."""
    path = f"{path}/{el.tag}"
    spec = TYPES.get(kind)
    if spec is None:  # a simple type: text only
        if len(el) or el.attrib:
            raise Refused(4100, f"Validation failed: {path} has simple content")
        if not _simple_ok(kind, (el.text or "").strip() if kind != "string" else el.text or ""):
            raise Refused(4100, f"Validation failed: {path} {el.text!r} is not a valid {kind}")
        return
    allowed = dict(spec.attrs)
    for attr, value in el.attrib.items():
        if attr in _ROOT_ATTRS and path.count("/") == 1:
            continue
        if attr not in allowed:
            raise Refused(4100, f"Validation failed: {path} has no attribute {attr}")
        if not _simple_ok(allowed[attr], value):
            raise Refused(4100, f"Validation failed: {path}/@{attr} {value!r}")
    for attr in REQUIRED_ATTRS.get(kind, ()):
        if not el.get(attr):
            raise Refused(4100, f"Validation failed: {path} needs attribute {attr}")
    text = (el.text or "").strip()
    if spec.text is not None:
        if len(el):
            raise Refused(4100, f"Validation failed: {path} has simple content")
        if not _simple_ok(spec.text, text):
            raise Refused(4100, f"Validation failed: {path} {text!r} is not a valid {spec.text}")
        return
    if text or any((c.tail or "").strip() for c in el):
        raise Refused(4100, f"Validation failed: {path} has text outside its elements")
    kids = spec.children()
    order = [k[0] for k in kids]
    names = [c.tag for c in el]
    if spec.choice and len(names) != 1:
        raise Refused(4100, f"Validation failed: {path} needs exactly one of {order}")
    last = -1
    for i, child in enumerate(el):
        if child.tag not in order:
            raise Refused(4100, f"Validation failed: unexpected element {child.tag} in {path}")
        pos = order.index(child.tag)
        if pos < last or (pos == last and not kids[pos][2]):
            raise Refused(4100, f"Validation failed: {child.tag} out of order in {path} (#{i})")
        last = pos
        validate(child, kids[pos][1], path)
    for name, _, _, required in kids:
        if required and name not in names:
            raise Refused(4100, f"Validation failed: {path} requires {name}")


def check_sequence(doc: ET.Element) -> None:
    """A whole ``<report>`` or ``<fileDetails>`` against the XSD (4100 when it does not fit)."""
    kind = ROOTS.get(doc.tag)
    if kind is None:
        raise Refused(4100, f"Validation failed: unknown root {doc.tag}")
    validate(doc, kind)


INCIDENT_TYPES = set(ENUMS["IncidentType"])
SEQUENCES = sequences()
REPORT_ANNOTATIONS = {n for n, *_ in TYPES["ReportAnnotations"].children()}
FILE_ANNOTATIONS = {n for n, *_ in TYPES["FileAnnotations"].children()}


class Refused(Exception):
    """A request the real service would refuse with ``code``."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def parse(body: bytes, root: str) -> ET.Element:
    """The document, or 4110 if it is not XML, 4100 if its root is wrong."""
    try:
        doc = ET.fromstring(body)
    except ET.ParseError as exc:
        raise Refused(4110, f"Malformed XML submittal: {exc}") from None
    if doc.tag != root:
        raise Refused(4100, f"Validation failed: root must be {root}, not {doc.tag}")
    check_sequence(doc)
    return doc


def check_report(doc: ET.Element, now: datetime) -> None:
    """What a ``<report>`` needs beyond the XSD: a zoned, past incident time, a real email/IP."""
    check_sequence(doc)
    when = datetime.fromisoformat(doc.findtext("incidentSummary/incidentDateTime") or "")
    if when.tzinfo is None or when > now:
        raise Refused(4100, "Validation failed: incidentDateTime in the future or without zone")
    if not (doc.findtext("reporter/reportingPerson/email") or "").strip():
        raise Refused(4100, "Validation failed: reportingPerson/email is empty")
    for ev in doc.findall(".//ipCaptureEvent"):
        try:
            ipaddress.ip_address((ev.findtext("ipAddress") or "").strip())
        except ValueError:
            raise Refused(4100, "Validation failed: ipCaptureEvent/ipAddress") from None


def check_file_details(doc: ET.Element) -> None:
    """A ``<fileDetails>`` against the XSD (enumerations, booleans, hashType included)."""
    check_sequence(doc)


@dataclass
class StoredFile:
    """A file NCMEC holds for a report."""

    file_id: str
    name: str
    md5: str
    size: int
    details: ET.Element | None = None
    details_xml: bytes | None = None


@dataclass
class StoredReport:
    """A report NCMEC holds."""

    report_id: str
    xml: bytes
    files: dict[str, StoredFile] = field(default_factory=dict)
    finished: bool = False
    retracted: bool = False


@dataclass
class NcmecStandIn:
    """The server's state: reports, call counts, queued failures."""

    base_url: str = ""
    reports: dict[str, StoredReport] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    failures: dict[str, deque[int]] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(100001))

    def fail_next(self, path: str, code: int, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``path`` with ``code`` (NCMEC code, or HTTP ≥ 500)."""
        self.failures.setdefault(path, deque()).extend([code] * times)


def xml_response(code: int, description: str, root: str = "reportResponse", **fields: Any) -> bytes:
    """An ISP Web Services answer document."""
    parts = [f"<responseCode>{code}</responseCode>"]
    parts.append(f"<responseDescription>{escape(description)}</responseDescription>")
    for name, value in fields.items():
        if isinstance(value, list):
            inner = "".join(f"<fileId>{escape(v)}</fileId>" for v in value)
            parts.append(f"<{name}>{inner}</{name}>")
        elif value is not None:
            parts.append(f"<{name}>{escape(str(value))}</{name}>")
    return f'<?xml version="1.0" encoding="UTF-8"?><{root}>{"".join(parts)}</{root}>'.encode()


def create_app(state: NcmecStandIn) -> FastAPI:
    """The stand-in's routes."""
    app = FastAPI()

    def answer(code: int, description: str, status: int = 200, **kw: Any) -> Response:
        body = xml_response(code, description, **kw)
        return Response(body, status_code=status, media_type="application/xml")

    def authorised(request: Request) -> bool:
        import base64

        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        user, _, pw = base64.b64decode(value).decode().partition(":")
        return (user, pw) == (USER, PASSWORD)

    def report_for(report_id: str | None) -> StoredReport:
        report = state.reports.get(report_id or "")
        if report is None:
            raise Refused(5001, "Report does not exist")
        if report.retracted:
            raise Refused(5101, "Report already retracted")
        if report.finished:
            raise Refused(5102, "Report already finished")
        return report

    async def handle(request: Request, path: str) -> Response:
        state.calls[path] += 1
        if not authorised(request):
            return answer(2000, "Authentication required", status=401)
        queued = state.failures.get(path)
        if queued:
            code = queued.popleft()
            if code >= 500 and code < 600:
                return Response(b"", status_code=code)
            return answer(code, "Injected failure")
        try:
            return await route(request, path)
        except Refused as exc:
            return answer(exc.code, exc.description)

    async def route(request: Request, path: str) -> Response:
        if path == "/status":
            return answer(0, "Remote User : " + USER)
        if path == "/submit":
            doc = parse(await request.body(), "report")
            check_report(doc, datetime.now(UTC))
            report_id = str(next(state.ids))
            state.reports[report_id] = StoredReport(report_id, await request.body())
            return answer(0, "Success", reportId=report_id)
        if path == "/upload":
            form = await request.form()
            report = report_for(str(form.get("id") or ""))
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise Refused(4200, "Malformed file submittal")
            content = await upload.read()
            file_id = hashlib.sha1(f"{report.report_id}/{len(report.files)}".encode()).hexdigest()
            md5 = hashlib.md5(content).hexdigest()
            report.files[file_id] = StoredFile(file_id, upload.filename or "", md5, len(content))
            return answer(0, "Success", reportId=report.report_id, fileId=file_id, hash=md5)
        if path == "/fileinfo":
            body = await request.body()
            doc = parse(body, "fileDetails")
            check_file_details(doc)
            report = report_for(doc.findtext("reportId"))
            stored = report.files.get(doc.findtext("fileId") or "")
            if stored is None:
                raise Refused(5002, "File does not exist")
            stored.details, stored.details_xml = doc, body
            return answer(0, "Success", reportId=report.report_id)
        if path == "/finish":
            form = await request.form()
            report = report_for(str(form.get("id") or ""))
            report.finished = True
            body = xml_response(
                0, "Success", "reportDoneResponse", reportId=report.report_id,
                files=list(report.files),
            )  # fmt: skip
            return Response(body, media_type="application/xml")
        if path == "/retract":
            form = await request.form()
            report = report_for(str(form.get("id") or ""))
            report.retracted = True
            return answer(0, "Success", reportId=report.report_id)
        return answer(1210, "Resource not found", status=404)

    for p in ("/status", "/submit", "/upload", "/fileinfo", "/finish", "/retract"):

        async def endpoint(request: Request, _p: str = p) -> Response:
            return await handle(request, _p)

        app.add_api_route("/ispws" + p, endpoint, methods=["GET" if p == "/status" else "POST"])
    return app


@contextmanager
def serve(state: NcmecStandIn | None = None) -> Iterator[NcmecStandIn]:
    """Run the stand-in on a free localhost port in a thread; ``state.base_url`` is its URL."""
    state = state or NcmecStandIn()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    state.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}/ispws"
    server = uvicorn.Server(uvicorn.Config(create_app(state), log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the NCMEC stand-in did not start")
        time.sleep(0.01)
    try:
        yield state
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
