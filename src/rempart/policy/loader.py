"""Policy text (YAML or TOML) to a validated ``Policy``, or errors naming the rule and field.

The YAML reader is deliberately narrow: no aliases (no "billion laughs"), YAML 1.2 booleans
only (``NO`` stays Norway and ``Yes`` stays the TDB's ``"Yes"``), a size and a nesting limit.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from rempart.errors import Invalid
from rempart.policy.schemas import Policy

MAX_CHARS = 1_000_000
MAX_DEPTH = 48
Format = Literal["yaml", "toml"]
_BOOL = "tag:yaml.org,2002:bool"


class _Loader(yaml.SafeLoader):
    """SafeLoader without aliases and with YAML 1.2 booleans (true/false only)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Refuse aliases: they let a small file expand into a huge one."""
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in policy files", event.start_mark
            )
        return super().compose_node(parent, index)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class PolicyProblem(BaseModel):
    """One thing wrong with a policy file: where (path, and rule id when inside a rule), what."""

    loc: list[str | int]
    rule: str | None = None
    msg: str

    def __str__(self) -> str:
        where = _path(self.loc)
        if self.rule is not None and len(self.loc) >= 2:
            rest = _path(self.loc[2:])
            where = f"rule {self.rule!r} ({_path(self.loc[:2])})" + (f": {rest}" if rest else "")
        return f"{where}: {self.msg}" if where else self.msg


class PolicyFileError(Invalid):
    """A policy file that cannot be used; ``problems`` lists every error found."""

    code = "policy_invalid"

    def __init__(self, problems: list[PolicyProblem]) -> None:
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"invalid policy: {shown}{more}")
        self.problems = problems

    @classmethod
    def single(cls, msg: str) -> PolicyFileError:
        """An error about the file as a whole."""
        return cls([PolicyProblem(loc=[], msg=msg)])


def _path(loc: list[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def format_of(path: Path) -> Format | None:
    """The format a file name says (``.toml``, ``.yaml``/``.yml``), else None (sniffed)."""
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return "toml"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    return None


def _yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a restricted SafeLoader


def _depth_ok(data: Any) -> bool:
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return True


def parse_text(text: str, fmt: Format | None = None) -> dict[str, Any]:
    """The mapping a policy file holds; YAML unless ``fmt`` or the text says TOML."""
    if len(text) > MAX_CHARS:
        raise PolicyFileError.single(f"policy file is larger than {MAX_CHARS} characters")
    if not text.strip():
        raise PolicyFileError.single("policy file is empty")
    try:
        data = _parse(text, fmt)
    except RecursionError:
        raise PolicyFileError.single("policy file is nested too deeply") from None
    if data is None:
        raise PolicyFileError.single("policy file is empty")
    if not isinstance(data, dict):
        raise PolicyFileError.single(
            "a policy file is a mapping with name, version, description, queues and rules"
        )
    if not _depth_ok(data):
        raise PolicyFileError.single(f"policy file is nested more than {MAX_DEPTH} levels deep")
    return data


def _parse(text: str, fmt: Format | None) -> Any:
    if fmt == "toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyFileError.single(f"not valid TOML: {exc}") from None
    try:
        data = _yaml(text)
    except yaml.YAMLError as exc:
        if fmt == "yaml":
            raise PolicyFileError.single(f"not valid YAML: {exc}") from None
        data = None
        yaml_error: yaml.YAMLError | None = exc
    else:
        if data is None or isinstance(data, dict) or fmt == "yaml":
            return data
        yaml_error = None
    try:  # not a YAML mapping: maybe TOML
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        if yaml_error is not None:
            raise PolicyFileError.single(f"not valid YAML: {yaml_error}") from None
        return data


def problems_of(exc: ValidationError, raw: dict[str, Any]) -> list[PolicyProblem]:
    """Pydantic's errors as problems: clean messages, rule ids looked up in the raw file."""
    out: list[PolicyProblem] = []
    for err in exc.errors():
        ctx = err.get("ctx") or {}
        if err["type"] == "policy_reference":
            for loc, msg in ctx["problems"]:
                out.append(PolicyProblem(loc=list(loc), rule=_rule_id(raw, loc), msg=msg))
            continue
        loc = [p if isinstance(p, int) else str(p) for p in err["loc"]]
        msg = str(err["msg"]).removeprefix("Value error, ")
        out.append(PolicyProblem(loc=loc, rule=_rule_id(raw, loc), msg=msg))
    return out


def _rule_id(raw: dict[str, Any], loc: list[str | int]) -> str | None:
    if len(loc) < 2 or loc[0] != "rules" or not isinstance(loc[1], int):
        return None
    rules = raw.get("rules")
    if isinstance(rules, list) and 0 <= loc[1] < len(rules) and isinstance(rules[loc[1]], dict):
        rid = rules[loc[1]].get("id")
        return rid if isinstance(rid, str) else f"#{loc[1]}"
    return None


def load_policy(text: str, fmt: Format | None = None) -> Policy:
    """Parse and validate policy text; raises ``PolicyFileError`` listing every problem."""
    raw = parse_text(text, fmt)
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        raise PolicyFileError(problems_of(exc, raw)) from None
    except RecursionError:
        raise PolicyFileError.single("policy file is nested too deeply") from None
