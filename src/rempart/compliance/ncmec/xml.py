"""CyberTipline XML: ``<report>`` and ``<fileDetails>`` with children in the XSD's order.

NCMEC validates against an XSD whose complex types are ``sequence``s: a child out of order
is refused with ``responseCode 4100``. Documents are built from plain nested mappings; the
order comes from ``ORDER`` (the XSD published at ``/ispws/xsd``, as the Reporting API
documentation describes it), never from the mapping, and a key that the element does not have
is refused, as is a second occurrence of a child the XSD does not let repeat. Conventions of
the mapping: a list repeats the element, a mapping nests, ``True`` under an annotation group
is an empty element, ``"@name"`` keys are attributes and ``"#text"`` is the text beside them
(``estimatedLocation``'s ``verified``/``timestamp``, an address's ``type``, the dates of
``accountTemporarilyDisabled``); ``None`` and ``False`` annotations are left out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rempart.errors import Invalid

SCHEMA_LOCATION = "https://report.cybertip.org/ispws/xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

INCIDENT_TYPES = (
    "Child Pornography (possession, manufacture, and distribution)",
    "Child Sex Trafficking",
    "Child Sex Tourism",
    "Child Sexual Molestation",
    "Misleading Domain Name",
    "Misleading Words or Digital Images on the Internet",
    "Online Enticement of Children for Sexual Acts",
    "Unsolicited Obscene Material Sent to a Child",
)
REPORT_ANNOTATIONS = (
    "sextortion",
    "csamSolicitation",
    "minorToMinorInteraction",
    "spam",
    "sadisticOnlineExploitation",
)
FILE_ANNOTATIONS = (
    "animeDrawingVirtualHentai",
    "potentialMeme",
    "viral",
    "possibleSelfProduction",
    "physicalHarm",
    "violenceGore",
    "bestiality",
    "liveStreaming",
    "infant",
    "generativeAi",
)
FILE_RELEVANCE = ("Reported", "Supplemental Reported")
INDUSTRY_CLASSIFICATIONS = ("A1", "A2", "B1", "B2")
EVENT_NAMES = ("Login", "Registration", "Purchase", "Upload", "Other", "Unknown")
EMAIL_TYPES = ("Home", "Work", "Business", "Recovery")
PHONE_TYPES = ("Mobile", "Home", "Business", "Work", "Fax", "Internet", "Recovery")
ADDRESS_TYPES = ("Home", "Business", "Billing", "Shipping", "Technical")

_PERSON = ["firstName", "lastName", "phone", "email", "address", "age", "dateOfBirth"]
_CONTACT = ["firstName", "lastName", "phone", "email", "address"]  # XSD ContactPerson
_IP = ["ipAddress", "eventName", "dateTime", "possibleProxy", "port"]
_DEVICE = ["idType", "idValue", "eventName", "dateTime"]
# verified and timestamp are attributes of estimatedLocation ("@verified", "@timestamp")
_LOCATION = ["city", "region", "countryCode"]

# element name -> children in XSD sequence order (the published XSD, /ispws/xsd). Elements
# with simple content and attributes (email, phone, estimatedLocation's attributes,
# accountTemporarilyDisabled, accountPermanentlyDisabled, servedLegalProcessInternational,
# originalFileHash, platform of an associatedAccount) are mappings of "#text" and "@attr".
ORDER: dict[str, list[str]] = {
    "report": [
        "batchedReport",
        "incidentSummary",
        "internetDetails",
        "lawEnforcement",
        "reporter",
        "personOrUserReported",
        "intendedRecipient",
        "victim",
        "additionalInfo",
    ],
    "incidentSummary": [
        "incidentType",
        "platform",
        "escalateToHighPriority",
        "reportAnnotations",
        "incidentDateTime",
        "incidentDateTimeDescription",
    ],
    "reportAnnotations": list(REPORT_ANNOTATIONS),
    "internetDetails": [
        "webPageIncident",
        "emailIncident",
        "newsgroupIncident",
        "chatImIncident",
        "onlineGamingIncident",
        "cellPhoneIncident",
        "nonInternetIncident",
        "peer2peerIncident",
    ],
    "webPageIncident": ["url", "additionalInfo", "thirdPartyHostedContent"],
    "emailIncident": ["emailAddress", "content", "additionalInfo"],
    "newsgroupIncident": ["name", "emailAddress", "content", "additionalInfo"],
    "chatImIncident": ["chatClient", "chatRoomName", "content", "additionalInfo"],
    "onlineGamingIncident": ["gameName", "console", "content", "additionalInfo"],
    "cellPhoneIncident": ["phoneNumber", "latitude", "longitude", "additionalInfo"],
    "nonInternetIncident": ["locationName", "incidentAddress", "additionalInfo"],
    "peer2peerIncident": ["client", "ipCaptureEvent", "fileNames", "additionalInfo"],
    "lawEnforcement": [
        "agencyName",
        "caseNumber",
        "officerContact",
        "reportedToLe",
        "servedLegalProcessDomestic",
        "servedLegalProcessInternational",
    ],
    "reporter": [
        "reportingPerson",
        "contactPerson",
        "companyTemplate",
        "termsOfService",
        "legalURL",
    ],
    "reportingPerson": _PERSON,
    "contactPerson": _CONTACT,
    "officerContact": _CONTACT,
    "personOrUserReportedPerson": _PERSON,
    "intendedRecipientPerson": _PERSON,
    "victimPerson": _PERSON,
    "personOrUserReported": [
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
    ],
    "intendedRecipient": [
        "intendedRecipientPerson",
        "espIdentifier",
        "espService",
        "compromisedAccount",
        "screenName",
        "displayName",
        "profileUrl",
        "profileBio",
        "ipCaptureEvent",
        "deviceId",
        "priorCTReports",
        "groupIdentifier",
        "accountTemporarilyDisabled",
        "accountPermanentlyDisabled",
        "estimatedLocation",
        "allEmailsReported",
        "additionalInfo",
    ],
    "victim": [
        "victimPerson",
        "espIdentifier",
        "espService",
        "compromisedAccount",
        "screenName",
        "displayName",
        "profileUrl",
        "profileBio",
        "ipCaptureEvent",
        "deviceId",
        "schoolName",
        "priorCTReports",
        "accountTemporarilyDisabled",
        "accountPermanentlyDisabled",
        "estimatedLocation",
        "allEmailsReported",
        "associatedAccount",
        "additionalInfo",
    ],
    "associatedAccount": [
        "platform",
        "firstName",
        "middleName",
        "lastName",
        "approximateAge",
        "dateOfBirth",
        "phone",
        "email",
        "allEmailsReported",
        "address",
        "espService",
        "espIdentifier",
        "profileUrl",
        "screenName",
        "displayName",
        "profileBio",
        "groupIdentifier",
        "compromisedAccount",
        "accountTemporarilyDisabled",
        "accountPermanentlyDisabled",
        "ipCaptureEvent",
        "deviceId",
        "priorCTReport",
        "additionalInfo",
    ],
    # the address type is an attribute ("@type"), not a child
    "address": ["address", "city", "zipCode", "state", "nonUsaState", "country"],
    "incidentAddress": ["address", "city", "zipCode", "state", "nonUsaState", "country"],
    "ipCaptureEvent": _IP,
    "deviceId": _DEVICE,
    "estimatedLocation": _LOCATION,
    "fileDetails": [
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
        "potentialMeme",
        "fileAnnotations",
        "industryClassification",
        "originalFileHash",
        "ipCaptureEvent",
        "deviceId",
        "details",
        "additionalInfo",
    ],
    "fileAnnotations": list(FILE_ANNOTATIONS),
    "details": ["nameValuePair"],
    "nameValuePair": ["name", "value"],
}
REQUIRED: dict[str, list[str]] = {
    "report": ["incidentSummary", "reporter"],
    "incidentSummary": ["incidentType", "incidentDateTime"],
    "reporter": ["reportingPerson"],
    "reportingPerson": ["email"],
    "lawEnforcement": ["agencyName"],
    "victim": ["victimPerson"],
    "ipCaptureEvent": ["ipAddress"],
    "deviceId": ["idType", "idValue"],
    "fileDetails": ["reportId", "fileId"],
}
_ANNOTATION_GROUPS = {"reportAnnotations", "fileAnnotations"}
_PERSON_LISTS = frozenset({"phone", "email", "address"})
_ACCOUNT_LISTS = frozenset({"displayName", "profileUrl", "ipCaptureEvent", "deviceId"})
# children the XSD lets repeat (maxOccurs="unbounded"); any other appears at most once
REPEATED: dict[str, frozenset[str]] = {
    "report": frozenset({"internetDetails", "intendedRecipient", "victim"}),
    "webPageIncident": frozenset({"url"}),
    "emailIncident": frozenset({"emailAddress"}),
    "newsgroupIncident": frozenset({"emailAddress"}),
    "nonInternetIncident": frozenset({"incidentAddress"}),
    "peer2peerIncident": frozenset({"ipCaptureEvent"}),
    "personOrUserReported": _ACCOUNT_LISTS | {"priorCTReports", "associatedAccount"},
    "intendedRecipient": _ACCOUNT_LISTS | {"priorCTReports", "additionalInfo"},
    "victim": _ACCOUNT_LISTS | {"priorCTReports", "associatedAccount"},
    "associatedAccount": _ACCOUNT_LISTS | _PERSON_LISTS | {"priorCTReport"},
    "fileDetails": frozenset({"originalFileHash", "deviceId", "details", "additionalInfo"}),
    "details": frozenset({"nameValuePair"}),
    **{
        p: _PERSON_LISTS
        for p in (
            "reportingPerson",
            "contactPerson",
            "officerContact",
            "personOrUserReportedPerson",
            "intendedRecipientPerson",
            "victimPerson",
        )
    },
}
CHOICES = {"internetDetails"}  # exactly one child (an xs:choice)
# (parent, child) pairs where a child shares its name with a group but is a plain value:
# the street line of an address is ``<address>`` inside ``<address>``
SIMPLE_CHILDREN = {("address", "address"), ("incidentAddress", "address")}
ATTRIBUTE_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("email", "type"): EMAIL_TYPES,
    ("emailAddress", "type"): EMAIL_TYPES,
    ("phone", "type"): PHONE_TYPES,
    ("phoneNumber", "type"): PHONE_TYPES,
    ("address", "type"): ADDRESS_TYPES,
    ("incidentAddress", "type"): ADDRESS_TYPES,
    ("batchedReport", "reason"): ("VIRAL_POTENTIAL_MEME",),
    ("details", "type"): ("EXIF", "HASH"),
}


def text_of(value: Any) -> str:
    """The XML text of a scalar: booleans as ``true``/``false``, datetimes as ISO 8601."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise Invalid("CyberTipline times need a time zone")
        return value.isoformat()
    return str(value)


