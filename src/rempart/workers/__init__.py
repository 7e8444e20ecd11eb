"""Background work run in-process by the embedded default (the API starts it)."""
