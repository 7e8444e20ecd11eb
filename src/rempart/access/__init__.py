"""Who may call what: API keys and roles."""
