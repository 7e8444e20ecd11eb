"""CyberTipline XML checked against the XSD as the stand-in transcribes it, type by type.

The stand-in (tests/standins/ncmec_server.py) holds its own copy of the published XSD (order,
occurrences, attributes, simple types); nothing here compares the builder with itself.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from rempart.compliance.ncmec import xml
from rempart.errors import Invalid
from tests.standins import ncmec_server

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", sorted(ncmec_server.SEQUENCES))
def test_builder_order_matches_the_xsd(name: str) -> None:
    """Every element group of the builder has the XSD's children in the XSD's order."""
    assert xml.ORDER[name] == list(ncmec_server.SEQUENCES[name])


def test_builder_knows_no_group_the_xsd_lacks() -> None:
    assert set(xml.ORDER) == set(ncmec_server.SEQUENCES)


def test_builder_repeats_exactly_what_the_xsd_lets_repeat() -> None:
    """REPEATED (builder) against maxOccurs="unbounded" (the stand-in's XSD transcription)."""
    walk: dict[str, set[str]] = {}

    def visit(element: str, kind: str) -> None:
        spec = ncmec_server.TYPES.get(kind)
        if spec is None or element in walk:
            return
        walk[element] = {n for n, _, rep, _ in spec.children() if rep}
        for n, k, _, _ in spec.children():
            visit(n, k)

    for root, kind in ncmec_server.ROOTS.items():
        visit(root, kind)
    for element, repeated in walk.items():
        assert set(xml.REPEATED.get(element, ())) == repeated, element


def _full_report() -> dict[str, object]:
    """Every child of every group, given in reverse order: the output must still be in order."""
    person = {"dateOfBirth": "1990-01-01", "email": "a@example.org", "firstName": "A"}
    return {
        "additionalInfo": "x",
        "personOrUserReported": {
            "additionalInfo": "note",
            "estimatedLocation": {"@timestamp": NOW, "countryCode": "FR", "city": "Paris"},
            "accountPermanentlyDisabled": {"#text": True, "@disabledDate": NOW},
            "ipCaptureEvent": [{"port": 443, "eventName": "Upload", "ipAddress": "192.0.2.1"}],
            "profileUrl": ["https://example.org/u/1", "https://example.org/u/1b"],
            "screenName": "suspect",
            "espIdentifier": "acct-1",
        },
        "reporter": {
            "legalURL": "https://example.org/legal",
            "companyTemplate": "Example",
            "reportingPerson": person,
        },
        "internetDetails": [{"webPageIncident": {"url": ["https://example.org/p/1"]}}],
        "incidentSummary": {
            "incidentDateTime": NOW,
            "reportAnnotations": {"spam": True, "sextortion": True},
            "platform": "Example",
            "incidentType": xml.INCIDENT_TYPES[0],
        },
    }


def _check_order(el: ET.Element) -> None:
    order = xml.ORDER.get(el.tag)
    if order is None:
        return
    positions = [order.index(c.tag) for c in el]
    assert positions == sorted(positions), (el.tag, [c.tag for c in el])
    for child in el:
        _check_order(child)


def test_report_children_come_out_in_xsd_order_whatever_the_input_order() -> None:
    doc = ET.fromstring(xml.build("report", _full_report()))
    _check_order(doc)
    assert [c.tag for c in doc] == [
        "incidentSummary",
        "internetDetails",
        "reporter",
        "personOrUserReported",
        "additionalInfo",
    ]
    assert [c.tag for c in doc.find("incidentSummary/reportAnnotations")] == [  # type: ignore[union-attr]
        "sextortion",
        "spam",
    ]
    ncmec_server.check_sequence(doc)  # the stand-in's own tables agree
    ncmec_server.check_report(doc, NOW + timedelta(seconds=1))


def test_round_trip_keeps_values_and_escapes_markup() -> None:
    body = xml.report_xml(
        incident_type="Child Sex Trafficking",
        incident_at=NOW - timedelta(days=1),
        now=NOW,
        reporter_email="safety@example.org",
        company='Example <&> "Co"',
        legal_url="https://example.org/legal?a=1&b=2",
        annotations=["minorToMinorInteraction"],
        reported={"espIdentifier": "acct</espIdentifier><x>", "screenName": "ü ñ 漢"},
        additional_info="]]> <script>",
    )
    assert body.startswith(b"<?xml")
    doc = ET.fromstring(body)
    assert doc.get("{http://www.w3.org/2001/XMLSchema-instance}noNamespaceSchemaLocation") == (
        xml.SCHEMA_LOCATION
    )
    assert doc.findtext("reporter/companyTemplate") == 'Example <&> "Co"'
    assert doc.findtext("reporter/legalURL") == "https://example.org/legal?a=1&b=2"
    assert doc.findtext("personOrUserReported/espIdentifier") == "acct</espIdentifier><x>"
    assert doc.findtext("personOrUserReported/screenName") == "ü ñ 漢"
    assert doc.findtext("additionalInfo") == "]]> <script>"
    assert doc.findtext("incidentSummary/incidentDateTime") == "2026-02-28T12:00:00+00:00"
    assert [a.tag for a in doc.find("incidentSummary/reportAnnotations")] == [  # type: ignore[union-attr]
        "minorToMinorInteraction"
    ]
    _check_order(doc)


def test_file_details_order_annotations_and_viewed_flag_always_stated() -> None:
    body = xml.file_details_xml(
        report_id="100001",
        file_id="abc",
        file_name="f.jpg",
        file_viewed_by_esp=False,
        exif_viewed_by_esp=False,
        publicly_available=None,
        industry_classification="B2",
        annotations=["generativeAi", "infant"],
        uploaded_to_esp_at=NOW,
        hashes={"SHA256": "0" * 64},
    )
    doc = ET.fromstring(body)
    _check_order(doc)
    assert [c.tag for c in doc] == [
        "reportId",
        "fileId",
        "fileName",
        "uploadedToEspTimestamp",
        "fileViewedByEsp",
        "exifViewedByEsp",
        "fileRelevance",
        "fileAnnotations",
        "industryClassification",
        "originalFileHash",
    ]
    assert doc.findtext("fileViewedByEsp") == "false"
    assert [a.tag for a in doc.find("fileAnnotations")] == ["infant", "generativeAi"]  # type: ignore[union-attr]
    assert doc.find("originalFileHash").get("hashType") == "SHA256"  # type: ignore[union-attr]
    ncmec_server.check_sequence(doc)
    ncmec_server.check_file_details(doc)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"industry_classification": "C1"}, "industryClassification"),
        ({"annotations": ["deepfake"]}, "fileAnnotation"),
        ({"file_relevance": "Relevant"}, "fileRelevance"),
        (
            {"file_relevance": "Supplemental Reported", "industry_classification": "A1"},
            "only Reported",
        ),
    ],
)
def test_file_enumerations_are_refused(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "report_id": "1",
        "file_id": "2",
        "file_name": None,
        "file_viewed_by_esp": False,
        "exif_viewed_by_esp": False,
        "publicly_available": None,
    }
    with pytest.raises(Invalid, match=message):
        xml.file_details_xml(**{**base, **kwargs})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"incident_type": "Child Abuse"}, "incidentType"),
        ({"annotations": ["grooming"]}, "reportAnnotation"),
        ({"incident_at": NOW + timedelta(minutes=1)}, "future"),
        ({"incident_at": datetime(2026, 1, 1)}, "time zone"),
    ],
)
def test_report_enumerations_and_times_are_refused(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "incident_type": xml.INCIDENT_TYPES[0],
        "incident_at": NOW,
        "now": NOW,
        "reporter_email": "a@example.org",
    }
    with pytest.raises(Invalid, match=message):
        xml.report_xml(**{**base, **kwargs})  # type: ignore[arg-type]


