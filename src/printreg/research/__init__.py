"""Research data requests as plain Python: which elements may leave, de-identification, extracts.

``elements`` checks a request against a registry definition (what may be released, which strata
exist), ``deidentify`` holds the transformations (per-request facility pseudonyms, year-quarter
dates, random row ids), ``extract`` writes the Parquet extract and its codebook, and
``feasibility`` turns counts into a suppressed release. No database, web or CLI code.

``extract`` (pyarrow, polars) and ``feasibility`` (numpy, scipy, networkx) are imported on first
use of one of their names, so a command that only lists or shows requests loads none of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from printreg.research.deidentify import new_secret, pseudonym, random_row_id, year_quarter
from printreg.research.elements import (
    ExtractElement,
    check_request,
    releasable_elements,
    resolve_elements,
    stratum_elements,
    withheld_reason,
)
from printreg.research.workflow import RequestStatus, check_transition

if TYPE_CHECKING:
    from printreg.research.extract import ExtractLayout, extract_codebook, write_extract
    from printreg.research.feasibility import suppressed_counts

#: names served by a heavy submodule, imported when first asked for
_LAZY = {
    "ExtractLayout": "printreg.research.extract",
    "extract_codebook": "printreg.research.extract",
    "write_extract": "printreg.research.extract",
    "suppressed_counts": "printreg.research.feasibility",
}


def __getattr__(name: str) -> Any:
    """Return a name of the extract or feasibility module, importing that module now."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


__all__ = [
    "ExtractElement",
    "ExtractLayout",
    "RequestStatus",
    "check_request",
    "check_transition",
    "extract_codebook",
    "new_secret",
    "pseudonym",
    "random_row_id",
    "releasable_elements",
    "resolve_elements",
    "stratum_elements",
    "suppressed_counts",
    "withheld_reason",
    "write_extract",
    "year_quarter",
]
