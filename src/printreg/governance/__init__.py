"""Governance: facility enrollment, the committee, admission of cases, definition versions.

``enrollment`` and ``enrollment_decisions`` (applications and their decisions), ``committee``
(votes on any subject), ``admission`` (the check every case write makes), ``versions``
(publishing a version, moving cases), ``schemas``, ``api``, ``pages``, ``cli``. The pure rules
live in ``printreg.domain.governance``. This package imports none of its modules.
"""
