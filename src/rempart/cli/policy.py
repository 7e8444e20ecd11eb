"""``rempart policy``: check, load, list, show and activate policies; evaluate and replay."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from rempart.cli.common import console, err, fail, handled, services
from rempart.policy.facts import Facts
from rempart.policy.loader import PolicyFileError, format_of, load_policy
from rempart.policy.verdict import Verdict

app = typer.Typer(
    help="Versioned policies: rules that turn signals into verdicts.", no_args_is_help=True
)

FileArg = Annotated[Path, typer.Argument(help="policy file (.yaml, .yml or .toml)")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON on stdout")]


def _problems(exc: PolicyFileError) -> typer.Exit:
    for p in exc.problems:
        err.print(f"[bold red]error:[/] {escape(str(p))}", highlight=False)
    return typer.Exit(1)


def _read(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {path}: {exc}") from None


@app.command("check")
@handled
def check(path: FileArg) -> None:
    """Validate a policy file without loading it; exits 1 listing every problem."""
    try:
        policy = load_policy(_read(path), format_of(path))
    except PolicyFileError as exc:
        raise _problems(exc) from None
    shadow = sum(r.mode == "shadow" for r in policy.rules)
    console.print(
        f"ok: policy {policy.name} version {policy.version}: {len(policy.rules)} rules "
        f"({shadow} shadow), {len(policy.queues)} queues"
    )


@app.command("load")
@handled
def load(
    path: FileArg,
    activate: Annotated[bool, typer.Option("--activate/--no-activate", help="if new")] = True,
    by: Annotated[str, typer.Option(help="who loads it (recorded)")] = "cli",
) -> None:
    """Load a policy version into the database (the same file twice is a no-op)."""
    with services() as ctx:
        try:
            out = ctx.policies.load_text(
                _read(path), source=str(path), by=by, activate=activate, fmt=format_of(path)
            )
        except PolicyFileError as exc:
            raise _problems(exc) from None
    state = "loaded" if out.created else "already loaded:"
    active = " (active)" if out.active else ""
    console.print(f"{state} policy {out.name} version {out.version}{active}")


@app.command("list")
@handled
def list_versions(as_json: AsJson = False) -> None:
    """Every loaded policy version."""
    with services() as ctx:
        rows = ctx.policies.versions()
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r in rows]))
        return
    table = Table("name", "version", "active", "rules", "shadow", "loaded", "by", "sha256")
    for r in rows:
        table.add_row(
            r.name,
            str(r.version),
            "yes" if r.active else "",
            str(r.rules),
            str(r.shadow_rules),
            r.loaded_at.isoformat(timespec="seconds"),
            r.loaded_by,
            r.sha256[:12],
        )
    console.print(table)


@app.command("show")
@handled
def show(
    name: Annotated[str, typer.Argument(help="policy name")],
    version: Annotated[int | None, typer.Option(help="default: the active, else latest")] = None,
) -> None:
    """Print a stored policy version's text."""
    with services() as ctx:
        detail = ctx.policies.get(name, version)
    err.print(
        f"policy {detail.name} version {detail.version}{' (active)' if detail.active else ''}"
    )
    print(detail.text, end="" if detail.text.endswith("\n") else "\n")


@app.command("activate")
@handled
def activate(
    name: Annotated[str, typer.Argument(help="policy name")],
    version: Annotated[int, typer.Argument(help="version to activate")],
) -> None:
    """Make a stored version the active policy (roll forward or back)."""
    with services() as ctx:
        out = ctx.policies.activate(name, version)
    console.print(f"active: policy {out.name} version {out.version}")


def verdict_table(v: Verdict) -> Table:
    """A verdict as a two-column table for people."""
    table = Table("field", "value", show_header=False)

    def add(field: str, value: str) -> None:
        table.add_row(escape(field), escape(value))

    add("outcome", v.outcome)
    add("reason", v.reason)
    add("policy", f"{v.policy} version {v.policy_version}")
    add("rules", ", ".join(v.rule_ids) or "-")
    add("shadow rules", ", ".join(v.shadow_rule_ids) or "-")
    for r in v.reviews:
        role = f", only {r.restricted_to_role}" if r.restricted_to_role else ""
        add("review", f"{r.queue} priority {r.priority} sla {r.sla_hours:g}h{role}")
    if v.decision is not None:
        d = v.decision
        restrictions = [*d.decision_visibility]
        restrictions += [x for x in (d.decision_monetary, d.decision_provision) if x]
        restrictions += [d.decision_account] if d.decision_account else []
        add("decision", ", ".join(restrictions))
        add("ground", d.decision_ground)
        add("category", " / ".join([d.category, *d.category_specification]))
    if v.outcome == "act":
        add("preserve", "yes" if v.preserve else "no")
    if v.open_case is not None:
        add("case", f"{v.open_case.queue}, closable by {v.open_case.closable_by}")
    if v.strike is not None:
        add("strike", f"weight {v.strike.weight:g}")
    if v.notify_authorities:
        add("notify", ", ".join(v.notify_authorities))
    for hit in v.hits:
        label = f"{hit.rule_id}{' (shadow)' if hit.mode == 'shadow' else ''}"
        add(label, "; ".join(hit.explanations))
    return table


@app.command("evaluate")
@handled
def evaluate(
    facts_file: Annotated[Path, typer.Argument(help="facts as JSON ('-' for stdin)")],
    as_json: AsJson = False,
    record: Annotated[bool, typer.Option(help="record the evaluation")] = False,
    subject_type: Annotated[str, typer.Option(help="what is evaluated")] = "dry_run",
    subject_ref: Annotated[str, typer.Option(help="its reference")] = "cli",
) -> None:
    """Evaluate facts under the active policy and print the verdict."""
    try:
        data = json.loads(_read(facts_file))
    except ValueError as exc:
        raise fail(f"{facts_file} is not JSON: {exc}") from None
    facts = Facts.model_validate(data)
    with services() as ctx:
        if record:
            recorded = ctx.policies.evaluate(
                facts, subject_type=subject_type, subject_ref=subject_ref
            )
            verdict = recorded.verdict
            err.print(f"recorded as evaluation {recorded.evaluation_id}")
        else:
            verdict = ctx.policies.dry_run(facts)
    if as_json:
        print(verdict.model_dump_json())
    else:
        console.print(verdict_table(verdict))


@app.command("replay")
@handled
def replay(
    evaluation_id: Annotated[int, typer.Argument(help="a recorded evaluation")],
    as_json: AsJson = False,
) -> None:
    """Re-run a recorded evaluation under its own version; exits 1 if the verdict differs."""
    with services() as ctx:
        out = ctx.policies.replay(evaluation_id)
    if as_json:
        print(out.model_dump_json())
    else:
        console.print(verdict_table(out.verdict))
        console.print("agrees with the record" if out.agrees else f"DIFFERS: {out.differences}")
    if not out.agrees:
        raise typer.Exit(1)
