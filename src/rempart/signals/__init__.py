"""Signal types and hashing: digests, PDQ and vPDQ, compatible with HMA / python-threatexchange."""