def test_unknown_elements_and_missing_required_ones_are_refused() -> None:
    with pytest.raises(Invalid, match="reportType"):
        xml.build("report", {**_full_report(), "reportType": "x"})
    with pytest.raises(Invalid, match="needs email"):
        xml.build(
            "report",
            {
                "incidentSummary": {"incidentType": xml.INCIDENT_TYPES[0], "incidentDateTime": NOW},
                "reporter": {"reportingPerson": {"firstName": "A"}},
            },
        )
    with pytest.raises(Invalid, match="needs reportId"):
        xml.build("fileDetails", {"fileId": "1"})


def test_responses_are_parsed() -> None:
    submit = ncmec_server.xml_response(0, "Success", reportId="4564654")
    assert xml.parse_response(submit)["reportId"] == "4564654"
    done = ncmec_server.xml_response(0, "ok", "reportDoneResponse", reportId="1", files=["a", "b"])
    assert xml.parse_response(done)["fileIds"] == ["a", "b"]
    with pytest.raises(ValueError, match="DTD"):
        xml.parse_response(b'<!DOCTYPE x [<!ENTITY a "b">]><reportResponse/>')
    with pytest.raises(ValueError, match="responseCode"):
        xml.parse_response(b"<reportResponse/>")


def _everything() -> dict[str, object]:
    """A report using every group, attribute and repeatable child the XSD has."""
    address = {
        "@type": "Business",
        "address": "1 Main St",
        "city": "Lyon",
        "zipCode": "69001",
        "nonUsaState": "Rhône",
        "country": "FR",
    }
    person = {
        "firstName": "A",
        "lastName": "B",
        "phone": [
            {"#text": "+33 1 23", "@type": "Mobile", "@verified": True, "@extension": "12"},
            {"#text": "555", "@type": "Recovery", "@verificationDate": NOW},
        ],
        "email": [{"#text": "a@example.org", "@type": "Work", "@verified": False}],
        "address": [address, {**address, "@type": "Home"}],
        "age": 40,
        "dateOfBirth": NOW.date(),
    }
    contact = {k: v for k, v in person.items() if k not in ("age", "dateOfBirth")}
    ip = {
        "ipAddress": "2001:db8::1",
        "eventName": "Login",
        "dateTime": NOW,
        "possibleProxy": False,
        "port": 443,
    }
    device = {"idType": "IMEI", "idValue": "35", "eventName": "Upload", "dateTime": NOW}
    account = {
        "espIdentifier": "acct-1",
        "espService": "Example",
        "compromisedAccount": False,
        "screenName": "suspect",
        "displayName": ["S", "Sus"],
        "profileUrl": ["https://example.org/u/1", "https://example.org/u/1b"],
        "profileBio": "bio",
        "ipCaptureEvent": [ip, {**ip, "ipAddress": "192.0.2.1", "eventName": "Upload"}],
        "deviceId": [device],
        "priorCTReports": [123, 456],
        "accountTemporarilyDisabled": {
            "#text": True,
            "@disabledDate": NOW - timedelta(days=3),
            "@userNotified": True,
            "@reenabledDate": NOW - timedelta(days=1),
        },
        "accountPermanentlyDisabled": {"#text": True, "@disabledDate": NOW},
        "estimatedLocation": {
            "@verified": True,
            "@timestamp": NOW,
            "city": "Lyon",
            "region": "ARA",
            "countryCode": "FR",
        },
        "allEmailsReported": True,
        "additionalInfo": "note",
    }
    associated = {
        "@type": "Linked",
        "platform": {"#text": "Other app", "@thirdPartyUser": True},
        "firstName": "A",
        "email": [{"#text": "b@example.org", "@type": "Home"}],
        "espIdentifier": "other-1",
        "ipCaptureEvent": [ip],
        "priorCTReport": [789],
    }
    return {
        "batchedReport": {"@reason": "VIRAL_POTENTIAL_MEME"},
        "incidentSummary": {
            "incidentType": xml.INCIDENT_TYPES[0],
            "platform": "Example",
            "escalateToHighPriority": "imminent",
            "reportAnnotations": {a: True for a in xml.REPORT_ANNOTATIONS},
            "incidentDateTime": NOW - timedelta(hours=1),
            "incidentDateTimeDescription": "approx.",
        },
        "internetDetails": [
            {"webPageIncident": {"url": ["https://example.org/p/1", "https://example.org/p/2"]}},
            {"emailIncident": {"emailAddress": [{"#text": "c@example.org", "@type": "Home"}]}},
            {"chatImIncident": {"chatClient": "Example", "content": "hi"}},
            {"cellPhoneIncident": {"phoneNumber": {"#text": "555"}, "latitude": 45.7}},
            {"nonInternetIncident": {"incidentAddress": [address]}},
            {"peer2peerIncident": {"client": "x", "ipCaptureEvent": [ip]}},
        ],
        "lawEnforcement": {
            "agencyName": "Police",
            "caseNumber": "42",
            "officerContact": contact,
            "reportedToLe": True,
            "servedLegalProcessInternational": {"#text": True, "@fleaCountry": "FR"},
        },
        "reporter": {
            "reportingPerson": person,
            "contactPerson": contact,
            "companyTemplate": "Example",
            "termsOfService": "tos",
            "legalURL": "https://example.org/legal",
        },
        "personOrUserReported": {
            "personOrUserReportedPerson": person,
            "vehicleDescription": "none",
            **account,
            "thirdPartyUserReported": False,
            "groupIdentifier": "g",
            "associatedAccount": [associated],
        },
        "intendedRecipient": [
            {"intendedRecipientPerson": person, **account, "additionalInfo": ["a", "b"]}
        ],
        "victim": [
            {
                "victimPerson": person,
                **account,
                "schoolName": "S",
                "associatedAccount": [associated],
            }
        ],
        "additionalInfo": "x",
    }


