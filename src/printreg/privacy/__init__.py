"""Privacy checks: keep direct identifiers out of cases and logs."""

from printreg.privacy.identifiers import (
    Finding,
    IdentifierKind,
    describe,
    looks_like_mrn,
    redact,
    scan_case_identifier,
    scan_text,
)

__all__ = [
    "Finding",
    "IdentifierKind",
    "describe",
    "looks_like_mrn",
    "redact",
    "scan_case_identifier",
    "scan_text",
]