def _fill(element: ET.Element, data: Mapping[str, Any], path: str, simple: bool = False) -> None:
    name = element.tag
    order = None if simple else ORDER.get(name)
    attrs = {k: v for k, v in data.items() if k.startswith("@")}
    body = {k: v for k, v in data.items() if not k.startswith("@")}
    for key, value in attrs.items():
        if value is not None:
            allowed = ATTRIBUTE_VALUES.get((name, key[1:]))
            if allowed is not None and text_of(value) not in allowed:
                raise Invalid(f"{path}/@{key[1:]} {value!r} is not one of {list(allowed)}")
            element.set(key[1:], text_of(value))
    if "#text" in body:
        element.text = text_of(body.pop("#text"))
    if order is None:
        if body:
            raise Invalid(f"{path} has no child elements (got {sorted(body)})")
        return
    unknown = sorted(set(body) - set(order))
    if unknown:
        raise Invalid(f"{path} has no element {unknown[0]!r}; allowed, in order: {order}")
    missing = [k for k in REQUIRED.get(name, []) if body.get(k) in (None, [], {})]
    if missing:
        raise Invalid(f"{path} needs {missing[0]}")
    repeated = REPEATED.get(name, frozenset())
    for key, value in body.items():
        if isinstance(value, list) and len(value) > 1 and key not in repeated:
            raise Invalid(f"{path}/{key} may appear only once")
    if name in CHOICES and sum(1 for v in body.values() if v not in (None, [], {})) != 1:
        raise Invalid(f"{path} holds exactly one of {order}")
    for key in order:
        value = body.get(key)
        for one in value if isinstance(value, list) else [value]:
            if one is None or (one is False and name in _ANNOTATION_GROUPS):
                continue
            child = ET.SubElement(element, key)
            if name in _ANNOTATION_GROUPS:
                continue  # an annotation is an empty element
            simple_child = (name, key) in SIMPLE_CHILDREN
            if isinstance(one, Mapping):
                _fill(child, one, f"{path}/{key}", simple_child)
            elif key in ORDER and not simple_child:
                raise Invalid(f"{path}/{key} needs child elements, not a value")
            else:
                child.text = text_of(one)


