"""CyberTipline reports end to end: real database, real vault and ledger, a stand-in NCMEC."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from rempart.clock import as_utc
from rempart.compliance.ncmec.client import NcmecClient, NcmecRejected, NcmecUnavailable
from rempart.compliance.ncmec.schemas import FileIn, NcmecSettings
from rempart.compliance.ncmec.service import NcmecService
from rempart.context import Rempart
from rempart.errors import Conflict, Invalid, NotFound
from rempart.evidence.ledger.models import LedgerEvent
from rempart.evidence.vault.models import VaultHold
from rempart.moderation.models import Account, Case, Item
from tests.standins import ncmec_server
from tests.standins.ncmec_server import NcmecStandIn

CSAM_TYPE = "Child Pornography (possession, manufacture, and distribution)"


@pytest.fixture
def standin() -> Iterator[NcmecStandIn]:
    """The stand-in NCMEC on a free port."""
    with ncmec_server.serve() as state:
        yield state


def conf_for(state: NcmecStandIn, **kw: Any) -> NcmecSettings:
    """Settings pointing at the stand-in with its credentials."""
    values: dict[str, Any] = {
        "base_url": state.base_url,
        "username": ncmec_server.USER,
        "password": ncmec_server.PASSWORD,
        "reporter_email": "safety@example.org",
        "company": "Example & Co",
        "legal_url": "https://example.org/legal",
        **kw,
    }
    return NcmecSettings(**values)


@pytest.fixture
def service(rempart: Rempart, standin: NcmecStandIn) -> NcmecService:
    """The service over the real vault and ledger, configured for the stand-in."""
    return NcmecService(
        rempart.db, rempart.settings, rempart.clock, rempart.ledger, rempart.vault,
        conf=conf_for(standin),
    )  # fmt: skip


def fast_client(conf: NcmecSettings) -> NcmecClient:
    """A client that does not sleep between retries."""
    return NcmecClient(conf, sleep=lambda _s: None)


@dataclass
class Facts:
    """An account with child-safety cases and preserved files."""

    account: str
    cases: list[int]
    objects: list[int]
    contents: list[bytes]


def make_facts(rempart: Rempart, account: str = "acct-1", files: int = 2) -> Facts:
    """An account, one child-safety case per file, each file stored in the vault."""
    cases, objects, contents = [], [], []
    with rempart.db.session() as s:
        acct = Account(platform_ref=account)
        s.add(acct)
        s.flush()
        for i in range(files):
            item = Item(
                platform_ref=f"{account}-item-{i}",
                account_id=acct.id,
                url=f"https://example.org/{account}/p/{i}?a=1&b=2",
            )
            s.add(item)
            s.flush()
            case = Case(item_id=item.id, kind="child_safety", preserve=True)
            s.add(case)
            s.flush()
            cases.append(case.id)
        other = Item(platform_ref=f"{account}-other", account_id=acct.id)
        s.add(other)
        s.flush()
        s.add(Case(item_id=other.id, kind="general"))
    for i, case_id in enumerate(cases):
        data = f"file {i} of {account} ".encode() * 50
        obj = rempart.vault.store(
            None, data, category="csam", actor="intake", case_id=case_id, media_type="image/jpeg"
        )
        objects.append(obj.id)
        contents.append(data)
    return Facts(account, cases, objects, contents)


def draft(service: NcmecService, facts: Facts, **kw: Any) -> int:
    """A draft for the facts' account."""
    files = kw.pop(
        "files",
        [
            FileIn(
                vault_object_id=facts.objects[0],
                industry_classification="A1",
                annotations=["generativeAi"],
            )
        ],
    )
    out = service.draft_for_account(
        facts.account, incident_type=CSAM_TYPE, files=files, by="cs-analyst", **kw
    )
    return out.id


