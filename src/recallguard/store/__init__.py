"""store layer: SQLAlchemy 2 models, repositories returning domain dataclasses, Alembic migrations.

>>> from recallguard.store import Store
>>> Store("sqlite://").counts()["listings"]
0
"""

from recallguard.store.facade import COUNT_KEYS, Store, UnitOfWork

__all__ = ["COUNT_KEYS", "Store", "UnitOfWork"]
