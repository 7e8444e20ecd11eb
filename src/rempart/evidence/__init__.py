"""Evidence: the tamper-evident ledger, the encrypted vault, holds, retention and exports."""