def test_full_flow_stores_report_id_files_and_one_year_holds(
    rempart: Rempart, service: NcmecService, standin: NcmecStandIn
) -> None:
    facts = make_facts(rempart)
    report_id = draft(service, facts, annotations=["sextortion"])
    drafted = service.get(report_id)
    assert drafted.status == "DRAFT"
    assert drafted.case_ids == facts.cases  # all open child-safety cases, not the general one
    assert [f.vault_object_id for f in drafted.files] == facts.objects  # all the account's files

    out = service.send(report_id, by="cs-analyst", client=fast_client(service.conf))

    assert out.status == "FINISHED" and out.finished_at is not None
    assert out.ncmec_report_id in standin.reports
    stored = standin.reports[out.ncmec_report_id]
    assert stored.finished and stored.xml == service.submitted_xml(report_id)
    assert set(stored.files) == {f.ncmec_file_id for f in out.files}
    for f, content in zip(out.files, facts.contents, strict=True):
        assert f.state == "info_sent"
        assert f.md5 == hashlib.md5(content).hexdigest() == stored.files[f.ncmec_file_id].md5  # type: ignore[index]
        assert f.sha256 == hashlib.sha256(content).hexdigest()
    sent = ET.fromstring(stored.xml)
    assert [u.text for u in sent.findall("internetDetails/webPageIncident/url")] == [
        f"https://example.org/{facts.account}/p/{i}?a=1&b=2" for i in range(2)
    ]
    assert sent.findtext("personOrUserReported/espIdentifier") == facts.account
    assert [a.tag for a in sent.find("incidentSummary/reportAnnotations")] == ["sextortion"]  # type: ignore[union-attr]
    assert sent.findtext("reporter/reportingPerson/email") == "safety@example.org"
    assert sent.findtext("reporter/companyTemplate") == "Example & Co"
    first = stored.files[out.files[0].ncmec_file_id]  # type: ignore[index]
    assert first.details is not None
    assert first.details.findtext("industryClassification") == "A1"
    assert [a.tag for a in first.details.find("fileAnnotations")] == ["generativeAi"]  # type: ignore[union-attr]
    assert first.details.findtext("originalFileHash") == out.files[0].sha256
    assert standin.calls == {"/submit": 1, "/upload": 2, "/fileinfo": 2, "/finish": 1}

    with rempart.db.session() as s:
        holds = s.scalars(select(VaultHold).order_by(VaultHold.object_id)).all()
        assert [h.object_id for h in holds] == facts.objects
        for h in holds:
            assert h.legal_basis == "USC_2258A_H"
            assert as_utc(h.starts_at) == out.finished_at
            assert as_utc(h.expires_at) - as_utc(h.starts_at) >= timedelta(days=365)  # type: ignore[arg-type]
        kinds = [
            e.kind
            for e in s.scalars(
                select(LedgerEvent)
                .where(LedgerEvent.subject == f"ncmec_report:{report_id}")
                .order_by(LedgerEvent.seq)
            )
        ]
    assert kinds == ["ncmec_report_drafted", "ncmec_report_submitted", "ncmec_report_finished"]

    # sending again changes nothing and calls nobody
    again = service.send(report_id, by="cs-analyst", client=fast_client(service.conf))
    assert again.status == "FINISHED"
    assert sum(standin.calls.values()) == 6


def test_file_viewed_by_esp_false_unless_a_view_was_recorded(
    rempart: Rempart, service: NcmecService, standin: NcmecStandIn
) -> None:
    facts = make_facts(rempart)
    # a person opens the second file through the vault: that view is in the ledger
    rempart.vault.read(
        facts.objects[1],
        principal_roles=["child_safety"],
        actor="analyst-7",
        case_ref=f"case:{facts.cases[1]}",
        purpose="review",
    )
    report_id = draft(service, facts)
    out = service.send(report_id, by="cs-analyst", client=fast_client(service.conf))
    viewed = {f.vault_object_id: f.file_viewed_by_esp for f in out.files}
    assert viewed == {facts.objects[0]: False, facts.objects[1]: True}
    stored = standin.reports[out.ncmec_report_id]  # type: ignore[index]
    sent = {
        stored.files[f.ncmec_file_id].details.findtext("fileViewedByEsp")  # type: ignore[union-attr,index]
        for f in out.files
        if f.vault_object_id == facts.objects[0]
    }
    assert sent == {"false"}  # our own read for the upload is not a human view


class Crash(BaseException):
    """A process dying mid-flow (not an ``Exception``: nothing may catch it)."""


class CrashingClient(NcmecClient):
    """Dies after ``after`` completed API calls, as a killed worker would."""

    def __init__(self, conf: NcmecSettings, after: int) -> None:
        super().__init__(conf, sleep=lambda _s: None)
        self.left = after

    def _request(self, path: str, **kw: Any) -> dict[str, Any]:
        if self.left == 0:
            raise Crash(path)
        self.left -= 1
        return super()._request(path, **kw)


