"""RFC 9162 §2.1 Merkle trees: the fast code agrees with a naive transcription of the RFC."""

from __future__ import annotations

import hashlib

import pytest

from rempart.evidence.ledger import merkle


def naive_mth(data: list[bytes]) -> bytes:
    """MTH(D[n]) transcribed literally from RFC 9162 §2.1.1 (data, not leaf hashes)."""
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(data[:k]) + naive_mth(data[k:])).digest()


def naive_path(m: int, data: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1."""
    n = len(data)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*naive_path(m, data[:k]), naive_mth(data[k:])]
    return [*naive_path(m - k, data[k:]), naive_mth(data[:k])]


def naive_subproof(m: int, data: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1."""
    n = len(data)
    if m == n:
        return [] if whole else [naive_mth(data)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*naive_subproof(m, data[:k], whole), naive_mth(data[k:])]
    return [*naive_subproof(m - k, data[k:], False), naive_mth(data[:k])]


DATA = [f"event-{i}".encode() for i in range(71)]
LEAVES = [merkle.leaf_hash(d) for d in DATA]
ROOTS = [naive_mth(DATA[:n]) for n in range(71)]


def test_hashing_is_domain_separated() -> None:
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert merkle.root([]) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("n", range(71))
def test_root_and_proofs_match_the_rfc(n: int) -> None:
    leaves = LEAVES[:n]
    assert merkle.root(leaves) == ROOTS[n]
    for m in range(n):
        path = merkle.inclusion_path(m, leaves)
        assert path == naive_path(m, DATA[:n])
        assert merkle.verify_inclusion(m, n, leaves[m], path, ROOTS[n])
    for first in range(1, n):
        proof = merkle.consistency_proof(first, leaves)
        assert proof == naive_subproof(first, DATA[:n], True)
        assert merkle.verify_consistency(first, n, ROOTS[first], ROOTS[n], proof)
    assert merkle.verify_consistency(n, n, ROOTS[n], ROOTS[n], [])
    assert merkle.verify_consistency(0, n, ROOTS[0], ROOTS[n], [])


@pytest.mark.parametrize("n", [2, 3, 5, 8, 13, 31, 64, 70])
def test_tampered_proofs_fail(n: int) -> None:
    leaves = LEAVES[:n]
    bad = b"\xff" * 32
    for m in range(n):
        path = merkle.inclusion_path(m, leaves)
        assert not merkle.verify_inclusion(m, n, bad, path, ROOTS[n])
        assert not merkle.verify_inclusion(m, n, leaves[m], path, bad)
        assert not merkle.verify_inclusion(m, n, leaves[m], [*path, bad], ROOTS[n])
        assert not merkle.verify_inclusion(m, n, leaves[m], path[:-1], ROOTS[n])
        if n > 1:
            assert not merkle.verify_inclusion((m + 1) % n, n, leaves[m], path, ROOTS[n])
        for i in range(len(path)):
            changed = list(path)
            changed[i] = bad
            assert not merkle.verify_inclusion(m, n, leaves[m], changed, ROOTS[n])
    for first in range(1, n):
        proof = merkle.consistency_proof(first, leaves)
        assert not merkle.verify_consistency(first, n, bad, ROOTS[n], proof)
        assert not merkle.verify_consistency(first, n, ROOTS[first], bad, proof)
        assert not merkle.verify_consistency(first, n, ROOTS[first], ROOTS[n], [])
        assert not merkle.verify_consistency(first, n, ROOTS[first], ROOTS[n], [*proof, bad])
        for i in range(len(proof)):
            changed = list(proof)
            changed[i] = bad
            assert not merkle.verify_consistency(first, n, ROOTS[first], ROOTS[n], changed)
    assert not merkle.verify_consistency(n, n, ROOTS[n], bad, [])


def test_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_path(3, LEAVES[:3])
    with pytest.raises(ValueError):
        merkle.consistency_proof(4, LEAVES[:3])
    assert not merkle.verify_inclusion(3, 3, LEAVES[0], [], ROOTS[3])
    assert not merkle.verify_consistency(4, 3, ROOTS[3], ROOTS[3], [])


@pytest.mark.parametrize("chunk", [1, 2, 4, 8])
def test_chunk_cached_proofs_match(chunk: int) -> None:
    for n in range(1, 71):
        leaves = LEAVES[:n]
        roots = [merkle.root(leaves[i : i + chunk]) for i in range(0, n - n % chunk, chunk)]

        def direct(lo: int, hi: int, leaves: list[bytes] = leaves) -> bytes:
            assert hi - lo <= chunk  # only pieces within one chunk are read
            return merkle.root(leaves[lo:hi])

        mth = merkle.chunked(roots, chunk, direct)
        assert mth(0, n) == ROOTS[n]
        for m in range(n):
            assert merkle.inclusion_path_with(m, n, mth) == naive_path(m, DATA[:n])
        for first in range(1, n):
            assert merkle.consistency_proof_with(first, n, mth) == naive_subproof(
                first, DATA[:n], True
            )
