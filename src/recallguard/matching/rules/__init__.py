"""Category bans: rules for whole kinds of products (not one brand), screened like recalls.

>>> from recallguard.domain.models import Listing
>>> [m.recall_number for m in RuleSet.load().screen(Listing("L1", "巴克球 216颗 5mm 强磁 解压玩具"))]
['rule:cpsc-magnet-sets']
"""

from recallguard.errors import RuleFileError
from recallguard.matching.rules.attributes import ListingAttributes, fold, parse_attributes
from recallguard.matching.rules.engine import RuleSet, shipped_rule_files
from recallguard.matching.rules.model import (
    CategoryRule,
    Condition,
    Term,
    TermGroup,
    load_rule_file,
    rule_from_dict,
)

__all__ = [
    "CategoryRule",
    "Condition",
    "ListingAttributes",
    "RuleFileError",
    "RuleSet",
    "Term",
    "TermGroup",
    "fold",
    "load_rule_file",
    "parse_attributes",
    "rule_from_dict",
    "shipped_rule_files",
]