@pytest.mark.parametrize("after", [0, 1, 2, 3, 4, 5])
def test_crash_at_any_step_resumes_without_duplicates(
    rempart: Rempart, service: NcmecService, standin: NcmecStandIn, after: int
) -> None:
    facts = make_facts(rempart)
    report_id = draft(service, facts)
    with pytest.raises(Crash):
        service.send(report_id, by="cs-analyst", client=CrashingClient(service.conf, after))
    assert service.get(report_id).status != "FINISHED"
    assert [r.id for r in service.pending()] == [report_id]  # the alarm sees it

    out = service.send(report_id, by="cs-analyst", client=fast_client(service.conf))

    assert out.status == "FINISHED"
    assert standin.calls == {"/submit": 1, "/upload": 2, "/fileinfo": 2, "/finish": 1}
    assert len(standin.reports) == 1
    assert len(standin.reports[out.ncmec_report_id].files) == 2  # type: ignore[index]
    assert service.pending() == []


def test_lost_finish_answer_is_recognised_and_holds_are_placed_once(
    rempart: Rempart, service: NcmecService, standin: NcmecStandIn
) -> None:
    facts = make_facts(rempart, files=1)
    report_id = draft(service, facts)

    class LosesFinishAnswer(NcmecClient):
        def finish(self, report_id: str) -> list[str]:
            super().finish(report_id)
            raise Crash("answer lost")

    with pytest.raises(Crash):
        service.send(report_id, by="x", client=LosesFinishAnswer(service.conf))
    assert service.get(report_id).status == "FILES_UPLOADED"
    out = service.send(report_id, by="x", client=fast_client(service.conf))  # NCMEC says 5102
    assert out.status == "FINISHED"
    service.send(report_id, by="x", client=fast_client(service.conf))
    with rempart.db.session() as s:
        assert len(s.scalars(select(VaultHold)).all()) == 1


def test_transient_failures_are_retried_and_validation_codes_are_not(
    rempart: Rempart, service: NcmecService, standin: NcmecStandIn
) -> None:
    facts = make_facts(rempart, files=1)
    report_id = draft(service, facts)
    standin.fail_next("/submit", 503)
    standin.fail_next("/submit", 1000)
    standin.fail_next("/upload", 1110)
    standin.fail_next("/fileinfo", 4100)
    with pytest.raises(NcmecRejected) as err:
        service.send(report_id, by="x", client=fast_client(service.conf))
    assert err.value.response_code == 4100
    failed = service.get(report_id)
    assert failed.status == "FAILED" and failed.last_response_code == 4100
    assert standin.calls == {"/submit": 3, "/upload": 2, "/fileinfo": 1}
    # a person fixed the cause: the report resumes at /fileinfo
    out = service.send(report_id, by="x", client=fast_client(service.conf))
    assert out.status == "FINISHED"
    assert standin.calls == {"/submit": 3, "/upload": 2, "/fileinfo": 2, "/finish": 1}


def test_retries_run_out_and_the_step_can_be_run_again(
    rempart: Rempart, service: NcmecService, standin: NcmecStandIn
) -> None:
    facts = make_facts(rempart, files=1)
    report_id = draft(service, facts)
    standin.fail_next("/submit", 500, times=5)
    with pytest.raises(NcmecUnavailable):
        service.send(report_id, by="x", client=fast_client(service.conf))
    waiting = service.get(report_id)
    assert waiting.status == "DRAFT" and waiting.ncmec_report_id is None and waiting.last_error
    assert service.send(report_id, by="x", client=fast_client(service.conf)).status == "FINISHED"
    assert len(standin.reports) == 1


def test_network_errors_are_retried(standin: NcmecStandIn) -> None:
    attempts = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(request.url.path)
        if len(attempts) < 3:
            raise httpx.ConnectError("refused", request=request)
        body = ncmec_server.xml_response(0, "Success", reportId="7")
        return httpx.Response(200, content=body)

    client = NcmecClient(
        conf_for(standin), http=httpx.Client(transport=httpx.MockTransport(flaky)),
        sleep=lambda _s: None,
    )  # fmt: skip
    assert client.submit(b"<report/>") == "7"
    assert len(attempts) == 3


def test_bad_credentials_are_refused_without_retry(standin: NcmecStandIn) -> None:
    client = NcmecClient(conf_for(standin, password="wrong"), sleep=lambda _s: None)
    with pytest.raises(NcmecRejected) as err:
        client.status()
    assert err.value.response_code == 2000
    assert standin.calls["/status"] == 1
    assert NcmecClient(conf_for(standin)).status()["responseCode"] == 0


