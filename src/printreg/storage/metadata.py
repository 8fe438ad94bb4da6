"""Every platform table in one metadata: each feature's ``models.py`` and storage's own.

Feature packages keep their tables in their own ``models.py`` on the shared ``Base``
(``storage.base``); a table joins ``Base.metadata`` only once its module is imported. Alembic
(``migrations/env.py``), the schema test and the case tables (whose foreign keys name
facilities and printers) use this module's ``metadata``, so every models module is listed here.
No models module imports this one back.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from printreg.accounts import models as _accounts  # noqa: F401  (each import registers its tables)
from printreg.assessment_links import models as _assessment_links  # noqa: F401
from printreg.facilities import models as _facilities  # noqa: F401
from printreg.files import models as _files  # noqa: F401
from printreg.governance import models as _governance  # noqa: F401
from printreg.imports import models as _imports  # noqa: F401
from printreg.jobs import models as _jobs  # noqa: F401
from printreg.notifications import models as _notifications  # noqa: F401
from printreg.pacs import models as _pacs  # noqa: F401
from printreg.quality import models as _quality  # noqa: F401
from printreg.queries import models as _queries  # noqa: F401
from printreg.registries import models as _registries  # noqa: F401
from printreg.requests import models as _requests  # noqa: F401
from printreg.storage import audit_log as _audit_log  # noqa: F401
from printreg.storage import stamps as _stamps  # noqa: F401
from printreg.storage.base import Base

metadata: MetaData = Base.metadata