def build(root: str, data: Mapping[str, Any]) -> bytes:
    """The UTF-8 document for ``root`` (``report`` or ``fileDetails``), children in XSD order."""
    if root not in ("report", "fileDetails"):
        raise Invalid(f"unknown CyberTipline document {root!r}")
    element = ET.Element(root)
    element.set("xmlns:xsi", XSI)
    element.set("xsi:noNamespaceSchemaLocation", SCHEMA_LOCATION)
    _fill(element, data, root)
    out: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return out


def _one_of(field: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise Invalid(f"{field} {value!r} is not one of {list(allowed)}")


def report_xml(
    *,
    incident_type: str,
    incident_at: datetime,
    now: datetime,
    reporter_email: str,
    company: str | None = None,
    terms_of_service: str | None = None,
    legal_url: str | None = None,
    annotations: list[str] | None = None,
    platform: str | None = None,
    urls: list[str] | None = None,
    reported: Mapping[str, Any] | None = None,
    additional_info: str | None = None,
) -> bytes:
    """A ``<report>`` for ``/submit``; enumerations checked, the incident not in the future."""
    _one_of("incidentType", incident_type, INCIDENT_TYPES)
    for a in annotations or []:
        _one_of("reportAnnotation", a, REPORT_ANNOTATIONS)
    if incident_at.tzinfo is None:
        raise Invalid("incidentDateTime needs a time zone")
    if incident_at > now:
        raise Invalid("incidentDateTime must not be in the future")
    summary: dict[str, Any] = {
        "incidentType": incident_type,
        "platform": platform,
        "reportAnnotations": {a: True for a in annotations} if annotations else None,
        "incidentDateTime": incident_at,
    }
    data: dict[str, Any] = {
        "incidentSummary": summary,
        "internetDetails": [{"webPageIncident": {"url": urls}}] if urls else None,
        "reporter": {
            "reportingPerson": {"email": reporter_email},
            "companyTemplate": company,
            "termsOfService": terms_of_service,
            "legalURL": legal_url,
        },
        "personOrUserReported": dict(reported) if reported else None,
        "additionalInfo": additional_info,
    }
    return build("report", data)


def person_or_user_reported(
    esp_identifier: str, known: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The ``personOrUserReported`` mapping: the account id, then what the platform knows.

    ``known`` is a ``ReportedUserIn`` as JSON (snake_case keys); the builder puts every child
    in the XSD's order and leaves out what is unknown.
    """
    k = dict(known or {})
    emails = [
        {"#text": e["address"], "@type": e.get("type"), "@verified": e.get("verified")}
        for e in k.get("emails") or []
    ]
    phones = [
        {
            "#text": p["number"],
            "@type": p.get("type"),
            "@countryCallingCode": p.get("country_calling_code"),
            "@verified": p.get("verified"),
        }
        for p in k.get("phones") or []
    ]
    person = {
        "firstName": k.get("first_name"),
        "lastName": k.get("last_name"),
        "phone": phones or None,
        "email": emails or None,
    }
    events = [
        {
            "ipAddress": str(e["ip_address"]),
            "eventName": e.get("event_name"),
            "dateTime": _aware(e.get("date_time")),
            "possibleProxy": e.get("possible_proxy"),
            "port": e.get("port"),
        }
        for e in k.get("ip_capture_events") or []
    ]
    for e in events:
        if e["eventName"] is not None:
            _one_of("eventName", e["eventName"], EVENT_NAMES)
    return {
        "personOrUserReportedPerson": person if any(person.values()) else None,
        "espIdentifier": esp_identifier,
        "espService": k.get("esp_service"),
        "screenName": k.get("screen_name"),
        "displayName": list(k.get("display_names") or []) or None,
        "profileUrl": list(k.get("profile_urls") or []) or None,
        "ipCaptureEvent": events or None,
    }


def _aware(value: Any) -> datetime | None:
    """A stored ISO 8601 time back as an aware datetime (``None`` stays ``None``)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def file_details_xml(
    *,
    report_id: str,
    file_id: str,
    file_name: str | None,
    file_viewed_by_esp: bool,
    exif_viewed_by_esp: bool,
    publicly_available: bool | None,
    file_relevance: str = "Reported",
    annotations: list[str] | None = None,
    industry_classification: str | None = None,
    uploaded_to_esp_at: datetime | None = None,
    hashes: Mapping[str, str] | None = None,
) -> bytes:
    """A ``<fileDetails>`` for ``/fileinfo``; ``fileViewedByEsp`` always stated, never assumed."""
    _one_of("fileRelevance", file_relevance, FILE_RELEVANCE)
    for a in annotations or []:
        _one_of("fileAnnotation", a, FILE_ANNOTATIONS)
    if industry_classification is not None:
        _one_of("industryClassification", industry_classification, INDUSTRY_CLASSIFICATIONS)
    if file_relevance != "Reported" and (
        industry_classification or "potentialMeme" in (annotations or [])
    ):
        raise Invalid("only Reported files may carry an industry classification or potentialMeme")
    data: dict[str, Any] = {
        "reportId": report_id,
        "fileId": file_id,
        "fileName": file_name,
        "uploadedToEspTimestamp": uploaded_to_esp_at,
        "fileViewedByEsp": file_viewed_by_esp,
        "exifViewedByEsp": exif_viewed_by_esp,
        "publiclyAvailable": publicly_available,
        "fileRelevance": file_relevance,
        "fileAnnotations": {a: True for a in annotations} if annotations else None,
        "industryClassification": industry_classification,
        "originalFileHash": [
            {"@hashType": kind, "#text": value} for kind, value in (hashes or {}).items()
        ]
        or None,
    }
    return build("fileDetails", data)


def parse_response(body: bytes) -> dict[str, Any]:
    """The fields of an ISP Web Services answer: ``responseCode`` (int), ids, ``fileIds``."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise ValueError("the CyberTipline answer declares a DTD or entities; refused")
    try:
        root = ET.fromstring(body)  # noqa: S314 - no DTD/entities (checked above)
    except ET.ParseError as exc:
        raise ValueError(f"the CyberTipline answer is not XML: {exc}") from None
    out: dict[str, Any] = {"root": root.tag, "fileIds": []}
    for el in root.iter():
        text = (el.text or "").strip()
        if el.tag == "responseCode":
            out["responseCode"] = int(text)
        elif el.tag == "fileId" and el is not root:
            out["fileIds"].append(text)
            out.setdefault("fileId", text)
        elif el.tag in ("responseDescription", "reportId", "hash"):
            out[el.tag] = text
    if "responseCode" not in out:
        raise ValueError("the CyberTipline answer has no responseCode")
    return out
