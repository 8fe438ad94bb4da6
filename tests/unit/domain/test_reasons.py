"""The reason of an action that cannot be undone: required, bounded, kept without identifiers."""

from __future__ import annotations

import pytest

from printreg.domain.errors import ValidationFailed
from printreg.domain.reasons import REASON_MAX, optional_reason, required_reason


@pytest.mark.parametrize("blank", ["", "   ", "\n\t", None])
def test_a_blank_reason_is_refused_on_the_reason_field(blank: str | None) -> None:
    with pytest.raises(ValidationFailed) as refused:
        required_reason(blank, "withdraw")
    assert [i.path for i in refused.value.issues] == ["reason"]
    assert "say why you withdraw" in refused.value.issues[0].message


def test_a_reason_is_kept_stripped_and_an_overlong_one_refused() -> None:
    assert required_reason("  the lab closes  ", "withdraw") == "the lab closes"
    assert required_reason("x" * REASON_MAX, "withdraw") == "x" * REASON_MAX
    with pytest.raises(ValidationFailed):
        required_reason("x" * (REASON_MAX + 1), "withdraw")
    assert optional_reason("x" * (REASON_MAX + 5)) == "x" * REASON_MAX
    assert optional_reason(None) == ""


def test_a_suspected_patient_identifier_never_reaches_the_audit_log() -> None:
    typed = "entered twice, MRN 00482913, see the other record"
    kept = required_reason(typed, "delete the case")
    assert "00482913" not in kept
    assert kept.startswith("entered twice")
    assert "00482913" not in optional_reason(typed)
