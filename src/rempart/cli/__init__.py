"""Command line adapter (Typer + Rich)."""
