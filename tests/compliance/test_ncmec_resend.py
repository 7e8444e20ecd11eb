"""CyberTipline: exact incidentType spellings, the reported user's details, automatic resend.

Real database, vault and ledger, the stand-in NCMEC (which checks element order itself).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from rempart.clock import utcnow
from rempart.compliance.ncmec import xml
from rempart.compliance.ncmec.resend import ResendPolicy, resend_due
from rempart.compliance.ncmec.schemas import DraftIn, NcmecSettings
from rempart.compliance.ncmec.service import NcmecService
from rempart.context import Rempart
from rempart.errors import Invalid
from tests.clock import FakeClock
from tests.compliance.test_ncmec_flow import conf_for, draft, fast_client, make_facts
from tests.standins import ncmec_server
from tests.standins.ncmec_server import ENUMS, NcmecStandIn

XSD_INCIDENT_TYPES = ENUMS["IncidentType"]  # the stand-in's copy of the XSD, not our module
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def standin() -> Any:
    with ncmec_server.serve() as state:
        yield state


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=utcnow() + timedelta(minutes=1))  # cases are opened at real time


@pytest.fixture
def ctx(settings: Any, clock: FakeClock) -> Any:
    rempart = Rempart.open(settings, clock=clock, load_index=False)
    yield rempart
    rempart.close()


def service_for(ctx: Rempart, conf: NcmecSettings) -> NcmecService:
    return NcmecService(ctx.db, ctx.settings, ctx.clock, ctx.ledger, ctx.vault, conf=conf)


def test_incident_types_are_the_xsd_enumeration_exactly() -> None:
    assert set(xml.INCIDENT_TYPES) == XSD_INCIDENT_TYPES
    for kind in sorted(XSD_INCIDENT_TYPES):
        doc = ET.fromstring(
            xml.report_xml(incident_type=kind, incident_at=NOW, now=NOW, reporter_email="a@b.c")
        )
        assert doc.findtext("incidentSummary/incidentType") == kind
    near_misses = [
        "Online Enticement of Children for Sexual Act",  # another client's spelling
        "Child Pornography",
        "child sex trafficking",
        "Child Sex Trafficking ",
        "Child Sexual Molestation (not by family member)",  # an old value
    ]
    for wrong in near_misses:
        with pytest.raises(Invalid, match="incidentType"):
            xml.report_xml(incident_type=wrong, incident_at=NOW, now=NOW, reporter_email="a@b.c")
        with pytest.raises(ValidationError):
            DraftIn(account_ref="a", incident_type=wrong)


KNOWN = {
    "first_name": "Sam",
    "emails": [{"address": "suspect@example.net", "type": "Home", "verified": True}],
    "phones": [{"number": "555 0100", "type": "Mobile", "country_calling_code": "+1"}],
    "esp_service": "Example Chat",
    "screen_name": "sk8r_99",
    "display_names": ["Sam K", "sammy"],
    "profile_urls": ["https://example.org/u/sk8r_99"],
    "ip_capture_events": [
        {"ip_address": "198.51.100.7", "event_name": "Login",
         "date_time": "2026-03-01T20:15:00+00:00", "port": 443},
        {"ip_address": "2001:db8::1", "event_name": "Upload", "possible_proxy": True},
    ],
}  # fmt: skip


def test_person_or_user_reported_carries_what_is_known_in_schema_order(
    rempart: Rempart, standin: NcmecStandIn
) -> None:
    service = service_for(rempart, conf_for(standin))
    facts = make_facts(rempart)
    report_id = draft(service, facts, reported=KNOWN)
    assert service.get(report_id).reported is not None
    out = service.send(report_id, by="cs", client=fast_client(service.conf))
    assert out.status == "FINISHED"  # the stand-in checked every element's order
    sent = ET.fromstring(next(iter(standin.reports.values())).xml)
    user = sent.find("personOrUserReported")
    assert user is not None
    assert [c.tag for c in user] == [
        "personOrUserReportedPerson", "espIdentifier", "espService", "screenName",
        "displayName", "displayName", "profileUrl", "ipCaptureEvent", "ipCaptureEvent",
    ]  # fmt: skip
    person = user.find("personOrUserReportedPerson")
    assert person is not None and [c.tag for c in person] == ["firstName", "phone", "email"]
    email = person.find("email")
    assert email is not None and email.text == "suspect@example.net"
    assert email.attrib == {"type": "Home", "verified": "true"}
    phone = person.find("phone")
    assert phone is not None and phone.attrib["countryCallingCode"] == "+1"
    assert user.findtext("espIdentifier") == facts.account
    assert user.findtext("screenName") == "sk8r_99"
    first, second = user.findall("ipCaptureEvent")
    assert [c.tag for c in first] == ["ipAddress", "eventName", "dateTime", "port"]
    assert first.findtext("dateTime") == "2026-03-01T20:15:00+00:00"
    assert second.findtext("ipAddress") == "2001:db8::1"
    assert second.findtext("possibleProxy") == "true"


def test_only_the_account_id_when_nothing_else_is_known(
    rempart: Rempart, standin: NcmecStandIn
) -> None:
    service = service_for(rempart, conf_for(standin))
    facts = make_facts(rempart)
    service.send(draft(service, facts), by="cs", client=fast_client(service.conf))
    user = ET.fromstring(next(iter(standin.reports.values())).xml).find("personOrUserReported")
    assert user is not None and [c.tag for c in user] == ["espIdentifier"]


@pytest.mark.parametrize(
    "bad",
    [
        {"emails": [{"address": "not-an-email"}]},
        {"phones": [{"number": "call me"}]},
        {"ip_capture_events": [{"ip_address": "999.1.1.1"}]},
        {"ip_capture_events": [{"ip_address": "198.51.100.7", "event_name": "Logout"}]},
        {"ip_capture_events": [{"ip_address": "198.51.100.7", "date_time": "2026-03-01T20:15"}]},
        {"emails": [{"address": "a@b.c", "type": "Personal"}]},
    ],
)
def test_bad_reported_details_are_refused(
    rempart: Rempart, standin: NcmecStandIn, bad: dict[str, Any]
) -> None:
    service = service_for(rempart, conf_for(standin))
    facts = make_facts(rempart)
    with pytest.raises(Invalid):
        draft(service, facts, reported=bad)


def test_stuck_reports_are_resumed_with_backoff_and_a_cap(
    ctx: Rempart, clock: FakeClock, standin: NcmecStandIn
) -> None:
    service = service_for(ctx, conf_for(standin))
    client = fast_client(service.conf)
    facts = make_facts(ctx)
    report_id = draft(service, facts)
    never_sent = draft(service, make_facts(ctx, "acct-2"))  # a draft nobody sent: left alone
    standin.fail_next("/upload", 503, times=5)  # the client's own retries run out
    with pytest.raises(Exception, match="upload"):
        service.send(report_id, by="cs", client=client)
    assert service.get(report_id).status == "SUBMITTED"
    policy = ResendPolicy(base_s=60, max_backoff_s=600, max_attempts=5)

    standin.fail_next("/upload", 503, times=5)
    [first] = resend_due(service, client=client, policy=policy)
    assert (first.report_id, first.result, first.status) == (report_id, "retry", "SUBMITTED")
    assert resend_due(service, client=client, policy=policy) == []  # backing off: 60 s
    clock.advance(seconds=59)
    assert resend_due(service, client=client, policy=policy) == []
    clock.advance(seconds=1)
    [second] = resend_due(service, client=client, policy=policy)  # recovered
    assert second.result == "finished" and second.status == "FINISHED"
    assert standin.calls["/submit"] == 1  # resumed after the submit: never submitted twice
    assert service.get(never_sent).status == "DRAFT"
    done = service.get(report_id)
    assert done.ncmec_report_id is not None and all(f.state == "info_sent" for f in done.files)
    events = ctx.ledger.events(subject=f"ncmec_report:{report_id}", kind="ncmec_report_finished")
    assert events[0].actor == "system:ncmec-resend"
    clock.advance(hours=1)
    assert resend_due(service, client=client, policy=policy) == []  # finished: nothing to do


def test_resend_gives_up_after_the_cap_and_skips_refused_reports(
    ctx: Rempart, clock: FakeClock, standin: NcmecStandIn
) -> None:
    service = service_for(ctx, conf_for(standin))
    client = fast_client(service.conf)
    report_id = draft(service, make_facts(ctx))
    standin.fail_next("/submit", 503, times=5)
    with pytest.raises(Exception, match="submit"):
        service.send(report_id, by="cs", client=client)
    assert service.get(report_id).status == "DRAFT"  # tried: resumable
    policy = ResendPolicy(base_s=10, max_backoff_s=20, max_attempts=3)
    results = []
    for _ in range(6):
        standin.failures.clear()
        standin.fail_next("/submit", 503, times=5)
        results += [o.result for o in resend_due(service, client=client, policy=policy)]
        clock.advance(seconds=30)
    assert results == ["retry", "retry", "gave_up"]
    out = service.get(report_id)
    assert out.status == "DRAFT" and "gave up after 3 automatic attempts" in (out.last_error or "")
    assert [r.id for r in service.pending()] == [report_id]  # the alarm still lists it

    standin.failures.clear()  # the rounds after giving up queued failures nobody consumed
    refused = draft(service, make_facts(ctx, "acct-3"))
    standin.fail_next("/submit", 4100)
    with pytest.raises(Exception, match="4100"):
        service.send(refused, by="cs", client=client)
    assert service.get(refused).status == "FAILED"
    assert resend_due(service, client=client, policy=policy) == []
