"""The product type of a recalled product: the head noun phrase of its name, singular.

"Gudook Adult Bike Helmets" -> "helmet" style phrases: the trailing run of common (non-name) words of
the product name, the head word made singular.

>>> product_type_of("Specialized Turbo Como SL 4.0 & 5.0 Bicycle Forks", "bicycle forks on all bikes")
'bicycle fork'
>>> singular("batteries"), singular("boxes"), singular("glasses"), singular("dresses")
('battery', 'box', 'glass', 'dress')
"""

from __future__ import annotations

import re

from recallguard.sources.extract.prose import lowercase_words

# Common product words and modifiers, so that a type is found even when the prose is short. Names
# (brands, product lines) are never in here.
COMMON_WORDS = frozenset(
    """
    diy multiple laser pet montessori pumpkin halloween christmas chess tabletop board card sofa
    sofas loveseat loveseats recliner recliners couch couches adult adults baby babies infant
    infants kid kids child children children's toddler toddlers youth men's women's boys girls
    unisex portable electric electronic cordless rechargeable wireless digital smart mini magnetic
    plastic wooden wood metal steel glass ceramic silicone fabric foam plush soft hard heavy light
    lights lighted led up light-up battery battery-operated battery-powered lithium lithium-ion coin
    button solar gas gasoline diesel propane outdoor indoor folding foldable convertible adjustable
    inflatable hot cool heating cooling heated warming ride-on off-road all-terrain multi-purpose
    multipurpose various bike bicycle bicycles helmet helmets toy toys game games set sets kit kits
    pack packs bottle bottles seat seats car stroller strollers crib cribs bassinet bassinets
    dresser dressers chest chests drawer drawers table tables chair chairs desk desks bed beds bunk
    mattress mattresses lounger loungers pad pads sleeper sleepers swing swings walker walkers
    carrier carriers high highchair play playset playsets yard teether teething pull string ball
    balls block blocks doll dolls figure figures stick sticks ring rings water pool pools vacuum
    vacuums robotic pressure washer washers generator generators heater heaters fan fans charger
    chargers power bank banks cable cables adapter adapters cord cords plug plugs outlet strip
    strips camera cameras security scooter scooters skateboard hoverboard hoverboards motorcycle
    motorcycles vehicle vehicles truck trucks sauna blanket blankets sock socks shoe shoes boot
    boots clothing pajama pajamas sleepwear garment garments jacket jackets hoodie hoodies shirt
    shirts dress dresses hat hats glove gloves tumbler tumblers cup cups mug mugs glasses lamp lamps
    lantern lanterns flashlight flashlights candle candles fidget spinner spinners finger beam party
    favor favors office kitchen cooker cookers pot pots pan pans knife knives blender blenders
    kettle kettles oven ovens stove stoves grill grills dishwasher refrigerator freezer microwave
    toaster iron humidifier humidifiers dehumidifier dehumidifiers purifier purifiers tower room
    small large space wall storage unit units clothing tip restraint anchor anchors tool tools saw
    saws drill drills ladder ladders tent tents trampoline trampolines hammock hammocks fuel
    container containers jug jugs can cans nightlight sensory activity cube cubes bath tub tubs
    shower gate gates baby-gate monitor monitors fork forks brake brakes wheel wheels tire tires
    handlebar handlebars pedal pedals frame frames rack racks stand stands hanger hangers hook hooks
    magnet magnets bead beads necklace necklaces bracelet bracelets jewelry earring earrings
    headband headbands bow bows wand wands whistle whistles rattle rattles pacifier pacifiers clip
    clips bib bibs book books puzzle puzzles building racket rackets badminton squeeze slime putty
    dive drone drones charging keyboard speaker speakers headphone headphones earbud earbuds phone
    phones case cases laptop tablet tablets remote control controls coffee maker makers machine
    machines pump pumps sprayer sprayers mower mowers trimmer trimmers blower blowers chainsaw
    """.split()
)

