"""A clinician answers a case's user assessment by a signed, single-use link (no account)."""
