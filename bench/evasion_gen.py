"""A documented, deterministic evasion generator: disguised re-listings of recalled products.

Seeds are the dev split's P1 listings (one listing of each recalled product, as a seller wrote it,
with the recall it belongs to in truth.csv). Each disguise rewrites the seed's title, brand and model
fields the way sellers who come back after a removal do; the seed's description is dropped (title-only
re-listing: the hard case) except for ``new-brand-copied-description``, whose point is the copied text.
Every disguise is a pure function of (seed listing, random.Random(f"{disguise}:{listing_id}")), so the
same data gives the same disguised listings on every run.

Disguises:
- homoglyph: 40 % of the letters of the brand and product words swapped for Cyrillic/Greek twins
- zero-width: zero-width space/joiner, word joiner and bidi marks inserted inside words
- leetspeak: a→4, e→3, o→0, i→1, s→5, t→7 in brand and product words (the model is left alone)
- fullwidth: the title in fullwidth forms (ＫＹ－０５５)
- split-model: the model number spaced out, dotted or dashed ("KY-055" → "K Y 0 5 5", "KY.055")
- model-swap: O/0, I/1, S/5, B/8, Z/2 swaps inside the model number, then split
- brand-misspelling: one transposition, doubling or dropped letter in the brand
- brand-soundalike: phonetic spellings (c→k, ph→f, s→z, i→y, ee→ea …) of the brand
- chinese-words: English product-type words replaced by Chinese ones, Chinese sales words added
- keyword-stuffing: five other recalled brands and product types appended to the title
- new-brand-copied-description: a made-up brand over the seed's copied description
- combo: homoglyph + zero-width + split-model together
- camel-case: the title run together in camel case, as a hashtag ("RazorElectricScooterE300")
- glued-brand: the brand glued to the word after it ("RazorElectric", "razorelectric"), brand field empty
- word-typo: one letter dropped, doubled or swapped in a product or marketing word ("Scooers", "Ugraded")
- spelt-brand: the brand spelt out letter by letter ("R a z o r", "R.a.z.o.r"), brand field empty
- spanish-words: product words in Spanish, plain ASCII ("casco de bicicleta"), language "es"
- market-suffix: a market's code glued or dashed to the model number ("SG-5US", "E300-EU", "XL4UK")
- seo-padding: search phrases sellers pile onto a title ("for Kids Adults", "Gift for Christmas", "Heavy
  Duty", "Father's Day", a colour), three to five of them, at the end or at the start
- generic-brand: the brand taken out of the title and the brand field set to a placeholder ("Generic",
  "Unbranded", "No Brand", "N/A", "OEM"), half the time with "Generic"/"Unbranded" leading the title
- quantity: how many in the listing added to the title ("(2-Pack)", "Pack of 3", "12 Count", "3pk")
- code-label: a seller's label glued to the model number ("No.SG-5", "SKU-SG-5", "Art.-Nr.SG-5")

Images (synthetic photos made with Pillow, see tests/images/synth.py): crop (≤ 10 % a side),
heavy-crop (≤ 15 % a side), resize, JPEG quality 15, mirror, watermark, hue rotation, greyscale,
brightness, and all at once.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import replace

from recallguard.domain.models import Listing

_HOMO = {"a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "i": "і", "s": "ѕ", "j": "ј",
         "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "Ο", "P": "Р", "T": "Т",
         "X": "Χ", "Y": "Υ", "I": "І", "N": "Ν", "Z": "Ζ"}  # fmt: skip
_INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u200e", "\u202a", "\u202c", "\ufeff"]
_LEET = {"a": "4", "e": "3", "o": "0", "i": "1", "s": "5", "t": "7", "A": "4", "E": "3", "O": "0", "I": "1",
         "S": "5", "T": "7"}  # fmt: skip
_SWAP = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "O": "0", "I": "1", "S": "5", "B": "8", "Z": "2"}
_SOUND = [("ph", "f"), ("ck", "k"), ("c", "k"), ("ee", "ea"), ("oo", "u"), ("s", "z"), ("i", "y"),
          ("x", "ks"), ("qu", "kw"), ("er", "ur"), ("y", "i")]  # fmt: skip
_ZH = {"helmet": "头盔", "bicycle": "自行车", "bike": "自行车", "scooter": "滑板车", "stroller": "婴儿车",
       "crib": "婴儿床", "toy": "玩具", "toys": "玩具", "doll": "娃娃", "magnet": "磁铁", "battery": "电池",
       "batteries": "电池", "charger": "充电器", "heater": "取暖器", "lamp": "台灯", "fan": "风扇",
       "dresser": "五斗柜", "chair": "椅子", "table": "桌子", "mattress": "床垫", "pajamas": "睡衣",
       "jacket": "夹克", "necklace": "项链", "blender": "搅拌机", "ladder": "梯子", "trampoline": "蹦床",
       "kayak": "皮划艇", "generator": "发电机", "candle": "蜡烛", "lighter": "打火机", "swing": "秋千",
       "hammock": "吊床", "gloves": "手套", "backpack": "背包", "snowmobile": "雪地摩托", "knife": "刀具",
       "cooker": "压力锅", "boots": "靴子", "shoes": "鞋子", "seat": "座椅", "bottle": "水杯", "cup": "杯子",
       "light": "灯", "lights": "灯", "bed": "床架", "pool": "泳池", "sled": "雪橇", "skateboard": "滑板",
       "treadmill": "跑步机", "vacuum": "吸尘器", "humidifier": "加湿器", "hoodie": "卫衣",
       "cord": "延长线"}  # fmt: skip
_ZH_SALES = ["热销", "新款", "厂家直销", "包邮", "正品"]
_ES = {"helmet": "casco", "helmets": "cascos", "bicycle": "bicicleta", "bicycles": "bicicletas",
       "bike": "bici", "bikes": "bicis", "scooter": "patinete", "scooters": "patinetes",
       "stroller": "cochecito", "strollers": "cochecitos", "crib": "cuna", "cribs": "cunas",
       "toy": "juguete", "toys": "juguetes", "chair": "silla", "chairs": "sillas", "dresser": "comoda",
       "dressers": "comodas", "heater": "calefactor", "heaters": "calefactores", "charger": "cargador",
       "chargers": "cargadores", "ladder": "escalera", "ladders": "escaleras", "trampoline": "cama elastica",
       "trampolines": "camas elasticas", "lamp": "lampara", "lamps": "lamparas", "mattress": "colchon",
       "mattresses": "colchones", "children's": "para ninos", "kids": "ninos", "electric": "electrico",
       "adult": "adulto"}  # fmt: skip
_NEW_BRANDS = ["Vanlord", "Qunimo", "Hoxtea", "Brivaz", "Selvora", "Munkee", "Drovix", "Ylumen"]
_NOISE = re.compile(
    r"\b(premium|durable|portable|high quality|upgraded|original|best gift|hot sale|new)\b", re.I
)


def _word_edit(text: str, protect: set[str], r: random.Random, edit: Callable[[str], str]) -> str:
    return " ".join(w if w in protect or any(c.isdigit() for c in w) else edit(w) for w in text.split(" "))


def homoglyph(s: Listing, r: random.Random) -> Listing:
    def edit(w: str) -> str:
        return "".join(_HOMO[c] if c in _HOMO and r.random() < 0.4 else c for c in w)

    return replace(s, title=_word_edit(s.title, {s.model}, r, edit), brand=edit(s.brand))


def zero_width(s: Listing, r: random.Random) -> Listing:
    def edit(w: str) -> str:
        if len(w) < 3:
            return w
        i = r.randrange(1, len(w))
        return w[:i] + r.choice(_INVISIBLE) + w[i:]

    title = " ".join(edit(w) for w in s.title.split(" "))
    return replace(s, title=title, brand=edit(s.brand), model=edit(s.model))


def leetspeak(s: Listing, r: random.Random) -> Listing:
    def edit(w: str) -> str:
        return "".join(_LEET[c] if c in _LEET and r.random() < 0.7 else c for c in w)

    return replace(s, title=_word_edit(s.title, {s.model}, r, edit), brand=edit(s.brand))


def fullwidth(s: Listing, r: random.Random) -> Listing:
    def fw(t: str) -> str:
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in t)

    return replace(s, title=fw(s.title), brand=fw(s.brand), model=fw(s.model))


def _split(model: str, r: random.Random) -> str:
    core = re.sub(r"[^0-9A-Za-z]", "", model)
    style = r.randrange(4)
    if style == 0:
        return " ".join(core)
    if style == 1:
        return ".".join(core[i : i + 2] for i in range(0, len(core), 2))
    if style == 2:
        cut = max(1, len(core) // 2)
        return f"{core[:cut]} {core[cut:]}"
    return "-".join(core)


def _with_model(s: Listing, new_model: str) -> Listing:
    title = (
        s.title.replace(s.model, new_model) if s.model and s.model in s.title else f"{s.title} {new_model}"
    )
    return replace(s, title=title, model="")


def split_model(s: Listing, r: random.Random) -> Listing | None:
    return _with_model(s, _split(s.model, r)) if s.model else None


def market_suffix(s: Listing, r: random.Random) -> Listing | None:
    """A market's code glued or dashed to the model number ("SG-5US", "E300-EU"): the same product."""
    if not s.model:
        return None
    return _with_model(s, s.model + r.choice(["", "-"]) + r.choice(["US", "EU", "UK", "USA"]))


