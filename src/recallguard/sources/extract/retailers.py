"""Where a recalled product was sold: retailers and marketplaces named in the Retailers sentence
("Online at Amazon.com from July 2025 through January 2026 for about $40.") and in the title
("...; Sold on Amazon by HYBDOLLS", "Sold Exclusively at Walmart").

>>> sold_at(["Online at Amazon.com, Temu.com and Plus.Target.com from February 2019 for $17."])
['Amazon', 'Temu', 'Target']
>>> sold_at(["Specialty stores nationwide and on Arizer.com from May 2025 through January 2026."])
['arizer.com']
>>> title_seller("Helmets Recalled Due to Head Injury; Sold on Amazon by Gudook Outdoor Sports")
('Amazon', 'Gudook Outdoor Sports')
"""

from __future__ import annotations

import re

from recallguard.sources.extract.prose import MONTH_RE

# Canonical name -> pattern of the names and domains it goes by.
KNOWN_RETAILERS: dict[str, str] = {
    "Amazon": r"amazon", "Walmart": r"wal-?mart", "Target": r"target", "Temu": r"temu", "Shein": r"shein",
    "AliExpress": r"ali-?express", "Alibaba": r"alibaba", "eBay": r"ebay", "Wayfair": r"wayfair",
    "Etsy": r"etsy", "TikTok": r"tik-?tok(?: shop)?", "Wish": r"wish",
    "Home Depot": r"(?:the )?home ?depot", "Lowe's": r"lowe'?s", "Best Buy": r"best ?buy",
    "Costco": r"costco", "Sam's Club": r"sam'?s ?club", "Kohl's": r"kohl'?s", "Macy's": r"macy'?s",
    "Menards": r"menard'?s", "Nordstrom Rack": r"nordstrom ?rack", "Nordstrom": r"nordstrom",
    "TJ Maxx": r"t\.?j\.? ?maxx", "Marshalls": r"marshalls", "HomeGoods": r"home ?goods",
    "Ollie's": r"ollie'?s(?: bargain(?: outlet)?)?", "Kroger": r"kroger", "Meijer": r"meijer",
    "Hy-Vee": r"hy-?vee", "Winn-Dixie": r"winn-?dixie",
    "Bed Bath & Beyond": r"bed ?bath ?(?:&|and) ?beyond", "Ace Hardware": r"ace ?hardware",
    "Micro Center": r"micro ?center", "Banggood": r"banggood", "Bloomingdale's": r"bloomingdale'?s",
    "Dollar General": r"dollar ?general", "Dollar Tree": r"dollar ?tree",
    "Family Dollar": r"family ?dollar", "Big Lots": r"big ?lots", "Five Below": r"five ?below",
    "Tractor Supply": r"tractor ?supply", "Harbor Freight": r"harbor ?freight",
    "Dick's Sporting Goods": r"dick'?s(?: sporting goods)?",
    "Academy Sports": r"academy(?: sports)?(?: \+ outdoors)?", "REI": r"rei", "Staples": r"staples",
    "Office Depot": r"office ?depot", "Michaels": r"michaels", "Hobby Lobby": r"hobby ?lobby",
    "Burlington": r"burlington", "Ross": r"ross(?: dress for less)?", "CVS": r"cvs",
    "Walgreens": r"walgreens", "QVC": r"qvc", "HSN": r"hsn", "Overstock": r"overstock",
    "Zulily": r"zulily", "JCPenney": r"jc ?penney", "Newegg": r"newegg", "Chewy": r"chewy",
    "Petco": r"petco", "PetSmart": r"petsmart", "IKEA": r"ikea", "Buy Buy Baby": r"buy ?buy ?baby",
    "Fred Meyer": r"fred ?meyer", "Sierra": r"sierra(?: trading post)?", "Sears": r"sears",
    "Kmart": r"k-?mart", "Cabela's": r"cabela'?s", "Bass Pro Shops": r"bass ?pro(?: shops)?",
    "Walmart Marketplace": r"walmart marketplace", "Shopee": r"shopee", "Lazada": r"lazada",
    "DHgate": r"dhgate",
}  # fmt: skip
_KNOWN = [
    (name, re.compile(rf"^(?:www\.)?(?:{pat})(?:\.(?:com|us|ca|net))?$", re.I))
    for name, pat in KNOWN_RETAILERS.items()
]
_DOMAIN = re.compile(
    r"\b(?:https?://)?(?:www\.)?((?:[A-Za-z0-9-]+\.)+(?:com|net|org|us|co|shop|store|ca))\b", re.I
)
_TIME = re.compile(
    r"\s+(?:from|between|in|during|since|starting|beginning|through|until)\s+(?:between\s+)?(?:"
    + MONTH_RE
    + r"|(?:19|20)\d{2})"
    r"|\s+for\s+(?:about|between|approximately|around|\$)|\s+(?:at|for)\s+\$",
)
_LEAD = re.compile(
    r"^(?:.*\b(?:including|such as|sold (?:online )?(?:through|at|by|on)|distributed by)\s+|"
    r"(?:and\s+)?(?:(?:exclusively|online|in[- ]stores?|in stores|sold|available|also)\s+)*"
    r"(?:at|on|through|by|in)\s+)",
    re.I,
)
_TRAIL = re.compile(
    r"\s+(?:(?:retail |department |grocery )?stores?|shops?|outlets?|nationwide|online|locations|"
    r"websites?|dealers?|in [A-Z]\w+(?: \w+)?)(?=\s|$).*$"
)
_GENERIC_START = frozenset(
    """
    specialty independent various major authorized other online department discount gift furniture
    hardware home sporting toy mass retail retailers stores store promotional free select selected
    many several national regional local mail catalog catalogs and the a in on at by through
    exclusively
    """.split()
)
_STATES = frozenset(
    """
    Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia Hawaii
    Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan
    Minnesota Mississippi Missouri Montana Nebraska Nevada Ohio Oklahoma Oregon Pennsylvania
    Tennessee Texas Utah Vermont Virginia Washington Wisconsin Wyoming Canada Mexico
    """.split()
) | {
    "New Jersey", "New York", "New Mexico", "New Hampshire", "Rhode Island", "North Carolina",
    "South Carolina",
    "North Dakota", "South Dakota", "West Virginia", "Puerto Rico",
}  # fmt: skip
_LEGAL = re.compile(r"^(?:Inc|LLC|Ltd|Co|Corp|L\.L\.C)\.?$", re.I)


