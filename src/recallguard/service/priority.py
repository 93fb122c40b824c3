"""Priority lists in the store: an authority names the recalls it wants acted on first.

``set_priority(store, "CPSC", ["26528", ...])`` marks those recalls (``recallguard.domain.priority``:
unknown numbers are refused, a list outside 5–15 recalls gives a warning) and unmarks the authority's
others, in one transaction:

- each recall whose flag changes is stored again with its targets carrying the flag (new version,
  ``recall.priority_set`` / ``recall.priority_cleared``);
- the stored listings are screened again against those recalls, so the tighter thresholds
  (``DecisionPolicy.priority``: block from 0.85, review from 0.20) act at once — more matches block,
  some that were ignored go to review — and an unmarked recall's looser ones withdraw what no longer
  holds;
- the SLA clock reads the flag (``enforcement.sla``: a priority recall's deadline is half the
  authority's), and ``recallguard status`` counts the active priority recalls.

The flag is kept when a feed publishes the recall again (``service.importers``): only a new list for
the authority changes it.

>>> from recallguard.store import Store
>>> from recallguard.domain.models import Recall
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     for n in ("1", "2"):
...         _ = uow.recalls.upsert(Recall(n, "HC", f"Recall {n}"), [])
>>> r = set_priority(store, "hc", ["2"], actor="test")
>>> r.marked, r.unmarked, len(r.warnings), store.counts()["priority"]
(['HC:2'], [], 1, 1)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from recallguard.domain.models import Recall, Target
from recallguard.domain.priority import apply_priority, mark_priority
from recallguard.errors import InputError, ValidationFailed
from recallguard.service.decide import ReconcileCounts
from recallguard.service.screening import ScreenerFactory, default_screener
from recallguard.store import Store


@dataclass
class PriorityReport:
    """What setting an authority's priority list did."""

    authority: str
    numbers: list[str]
    marked: list[str] = field(default_factory=list)  # recall keys newly marked
    unmarked: list[str] = field(default_factory=list)  # recall keys no longer priority
    warnings: list[str] = field(default_factory=list)
    rescreened: int = 0
    counts: ReconcileCounts = field(default_factory=ReconcileCounts)


def read_priority_file(path: str | Path, authority: str | None = None) -> dict[str, list[str]]:
    """Recall numbers by authority from a CSV: a header with ``recall_number`` (and ``authority``, unless
    ``authority`` is given), one recall a row.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "p.csv"
    >>> _ = p.write_text("authority,recall_number\\ncpsc,26528\\nCPSC,26530\\n")
    >>> read_priority_file(p)
    {'CPSC': ['26528', '26530']}
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read the priority list: {e}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    if "recall_number" not in header or (authority is None and "authority" not in header):
        need = "recall_number" if authority else "authority and recall_number"
        raise InputError(f"{path}: a priority list CSV needs a header with {need}")
    reader.fieldnames = header
    out: dict[str, list[str]] = {}
    for row in reader:
        number = (row.get("recall_number") or "").strip()
        code = (authority or row.get("authority") or "").strip().upper()
        if not number or not code:
            raise ValidationFailed(
                f"{path}: line {reader.line_num}: authority and recall_number are required",
                location=f"line {reader.line_num}",
                field="recall_number" if not number else "authority",
            )
        out.setdefault(code, []).append(number)
    return out


def set_priority(
    store: Store,
    authority: str,
    numbers: Sequence[str],
    *,
    actor: str = "cli",
    strict_size: bool = False,
    factory: ScreenerFactory = default_screener,
) -> PriorityReport:
    """Make ``numbers`` the authority's priority list (see the module docstring).

    Raises ValidationFailed (nothing changed) for numbers the store does not hold for the authority.
    """
    from recallguard.service.importers import rescreen_for_recalls

    code = authority.strip().upper()
    with store.transaction() as uow:
        stored = [r for r in uow.recalls.list() if r.authority == code]
        result = mark_priority(stored, code, numbers, strict_size=strict_size)
        report = PriorityReport(code, result.numbers, warnings=list(result.warnings))
        before = {r.key: r.priority for r in stored}
        changed: list[tuple[Recall, list[Target]]] = []
        for r in result.recalls:
            if r.priority == before[r.key]:
                continue
            targets = apply_priority(uow.recalls.targets_of(r.authority, r.recall_number), [r])
            for t in targets:
                t.priority = r.priority  # a target marked in its own right follows the list too
            res = uow.recalls.upsert(r, targets)
            (report.marked if r.priority else report.unmarked).append(r.key)
            uow.audit.append(
                "recall.priority_set" if r.priority else "recall.priority_cleared", f"recall:{r.key}", actor,
                f"{code} priority list of {len(result.numbers)} recalls",
                {"version": res.version, "content_hash": res.content_hash, "list": result.numbers[:50]},
            )  # fmt: skip
            changed.append((r, targets))
        if changed:
            why = f"{code} priority list changed"
            report.rescreened, report.counts = rescreen_for_recalls(uow, changed, factory, actor, why)
    return report
