"""``rempart le``: export bundles, Art. 18 referrals, data-subject exports, personal-data purge.

The command line runs as the operator; exports still name a role (``--role``), checked by the
vault against each object's category, and every export is a ledger event.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

from rempart.cli.common import console, fail, handled, services
from rempart.evidence.bundle import make_bundle
from rempart.evidence.dsar import PersonalData
from rempart.evidence.referrals import ReferralOut, Referrals

app = typer.Typer(
    help="Law enforcement: export bundles, Art. 18 referrals, data-subject exports.",
    no_args_is_help=True,
)

By = Annotated[str, typer.Option("--by", help="who acts (recorded in the ledger)")]
Role = Annotated[
    str, typer.Option("--role", help="role the export is made under (legal or child_safety)")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="JSON on stdout")]


def _me() -> str:
    return f"cli:{getpass.getuser()}"


def _roles(role: str) -> list[str]:
    if role not in ("legal", "child_safety"):
        raise fail("--role is legal or child_safety")
    return [role]


def _show(refs: list[ReferralOut], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in refs], indent=2))
        return
    for r in refs:
        state = f"sent {r.sent_at:%Y-%m-%d %H:%M} via {r.channel}" if r.sent_at else "PENDING"
        console.print(
            f"{r.referral_id} case {r.case_id} -> {r.recipient_authority} "
            f"[{','.join(r.member_states) or 'unclear'}] {state}"
        )


@app.command("bundle")
@handled
def bundle(
    output: Annotated[Path, typer.Option("-o", "--output", help="where to write the .zip")],
    case: Annotated[int | None, typer.Option("--case", help="case id")] = None,
    objects: Annotated[
        list[int] | None, typer.Option("--object", help="vault object id (repeatable)")
    ] = None,
    purpose: Annotated[str, typer.Option(help="why it is exported")] = "law-enforcement request",
    role: Role = "legal",
    by: By = "",
) -> None:
    """Write a signed export bundle of a case (or some objects) to a file."""
    with services() as ctx:
        out = make_bundle(
            ctx, case_id=case, object_ids=objects, actor=by or _me(), purpose=purpose,
            roles=_roles(role),
        )  # fmt: skip
    output.write_bytes(out.data)
    console.print(
        f"bundle {out.bundle_id}: {len(out.object_ids)} objects, head size {out.tree_size}, "
        f"manifest sha256 {out.manifest_sha256} -> {output}"
    )


@app.command("refer")
@handled
def refer(
    case: Annotated[int, typer.Argument(help="case id")],
    state: Annotated[
        list[str] | None, typer.Option("--state", help="member state concerned (repeatable)")
    ] = None,
    offence: Annotated[str | None, typer.Option(help="the suspected offence")] = None,
    own_initiative: Annotated[bool, typer.Option(help="a person found the threat")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write the bundle")] = None,
    role: Role = "legal",
    by: By = "",
    as_json: JsonFlag = False,
) -> None:
    """Refer a threat-to-life case under DSA Art. 18 (one referral per authority)."""
    who = by or _me()
    with services() as ctx:
        refs = Referrals(ctx).refer(
            case, by=who, member_states=state, roles=_roles(role), offence_type=offence,
            own_initiative=own_initiative,
        )  # fmt: skip
        if output is not None and refs and refs[0].bundle_object_id is not None:
            output.write_bytes(
                ctx.vault.export(
                    refs[0].bundle_object_id,
                    principal_roles=_roles(role),
                    actor=who,
                    case_ref=f"case:{case}",
                    purpose="send Art. 18 referral",
                )
            )
    _show(refs, as_json)


@app.command("referrals")
@handled
def referrals(
    pending: Annotated[bool, typer.Option(help="only those not sent yet")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List referrals, oldest first."""
    with services() as ctx:
        refs = Referrals(ctx).find(pending_only=pending, limit=10_000)
    _show(refs, as_json)


@app.command("sent")
@handled
def sent(
    referral_id: str,
    channel: Annotated[str, typer.Option(help="how it was sent")],
    by: By = "",
) -> None:
    """Record that a referral was sent."""
    with services() as ctx:
        _show([Referrals(ctx).mark_sent(referral_id, channel, by or _me())], False)


@app.command("deliver")
@handled
def deliver(referral_id: str, by: By = "") -> None:
    """Deliver a referral to its authority's endpoint now (also while backing off)."""
    from rempart.evidence.referral_delivery import deliver as deliver_now
    from rempart.evidence.referral_delivery import delivered

    with services() as ctx:
        outcome = deliver_now(ctx, referral_id, by=by or _me(), force=True)
        _show([delivered(ctx, referral_id)], False)
    if outcome.result != "sent":
        raise fail(f"delivery failed ({outcome.result}): {outcome.detail}")


@app.command("ack")
@handled
def ack(referral_id: str, reference: str, by: By = "") -> None:
    """Record the authority's acknowledgement of a referral."""
    with services() as ctx:
        _show([Referrals(ctx).acknowledge(referral_id, reference, by or _me())], False)


@app.command("dsar")
@handled
def dsar(
    account: Annotated[str, typer.Argument(help="the account's platform ref")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write JSON here")] = None,
    email: Annotated[
        list[str] | None,
        typer.Option(help="an address the person used as a notifier (repeatable)"),
    ] = None,
    by: By = "",
) -> None:
    """Export an account's moderation history for an access request (notifiers redacted)."""
    with services() as ctx:
        data = PersonalData(ctx).subject_export(account, by=by or _me(), emails=email or [])
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        console.print(f"access export of {account} -> {output}")


@app.command("purge")
@handled
def purge(by: By = "") -> None:
    """Apply the personal-data retention schedule now."""
    with services() as ctx:
        report = PersonalData(ctx).purge_personal_data(by=by or "system:retention")
    console.print(
        f"blanked {len(report['notices'])} notices and {len(report['appeals'])} appeals; "
        f"kept {report['kept_for_preservation']} under preservation"
    )
