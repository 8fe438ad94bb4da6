"""The reason an action that cannot be undone (or that locks someone out) must give.

Withdrawing from a registry, closing one, deleting a case, revoking a token, declining a data
request, retiring a printer and deactivating a person each record why in the audit log. A
reason is free text typed by a person: it is kept with any suspected patient identifier
replaced by its kind (``privacy.identifiers.redact``), never as typed.
"""

from __future__ import annotations

from printreg.domain.errors import ValidationFailed
from printreg.domain.issues import Issue
from printreg.privacy.identifiers import redact

REASON_MAX = 2000


def required_reason(reason: str | None, action: str) -> str:
    """Return the reason to audit for ``action`` (stripped, identifiers redacted);
    ValidationFailed on the ``reason`` field when it is blank or longer than ``REASON_MAX``."""
    text = (reason or "").strip()
    if not text or len(text) > REASON_MAX:
        message = (
            f"reason: say why you {action} (at most {REASON_MAX} characters); "
            "it is kept in the audit log"
        )
        raise ValidationFailed([Issue("error", "", "reason", "required", message)], message)
    return redact(text)


def optional_reason(reason: str | None) -> str:
    """Return a reason to audit that may be empty (stripped, identifiers redacted, cut to
    ``REASON_MAX``)."""
    return redact((reason or "").strip()[:REASON_MAX])