def model_swap(s: Listing, r: random.Random) -> Listing | None:
    if not s.model or not any(c in _SWAP for c in s.model):
        return None
    chars = list(s.model)
    spots = [i for i, c in enumerate(chars) if c in _SWAP]
    for i in r.sample(spots, max(1, len(spots) // 2)):
        chars[i] = _SWAP[chars[i]]
    return _with_model(s, _split("".join(chars), r) if r.random() < 0.5 else "".join(chars))


def _misspell(w: str, r: random.Random) -> str:
    if len(w) < 4:
        return w + w[-1]
    i = r.randrange(1, len(w) - 1)
    kind = r.randrange(3)
    if kind == 0:
        return w[:i] + w[i + 1] + w[i] + w[i + 2 :]
    if kind == 1:
        return w[:i] + w[i] + w[i:]
    return w[:i] + w[i + 1 :]


def _rebrand(s: Listing, new: str) -> Listing:
    title = re.sub(re.escape(s.brand), new, s.title, flags=re.I) if s.brand else f"{new} {s.title}"
    return replace(s, title=title, brand=new)


def brand_misspelling(s: Listing, r: random.Random) -> Listing | None:
    return _rebrand(s, _misspell(s.brand, r)) if len(s.brand) >= 4 else None


def brand_soundalike(s: Listing, r: random.Random) -> Listing | None:
    b = s.brand.lower()
    for old, new in r.sample(_SOUND, len(_SOUND)):
        if old in b[1:]:
            b = b[0] + b[1:].replace(old, new, 1)
            return _rebrand(s, b.capitalize())
    return None


def chinese_words(s: Listing, r: random.Random) -> Listing:
    words = [_ZH.get(w.lower(), w) for w in _NOISE.sub("", s.title).split()]
    return replace(s, title=f"{r.choice(_ZH_SALES)} {' '.join(words)} {r.choice(_ZH_SALES)}")


def spanish_words(s: Listing, r: random.Random) -> Listing | None:
    """English product words put in Spanish, written in plain ASCII as sellers type them ("casco de
    bicicleta"), the listing's language "es"; sales words dropped. Titles with no such word are left out."""
    words = _NOISE.sub("", s.title).split()
    out = [_ES.get(w.lower(), w) for w in words]
    if out == words:
        return None
    return replace(s, title=" ".join(out), language="es")


def keyword_stuffing(s: Listing, r: random.Random, others: list[Listing]) -> Listing:
    picks = r.sample(others, min(5, len(others)))
    extra = " ".join(f"{o.brand} {o.title.split()[-2] if len(o.title.split()) > 1 else ''}" for o in picks)
    return replace(s, title=f"{s.title} {extra}")


def new_brand_copied_description(s: Listing, r: random.Random) -> Listing | None:
    if not s.description:
        return None
    return _rebrand(replace(s, model=""), r.choice(_NEW_BRANDS))


def camel_case(s: Listing, r: random.Random) -> Listing:
    """The title run together in camel case, as in a hashtag: "RazorElectricScooterE300"."""
    return replace(s, title="".join(w[:1].upper() + w[1:] for w in s.title.split()))


def glued_brand(s: Listing, r: random.Random) -> Listing | None:
    """The brand glued to the word after it ("RazorElectric scooter" or all lower case), brand field empty."""
    at = s.title.lower().find(s.brand.lower()) if s.brand else -1
    if at < 0:
        return None
    end = at + len(s.brand)
    brand = s.brand.replace(" ", "")
    brand = brand if r.random() < 0.5 else brand.lower()
    rest = s.title[end:].lstrip()
    rest = rest if brand[:1].isupper() else rest[:1].lower() + rest[1:]
    return replace(s, title=s.title[:at] + brand + rest, brand="")


def spelt_brand(s: Listing, r: random.Random) -> Listing | None:
    """The brand spelt out letter by letter, apart by spaces, dots or dashes ("R a z o r", "R.a.z.o.r"),
    brand field empty."""
    at = s.title.lower().find(s.brand.lower()) if len(s.brand) >= 3 else -1
    if at < 0:
        return None
    end = at + len(s.brand)
    letters = [c for c in s.title[at:end] if c.isalnum()]
    spelt = r.choice([" ", ".", "-"]).join(letters)
    return replace(s, title=f"{s.title[:at]}{spelt}{s.title[end:]}", brand="")


def word_typo(s: Listing, r: random.Random) -> Listing | None:
    """One letter dropped, doubled or swapped in one title word of five letters or more that is not the
    brand or the model (a product word or a marketing word: "Scooers", "Ugraded")."""
    words = s.title.split(" ")
    brand = {w.lower() for w in s.brand.split()}
    spots = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha() and w.lower() not in brand]
    if not spots:
        return None
    i = r.choice(spots)
    words[i] = _misspell(words[i], r)
    return replace(s, title=" ".join(words))


_PLACEHOLDERS = ["Generic", "Unbranded", "No Brand", "N/A", "OEM", "generic", "Does Not Apply"]


def generic_brand(s: Listing, r: random.Random) -> Listing | None:
    """The brand taken out of the title, the brand field a placeholder that names no brand ("Generic",
    "Unbranded", "N/A"), half the time with "Generic" or "Unbranded" leading the title."""
    if len(s.brand) < 2 or s.brand.lower() not in s.title.lower():
        return None
    title = " ".join(re.sub(re.escape(s.brand), " ", s.title, flags=re.I).split())
    if r.random() < 0.5:
        title = f"{r.choice(['Generic', 'Unbranded'])} {title}"
    return replace(s, title=title, brand=r.choice(_PLACEHOLDERS))


_SEO = [
    "for Kids",
    "for Adults",
    "for Kids Adults",
    "Men Women",
    "for Boys Girls",
    "Teens",
    "Gift for Christmas",
    "Birthday Gift",
    "Father's Day Gift",
    "Stocking Stuffer",
    "Lightweight",
    "Foldable",
    "Heavy Duty",
    "Ergonomic",
    "Anti-Slip",
    "Perfect for Camping Hiking",
    "Indoor Outdoor",
    "Home Office",
    "Black",
    "Blue",
    "Pink",
    "Grey",
    "Large",
    "Ultra Comfortable",
    "Easy to Install",
    "Professional",
    "Travel",
]


def seo_padding(s: Listing, r: random.Random) -> Listing:
    """Three to five search phrases piled onto the title, comma-separated, at its end or its start."""
    pile = ", ".join(r.sample(_SEO, r.randint(3, 5)))
    return replace(s, title=f"{s.title}, {pile}" if r.random() < 0.7 else f"{pile} {s.title}")


_QUANTITY = ["(2-Pack)", "2 Pack", "Pack of 3", "12 Count", "(Set of 2)", "3pk", "2pcs", "x2", "4 Packs"]


def quantity(s: Listing, r: random.Random) -> Listing:
    """How many the listing holds, added to the title's end ("(2-Pack)", "Pack of 3", "12 Count")."""
    return replace(s, title=f"{s.title} {r.choice(_QUANTITY)}")


_LABELS = ["No.", "SKU-", "Art.-Nr.", "Ref.", "Item-", "Nr.", "Model#", "Mod."]


def code_label(s: Listing, r: random.Random) -> Listing | None:
    """A seller's label glued to the model number in the title ("No.SG-5", "SKU-SG-5"), model field empty."""
    if not s.model or s.model not in s.title:
        return None
    return replace(s, title=s.title.replace(s.model, r.choice(_LABELS) + s.model), model="")


def combo(s: Listing, r: random.Random) -> Listing | None:
    out = split_model(s, r)
    return zero_width(homoglyph(out, r), r) if out else None


DISGUISES: dict[str, Callable[..., Listing | None]] = {
    "homoglyph": homoglyph,
    "zero-width": zero_width,
    "leetspeak": leetspeak,
    "fullwidth": fullwidth,
    "split-model": split_model,
    "model-swap": model_swap,
    "brand-misspelling": brand_misspelling,
    "brand-soundalike": brand_soundalike,
    "chinese-words": chinese_words,
    "keyword-stuffing": keyword_stuffing,
    "new-brand-copied-description": new_brand_copied_description,
    "combo": combo,
    "camel-case": camel_case,
    "glued-brand": glued_brand,
    "word-typo": word_typo,
    "spelt-brand": spelt_brand,
    "spanish-words": spanish_words,
    "generic-brand": generic_brand,
    "market-suffix": market_suffix,
    "seo-padding": seo_padding,
    "quantity": quantity,
    "code-label": code_label,
}


def disguise_all(seeds: list[Listing]) -> dict[str, list[tuple[Listing, Listing]]]:
    """For each disguise, (seed, disguised listing) pairs; seeds a disguise does not apply to are left out.

    >>> seed = Listing("D1", "Shimano Stem PRSS0049", description="d", brand="Shimano", model="PRSS0049")
    >>> out = disguise_all([seed, replace(seed, listing_id="D2", brand="Razor")])
    >>> out["split-model"][0][1].listing_id, out["split-model"][0][1].description
    ('D1~split-model', '')
    """
    out: dict[str, list[tuple[Listing, Listing]]] = {}
    for name, fn in DISGUISES.items():
        pairs = []
        for seed in seeds:
            r = random.Random(f"{name}:{seed.listing_id}")
            base = seed if name == "new-brand-copied-description" else replace(seed, description="")
            made = (
                fn(base, r, [s for s in seeds if s is not seed])
                if name == "keyword-stuffing"
                else fn(base, r)
            )
            if made is not None:
                pairs.append((seed, replace(made, listing_id=f"{seed.listing_id}~{name}", seller_id="S-new")))
        out[name] = pairs
    return out
