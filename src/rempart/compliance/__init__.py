"""DSA compliance: statements of reasons, the EU Transparency Database, transparency reports."""