def test_retract_before_finish_and_no_action_after(
    rempart: Rempart, service: NcmecService, standin: NcmecStandIn
) -> None:
    facts = make_facts(rempart, files=1)
    report_id = draft(service, facts)
    with pytest.raises(Crash):
        service.send(report_id, by="x", client=CrashingClient(service.conf, 2))  # submit, upload
    out = service.retract(report_id, by="x", client=fast_client(service.conf))
    assert out.status == "RETRACTED"
    assert standin.reports[out.ncmec_report_id].retracted  # type: ignore[index]
    with pytest.raises(Conflict):
        service.send(report_id, by="x", client=fast_client(service.conf))
    with pytest.raises(Conflict):
        service.retract(report_id, by="x", client=fast_client(service.conf))
    # the stand-in refuses actions on a retracted report on its own too
    with pytest.raises(NcmecRejected) as err:
        fast_client(service.conf).finish(out.ncmec_report_id)  # type: ignore[arg-type]
    assert err.value.response_code == 5101
    # the account may now be reported afresh
    assert draft(service, facts) != report_id


def test_a_draft_without_submit_is_retracted_locally(
    rempart: Rempart, service: NcmecService, standin: NcmecStandIn
) -> None:
    facts = make_facts(rempart, files=1)
    report_id = draft(service, facts)
    assert service.retract(report_id, by="x").status == "RETRACTED"
    assert sum(standin.calls.values()) == 0


def test_stand_in_refuses_out_of_order_xml_and_unknown_files(standin: NcmecStandIn) -> None:
    client = NcmecClient(conf_for(standin), sleep=lambda _s: None)
    bad = (
        b"<report><reporter><reportingPerson><email>a@b.c</email></reportingPerson></reporter>"
        b"<incidentSummary><incidentType>Child Sex Trafficking</incidentType>"
        b"<incidentDateTime>2026-01-01T00:00:00+00:00</incidentDateTime></incidentSummary>"
        b"</report>"
    )
    with pytest.raises(NcmecRejected) as err:
        client.submit(bad)
    assert err.value.response_code == 4100
    with pytest.raises(NcmecRejected) as err:
        client.submit(b"<report>")
    assert err.value.response_code == 4110
    good = (
        b"<report><incidentSummary><incidentType>Child Sex Trafficking</incidentType>"
        b"<incidentDateTime>2026-01-01T00:00:00+00:00</incidentDateTime></incidentSummary>"
        b"<reporter><reportingPerson><email>a@b.c</email></reportingPerson></reporter></report>"
    )
    report_id = client.submit(good)
    file_id, md5 = client.upload(report_id, "a.bin", b"abc")
    assert md5 == hashlib.md5(b"abc").hexdigest()
    with pytest.raises(NcmecRejected) as err:
        client.fileinfo(
            f"<fileDetails><reportId>{report_id}</reportId><fileId>nope</fileId></fileDetails>".encode()
        )
    assert err.value.response_code == 5002
    with pytest.raises(NcmecRejected) as err:
        client.fileinfo(
            f"<fileDetails><fileId>{file_id}</fileId><reportId>{report_id}</reportId>"
            "</fileDetails>".encode()
        )
    assert err.value.response_code == 4100
    client.finish(report_id)
    with pytest.raises(NcmecRejected) as err:
        client.finish(report_id)
    assert err.value.response_code == 5102


def test_drafting_rules(rempart: Rempart, service: NcmecService) -> None:
    facts = make_facts(rempart)
    with pytest.raises(NotFound):
        service.draft_for_account("nobody", incident_type=CSAM_TYPE, by="x")
    with pytest.raises(Invalid, match="not live evidence"):
        draft(service, facts, files=[FileIn(vault_object_id=9999)])
    other = make_facts(rempart, account="acct-2", files=1)
    with pytest.raises(Invalid, match="not live evidence"):
        draft(service, facts, files=[FileIn(vault_object_id=other.objects[0])])
    with pytest.raises(Invalid, match="future"):
        draft(service, facts, incident_at=rempart.clock() + timedelta(hours=1))
    first = draft(service, facts)
    with pytest.raises(Conflict, match=str(first)):
        draft(service, facts)  # one report per suspect account
    with rempart.db.session() as s:
        s.add(Account(platform_ref="clean"))
    with pytest.raises(Invalid, match="no open child-safety case"):
        service.draft_for_account("clean", incident_type=CSAM_TYPE, by="x")
    with pytest.raises(Invalid):
        service.draft_for_account(facts.account, incident_type="Something else", by="x")
    with pytest.raises(ValidationError):
        FileIn(vault_object_id=other.objects[0], annotations=["x"])  # type: ignore[list-item]
