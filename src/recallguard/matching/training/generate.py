"""A documented, deterministic generator of seller-style listings for training the screening model.

From each recall target it writes listings the way sellers write them, and hard negatives:

Positives (label 1 for their own target)
    ``brand_model``   brand, product type and model number, with marketing words
    ``name``          the recall's product name with marketing words, sometimes a copied sentence
    ``gtin``          a generic title carrying the recalled GTIN
    ``misspelt``      lower case, brand and name words with swapped, dropped or doubled letters
    ``b2b``           wholesale style: piece counts, MOQ, OEM/ODM
    ``brand_type``    just brand and product type (the weakest positive)
    ``unbranded``     the product name without its brand, with a sentence copied from the recall
    ``company``       the recalling company's name used as the brand
Hard negatives (label 0 for every candidate)
    ``other_product`` same brand, another recall's product type
    ``other_brand``   same product words, another brand
    ``accessory``     an accessory "for" the recalled product
    ``other_model``   same brand and type, a different model number
    ``generic``       the product type alone, no brand, no recall text (an ordinary product of that kind)
    ``background``    ordinary products from a small everyday vocabulary

No listing of any benchmark is read; everything is made from targets and fixed word lists, with a
seeded ``random.Random`` so the same targets always give the same listings.

>>> from recallguard.domain.models import Target
>>> t = Target("1", "CPSC", brand="Acme", product_name="Acme Kids Helmets", product_type="helmet",
...            model_numbers=["KH-100"])
>>> rows = generate([t, Target("2", "CPSC", brand="Zed", product_name="Zed Scooter", product_type="scooter")],
...                 per_kind=1, seed=1)
>>> sorted({r.kind for r in rows})[:3]
['accessory', 'b2b', 'background']
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from recallguard.domain.models import Listing, Target

MARKETING = [
    "New",
    "Hot Sale",
    "Best Gift",
    "High Quality",
    "Top Rated",
    "Upgraded",
    "Limited Stock",
    "Free Shipping",
    "Fast Delivery",
    "2025 New",
    "Original",
    "Premium",
    "Durable",
    "Portable",
]
B2B_HEAD = ["Wholesale", "Factory Direct", "Bulk Order", "OEM/ODM", "Custom Logo", "MOQ 100pcs"]
B2B_TAIL = ["MOQ 100pcs", "Custom Logo", "Drop Shipping", "Factory Direct", "Wholesale", "OEM/ODM"]
ACCESSORIES = [
    "Replacement Strap for",
    "Silicone Cover for",
    "Storage Bag for",
    "Compatible with",
    "Charger for",
    "Carrying Case for",
    "Spare Parts for",
    "Mount for",
    "Protective Case for",
    "Replacement Battery for",
    "Decal Sticker Kit for",
    "Seat Cushion for",
    "Mounting Bracket fits",
    "Screen Protector for",
    "Wall Adapter for",
    "Spare Wheel for",
]
EVERYDAY = [
    "stainless steel water bottle",
    "wireless mouse",
    "yoga mat",
    "led desk lamp",
    "phone case",
    "cotton t-shirt",
    "garden hose",
    "kitchen knife set",
    "usb c cable",
    "bluetooth speaker",
    "running shoes",
    "coffee mug",
    "backpack",
    "dog leash",
    "throw pillow",
    "wall clock",
    "hair dryer",
    "notebook",
    "sunglasses",
    "bath towel",
    "printer paper",
    "camera tripod",
]
SELLER_TEXT = [
    "Brand new in box. Ships within 24 hours from our warehouse.",
    "Package includes 1 x {t}. Please allow 1-3 cm difference due to manual measurement.",
    "Material: ABS plastic and metal. Colour: {c}. Suitable for home and outdoor use.",
    "100% satisfaction guarantee. Contact us with any questions before buying.",
    "Great gift for family and friends. Easy to use and clean.",
    "Colour may vary slightly due to lighting. Item is in stock and ready to ship.",
    "High quality {t} at factory price. OEM orders welcome, sample available.",
]
COLOURS = ["black", "white", "blue", "red", "pink", "grey", "green"]
BRANDS = [
    "Nordik",
    "Velmora",
    "Kestrel",
    "Aurelio",
    "Brightway",
    "Tandem",
    "Lumio",
    "Corvex",
    "Halden",
    "Pinecrest",
    "Solano",
    "Quartz",
    "Orbix",
    "Meridian",
    "Zentro",
    "Vantage",
]


@dataclass
class GeneratedListing:
    listing: Listing
    recall_number: str  # "" for negatives
    kind: str


def _misspell(word: str, rnd: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rnd.randrange(1, len(word) - 1)
    op = rnd.choice(["swap", "drop", "double", "swap"])
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def _sentence(target: Target, rnd: random.Random) -> str:
    sents = [s.strip() for s in re.split(r"(?<=[.!?])\s+", target.text) if 30 <= len(s.strip()) <= 220]
    sents = [s for s in sents if "recall" not in s.lower()[:40]] or sents
    return rnd.choice(sents) if sents else ""


def _strip_brand(name: str, brand: str) -> str:
    words = [w for w in name.split() if w.lower() not in {b.lower() for b in brand.split()}]
    return " ".join(words) or name


def _other_model(model: str, rnd: random.Random) -> str:
    chars = list(model)
    digits = [i for i, c in enumerate(chars) if c.isdigit()]
    if not digits:
        return model + str(rnd.randint(2, 9))
    i = rnd.choice(digits)
    chars[i] = str((int(chars[i]) + rnd.randint(1, 8)) % 10)
    return "".join(chars)


def _listing(lid: str, title: str, rnd: random.Random, **kw: object) -> Listing:
    if not kw.get("description") and rnd.random() < 0.35:
        words = title.split()
        kw["description"] = rnd.choice(SELLER_TEXT).format(t=" ".join(words[-2:]), c=rnd.choice(COLOURS))
    site = "b2b" if "pcs" in title.lower() or "wholesale" in title.lower() else "b2c"
    return Listing(
        listing_id=lid,
        title=re.sub(r"\s+", " ", title).strip(),
        site=site,
        price=round(rnd.uniform(5, 300), 2),
        ship_to=["*"],
        **kw,  # type: ignore[arg-type]
    )


def generate(targets: Sequence[Target], per_kind: int = 2, seed: int = 0) -> list[GeneratedListing]:
    """Seller-style positives and hard negatives for every target (see the module docstring)."""
    rnd = random.Random(seed)
    out: list[GeneratedListing] = []
    n = 0

    def add(title: str, rn: str, kind: str, **kw: object) -> None:
        nonlocal n
        n += 1
        out.append(GeneratedListing(_listing(f"G{n:07d}", title, rnd, **kw), rn, kind))

    types = [t.product_type or t.product_name for t in targets]
    for t in targets:
        brand = t.brand or (t.product_name.split()[0] if t.product_name else "")
        name = t.product_name or t.product_type
        ptype = t.product_type or name
        bare = _strip_brand(name, brand)
        model = rnd.choice(t.model_numbers) if t.model_numbers else ""
        for _ in range(per_kind):
            mk = rnd.choice(MARKETING)
            desc = _sentence(t, rnd) if rnd.random() < 0.6 else ""
            add(
                f"{brand} {ptype} {model} {mk}",
                t.recall_number,
                "brand_model",
                brand=brand,
                model=model,
                description=desc,
            )
            add(
                f"{mk} {brand} {bare}" if rnd.random() < 0.5 else f"{name} {mk}",
                t.recall_number,
                "name",
                brand=brand if rnd.random() < 0.7 else "",
                description=_sentence(t, rnd) if rnd.random() < 0.5 else "",
            )
            if t.gtins:
                generic = " ".join(ptype.split()[-2:]).title()
                add(f"{generic} {mk}", t.recall_number, "gtin", gtin=rnd.choice(t.gtins))
            misspelt = " ".join(
                _misspell(w, rnd) if rnd.random() < 0.5 else w for w in f"{brand} {bare}".split()
            )
            add(
                misspelt.lower() + (f" {model.lower()}" if model and rnd.random() < 0.4 else ""),
                t.recall_number,
                "misspelt",
                brand=_misspell(brand, rnd),
                description=desc.lower(),
            )
            count = rnd.choice([50, 100, 200, 500])
            add(
                f"{rnd.choice(B2B_HEAD)} {count}pcs {brand} {bare} {model} {rnd.choice(B2B_TAIL)}",
                t.recall_number,
                "b2b",
                brand=brand,
                model=model,
            )
            add(f"{brand} {' '.join(ptype.split()[-2:])} {mk}", t.recall_number, "brand_type", brand=brand)
            sent = _sentence(t, rnd)
            if sent:
                add(
                    f"{mk} {bare}",
                    t.recall_number,
                    "unbranded",
                    brand=rnd.choice(["", bare.split()[0]]),
                    description=sent,
                )
            if t.brand_aliases:
                company = rnd.choice(t.brand_aliases).split()[0]
                add(
                    f"{rnd.choice(B2B_HEAD)} {company} {bare} {rnd.choice(B2B_TAIL)}",
                    t.recall_number,
                    "company",
                    brand=company,
                )
            add(
                f"{rnd.choice(['Kids', 'Adult', 'Portable', ''])} {' '.join(ptype.split()[-2:])} {mk}",
                "",
                "generic",
            )
            other_type = rnd.choice(types)
            if other_type.lower() not in name.lower():
                add(f"{brand} {' '.join(other_type.split()[-2:])} {mk}", "", "other_product", brand=brand)
            ob = rnd.choice(BRANDS)
            add(f"{ob} {bare if rnd.random() < 0.5 else name} {mk}", "", "other_brand", brand=ob)
            acc_model = f" {model}" if model and rnd.random() < 0.5 else ""
            add(f"{rnd.choice(ACCESSORIES)} {brand} {bare}{acc_model}", "", "accessory")
            if model or rnd.random() < 0.5:
                om = (
                    _other_model(model, rnd) if model else f"{rnd.choice('ABCKMSTX')}{rnd.randint(100, 9999)}"
                )
                add(f"{brand} {ptype} {om} {mk}", "", "other_model", brand=brand, model=om)
            add(f"{rnd.choice(BRANDS)} {rnd.choice(EVERYDAY)} {mk}", "", "background")
    return out
