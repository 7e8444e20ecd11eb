"""What the ledger returns: events, signed tree heads, proofs and verification reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

HEAD_VERSION = "rempart-ledger-v1"

ProblemKind = Literal[
    "modified",
    "leaf_hash_altered",
    "deleted",
    "inserted",
    "reordered",
    "counter",
    "head_signature",
    "head_key",
    "head_size",
    "head_root",
    "head_order",
    "head_inconsistent",
    "key_history",
]


class EventOut(BaseModel):
    """One ledger event as stored, with its leaf hash (hex)."""

    seq: int
    at: datetime
    kind: str
    actor: str
    subject: str
    data: dict[str, Any]
    leaf_hash: str


class TreeHead(BaseModel):
    """A signed tree head: Ed25519 over ``version|tree_size|timestamp|root_hash``."""

    version: str = HEAD_VERSION
    tree_size: int = Field(ge=0)
    root_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    timestamp: datetime
    signature: str = Field(description="Ed25519 signature, hex")
    key_id: str = Field(description="first 16 bytes (hex) of SHA-256 of the raw public key")


class InclusionProof(BaseModel):
    """RFC 9162 audit path: event ``seq`` (leaf hash ``leaf_hash``) is in the tree ``root_hash``."""

    seq: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    path: list[str]


class ConsistencyProof(BaseModel):
    """RFC 9162 consistency proof: the tree of ``second`` leaves extends the one of ``first``."""

    first: int
    second: int
    first_hash: str
    second_hash: str
    proof: list[str]


class Problem(BaseModel):
    """One thing ``verify`` found wrong, and where."""

    kind: ProblemKind
    seq: int | None = Field(None, description="the event concerned, when one is")
    head_id: int | None = Field(None, description="the tree head concerned, when one is")
    detail: str


class VerifyReport(BaseModel):
    """The outcome of recomputing every leaf, root and signature of the ledger."""

    ok: bool
    events: int
    heads: int
    root_hash: str
    seconds: float
    problems: list[Problem]


class WitnessReport(BaseModel):
    """The outcome of checking the ledger against the heads a witness holds."""

    ok: bool
    witness: str
    witness_heads: int
    ledger_size: int
    problems: list[str]
