"""The learned, calibrated pair scorer: records, features, model, explanations.

Typical use (screening a listing against a recall target)::

    scorer = PairScorer.load("models/pairs")
    prob = scorer.score_pair(ProductRecord.from_listing(listing), ProductRecord.from_target(target))
"""

from recallguard.matching.pairs.model import PairScorer
from recallguard.matching.pairs.records import ProductRecord

__all__ = ["PairScorer", "ProductRecord"]
