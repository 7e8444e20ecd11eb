"""Versioned policies: rules that turn signals into verdicts (act, review, allow)."""
