"""``rempart mod``: items, notices, orders, trusted flaggers, decisions, appeals, disputes.

Inputs are JSON files in the API's shapes (``-`` reads stdin), so a request that works on the
API works here. Commands that act as a person take ``--as NAME``
(the same name ``rempart queue claim --as`` used) and ``--role``: the same role rules
apply as on the API.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel
from rich.table import Table

from rempart.access.roles import parse_roles
from rempart.access.services import Principal
from rempart.cli.common import console, handled, services
from rempart.moderation.schemas import (
    AppealDecisionIn,
    AppealIn,
    DecisionIn,
    DisputeIn,
    DisputeOutcomeIn,
    ItemIn,
    NoticeIn,
    OrderIn,
    TrustedFlaggerIn,
)

app = typer.Typer(help="Moderation: notices, orders, decisions, appeals.", no_args_is_help=True)
flagger_app = typer.Typer(help="Trusted flaggers (Art. 22).", no_args_is_help=True)
app.add_typer(flagger_app, name="flagger")
M = TypeVar("M", bound=BaseModel)
FileArg = Annotated[Path, typer.Argument(help="JSON file in the API's shape, or - for stdin")]
AsOpt = Annotated[str, typer.Option("--as", help="the person taking this step")]
RoleOpt = Annotated[list[str], typer.Option("--role", help="their role(s)")]


def _read(path: Path, model: type[M]) -> M:
    text = sys.stdin.read() if str(path) == "-" else path.read_text("utf-8")
    return model.model_validate_json(text)


def _person(name: str, roles: list[str]) -> Principal:
    return Principal(key_id=0, name=name, roles=[r.value for r in parse_roles(roles)])


def _print(data: Any) -> None:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    console.print_json(json.dumps(data, default=str))


@app.command("item")
@handled
def item(path: FileArg) -> None:
    """Create or update an item (and its account)."""
    with services() as ctx:
        _print(ctx.moderation.put_item(_read(path, ItemIn)))


@app.command("ingest")
@handled
def ingest(item_ref: str, media: Path) -> None:
    """Scan a file as an upload of an item and carry out the policy's verdict."""
    with services(load_index=True) as ctx:
        _print(ctx.moderation.ingest(item_ref, media.read_bytes()))


@app.command("notice")
@handled
def notice(path: FileArg) -> None:
    """Submit a notice (Art. 16) and print its receipt."""
    with services() as ctx:
        _print(ctx.notices.submit(_read(path, NoticeIn)))


@app.command("order")
@handled
def order(path: FileArg) -> None:
    """Record an authority's order (Arts 9, 10); act orders are queued by deadline."""
    with services() as ctx:
        _print(ctx.notices.receive_order(_read(path, OrderIn)))


@app.command("orders")
@handled
def orders() -> None:
    """List orders with their deadlines."""
    with services() as ctx:
        rows = ctx.notices.orders()
    table = Table("id", "kind", "state", "authority", "received", "deadline", "effect given")
    for o in rows:
        table.add_row(
            str(o.id),
            o.kind,
            o.issuing_member_state,
            o.issuing_authority,
            o.received_at.isoformat(timespec="minutes"),
            o.deadline_at.isoformat(timespec="minutes") if o.deadline_at else "",
            o.effect_given_at.isoformat(timespec="minutes") if o.effect_given_at else "",
        )
    console.print(table)


@flagger_app.command("add")
@handled
def flagger_add(path: FileArg) -> None:
    """Register a trusted flagger; prints the API key it sends notices with (once)."""
    with services() as ctx:
        body = _read(path, TrustedFlaggerIn)
        key, secret = ctx.keys.create(f"trusted-flagger:{body.name}", ["trusted_flagger"])
        out = ctx.notices.add_flagger(body, key.id)
    _print(out)
    console.print(secret, markup=False, highlight=False)


@flagger_app.command("list")
@handled
def flagger_list() -> None:
    """Trusted flaggers and the share of their notices that led to action."""
    with services() as ctx:
        rows = ctx.notices.flaggers()
    table = Table("id", "name", "DSC", "status", "notices", "decided", "actioned", "share")
    for f in rows:
        share = f"{f.action_share:.0%}" if f.action_share is not None else ""
        table.add_row(
            str(f.id),
            f.name,
            f.awarding_dsc,
            f.status,
            str(f.notices),
            str(f.decided),
            str(f.actioned),
            share,
        )
    console.print(table)