def canonical_retailer(name: str) -> str:
    """A retailer's canonical name ('Amazon.com' -> 'Amazon'), a bare domain for unknown web shops."""
    n = re.sub(r"[®™]", "", name).strip(" .,;:'\"")
    n = re.sub(r"^(?:https?://)?(?:www\.)?", "", n, flags=re.I)
    for canonical, pat in _KNOWN:
        if pat.match(n):
            return canonical
    domain = _DOMAIN.fullmatch(n)
    if domain:
        host = domain.group(1).lower()
        parts = host.split(".")
        for canonical, pat in _KNOWN:  # plus.target.com, amazon.ca
            if (len(parts) > 2 and pat.match(".".join(parts[-2:]))) or pat.match(parts[-2]):
                return canonical
        return host
    return n


def _names_in(sentence: str) -> list[str]:
    head = _TIME.split(sentence, maxsplit=1)[0]
    head = re.split(r"(?<=[a-z)])\.\s+(?=[A-Z])", head, maxsplit=1)[0]
    head = re.sub(r"\([^)]*\)", "", head)
    out: list[str] = []
    for chunk in re.split(r",|;|\s+and\s+|\s+or\s+|\s+as well as\s+", head):
        domains = _DOMAIN.findall(chunk)
        if domains:
            out.extend(canonical_retailer(d) for d in domains)
            continue
        c = _LEAD.sub("", chunk.strip())
        c = _TRAIL.sub("", c).strip(" .,'")
        if not c or not c[0].isupper() or len(c.split()) > 5 or _LEGAL.match(c) or c in _STATES:
            continue
        name = canonical_retailer(c)
        if name in KNOWN_RETAILERS or c.split()[0].lower() not in _GENERIC_START:
            out.append(name)
    return out


def sold_at(retailer_sentences: list[str], title: str = "") -> list[str]:
    """Canonical retailer and marketplace names, in the order first named, without duplicates."""
    names: list[str] = []
    if title:
        where, _seller = title_seller(title)
        if where:
            names.append(where)
    for sentence in retailer_sentences:
        names.extend(_names_in(sentence))
    out: list[str] = []
    for n in names:
        if n and n.lower() not in (o.lower() for o in out):
            out.append(n)
    return out


_TITLE_SOLD = re.compile(
    r"\b(?:Sold|Available)\s+(?:Exclusively\s+)?(?:Online\s+)?(?:on|at|through)\s+([A-Z][\w.&'-]*(?:\s+[A-Z][\w.&'-]*)?)"
    r"(?:\s+by\s+([^;]+?))?\s*(?:;|$)",
)


def title_seller(title: str) -> tuple[str, str]:
    """(marketplace, seller) from a title's "Sold on Amazon by X"; empty strings when not there."""
    m = _TITLE_SOLD.search(title or "")
    if not m:
        return "", ""
    where = canonical_retailer(m.group(1))
    return where, (m.group(2) or "").strip(" .")
