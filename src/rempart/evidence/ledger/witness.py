"""Witnesses: places outside the operator's control that keep the signed tree heads.

A witness remembers heads it was shown. ``check`` then asks the ledger for a consistency proof
from each remembered head to the log as it is now and verifies it against the *witness's* copy
of the old root: an operator who rewrites history and recomputes and re-signs every hash still
cannot make today's log extend the root the witness kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

import httpx
from pydantic import ValidationError

from rempart.errors import RempartError
from rempart.evidence.ledger import merkle
from rempart.evidence.ledger.models import LedgerWitnessCheck
from rempart.evidence.ledger.schemas import TreeHead, WitnessReport
from rempart.evidence.ledger.service import Ledger
from rempart.evidence.ledger.signing import head_message


class WitnessError(RempartError):
    """The witness could not be reached or answered something unusable."""

    status = 502
    code = "witness"


class Witness(Protocol):
    """Somewhere to publish signed heads and read them back."""

    name: str

    def publish(self, head: TreeHead) -> None:
        """Hand a signed head to the witness."""
        ...

    def heads(self) -> list[TreeHead]:
        """The heads the witness holds, oldest first."""
        ...


class FileWitness:
    """Heads appended as JSON lines to a file (copy it somewhere the operator cannot write)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = f"file:{self.path}"

    def publish(self, head: TreeHead) -> None:
        """Append one head as a JSON line."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(head.model_dump_json() + "\n")

    def heads(self) -> list[TreeHead]:
        """Every head in the file; a clear error naming the line that does not parse."""
        if not self.path.exists():
            return []
        out = []
        for number, line in enumerate(self.path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(TreeHead.model_validate_json(line))
            except ValidationError:
                raise WitnessError(f"{self.path}:{number} is not a tree head") from None
        return out


class HttpWitness:
    """A witness service: ``POST url`` with a head's JSON, ``GET url`` for the latest."""

    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        self.url = url
        self.name = url
        self.timeout_s = timeout_s

    def publish(self, head: TreeHead) -> None:
        """POST the head; the witness refuses (4xx) one older or smaller than its latest."""
        try:
            response = httpx.post(
                self.url,
                content=head.model_dump_json(),
                timeout=self.timeout_s,
                headers={"content-type": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise WitnessError(f"cannot reach the witness {self.url}: {exc}") from None
        if response.status_code >= 300:
            raise WitnessError(
                f"the witness {self.url} refused the head ({response.status_code}): "
                f"{response.text[:300]}"
            )

    def heads(self) -> list[TreeHead]:
        """The witness's latest head (none before the first publish)."""
        try:
            response = httpx.get(self.url, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise WitnessError(f"cannot reach the witness {self.url}: {exc}") from None
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            raise WitnessError(f"the witness {self.url} answered {response.status_code}")
        try:
            return [TreeHead.model_validate(json.loads(response.text))]
        except (ValueError, ValidationError):
            raise WitnessError(
                f"the witness {self.url} sent something that is not a head"
            ) from None


def publish(witness: Witness, ledger: Ledger) -> TreeHead:
    """Sign a head now and give it to the witness."""
    head = ledger.sign_head()
    witness.publish(head)
    return head


def check(witness: Witness, ledger: Ledger) -> WitnessReport:
    """Whether the log now extends every head the witness holds (proved, not trusted)."""
    from rempart.evidence.ledger.keys import head_key_problem

    keys = ledger.key_history()
    held = witness.heads()
    with ledger.db.session() as s:
        size, root = ledger.current_root(s, fresh=True)
    problems: list[str] = []
    for head in held:
        where = f"witness head of size {head.tree_size} ({head.timestamp.isoformat()})"
        message = head_message(head.version, head.tree_size, head.timestamp, head.root_hash)
        bad = head_key_problem(keys, head.key_id, head.timestamp, head.signature, message)
        if bad is not None:
            problems.append(f"{where}: not signed by this ledger's key valid then: it {bad[1]}")
            continue
        if head.tree_size > size:
            problems.append(f"{where}: the log now holds only {size} events (truncated)")
            continue
        proof = ledger.consistency_proof(head.tree_size, size)
        ok = proof.second_hash == root.hex() and merkle.verify_consistency(
            head.tree_size,
            size,
            bytes.fromhex(head.root_hash),
            root,
            [bytes.fromhex(p) for p in proof.proof],
        )
        if not ok:
            problems.append(
                f"{where}: the log is not consistent with it: history before seq "
                f"{head.tree_size} was rewritten"
            )
    with ledger.db.session() as s:
        s.add(
            LedgerWitnessCheck(
                witness=witness.name[:1000],
                checked_at=ledger.clock(),
                ok=not problems,
                witness_size=max((h.tree_size for h in held), default=0),
                ledger_size=size,
                detail="\n".join(problems),
            )
        )
    return WitnessReport(
        ok=not problems,
        witness=witness.name,
        witness_heads=len(held),
        ledger_size=size,
        problems=problems,
    )
