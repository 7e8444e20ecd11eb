"""Guardrails for a platform's own generator: request and output checks, output marking."""
