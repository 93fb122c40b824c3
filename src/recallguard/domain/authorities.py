"""The regulators recallguard knows and the buyer countries each protects.

>>> AUTHORITIES["CPSC"].countries
frozenset({'US'})
>>> authority_for("cpsc").code
'CPSC'
"""

from __future__ import annotations

from recallguard.domain.models import Authority
from recallguard.errors import NotFoundError

EU_EEA = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO".split()
)

AUTHORITIES: dict[str, Authority] = {
    "CPSC": Authority("CPSC", "U.S. Consumer Product Safety Commission", frozenset({"US"}), 4.0),
    "SAFETYGATE": Authority("SAFETYGATE", "EU Safety Gate", EU_EEA, 48.0, working_days=True),
    "HC": Authority("HC", "Health Canada", frozenset({"CA"}), 24.0),
}


def authority_for(code: str) -> Authority:
    """Look up an authority by code (case-insensitive); raises NotFoundError when unknown."""
    try:
        return AUTHORITIES[code.upper()]
    except KeyError:
        raise NotFoundError(f"unknown authority {code!r}; known: {', '.join(AUTHORITIES)}") from None