@app.command("decide")
@handled
def decide(
    job_id: int,
    path: FileArg,
    lease_token: Annotated[int, typer.Option(help="the token the claim returned")],
    person: AsOpt,
    role: RoleOpt,
) -> None:
    """Decide the case of a review job you hold."""
    with services() as ctx:
        out = ctx.decisions.decide_job(
            job_id, _read(path, DecisionIn), _person(person, role), lease_token
        )
    _print(out)


@app.command("review")
@handled
def review(
    job_id: int,
    lease_token: Annotated[int, typer.Option(help="the token the claim returned")],
    reason: Annotated[str, typer.Option(help="why")],
    person: AsOpt,
    role: RoleOpt,
    confirm: Annotated[bool, typer.Option("--confirm/--overturn", help="the rule's action")] = True,
) -> None:
    """Confirm or overturn a rule's automated action on the case of a job you hold."""
    with services() as ctx:
        out = ctx.decisions.review_job(
            job_id,
            confirm=confirm,
            reason=reason,
            principal=_person(person, role),
            lease_token=lease_token,
        )
    _print(out)


@app.command("case")
@handled
def case(
    case_id: int,
    role: Annotated[list[str], typer.Option("--role", help="your role(s)")] = ["auditor"],  # noqa: B006
) -> None:
    """Show a case: item, notices, flags, jobs, decisions."""
    with services() as ctx:
        _print(ctx.moderation.case(case_id, [r.value for r in parse_roles(role)]))


@app.command("close")
@handled
def close(
    case_id: int,
    reason: Annotated[str, typer.Option(help="why the case is closed")],
    person: AsOpt,
    role: RoleOpt,
) -> None:
    """Close a case as a person (the only way a child-safety case closes)."""
    with services() as ctx:
        _print(ctx.moderation.close_case(case_id, _person(person, role), reason))


@app.command("decision")
@handled
def decision(
    decision_id: int,
    role: Annotated[list[str], typer.Option("--role", help="your role(s)")] = ["auditor"],  # noqa: B006
) -> None:
    """Show a decision."""
    with services() as ctx:
        _print(ctx.decisions.get(decision_id, [r.value for r in parse_roles(role)]))


@app.command("sor")
@handled
def sor(
    decision_id: int,
    role: Annotated[list[str], typer.Option("--role", help="your role(s)")] = ["legal"],  # noqa: B006
) -> None:
    """Print the statement of reasons exactly as the Transparency Database takes it."""
    from rempart.compliance.sor import stored_statement

    with services() as ctx:
        body = stored_statement(ctx, decision_id, [r.value for r in parse_roles(role)])
    print(json.dumps(body, indent=2, ensure_ascii=False))


@app.command("appeal")
@handled
def appeal(decision_id: int, path: FileArg) -> None:
    """Lodge an internal complaint against a decision (Art. 20)."""
    with services() as ctx:
        _print(ctx.appeals.submit(decision_id, _read(path, AppealIn)))


@app.command("appeal-decide")
@handled
def appeal_decide(appeal_id: int, path: FileArg, person: AsOpt, role: RoleOpt) -> None:
    """Decide an appeal (you must not have taken the decision appealed)."""
    with services() as ctx:
        out = ctx.appeals.decide(appeal_id, _read(path, AppealDecisionIn), _person(person, role))
    _print(out)


@app.command("dispute")
@handled
def dispute(decision_id: int, path: FileArg) -> None:
    """Record an out-of-court dispute about a decision (Art. 21)."""
    with services() as ctx:
        _print(ctx.appeals.add_dispute(decision_id, _read(path, DisputeIn)))


@app.command("dispute-outcome")
@handled
def dispute_outcome(dispute_id: int, path: FileArg) -> None:
    """Record a dispute's outcome and whether it was implemented."""
    with services() as ctx:
        _print(ctx.appeals.dispute_outcome(dispute_id, _read(path, DisputeOutcomeIn)))
