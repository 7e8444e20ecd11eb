"""A stand-in for NCMEC's CyberTipline Reporting API (ISP Web Services), a real HTTP server.

Written from requirements.md §5.2–5.3 on its own (it never imports Rempart's builder): its
tables of element order are transcribed here again, so the two are checked against each other.
What it enforces:

- HTTP Basic auth (401 + ``responseCode 2000``);
- ``/submit``: a ``<report>`` whose children (and those of ``incidentSummary``, ``reporter``,
  ``reportingPerson``, ``personOrUserReported``, ``internetDetails``, ``webPageIncident``)
  follow the XSD sequence, with the required elements and enumerations: ``4100`` otherwise,
  ``4110`` for malformed XML; issues a ``reportId``;
- ``/upload`` (multipart ``id`` + ``file``): ``fileId`` and the MD5 ``hash``; 5001 unknown report;
- ``/fileinfo``: ``<fileDetails>`` in order, for a file of that report (``5002`` otherwise);
- ``/finish`` (``5102`` twice), ``/retract`` (``5101`` on a retracted report, also for every
  later action), ``/status``;
- counts every call per path, and injects failures: ``fail_next(path, code)`` answers with an
  NCMEC code (``1000`` …) or an HTTP status (``503``) the next time ``path`` is called.
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
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

PERSON = ("firstName", "lastName", "phone", "email", "address", "age", "dateOfBirth")
SEQUENCES: dict[str, tuple[str, ...]] = {
    "report": (
        "incidentSummary",
        "internetDetails",
        "lawEnforcement",
        "reporter",
        "personOrUserReported",
        "intendedRecipient",
        "victim",
        "additionalInfo",
    ),
    "incidentSummary": (
        "incidentType",
        "platform",
        "escalateToHighPriority",
        "reportAnnotations",
        "incidentDateTime",
        "incidentDateTimeDescription",
    ),
    "reporter": (
        "reportingPerson",
        "contactPerson",
        "companyTemplate",
        "termsOfService",
        "legalURL",
    ),
    "reportingPerson": PERSON,
    "personOrUserReportedPerson": PERSON,
    "ipCaptureEvent": ("ipAddress", "eventName", "dateTime", "possibleProxy", "port"),
    "internetDetails": (
        "webPageIncident",
        "emailIncident",
        "newsgroupIncident",
        "chatImIncident",
        "onlineGamingIncident",
        "cellPhoneIncident",
        "nonInternetIncident",
        "peer2peerIncident",
    ),
    "webPageIncident": ("url", "additionalInfo", "thirdPartyHostedContent"),
    "personOrUserReported": (
        "personOrUserReportedPerson",
        "vehicleDescription",
        "espIdentifier",
        "espService",
        "compromisedAccount",
        "screenName",
        "displayName",
        "profileUrl",
        "profileBio",
        "ipCaptureEvent",
        "deviceId",
        "thirdPartyUserReported",
        "priorCTReports",
        "groupIdentifier",
        "accountTemporarilyDisabled",
        "accountPermanentlyDisabled",
        "estimatedLocation",
        "allEmailsReported",
        "associatedAccount",
        "additionalInfo",
    ),
    "fileDetails": (
        "reportId",
        "fileId",
        "fileName",
        "originalFileName",
        "uploadedToEspTimestamp",
        "locationOfFile",
        "fileViewedByEsp",
        "exifViewedByEsp",
        "publiclyAvailable",
        "fileRelevance",
        "fileAnnotations",
        "industryClassification",
        "originalFileHash",
        "ipCaptureEvent",
        "deviceId",
        "details",
        "additionalInfo",
    ),
}
# elements that may appear more than once in a row
REPEATABLE = {"internetDetails", "intendedRecipient", "victim", "url", "originalFileHash",
              "displayName", "profileUrl", "ipCaptureEvent", "deviceId", "priorCTReports",
              "details", "additionalInfo", "phone", "email", "address"}  # fmt: skip
MANDATORY: dict[str, tuple[str, ...]] = {
    "report": ("incidentSummary", "reporter"),
    "incidentSummary": ("incidentType", "incidentDateTime"),
    "reporter": ("reportingPerson",),
    "reportingPerson": ("email",),
    "fileDetails": ("reportId", "fileId"),
    "ipCaptureEvent": ("ipAddress",),
}
ATTRIBUTE_VALUES = {  # enumerated attributes of Person's email and phone
    ("email", "type"): {"Home", "Work", "Business"},
    ("phone", "type"): {"Mobile", "Home", "Business", "Work", "Fax", "Internet"},
    ("email", "verified"): {"true", "false"},
    ("phone", "verified"): {"true", "false"},
}
EVENT_NAMES = {"Login", "Registration", "Purchase", "Upload", "Other", "Unknown"}
INCIDENT_TYPES = {
    "Child Pornography (possession, manufacture, and distribution)",
    "Child Sex Trafficking",
    "Child Sex Tourism",
    "Child Sexual Molestation",
    "Misleading Domain Name",
    "Misleading Words or Digital Images on the Internet",
    "Online Enticement of Children for Sexual Acts",
    "Unsolicited Obscene Material Sent to a Child",
}
REPORT_ANNOTATIONS = {"sextortion", "csamSolicitation", "minorToMinorInteraction", "spam"}
FILE_ANNOTATIONS = {
    "animeDrawingVirtualHentai", "potentialMeme", "viral", "possibleSelfProduction",
    "physicalHarm", "violenceGore", "bestiality", "liveStreaming", "infant", "generativeAi",
}  # fmt: skip
BOOLEANS = {"true", "false"}


class Refused(Exception):
    """A request the real service would refuse with ``code``."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def check_sequence(el: ET.Element) -> None:
    """Children of ``el`` in XSD order, once each unless repeatable, the required ones present."""
    order = SEQUENCES.get(el.tag)
    if order is None:
        return
    names = [c.tag for c in el]
    last = -1
    for i, name in enumerate(names):
        if name not in order:
            raise Refused(4100, f"Validation failed: unexpected element {name} in {el.tag}")
        pos = order.index(name)
        if pos < last or (pos == last and name not in REPEATABLE):
            raise Refused(4100, f"Validation failed: {name} out of order in {el.tag} (#{i})")
        last = pos
    for name in MANDATORY.get(el.tag, ()):
        if name not in names:
            raise Refused(4100, f"Validation failed: {el.tag} requires {name}")
    for child in el:
        check_sequence(child)


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
    """Enumerations and values of a ``<report>``."""
    summary = doc.find("incidentSummary")
    assert summary is not None
    kind = summary.findtext("incidentType")
    if kind not in INCIDENT_TYPES:
        raise Refused(4100, f"Validation failed: incidentType {kind!r}")
    for a in summary.findall("reportAnnotations/*"):
        if a.tag not in REPORT_ANNOTATIONS or (a.text or "").strip() or len(a):
            raise Refused(4100, f"Validation failed: reportAnnotations/{a.tag}")
    try:
        when = datetime.fromisoformat(summary.findtext("incidentDateTime") or "")
    except ValueError:
        raise Refused(4100, "Validation failed: incidentDateTime is not ISO 8601") from None
    if when.tzinfo is None or when > now:
        raise Refused(4100, "Validation failed: incidentDateTime in the future or without zone")
    if not (doc.findtext("reporter/reportingPerson/email") or "").strip():
        raise Refused(4100, "Validation failed: reportingPerson/email is empty")
    for el in doc.iter():
        for attr, value in el.attrib.items():
            allowed = ATTRIBUTE_VALUES.get((el.tag, attr))
            if allowed is not None and value not in allowed:
                raise Refused(4100, f"Validation failed: {el.tag}/@{attr} {value!r}")
    for ev in doc.findall(".//ipCaptureEvent"):
        name = ev.findtext("eventName")
        if name is not None and name not in EVENT_NAMES:
            raise Refused(4100, f"Validation failed: ipCaptureEvent/eventName {name!r}")
        try:
            ipaddress.ip_address((ev.findtext("ipAddress") or "").strip())
        except ValueError:
            raise Refused(4100, "Validation failed: ipCaptureEvent/ipAddress") from None


def check_file_details(doc: ET.Element) -> None:
    """Enumerations and values of a ``<fileDetails>``."""
    for name in ("fileViewedByEsp", "exifViewedByEsp", "publiclyAvailable"):
        value = doc.findtext(name)
        if value is not None and value not in BOOLEANS:
            raise Refused(4100, f"Validation failed: {name} {value!r}")
    relevance = doc.findtext("fileRelevance", "Reported")
    if relevance not in {"Reported", "Supplemental Reported"}:
        raise Refused(4100, f"Validation failed: fileRelevance {relevance!r}")
    industry = doc.findtext("industryClassification")
    if industry is not None and industry not in {"A1", "A2", "B1", "B2"}:
        raise Refused(4100, f"Validation failed: industryClassification {industry!r}")
    for a in doc.findall("fileAnnotations/*"):
        if a.tag not in FILE_ANNOTATIONS:
            raise Refused(4100, f"Validation failed: fileAnnotations/{a.tag}")
    for h in doc.findall("originalFileHash"):
        if not h.get("hashType"):
            raise Refused(4100, "Validation failed: originalFileHash needs hashType")


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
