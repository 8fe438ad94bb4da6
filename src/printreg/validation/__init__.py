"""Validation of records against a registry definition version."""

from printreg.domain.issues import Issue
from printreg.validation.engine import (
    ValidationContext,
    ValidationResult,
    check_definition,
    describe_condition,
    ensure_bound,
    safe_echo,
    validate_record,
)

__all__ = [
    "Issue",
    "ValidationContext",
    "ValidationResult",
    "check_definition",
    "describe_condition",
    "ensure_bound",
    "safe_echo",
    "validate_record",
]