_PLURAL_ONLY = frozenset(
    """
    eyeglasses sunglasses scissors pants shorts jeans leggings pajamas clothes tongs pliers
    binoculars goggles earmuffs headphones earbuds series species chassis news overalls tights
    """.split()
)
_VAGUE = frozenset(
    {"various", "certain", "multiple", "assorted", "select", "recalled", "new", "brand", "branded"}
)
_STOP = re.compile(
    r"\s*(?:\(|,\s*model\b|\bfor\b|\bwith\b|\bsold\b|\bincluding\b|\bcontaining\b|\bby\b|"
    r"\brecall(?:s|ed)?\b|;|:)",
    re.I,
)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.+&/-]*")


def singular(word: str) -> str:
    """The singular of a (possibly plural) English noun; words that only exist in the plural stay."""
    w = word
    lw = w.lower()
    if lw in _PLURAL_ONLY or len(lw) <= 3 or not lw.endswith("s"):
        return w
    if lw.endswith("ies") and len(lw) > 4:
        return w[:-3] + ("Y" if w.isupper() else "y")
    if lw.endswith("ves") and lw not in ("valves", "gloves", "curves", "sleeves", "stoves", "drives"):
        return w[:-3] + ("F" if w.isupper() else "f")
    if re.search(r"(?:ches|shes|sses|xes|zes)$", lw):
        return w[:-2]
    if lw.endswith(("ss", "us", "is")):
        return w
    return w[:-1]


def is_common_word(token: str, prose_lower: frozenset[str]) -> bool:
    """True when a token is a common word here (in the common list, or written in lower case in the prose)."""
    t = token.lower().strip("'’.")
    if not t:
        return False
    if t in COMMON_WORDS or t in prose_lower or singular(t) in COMMON_WORDS or singular(t) in prose_lower:
        return True
    parts = [p for p in t.split("-") if p]
    return len(parts) > 1 and all(p in COMMON_WORDS or p in prose_lower or p.isdigit() for p in parts)


def head_phrase(name: str) -> str:
    """The part of a product name before qualifiers: 'X Adapters for Y Stroller' -> 'X Adapters'."""
    m = _STOP.search(name or "")
    return (name[: m.start()] if m else name or "").strip(" ,.-")


def product_type_of(name: str, prose: str) -> str:
    """The trailing run of common words of a product name, head word singular, lower case ('' if none).

    ``prose`` is the recall text: a word it writes in lower case is a common word, not a name.
    """
    words = _TOKEN.findall(head_phrase(name))
    lower = lowercase_words(prose)
    run: list[str] = []
    for w in reversed(words):
        if w.lower() in ("and", "&", "or", "of", "in"):
            if run and run[-1].lower() not in ("and", "&", "or", "of", "in"):
                run.append(w)
                continue
            break
        if not is_common_word(w, lower):
            break
        run.append(w)
    while run and run[-1].lower() in ("and", "&", "or", "of", "in"):
        run.pop()
    if not run and words and words[-1].isalpha() and re.search(r"[a-z]s$", words[-1]) and len(words) > 1:
        run = [words[-1]]  # the head noun of a name is its last word ("... Cage-Dinosaur Tribes")
    while run and run[-1].lower() in _VAGUE:
        run.pop()
    if not run:
        return ""
    run.reverse()
    run[-1] = singular(run[-1])
    return " ".join(run).lower().replace("’", "'")


def split_product_list(name: str) -> list[str]:
    """A product name that lists several products ('Sofas, Loveseats and Recliners') split into them.

    >>> split_product_list("Talan and Royce Collection Sofas, Loveseats and Recliners")
    ['Talan and Royce Collection Sofas', 'Loveseats', 'Recliners']
    >>> split_product_list("BABESIDE Doll and Stroller Toys")
    ['BABESIDE Doll and Stroller Toys']
    """
    head = head_phrase(name) if "(" in name else name
    if "," not in head:
        return [name]
    parts = [
        p.strip() for p in re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+(?=[^,]*$)", head) if p.strip()
    ]
    if len(parts) < 2 or not all(re.search(r"[a-z]s$", p.split()[-1]) for p in parts):
        return [name]
    return parts
