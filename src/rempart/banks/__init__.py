"""Hash banks: lists of known content, their import/export and their match indexes."""
