"""Vocabularies for the synthetic catalogue: categories and their product nouns, brands, colours,
adjectives, seller phrases in several languages, and the countries listings ship to.

The nouns are the kinds of product that recalls actually name (strollers, heaters, magnet sets,
e-bike batteries…) mixed with everyday goods, so a synthetic catalogue has the hard negatives a
real one has: same product type, other brand; same brand, other model.

>>> sum(len(c.nouns) for c in CATEGORIES) > 100
True
>>> make_brands(5, seed=1) == make_brands(5, seed=1)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CategoryVocab:
    """One marketplace category: its name, weight in the catalogue, nouns and price (log-normal)."""

    name: str
    weight: float
    nouns: tuple[str, ...]
    price_median: float
    b2b_share: float = 0.1


# fmt: off
CATEGORIES: tuple[CategoryVocab, ...] = (
    CategoryVocab("baby products", 6, ("baby stroller", "high chair", "baby walker", "infant bath seat",
        "baby carrier", "play yard", "bassinet", "crib mattress", "baby monitor", "infant swing",
        "baby bouncer", "nursing pillow", "crib bumper", "baby gate"), 45.0),
    CategoryVocab("toys", 9, ("magnetic building blocks", "magnet balls set", "doll stroller toy",
        "plush toy", "ride-on car", "slime kit", "water beads", "fidget spinner", "toy drone",
        "RC car", "stacking cups", "wooden puzzle", "toy kitchen set", "bath toys", "teething rattle",
        "kids walkie talkie"), 18.0),
    CategoryVocab("home appliances", 8, ("space heater", "air fryer", "electric kettle", "blender",
        "dehumidifier", "pressure cooker", "coffee maker", "rice cooker", "portable fan",
        "humidifier", "robot vacuum", "electric blanket", "oil heater", "food dehydrator"), 60.0, 0.15),
    CategoryVocab("electronics", 12, ("power bank", "phone charger", "USB-C cable", "bluetooth speaker",
        "wireless earbuds", "smart watch", "LED strip lights", "wireless charger", "dash cam",
        "portable power station", "laptop battery", "surge protector", "HDMI cable", "car charger",
        "tablet stand", "gaming headset"), 25.0, 0.2),
    CategoryVocab("furniture", 5, ("dresser", "chest of drawers", "bookcase", "bunk bed", "TV stand",
        "nightstand", "office chair", "toddler bed", "wall shelf", "storage cabinet"), 120.0),
    CategoryVocab("sports & outdoors", 7, ("bike helmet", "e-bike battery", "electric scooter",
        "camping stove", "kayak paddle", "trampoline", "climbing harness", "ski goggles",
        "hoverboard", "yoga mat", "dumbbell set", "camping lantern"), 70.0),
    CategoryVocab("clothing", 10, ("children's hoodie with drawstring", "kids sleepwear", "rain jacket",
        "sneakers", "winter gloves", "baby onesie", "swimsuit", "pajama set", "sun hat",
        "running shorts"), 20.0, 0.15),
    CategoryVocab("kitchen", 8, ("knife set", "glass food container", "water bottle", "cutting board",
        "cast iron skillet", "pressure canner", "mandoline slicer", "travel mug", "baby bottle",
        "silicone spatula set", "lunch box"), 22.0),
    CategoryVocab("tools & hardware", 6, ("cordless drill", "extension cord", "angle grinder",
        "step ladder", "heat gun", "circular saw", "work light", "tire inflator", "jump starter",
        "smoke detector", "carbon monoxide alarm"), 55.0, 0.25),
    CategoryVocab("beauty & personal care", 6, ("hair dryer", "curling iron", "facial steamer",
        "electric toothbrush", "hair straightener", "massage gun", "nail lamp", "beard trimmer"), 30.0),
    CategoryVocab("lighting", 4, ("string lights", "desk lamp", "night light", "solar garden light",
        "ceiling fan light", "headlamp"), 25.0),
    CategoryVocab("industrial supplies", 3, ("18650 lithium battery cells", "circuit breaker",
        "hydraulic jack", "safety gloves", "gas valve", "PVC pipe fittings", "welding helmet",
        "industrial fan"), 80.0, 0.7),
    CategoryVocab("pet supplies", 4, ("dog leash", "cat tree", "pet water fountain", "dog bed",
        "aquarium heater", "chew toy", "pet stroller"), 25.0),
)

ADJECTIVES: tuple[str, ...] = ("Portable", "Upgraded 2025", "Heavy Duty", "Foldable", "Rechargeable",
    "Mini", "Premium", "Adjustable", "Waterproof", "Smart", "Professional", "Ultra-Thin", "Stainless Steel",
    "Lightweight", "Compact", "Deluxe", "Classic", "Multi-Function", "Eco-Friendly", "New",
    "Hot Sale", "Original", "Kids", "Large", "Quiet", "Fast", "Safe", "Durable")

COLORS: tuple[str, ...] = ("", "", "", " Black", " White", " Red", " Blue", " Pink", " Grey", " Green",
    " Beige", " Navy", " Yellow", " Multicolor")

PACKS: tuple[str, ...] = ("", "", "", "", " 2 Pack", " 3 Pack", " Set of 4", " 10pcs", " (Pack of 2)")

LEAD_TAGS: tuple[str, ...] = ("", "", "", "", "", "", "[Free Shipping] ", "2025 New ", "Hot Sale ",
    "Factory Direct ", "【Upgraded】", "Wholesale ")

FEATURES: tuple[str, ...] = ("Easy to install", "CE FCC RoHS certified", "1 year warranty",
    "Ships within 24 hours", "OEM and ODM welcome", "Suitable for home and office",
    "Made of durable ABS material", "BPA free", "Safe for children over 3 years",
    "Overheat protection", "Fits most standard sizes", "Gift box packaging", "Low noise design",
    "USB rechargeable battery", "Non-slip base", "Machine washable", "Meets ASTM standards",
    "Customised logo available", "Bulk discount for large orders", "Tested to EN 71")

# (language code, weight, seller phrases appended to the title — some empty)
LANGUAGES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("en", 80, ("", "", " Free Shipping", " Fast Delivery")),
    ("de", 5, (" kostenloser Versand", " Neu", " für Kinder")),
    ("fr", 4, (" livraison gratuite", " Nouveau", " pour enfants")),
    ("es", 4, (" envío gratis", " Nuevo", " para niños")),
    ("zh", 4, (" 包邮", " 新款", " 厂家直销")),
    ("ja", 2, (" 送料無料", " 新品")),
    ("pl", 1, (" darmowa dostawa", " Nowy")),
)

COUNTRIES: tuple[tuple[str, float], ...] = (("US", 30), ("CA", 6), ("GB", 8), ("DE", 8), ("FR", 6),
    ("ES", 4), ("IT", 4), ("NL", 3), ("PL", 2), ("SE", 2), ("AU", 5), ("JP", 4), ("KR", 2), ("BR", 4),
    ("MX", 4), ("CN", 3), ("IN", 2), ("AE", 1), ("SA", 1), ("CH", 1))

CURRENCIES: tuple[tuple[str, float], ...] = (("USD", 70), ("EUR", 14), ("GBP", 5), ("CNY", 5),
    ("JPY", 2), ("CAD", 2), ("AUD", 2))

_SYLLABLES = ("ka", "lo", "vi", "ne", "tor", "zen", "mi", "ra", "qu", "ix", "bo", "sun", "lux", "ta",
    "ve", "ro", "kin", "do", "ma", "xi", "yo", "pe", "fa", "gle", "tek", "ny", "ar", "sa", "ho", "wi")
# fmt: on


def make_brands(n: int, seed: int = 0, syllables: tuple[int, int] = (2, 3)) -> list[str]:
    """``n`` distinct invented brand names ("Kalovi", "TEKSUN"…) of ``syllables`` (fewest, most)
    syllables, deterministic for a seed. Asking for more names than the syllables can make is an error,
    not an endless loop: two or three syllables make fewer than 28,000 names, two to five millions.

    >>> len(set(make_brands(1000, seed=3)))
    1000
    >>> len(set(make_brands(50_000, seed=3, syllables=(2, 5))))
    50000
    >>> make_brands(30_000)
    Traceback (most recent call last):
    ...
    ValueError: 30000 names asked of 2-3 syllables, which make at most 27900
    """
    lo, hi = syllables
    room = sum(len(_SYLLABLES) ** k for k in range(lo, hi + 1))
    if n > room * 0.9:
        raise ValueError(f"{n} names asked of {lo}-{hi} syllables, which make at most {room}")
    rng = np.random.default_rng([seed, 7])
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        k = int(rng.integers(lo, hi + 1))
        name = "".join(_SYLLABLES[int(i)] for i in rng.integers(0, len(_SYLLABLES), k))
        name = name.upper() if rng.random() < 0.3 else name.capitalize()
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out