def test_a_report_using_every_part_of_the_xsd_is_valid() -> None:
    doc = ET.fromstring(xml.build("report", _everything()))
    ncmec_server.check_report(doc, NOW)
    # attributes, not child elements, where the XSD declares attributes
    assert doc.find("reporter/reportingPerson/address").get("type") == "Business"  # type: ignore[union-attr]
    assert doc.find("reporter/reportingPerson/address/type") is None
    loc = doc.find("personOrUserReported/estimatedLocation")
    assert loc is not None and loc.get("verified") == "true" and loc.find("verified") is None
    assert [c.tag for c in loc] == ["city", "region", "countryCode"]
    off = doc.find("personOrUserReported/accountTemporarilyDisabled")
    assert off is not None and off.text == "true" and len(off) == 0
    assert off.get("disabledDate") == (NOW - timedelta(days=3)).isoformat()
    assert doc.findtext("reporter/reportingPerson/dateOfBirth") == "2026-03-01"


def test_file_details_using_every_part_of_the_xsd_is_valid() -> None:
    data = {
        "reportId": 100001,
        "fileId": "f1",
        "fileName": "a.jpg",
        "originalFileName": "IMG_1.jpg",
        "uploadedToEspTimestamp": NOW,
        "locationOfFile": "https://example.org/f/1",
        "fileViewedByEsp": True,
        "exifViewedByEsp": False,
        "publiclyAvailable": False,
        "fileRelevance": "Reported",
        "fileAnnotations": {a: True for a in xml.FILE_ANNOTATIONS},
        "industryClassification": "A1",
        "originalFileHash": [
            {"@hashType": "MD5", "#text": "0" * 32},
            {"@hashType": "SHA256", "#text": "1" * 64},
        ],
        "ipCaptureEvent": {"ipAddress": "192.0.2.9", "eventName": "Upload", "dateTime": NOW},
        "deviceId": [{"idType": "IMEI", "idValue": "1"}],
        "details": [{"@type": "EXIF", "nameValuePair": [{"name": "Make", "value": "X"}]}],
        "additionalInfo": ["one", "two"],
    }
    doc = ET.fromstring(xml.build("fileDetails", data))
    ncmec_server.check_file_details(doc)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        # the address type is an attribute; as a child element it is refused
        ({"reporter": {"reportingPerson": {"email": "a@e.org", "address": {"type": "Home"}}}},
         "no element 'type'"),
        ({"reporter": {"reportingPerson": {"email": "a@e.org", "address": {"@type": "Flat"}}}},
         "@type"),
        ({"personOrUserReported": {"estimatedLocation": {"verified": True}}}, "'verified'"),
        ({"personOrUserReported": {"accountTemporarilyDisabled": {"disabledDate": NOW}}},
         "no child elements"),
        ({"personOrUserReported": {"screenName": ["a", "b"]}}, "only once"),
        ({"internetDetails": [{"webPageIncident": {"url": ["u"]},
                               "emailIncident": {"content": "x"}}]}, "exactly one"),
        ({"lawEnforcement": {"agencyName": "P", "officerContact": {"age": 3}}}, "'age'"),
    ],
)  # fmt: skip
def test_builder_refuses_what_the_xsd_refuses(data: dict[str, object], message: str) -> None:
    base = {
        "incidentSummary": {"incidentType": xml.INCIDENT_TYPES[0], "incidentDateTime": NOW},
        "reporter": {"reportingPerson": {"email": "a@e.org"}},
    }
    with pytest.raises(Invalid, match=message):
        xml.build("report", {**base, **data})


