"""Art. 18 referrals on SQLite and PostgreSQL: state resolution, the signed export, holds,
sending and acknowledgement, each a ledger event."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import pytest
from sqlalchemy import select

from rempart.context import Rempart
from rempart.errors import Conflict, Invalid, NotFound
from rempart.evidence.ledger.models import LedgerEvent
from rempart.evidence.referrals import Art18Settings, Authority, Referrals
from rempart.moderation.models import Case, Item, Notice, NoticeItem
from tests.evidence.test_bundle import vb

OTHER = "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"


def make_case(
    ctx: Rempart,
    *,
    threat: bool = True,
    states: list[str | None] | None = None,
    territories: list[str] | None = None,
) -> int:
    with ctx.db.session() as s:
        item = Item(platform_ref=f"post-{uuid.uuid4().hex[:6]}", territories=territories or [])
        s.add(item)
        s.flush()
        case = Case(item_id=item.id)
        s.add(case)
        s.flush()
        for st in states if states is not None else [None]:
            n = Notice(
                uuid=str(uuid.uuid4()),
                category=OTHER,
                notifier_type="individual",
                notifier_name="Jeanne Secret",
                notifier_email="jeanne@example.org",
                member_state=st,
                threat_to_life=threat,
                explanation="they say they will attack the school tomorrow",
            )
            s.add(n)
            s.flush()
            s.add(NoticeItem(notice_id=n.id, item_id=item.id, case_id=case.id))
        return case.id


def store(ctx: Rempart, case_id: int, data: bytes = b"post text", cat: str = OTHER) -> int:
    return ctx.vault.store(None, data, category=cat, actor="intake", case_id=case_id).id


def test_french_notice_goes_to_pharos_as_a_verifiable_signed_bundle(ctx: Rempart) -> None:
    case_id = make_case(ctx, states=["fr"])
    oid = store(ctx, case_id)
    (ref,) = Referrals(ctx).refer(case_id, by="legal:ann", offence_type="threat of attack")
    assert ref.recipient_authority.startswith("PHAROS") and ref.recipient_state == "FR"
    assert ref.member_states == ["FR"] and ref.state_resolution == "notice"
    assert ref.trigger == "notice" and ref.sent_at is None
    assert ref.bundle_object_id is not None
    blob = ctx.vault.export(
        ref.bundle_object_id, principal_roles=["legal"], actor="legal:ann",
        case_ref=f"case:{case_id}", purpose="send referral",
    )  # fmt: skip
    summary = vb.verify(blob, ctx.ledger.public_key_pem())
    assert summary["bundle_id"] == ref.bundle_id and summary["objects"] == 1
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        referral = json.loads(zf.read("referral.json"))
        import hashlib

        assert hashlib.sha256(zf.read("manifest.json")).hexdigest() == ref.payload_sha256
    assert referral["threat_to_life_or_safety"] is True
    assert "Jeanne" not in json.dumps(referral) and "jeanne@" not in json.dumps(referral)
    held = ctx.vault.describe(oid)
    assert held.held and [h.legal_basis for h in held.holds] == ["DSA_ART18"]
    with ctx.db.session() as s:
        assert s.get(Case, case_id).preserve is True  # type: ignore[union-attr]
    assert [r.referral_id for r in Referrals(ctx).pending()] == [ref.referral_id]


def test_unclear_state_goes_to_europol_and_the_establishment_state(ctx: Rempart) -> None:
    case_id = make_case(ctx, territories=["FR", "DE", "IT", "ES"])
    conf = Art18Settings(establishment_state="IE")
    refs = Referrals(ctx, conf).refer(case_id, by="legal:ann")
    assert [r.recipient_kind for r in refs] == ["europol", "national_lea"]
    assert refs[0].recipient_authority.startswith("Europol")
    assert refs[1].recipient_state == "IE" and refs[0].state_resolution == "fallback"
    assert refs[0].bundle_id == refs[1].bundle_id


def test_territories_and_configured_authorities(ctx: Rempart) -> None:
    conf = Art18Settings(authorities={"BE": Authority(name="Federal Computer Crime Unit")})
    case_id = make_case(ctx, states=[None], territories=["BE", "NL"])
    refs = Referrals(ctx, conf).refer(case_id, by="legal:ann")
    assert [(r.recipient_state, r.recipient_authority) for r in refs] == [
        ("BE", "Federal Computer Crime Unit"),
        ("NL", "national law enforcement of NL"),
    ]
    assert refs[0].state_resolution == "territory"
    given = Referrals(ctx, conf).refer(case_id, by="legal:ann", member_states=["fr"])
    assert given[0].recipient_authority.startswith("PHAROS")


def test_env_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "REMPART_ART18_AUTHORITIES", json.dumps({"DE": {"name": "BKA", "channel": "ZMI"}})
    )
    monkeypatch.setenv("REMPART_ART18_ESTABLISHMENT_STATE", "IE")
    conf = Art18Settings()
    assert conf.authority("DE").name == "BKA" and conf.establishment_state == "IE"
    assert conf.authority("FR").name.startswith("PHAROS")  # defaults stay


def test_sending_and_acknowledgement_are_tracked(ctx: Rempart) -> None:
    case_id = make_case(ctx, states=["FR"])
    (ref,) = Referrals(ctx).refer(case_id, by="legal:ann")
    r = Referrals(ctx)
    with pytest.raises(Conflict):
        r.acknowledge(ref.referral_id, "PH-1")
    sent = r.mark_sent(ref.referral_id, "PHAROS portal", "legal:bob")
    assert sent.sent_at is not None and sent.channel == "PHAROS portal"
    with pytest.raises(Conflict):
        r.mark_sent(ref.referral_id, "again", "legal:bob")
    (listed,) = r.find()
    assert listed.sent_at == ctx.clock() and listed.sent_at.tzinfo is not None
    acked = r.acknowledge(ref.referral_id, "PH-2026-0042", "legal:bob")
    assert acked.acknowledgement == "PH-2026-0042" and r.pending() == []
    with ctx.db.session() as s:
        kinds = s.scalars(
            select(LedgerEvent.kind).where(LedgerEvent.subject == f"case:{case_id}")
        ).all()
    assert kinds == [
        "bundle.exported",
        "referral.created",
        "referral.sent",
        "referral.acknowledged",
    ]
    with pytest.raises(NotFound):
        r.mark_sent("nope", "x", "y")


def test_refusals(ctx: Rempart) -> None:
    plain = make_case(ctx, threat=False)
    with pytest.raises(Conflict):
        Referrals(ctx).refer(plain, by="legal:ann")
    assert Referrals(ctx).refer(plain, by="legal:ann", own_initiative=True)[0].trigger == (
        "own_initiative"
    )
    with pytest.raises(NotFound):
        Referrals(ctx).refer(999, by="legal:ann")
    case_id = make_case(ctx)
    with pytest.raises(Invalid):
        Referrals(ctx).refer(case_id, by="legal:ann", member_states=["France"])
