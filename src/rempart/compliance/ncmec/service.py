"""CyberTipline reports: drafted per suspect account, sent step by step, resumed after a crash.

``send`` runs ``/submit`` → ``/upload`` (each file) → ``/fileinfo`` (each file) → ``/finish``
and commits after every step, so a re-run starts at the first step not recorded: no second
``/submit`` and no file uploaded twice. Only a crash *between* NCMEC's answer and our commit
can repeat a step (the API has no idempotency key); ``pending()`` lists such reports for an
alarm. When NCMEC confirms ``/finish`` the report id is kept, every file gets the one-year
§2258A(h)(1) preservation hold, and the ledger records each step.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from rempart.clock import Clock, as_utc
from rempart.compliance.ncmec.client import NcmecClient, NcmecRejected, NcmecUnavailable
from rempart.compliance.ncmec.models import OPEN_STATUSES, NcmecReport, NcmecReportFile
from rempart.compliance.ncmec.schemas import (
    DraftIn,
    FileIn,
    FileOut,
    NcmecSettings,
    ReportedUserIn,
    ReportOut,
)
from rempart.compliance.ncmec.xml import (
    file_details_xml,
    person_or_user_reported,
    report_xml,
)
from rempart.config import Settings
from rempart.errors import Conflict, Invalid, NotFound
from rempart.moderation.models import Account, Case, Item
from rempart.store.db import Database

CHILD_SAFETY = "child_safety"
UPLOAD_PURPOSE = "ncmec_upload"
VIEW_KINDS = ("evidence.viewed", "evidence_view")  # the vault's name, and the brief's
LEGAL_BASIS = "USC_2258A_H"
ALREADY_FINISHED = 5102


def view_subject(vault_object_id: int) -> str:
    """The ledger subject naming a vault object (as ``rempart.evidence.vault.service``)."""
    return f"vault_object:{vault_object_id}"


class LedgerLike(Protocol):
    """The part of ``rempart.evidence.ledger.service.Ledger`` used here."""

    def append(
        self, session: Session, kind: str, *, actor: str, subject: str, data: dict[str, Any]
    ) -> int:
        """Append one event in the caller's transaction; its sequence number."""
        ...


class VaultLike(Protocol):
    """The part of ``rempart.evidence.vault.service.Vault`` used here."""

    def read(
        self,
        object_id: int,
        *,
        principal_roles: list[str],
        actor: str,
        case_ref: str | None,
        purpose: str,
    ) -> bytes:
        """The plaintext of an object (the read itself is logged)."""
        ...

    def ncmec_preservation(self, object_id: int, report_finished_at: datetime, by: str) -> Any:
        """The one-year §2258A(h)(1) hold, starting when the report was finished."""
        ...


