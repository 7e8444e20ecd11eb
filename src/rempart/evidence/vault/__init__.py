"""Encrypted, content-addressed storage of preserved content, with holds and retention."""
