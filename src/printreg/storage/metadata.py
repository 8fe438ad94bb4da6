"""Every platform table in one metadata: ``storage.platform``'s and the feature packages'.

Feature packages keep their tables in their own ``models.py`` on the shared ``Base``; a table
joins ``Base.metadata`` only once its module is imported. Alembic (``migrations/env.py``) and
the schema test compare this module's ``metadata``, so a feature's tables are listed here.
Nothing in ``storage`` imports this module back.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from printreg.requests import models as _requests_models  # noqa: F401  (registers its tables)
from printreg.storage.platform import Base

metadata: MetaData = Base.metadata
