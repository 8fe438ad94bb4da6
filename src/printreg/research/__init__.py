"""Research data requests as plain Python: which elements may leave, de-identification, extracts.

``elements`` checks a request against a registry definition (what may be released, which strata
exist), ``deidentify`` holds the transformations (per-request facility pseudonyms, year-quarter
dates, random row ids), ``extract`` writes the Parquet extract and its codebook, and
``feasibility`` turns counts into a suppressed release. No database, web or CLI code.
"""

from printreg.research.deidentify import new_secret, pseudonym, random_row_id, year_quarter
from printreg.research.elements import (
    ExtractElement,
    check_request,
    releasable_elements,
    resolve_elements,
    stratum_elements,
    withheld_reason,
)
from printreg.research.extract import ExtractLayout, extract_codebook, write_extract
from printreg.research.feasibility import suppressed_counts
from printreg.research.workflow import RequestStatus, check_transition

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
