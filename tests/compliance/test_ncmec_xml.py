"""CyberTipline XML: every element group in the XSD order of requirements.md §5.3."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from rempart.compliance.ncmec import xml
from rempart.errors import Invalid
from tests.standins import ncmec_server

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# transcribed from requirements.md §5.3, independently of both the builder and the stand-in
SPEC = {
    "report": "incidentSummary internetDetails lawEnforcement reporter personOrUserReported "
    "intendedRecipient victim additionalInfo",
    "incidentSummary": "incidentType platform escalateToHighPriority reportAnnotations "
    "incidentDateTime incidentDateTimeDescription",
    "lawEnforcement": "agencyName caseNumber officerContact reportedToLe "
    "servedLegalProcessDomestic servedLegalProcessInternational",
    "reporter": "reportingPerson contactPerson companyTemplate termsOfService legalURL",
    "personOrUserReported": "personOrUserReportedPerson vehicleDescription espIdentifier "
    "espService compromisedAccount screenName displayName profileUrl profileBio ipCaptureEvent "
    "deviceId thirdPartyUserReported priorCTReports groupIdentifier accountTemporarilyDisabled "
    "accountPermanentlyDisabled estimatedLocation allEmailsReported associatedAccount "
    "additionalInfo",
    "intendedRecipient": "intendedRecipientPerson espIdentifier espService screenName "
    "displayName profileUrl ipCaptureEvent deviceId priorCTReports groupIdentifier "
    "accountTemporarilyDisabled accountPermanentlyDisabled estimatedLocation additionalInfo",
    "victim": "victimPerson espIdentifier espService screenName displayName profileUrl "
    "ipCaptureEvent deviceId schoolName priorCTReports estimatedLocation additionalInfo",
    "reportingPerson": "firstName lastName phone email address age dateOfBirth",
    "address": "address city zipCode state nonUsaState country type",
    "ipCaptureEvent": "ipAddress eventName dateTime possibleProxy port",
    "deviceId": "idType idValue eventName dateTime",
    "estimatedLocation": "city region countryCode verified timestamp",
    "webPageIncident": "url additionalInfo thirdPartyHostedContent",
    "emailIncident": "emailAddress content additionalInfo",
    "newsgroupIncident": "name emailAddress content additionalInfo",
    "chatImIncident": "chatClient chatRoomName content additionalInfo",
    "onlineGamingIncident": "gameName console content additionalInfo",
    "cellPhoneIncident": "phoneNumber latitude longitude additionalInfo",
    "nonInternetIncident": "locationName incidentAddress additionalInfo",
    "peer2peerIncident": "client ipCaptureEvent fileNames additionalInfo",
    "accountTemporarilyDisabled": "disabledDate reenabledDate",
    "fileDetails": "reportId fileId fileName originalFileName uploadedToEspTimestamp "
    "locationOfFile fileViewedByEsp exifViewedByEsp publiclyAvailable fileRelevance "
    "fileAnnotations industryClassification originalFileHash ipCaptureEvent deviceId details "
    "additionalInfo",
    "fileAnnotations": "animeDrawingVirtualHentai potentialMeme viral possibleSelfProduction "
    "physicalHarm violenceGore bestiality liveStreaming infant generativeAi",
    "reportAnnotations": "sextortion csamSolicitation minorToMinorInteraction spam",
}


@pytest.mark.parametrize("name", sorted(SPEC))
def test_builder_order_matches_the_spec(name: str) -> None:
    assert xml.ORDER[name] == SPEC[name].split()


@pytest.mark.parametrize("name", sorted(set(SPEC) & set(ncmec_server.SEQUENCES)))
def test_stand_in_order_matches_the_spec(name: str) -> None:
    assert list(ncmec_server.SEQUENCES[name]) == SPEC[name].split()


def _full_report() -> dict[str, object]:
    """Every child of every group, given in reverse order: the output must still be in order."""
    person = {"dateOfBirth": "1990-01-01", "email": "a@example.org", "firstName": "A"}
    return {
        "additionalInfo": "x",
        "personOrUserReported": {
            "additionalInfo": "note",
            "estimatedLocation": {"timestamp": NOW, "countryCode": "FR", "city": "Paris"},
            "accountPermanentlyDisabled": {"disabledDate": "2026-02-01"},
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
