"""The one scan service: hash untrusted content, then match every signal against the banks."""
