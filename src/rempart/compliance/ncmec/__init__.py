"""NCMEC CyberTipline reports: the XML in the schema's order and the submission flow."""
