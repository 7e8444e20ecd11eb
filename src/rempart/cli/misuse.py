"""``rempart misuse``: a subject's Art. 23 record, strikes, revoking, lifting, releasing."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from rempart.cli.common import console, handled, services
from rempart.moderation.misuse_schemas import MisuseActionOut, MisuseRecord

app = typer.Typer(
    help="Art. 23 misuse: strikes, warnings, time-limited suspensions.", no_args_is_help=True
)
TYPES = "account, notifier or complainant"


def _operator() -> str:
    """Who runs the command, recorded with each step."""
    try:
        return "cli:" + getpass.getuser()
    except (OSError, KeyError):
        return "cli"


By = Annotated[str | None, typer.Option("--by", help="who decides (default: cli:<user>)")]
Json = Annotated[bool, typer.Option("--json", help="print JSON")]


def _action_line(a: MisuseActionOut) -> str:
    if a.action == "warning":
        return f"warning #{a.id} of {a.created_at:%Y-%m-%d}"
    end = f"{a.ends_at:%Y-%m-%d %H:%M}" if a.ends_at else "-"
    lifted = " (lifted)" if a.lifted else ""
    return f"suspension #{a.id} ({a.suspension_type}) until {end}{lifted}"


def _print(rec: MisuseRecord) -> None:
    console.print(f"{rec.subject_type} {escape(rec.subject_ref)}: active weight {rec.weight:g}")
    now = rec.current_suspension
    console.print(f"suspended: {_action_line(now)}" if now else "suspended: no")
    strikes = Table("strike", "weight", "created", "expires", "state", "reason")
    for s in rec.strikes:
        state = "revoked" if s.revoked_at else ("active" if s.active else "expired")
        strikes.add_row(
            str(s.id),
            f"{s.weight:g}",
            f"{s.created_at:%Y-%m-%d}",
            f"{s.expires_at:%Y-%m-%d}",
            state,
            escape(s.reason.split("\n", 1)[0]),
        )
    console.print(strikes)
    actions = Table("action", "by", "reason")
    for a in rec.actions:
        actions.add_row(_action_line(a), escape(a.decided_by), escape(a.reason))
    console.print(actions)


@app.command("show")
@handled
def show(
    subject_type: Annotated[str, typer.Argument(help=TYPES)],
    ref: Annotated[str, typer.Argument(help="the subject's reference")],
    as_json: Json = False,
) -> None:
    """Show a subject's weight, strikes, warnings and suspensions."""
    with services() as ctx:
        rec = ctx.misuse.history(subject_type, ref)
    if as_json:
        print(rec.model_dump_json(indent=2))
    else:
        _print(rec)


@app.command("strike")
@handled
def strike(
    subject_type: Annotated[str, typer.Argument(help=TYPES)],
    ref: Annotated[str, typer.Argument(help="the subject's reference")],
    weight: Annotated[float, typer.Option(help="gravity of the misuse (0-100]")] = 1.0,
    reason: Annotated[str, typer.Option(help="why (recorded, shown in the record)")] = "",
    decision_id: Annotated[int | None, typer.Option(help="the decision behind it")] = None,
    expires_days: Annotated[int | None, typer.Option(help="override the default expiry")] = None,
    total: Annotated[
        int | None, typer.Option(help="everything the subject sent in the window (ratio)")
    ] = None,
    by: By = None,
) -> None:
    """Record a strike and take the step it makes due (a warning or a suspension)."""
    with services() as ctx, ctx.db.session() as s:
        out = ctx.misuse.add_strike(
            s,
            subject_type=subject_type,
            subject_ref=ref,
            weight=weight,
            reason=reason,
            decision_id=decision_id,
            expires_days=expires_days,
        )
        action = ctx.misuse.assess(s, subject_type, ref, total_count=total, by=by or _operator())
    console.print(f"strike {out.id} (weight {out.weight:g}, expires {out.expires_at:%Y-%m-%d})")
    if action is not None:
        console.print(f"{_action_line(action)}: {escape(action.reason)}")


@app.command("revoke")
@handled
def revoke(
    strike_id: Annotated[int, typer.Argument(help="strike id")],
    reason: Annotated[str, typer.Option(help="why it no longer counts")] = "",
    by: By = None,
) -> None:
    """Revoke a strike (e.g. its decision was reversed on appeal)."""
    with services() as ctx:
        out = ctx.misuse.revoke_strike(strike_id, by or _operator(), reason)
    console.print(f"revoked strike {out.id} of {out.subject_type} {escape(out.subject_ref)}")


@app.command("lift")
@handled
def lift(
    action_id: Annotated[int, typer.Argument(help="suspension id")],
    reason: Annotated[str, typer.Option(help="why it ends early")] = "",
    by: By = None,
) -> None:
    """End a suspension in force now."""
    with services() as ctx:
        out = ctx.misuse.lift(action_id, by or _operator(), reason)
    console.print(f"lifted suspension {out.id} of {out.subject_type} {escape(out.subject_ref)}")


@app.command("release")
@handled
def release() -> None:
    """Mark active again the accounts whose suspension has ended."""
    with services() as ctx:
        refs = ctx.misuse.release_due()
    console.print(
        f"released {len(refs)} account(s)" + (": " + escape(", ".join(refs)) if refs else "")
    )
