"""An append-only Merkle-tree log of every event (RFC 9162 style), signed and witnessed."""