_SUMMARY = (
    "<incidentSummary><incidentType>Child Sex Tourism</incidentType>"
    "<incidentDateTime>2026-02-01T00:00:00Z</incidentDateTime></incidentSummary>"
)
_MIN = _SUMMARY + "<reporter><reportingPerson><email>a@e.org</email></reportingPerson></reporter>"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (f"<report>{_MIN}</report>", None),
        (f"<report>{_MIN}<personOrUserReported><estimatedLocation><city>x</city>"
         "<verified>true</verified></estimatedLocation></personOrUserReported></report>",
         "unexpected element verified"),
        (f"<report>{_MIN}<personOrUserReported><compromisedAccount></compromisedAccount>"
         "</personOrUserReported></report>", "not a valid boolean"),
        (f"<report>{_MIN}<personOrUserReported><screenName>a</screenName>"
         "<screenName>b</screenName></personOrUserReported></report>", "out of order"),
        (f"<report>{_MIN}<personOrUserReported><ipCaptureEvent><ipAddress>192.0.2.1</ipAddress>"
         "<dateTime>yesterday</dateTime></ipCaptureEvent></personOrUserReported></report>",
         "not a valid dateTime"),
        (f"<report>{_MIN}<personOrUserReported><priorCTReports>12a</priorCTReports>"
         "</personOrUserReported></report>", "not a valid long"),
        (f"<report>{_MIN}<personOrUserReported><espIdentifier x='1'>a</espIdentifier>"
         "</personOrUserReported></report>", "simple content"),
        (f"<report>{_MIN}<victim><victimPerson><email type='Spam'>a@e.org</email></victimPerson>"
         "</victim></report>", "@type"),
        (f"<report>{_MIN.replace(_SUMMARY, _SUMMARY + '<internetDetails/>')}</report>",
         "exactly one"),
        (f"<report>{_MIN}<incidentSummary/></report>", "out of order"),
        ("<report><reporter><reportingPerson><email>a@e.org</email></reportingPerson></reporter>"
         "</report>", "requires incidentSummary"),
        (f"<report>{_MIN}<personOrUserReported><reportAnnotations/></personOrUserReported>"
         "</report>", "unexpected element reportAnnotations"),
    ],
)  # fmt: skip
def test_stand_in_enforces_the_xsd(body: str, fragment: str | None) -> None:
    doc = ET.fromstring(body)
    if fragment is None:
        ncmec_server.check_sequence(doc)
        return
    with pytest.raises(ncmec_server.Refused, match=fragment) as err:
        ncmec_server.check_sequence(doc)
    assert err.value.code == 4100


