"""Signed enforcement and notification webhooks to the platform: retries, dead letters."""
