"""sources layer: recall feeds parsed into domain objects.

Importing this package registers every built-in recall format (CPSC API JSON, the project's own
format, and — when their modules are present — Safety Gate, Health Canada and generic CSV).

>>> import recallguard.sources
>>> {"cpsc-api", "recallguard"} <= {f.name for f in recallguard.sources.FORMATS}
True
"""

from __future__ import annotations

import importlib

from recallguard.sources import cpsc, own_format  # noqa: F401  (register their formats)
from recallguard.sources.registry import FORMATS, RecallBatch, RecallFormat, register

_OPTIONAL_FORMATS = ("safety_gate", "health_canada", "generic_csv")

for _name in _OPTIONAL_FORMATS:
    _module = f"{__name__}.{_name}"
    try:
        importlib.import_module(_module)
    except ModuleNotFoundError as _e:
        if _e.name != _module:  # a missing dependency inside an existing module is a real error
            raise

__all__ = ["FORMATS", "RecallBatch", "RecallFormat", "register"]