def test_reported_user_details_from_the_api_are_valid() -> None:
    reported = xml.person_or_user_reported(
        "acct-9",
        {
            "first_name": "Jo",
            "emails": [{"address": "jo@example.org", "type": "Recovery", "verified": True}],
            "phones": [{"number": "+1 555", "type": "Mobile", "country_calling_code": "+1"}],
            "esp_service": "Example",
            "screen_name": "jo",
            "display_names": ["Jo", "J"],
            "profile_urls": ["https://example.org/jo"],
            "ip_capture_events": [
                {"ip_address": "192.0.2.1", "event_name": "Login", "date_time": NOW.isoformat()},
                {"ip_address": "2001:db8::2", "port": 8443, "possible_proxy": True},
            ],
        },
    )
    body = xml.report_xml(
        incident_type=xml.INCIDENT_TYPES[-1],
        incident_at=NOW - timedelta(minutes=5),
        now=NOW,
        reporter_email="safety@example.org",
        company="Example",
        legal_url="https://example.org/legal",
        annotations=["sadisticOnlineExploitation", "spam"],
        platform="Example app",
        urls=["https://example.org/p/1"],
        reported=reported,
        additional_info="context",
    )
    doc = ET.fromstring(body)
    ncmec_server.check_report(doc, NOW)
    assert [a.tag for a in doc.find("incidentSummary/reportAnnotations")] == [  # type: ignore[union-attr]
        "spam",
        "sadisticOnlineExploitation",
    ]
