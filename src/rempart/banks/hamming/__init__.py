"""Internals of the exact Hamming-radius index for 256-bit codes (see ``rempart.banks.index``).

``bits`` validates input and computes chunk keys and distances, ``layout`` chooses the
multi-index hashing layout with a cost model and plans probes, ``segment`` holds one immutable,
id-sorted block of codes with its hash tables, and ``storage`` saves and loads segments.
"""
