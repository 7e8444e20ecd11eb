"""Merkle tree hashing, inclusion and consistency proofs, exactly as RFC 9162 §2.1.

Leaves are ``SHA-256(0x00 || data)`` and interior nodes ``SHA-256(0x01 || left || right)``;
a tree of ``n`` leaves splits at the largest power of two below ``n`` (§2.1.1). Functions here
take *leaf hashes* (already ``leaf_hash``-ed), so callers can store them and never rehash data.
Proof generation follows the recursive definitions of §2.1.3.1 (PATH) and §2.1.4.1 (PROOF),
verification the iterative algorithms of §2.1.3.2 and §2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1): where §2.1.1 splits the tree."""
    return 1 << ((n - 1).bit_length() - 1)


class Frontier:
    """A growing tree's perfect left subtrees: O(1) amortised append, O(log n) root.

    The root of ``n`` leaves folds these subtrees right to left, which equals MTH(D[n]) because
    §2.1.1 always splits off the largest power of two on the left.
    """

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (height, hash), heights strictly decreasing

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash."""
        height, node = 0, leaf
        stack = self._stack
        while stack and stack[-1][0] == height:
            node = node_hash(stack.pop()[1], node)
            height += 1
        stack.append((height, node))
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Add many leaf hashes."""
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        """MTH of the leaves added so far."""
        if not self._stack:
            return EMPTY_ROOT
        acc = self._stack[-1][1]
        for _, node in reversed(self._stack[:-1]):
            acc = node_hash(node, acc)
        return acc


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of a list of leaf hashes, in O(n)."""
    frontier = Frontier()
    frontier.extend(leaves)
    return frontier.root()


RangeHash = Callable[[int, int], bytes]


def _over(leaves: Sequence[bytes]) -> RangeHash:
    """MTH(D[lo:hi]) computed from an in-memory list of leaf hashes."""

    def mth(lo: int, hi: int) -> bytes:
        frontier = Frontier()
        for i in range(lo, hi):
            frontier.append(leaves[i])
        return frontier.root()

    return mth


def inclusion_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of §2.1.3.1: the audit path of leaf ``index`` in the tree of ``leaves``."""
    return inclusion_path_with(index, len(leaves), _over(leaves))


def consistency_proof(first: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of §2.1.4.1: shows the tree of ``first`` leaves is a prefix of ``leaves``."""
    return consistency_proof_with(first, len(leaves), _over(leaves))


def inclusion_path_with(index: int, n: int, mth: RangeHash) -> list[bytes]:
    """PATH(m, D[n]) with subtree hashes from ``mth(lo, hi)`` (so callers can cache them)."""
    if not 0 <= index < n:
        raise ValueError(f"leaf {index} is not in a tree of {n} leaves")
    path: list[bytes] = []
    lo, hi, m = 0, n, index
    while hi - lo > 1:  # PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) or the mirror case
        k = _split(hi - lo)
        if m < k:
            path.append(mth(lo + k, hi))
            hi = lo + k
        else:
            path.append(mth(lo, lo + k))
            lo, m = lo + k, m - k
    path.reverse()  # the recursion appends the deepest sibling first
    return path


def consistency_proof_with(first: int, n: int, mth: RangeHash) -> list[bytes]:
    """PROOF(m, D[n]) with subtree hashes from ``mth(lo, hi)``."""
    if not 0 <= first <= n:
        raise ValueError(f"a tree of {n} leaves cannot extend one of {first}")
    if first in (0, n):
        return []
    proof: list[bytes] = []
    lo, hi, m, whole = 0, n, first, True  # SUBPROOF(m, D[lo:hi], whole)
    while True:
        if m == hi - lo:
            if not whole:
                proof.append(mth(lo, hi))
            break
        k = _split(hi - lo)
        if m <= k:
            proof.append(mth(lo + k, hi))
            hi = lo + k
        else:
            proof.append(mth(lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    proof.reverse()
    return proof


def chunked(chunk_roots: Sequence[bytes], chunk: int, leaves: RangeHash) -> RangeHash:
    """MTH(D[lo:hi]) using cached roots of complete aligned chunks of ``chunk`` leaves.

    Every range of §2.1's recursion starts at a multiple of a power of two at least its length,
    so a range longer than ``chunk`` (a power of two) splits on chunk boundaries; only pieces
    within one chunk need ``leaves(lo, hi)``.
    """

    def mth(lo: int, hi: int) -> bytes:
        if hi - lo == chunk and lo % chunk == 0 and lo // chunk < len(chunk_roots):
            return chunk_roots[lo // chunk]
        if hi - lo <= chunk:
            return leaves(lo, hi)
        k = _split(hi - lo)
        return node_hash(mth(lo, lo + k), mth(lo + k, hi))

    return mth


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], root_hash: bytes
) -> bool:
    """§2.1.3.2: whether ``path`` proves ``leaf`` is at ``index`` of the tree ``root_hash``."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_hash


def verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, proof: Sequence[bytes]
) -> bool:
    """§2.1.4.2: whether ``proof`` shows tree ``second_hash`` extends tree ``first_hash``.

    The RFC leaves the trivial cases to the caller: equal sizes need equal roots and an empty
    proof, and every tree extends the empty tree (whose root must be the empty hash).
    """
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_hash == second_hash
    if first == 0:
        return not proof and first_hash == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the old root is a node of the new tree
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0
