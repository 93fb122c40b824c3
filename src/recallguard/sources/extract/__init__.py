"""Targets from recall prose: ``extract_targets(recall) -> list[Target]``.

Pure functions, no I/O. The modules: ``brand`` (brand vs company), ``product_type`` (head noun
phrase), ``identifiers`` (model numbers, SKUs, GTINs), ``ranges`` (serial / lot / batch / date-code
ranges and manufacture windows), ``retailers`` (where it was sold), ``targets`` (assembly).

>>> from recallguard.domain.models import Recall
>>> r = Recall("26528", "CPSC", "Bicycle Helmets Recalled; Sold on Amazon by Gudook Outdoor Sports",
...            product_names=["Gudook Adult Bike Helmets"],
...            description="This recall involves Gudook-branded bicycle helmets, model KY-055. Only helmets "
...                        "with batch number 202503 are included.",
...            retailers=["Online at Amazon.com from May 2025 through February 2026 for about $23."])
>>> t = extract_targets(r)[0]
>>> t.brand, t.product_type, t.model_numbers, t.sold_at, t.ranges[0].start
('Gudook', 'adult bike helmet', ['KY-055'], ['Amazon'], '202503')
"""

from recallguard.sources.extract.targets import choose_brands, extract_targets

__all__ = ["choose_brands", "extract_targets"]