class NcmecService:
    """Drafts, sends, resumes and retracts CyberTipline reports."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        ledger: LedgerLike,
        vault: VaultLike,
        conf: NcmecSettings | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.ledger = ledger
        self.vault = vault
        self.conf = conf or NcmecSettings()

    # --- drafting ---------------------------------------------------------------------------

    def draft_for_account(
        self,
        account_ref: str,
        *,
        incident_type: str,
        by: str,
        files: list[FileIn] | None = None,
        annotations: list[str] | None = None,
        incident_at: datetime | None = None,
        additional_info: str | None = None,
        reported: ReportedUserIn | dict[str, Any] | None = None,
    ) -> ReportOut:
        """A DRAFT report for one suspect account, with its files and open child-safety cases.

        One open report per account: a second draft while one is unfinished is a conflict.
        Every live vault object of those cases is a file of the report; ``files`` sets the
        classification and annotations of some of them (others get the defaults).
        """
        try:
            body = DraftIn.model_validate(
                {
                    "account_ref": account_ref,
                    "incident_type": incident_type,
                    "incident_at": incident_at,
                    "annotations": annotations or [],
                    "files": files or [],
                    "additional_info": additional_info,
                    "reported": reported,
                }
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise Invalid(f"{where}: {first['msg']}") from None
        now = self.clock()
        with self.db.session() as s:
            account = s.scalar(select(Account).where(Account.platform_ref == account_ref))
            if account is None:
                raise NotFound(f"no account {account_ref!r}")
            open_report = s.scalar(
                select(NcmecReport.id).where(
                    NcmecReport.account_ref == account_ref,
                    NcmecReport.status.in_(OPEN_STATUSES),
                )
            )
            if open_report is not None:
                raise Conflict(
                    f"account {account_ref!r} already has unfinished report {open_report}"
                )
            rows = s.execute(
                select(Case.id, Item.platform_ref, Case.opened_at)
                .join(Item, Item.id == Case.item_id)
                .where(Item.account_id == account.id, Case.kind == CHILD_SAFETY)
                .where(Case.status == "open")
                .order_by(Case.id)
            ).all()
            if not rows:
                raise Invalid(f"account {account_ref!r} has no open child-safety case")
            files_in = self._account_files(s, {cid: ref for cid, ref, _ in rows}, body.files)
            urls = sorted(
                {
                    u
                    for u in s.scalars(
                        select(Item.url)
                        .join(Case, Case.item_id == Item.id)
                        .where(Case.id.in_([cid for cid, _, _ in rows]))
                    )
                    if u
                }
            )
            at = body.incident_at or min(as_utc(opened) for _, _, opened in rows)
            if as_utc(at) > now:
                raise Invalid("incident_at must not be in the future")
            report = NcmecReport(
                account_ref=account_ref,
                case_ids=[cid for cid, _, _ in rows],
                status="DRAFT",
                incident_type=body.incident_type,
                incident_at=at,
                annotations=list(body.annotations),
                details={
                    "additional_info": body.additional_info,
                    "urls": urls,
                    "reported": body.reported.model_dump(mode="json") if body.reported else None,
                },
                created_by=by,
                created_at=now,
            )
            s.add(report)
            s.flush()
            for f, item_ref, sha256, name in files_in:
                s.add(
                    NcmecReportFile(
                        report_id=report.id,
                        vault_object_id=f.vault_object_id,
                        item_ref=item_ref,
                        file_name=name,
                        sha256=sha256,
                        exif_viewed_by_esp=f.exif_viewed_by_esp,
                        publicly_available=f.publicly_available,
                        file_relevance=f.file_relevance,
                        industry_classification=f.industry_classification,
                        annotations=list(f.annotations),
                        uploaded_to_esp_at=f.uploaded_to_esp_at,
                        file_viewed_by_esp=False,  # set only from a recorded view, at upload
                        state="pending",
                    )
                )
            self.ledger.append(
                s,
                "ncmec_report_drafted",
                actor=by,
                subject=f"ncmec_report:{report.id}",
                data={"account_ref": account_ref, "case_ids": report.case_ids},
            )
            s.flush()
            return self._out(s, report)

    @staticmethod
    def _account_files(
        s: Session, case_items: dict[int, str], given: list[FileIn]
    ) -> list[tuple[FileIn, str, str, str]]:
        """Every live vault object of the cases: the given settings, else the defaults."""
        from rempart.evidence.vault.models import VaultObject

        objects = {
            o.id: o
            for o in s.scalars(
                select(VaultObject)
                .where(VaultObject.case_id.in_(case_items), VaultObject.destroyed_at.is_(None))
                .order_by(VaultObject.id)
            )
        }
        named = {f.vault_object_id: f for f in given}
        if len(named) != len(given):
            raise Invalid("a file is named twice")
        for oid in named:
            if oid not in objects:
                raise Invalid(
                    f"vault object {oid} is not live evidence of an open child-safety case "
                    "of this account"
                )
        out = []
        for oid, obj in objects.items():
            f = named.get(oid) or FileIn(vault_object_id=oid)
            ext = mimetypes.guess_extension(obj.media_type) or ".bin"
            name = f.file_name or f"{obj.sha256[:16]}{ext}"
            out.append((f, case_items[obj.case_id or 0], obj.sha256, name))
        return out

    # --- reading ----------------------------------------------------------------------------

    def get(self, report_id: int) -> ReportOut:
        """One report with its files."""
        with self.db.session() as s:
            return self._out(s, self._report(s, report_id))

    def reports(self, status: str | None = None, limit: int = 100) -> list[ReportOut]:
        """Reports, newest first, optionally of one status."""
        with self.db.session() as s:
            q = select(NcmecReport).order_by(NcmecReport.id.desc()).limit(limit)
            if status:
                q = q.where(NcmecReport.status == status)
            return [self._out(s, r) for r in s.scalars(q)]

    def pending(self, older_than: timedelta = timedelta(0)) -> list[ReportOut]:
        """Unfinished reports created more than ``older_than`` ago: for the alarm."""
        cutoff = self.clock() - older_than
        with self.db.session() as s:
            rows = s.scalars(
                select(NcmecReport)
                .where(NcmecReport.status.in_(OPEN_STATUSES))
                .order_by(NcmecReport.id)
            )
            return [self._out(s, r) for r in rows if as_utc(r.created_at) <= cutoff]

    def submitted_xml(self, report_id: int) -> bytes | None:
        """The exact bytes sent to ``/submit`` (kept at least as long as the hold)."""
        with self.db.session() as s:
            return self._report(s, report_id).submitted_xml

    # --- sending ----------------------------------------------------------------------------

    def client(self) -> NcmecClient:
        """A client for the configured CyberTipline."""
        return NcmecClient(self.conf)

    def send(self, report_id: int, *, by: str, client: NcmecClient | None = None) -> ReportOut:
        """Run the remaining steps of the flow; safe to call again after any failure."""
        if self.get(report_id).status == "FINISHED":
            self._preserve(report_id, by)  # in case a crash came between finish and the holds
            return self.get(report_id)
        own = client is None
        api = client or self.client()
        try:
            self._submit(report_id, api, by)
            for file_id in self._files(report_id, "pending"):
                self._upload(report_id, file_id, api, by)
            for file_id in self._files(report_id, "uploaded"):
                self._fileinfo(report_id, file_id, api)
            self._finish(report_id, api, by)
        finally:
            if own:
                api.close()
        return self.get(report_id)

    @contextmanager
    def _step(self, report_id: int) -> Iterator[tuple[Session, NcmecReport]]:
        """One step in its own transaction; NCMEC's refusal is recorded, then raised."""
        error: NcmecRejected | NcmecUnavailable | None = None
        with self.db.session() as s:
            report = self._report(s, report_id)
            if report.status in ("FINISHED", "RETRACTED"):
                raise Conflict(f"report {report_id} is {report.status}")
            try:
                yield s, report
                return
            except (NcmecRejected, NcmecUnavailable) as exc:
                error = exc
        with self.db.session() as s:
            report = self._report(s, report_id)
            report.attempts += 1
            report.last_response_code = error.response_code
            if error.response_code is not None:
                report.response_codes = [*report.response_codes, error.response_code]
            report.last_error = error.detail
            if isinstance(error, NcmecRejected):
                report.status = "FAILED"
        raise error

    def _submit(self, report_id: int, api: NcmecClient, by: str) -> None:
        with self._step(report_id) as (s, report):
            if report.ncmec_report_id is not None:
                return
            if report.submitted_xml is None:
                report.submitted_xml = self._report_xml(report)
            report.attempts += 1
            ncmec_id = api.submit(report.submitted_xml)
            report.ncmec_report_id = ncmec_id
            report.status = "SUBMITTED"
            report.submitted_at = self.clock()
            report.last_response_code = 0
            report.response_codes = [*report.response_codes, 0]
            report.last_error = None
            self.ledger.append(
                s,
                "ncmec_report_submitted",
                actor=by,
                subject=f"ncmec_report:{report.id}",
                data={
                    "ncmec_report_id": ncmec_id,
                    "xml_sha256": hashlib.sha256(report.submitted_xml).hexdigest(),
                },
            )

    def _files(self, report_id: int, state: str) -> list[int]:
        with self.db.session() as s:
            return list(
                s.scalars(
                    select(NcmecReportFile.id)
                    .where(NcmecReportFile.report_id == report_id, NcmecReportFile.state == state)
                    .order_by(NcmecReportFile.id)
                )
            )

    def _upload(self, report_id: int, file_id: int, api: NcmecClient, by: str) -> None:
        with self._step(report_id) as (s, report):
            f = s.get(NcmecReportFile, file_id)
            if f is None or f.state != "pending" or report.ncmec_report_id is None:
                return
            # decided before our own read for the upload (which the vault logs as a view too);
            # nothing is written in this session before the vault's own transaction has run
            viewer = self._viewer(s, f)
            content = self._content(f, report, by)
            sha = hashlib.sha256(content).hexdigest()
            if f.sha256 and f.sha256 != sha:
                raise Invalid(f"file {f.id}: content does not match its recorded sha256")
            ncmec_file_id, md5 = api.upload(report.ncmec_report_id, f.file_name, content)
            local_md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
            if md5 and md5 != local_md5:
                raise NcmecUnavailable(f"/upload of file {f.id}: MD5 {md5} != ours {local_md5}")
            if viewer is not None:
                f.file_viewed_by_esp, f.viewed_by = True, viewer
            f.sha256 = sha
            f.ncmec_file_id = ncmec_file_id
            f.md5 = md5 or local_md5
            f.state = "uploaded"

    def _fileinfo(self, report_id: int, file_id: int, api: NcmecClient) -> None:
        with self._step(report_id) as (s, report):
            f = s.get(NcmecReportFile, file_id)
            if f is None or f.state != "uploaded" or report.ncmec_report_id is None:
                return
            api.fileinfo(self._file_xml(report, f))
            f.state = "info_sent"
            if not s.scalar(
                select(NcmecReportFile.id).where(
                    NcmecReportFile.report_id == report_id, NcmecReportFile.state != "info_sent"
                )
            ):
                report.status = "FILES_UPLOADED"

    def _finish(self, report_id: int, api: NcmecClient, by: str) -> None:
        with self._step(report_id) as (s, report):
            if report.ncmec_report_id is None:
                return
            confirmed: list[str] | None = None
            try:
                confirmed = api.finish(report.ncmec_report_id)
            except NcmecRejected as exc:
                # our commit was lost after NCMEC had finished it: the report is complete
                if exc.response_code != ALREADY_FINISHED:
                    raise
            report.status = "FINISHED"
            report.finished_at = self.clock()
            report.last_response_code = 0
            report.response_codes = [*report.response_codes, 0]
            report.last_error = None
            files = s.scalars(
                select(NcmecReportFile).where(NcmecReportFile.report_id == report_id)
            ).all()
            self.ledger.append(
                s,
                "ncmec_report_finished",
                actor=by,
                subject=f"ncmec_report:{report.id}",
                data={
                    "ncmec_report_id": report.ncmec_report_id,
                    "confirmed_file_ids": confirmed,  # None: the answer to /finish was lost
                    "files": [
                        {"ncmec_file_id": f.ncmec_file_id, "sha256": f.sha256, "md5": f.md5}
                        for f in files
                    ],
                },
            )
        self._preserve(report_id, by)

    def _preserve(self, report_id: int, by: str) -> None:
        """The one-year hold on every file of a finished report, once (re-run safe)."""
        from rempart.evidence.vault.models import VaultHold
        from rempart.evidence.vault.retention import one_year_after

        with self.db.session() as s:
            report = self._report(s, report_id)
            if report.finished_at is None:
                return
            finished = as_utc(report.finished_at)
            objects = [
                oid
                for oid in s.scalars(
                    select(NcmecReportFile.vault_object_id).where(
                        NcmecReportFile.report_id == report_id
                    )
                )
                if oid is not None
            ]
            held = {
                h.object_id
                for h in s.scalars(
                    select(VaultHold).where(
                        VaultHold.object_id.in_(objects), VaultHold.legal_basis == LEGAL_BASIS
                    )
                )
                if h.expires_at is None or as_utc(h.expires_at) >= one_year_after(finished)
            }
        for oid in objects:
            if oid not in held:
                self.vault.ncmec_preservation(oid, finished, by)

    def retract(self, report_id: int, *, by: str, client: NcmecClient | None = None) -> ReportOut:
        """Cancel an unfinished report (``/retract`` if NCMEC already holds it)."""
        own = client is None
        api = client or self.client()
        try:
            with self._step(report_id) as (s, report):
                if report.ncmec_report_id is not None:
                    api.retract(report.ncmec_report_id)
                report.status = "RETRACTED"
                report.retracted_at = self.clock()
                self.ledger.append(
                    s,
                    "ncmec_report_retracted",
                    actor=by,
                    subject=f"ncmec_report:{report.id}",
                    data={"ncmec_report_id": report.ncmec_report_id},
                )
        finally:
            if own:
                api.close()
        return self.get(report_id)

    # --- helpers ----------------------------------------------------------------------------

    def _viewer(self, s: Session, f: NcmecReportFile) -> str | None:
        """Who viewed the file, from a recorded view in the ledger; ``None``: nobody did."""
        if f.file_viewed_by_esp:
            return f.viewed_by or "recorded"
        if f.vault_object_id is None:
            return None
        from rempart.evidence.ledger.models import LedgerEvent

        events = s.scalars(
            select(LedgerEvent)
            .where(
                LedgerEvent.kind.in_(VIEW_KINDS),
                LedgerEvent.subject == view_subject(f.vault_object_id),
            )
            .order_by(LedgerEvent.seq)
        )
        for event in events:
            if (event.data or {}).get("purpose") != UPLOAD_PURPOSE:
                return event.actor
        return None

    def _content(self, f: NcmecReportFile, report: NcmecReport, by: str) -> bytes:
        if f.vault_object_id is None:
            raise Invalid(f"file {f.id} has no vault object to upload")
        return self.vault.read(
            f.vault_object_id,
            principal_roles=[CHILD_SAFETY],
            actor=by,
            case_ref=f"ncmec_report:{report.id}",
            purpose=UPLOAD_PURPOSE,
        )

    def _report_xml(self, report: NcmecReport) -> bytes:
        if not self.conf.reporter_email:
            raise Invalid("set REMPART_NCMEC_REPORTER_EMAIL: the report needs a reporter email")
        return report_xml(
            incident_type=report.incident_type,
            incident_at=as_utc(report.incident_at),
            now=self.clock(),
            reporter_email=self.conf.reporter_email,
            company=self.conf.company,
            terms_of_service=self.conf.terms_of_service,
            legal_url=self.conf.legal_url,
            annotations=report.annotations,
            platform=self.conf.platform,
            reported=person_or_user_reported(
                report.account_ref, (report.details or {}).get("reported")
            ),
            urls=(report.details or {}).get("urls") or None,
            additional_info=(report.details or {}).get("additional_info"),
        )

    def _file_xml(self, report: NcmecReport, f: NcmecReportFile) -> bytes:
        assert report.ncmec_report_id is not None and f.ncmec_file_id is not None
        hashes = {"SHA256": f.sha256} if f.sha256 else {}
        return file_details_xml(
            report_id=report.ncmec_report_id,
            file_id=f.ncmec_file_id,
            file_name=f.file_name,
            file_viewed_by_esp=f.file_viewed_by_esp,
            exif_viewed_by_esp=f.exif_viewed_by_esp,
            publicly_available=f.publicly_available,
            file_relevance=f.file_relevance,
            annotations=f.annotations,
            industry_classification=f.industry_classification,
            uploaded_to_esp_at=as_utc(f.uploaded_to_esp_at) if f.uploaded_to_esp_at else None,
            hashes=hashes,
        )

    @staticmethod
    def _report(s: Session, report_id: int) -> NcmecReport:
        report = s.get(NcmecReport, report_id)
        if report is None:
            raise NotFound(f"no NCMEC report {report_id}")
        return report

    @staticmethod
    def _out(s: Session, report: NcmecReport) -> ReportOut:
        files = s.scalars(
            select(NcmecReportFile)
            .where(NcmecReportFile.report_id == report.id)
            .order_by(NcmecReportFile.id)
        ).all()
        return ReportOut(
            id=report.id,
            account_ref=report.account_ref,
            case_ids=list(report.case_ids),
            status=report.status,
            incident_type=report.incident_type,
            annotations=list(report.annotations),
            ncmec_report_id=report.ncmec_report_id,
            attempts=report.attempts,
            last_response_code=report.last_response_code,
            last_error=report.last_error,
            created_at=as_utc(report.created_at),
            submitted_at=as_utc(report.submitted_at) if report.submitted_at else None,
            finished_at=as_utc(report.finished_at) if report.finished_at else None,
            reported=(report.details or {}).get("reported"),
            files=[
                FileOut(
                    id=f.id,
                    vault_object_id=f.vault_object_id,
                    item_ref=f.item_ref,
                    file_name=f.file_name,
                    sha256=f.sha256,
                    md5=f.md5,
                    ncmec_file_id=f.ncmec_file_id,
                    file_viewed_by_esp=f.file_viewed_by_esp,
                    exif_viewed_by_esp=f.exif_viewed_by_esp,
                    publicly_available=f.publicly_available,
                    file_relevance=f.file_relevance,
                    industry_classification=f.industry_classification,
                    annotations=list(f.annotations),
                    state=f.state,
                )
                for f in files
            ],
        )
