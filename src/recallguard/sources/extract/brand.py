"""The brand of a recalled product, told apart from the companies that made, imported or sold it.

Evidence, strongest first: the prose naming a brand ("BABESIDE-branded", "Generac brand", 'the brand
names "HTRC" and "Haisito"'); the leading name words of the product name or title; a company word that
the prose uses for the product ("Vornado SRTH heaters"); the firm recalling it ("Joy Furniture Recalls").
Company names (manufacturer, importer, distributor, dba names, the marketplace seller) become aliases.

>>> branded_names("This recall involves Sweetie Baby-branded and Style Life Eleven-branded baby loungers.")
['Sweetie Baby', 'Style Life Eleven']
>>> title_firm("Joolz Recalls Aer2 Car Seat Adapters Due to Fall Hazard")
'Joolz'
>>> title_firm("Sport Obermeyer Ltd. Voluntarily Recalls Girls' Jackets with Drawstrings")
'Sport Obermeyer Ltd.'
"""

from __future__ import annotations

import re

from recallguard.sources.extract.product_type import is_common_word
from recallguard.sources.extract.prose import company_names, lowercase_words

_NAME_TOKEN = r"[A-Z0-9][\w'’&+.!-]*"
_BRANDED = re.compile(r"((?:" + _NAME_TOKEN + r"\s+){0,3}" + _NAME_TOKEN + r")(?:'s)?[- ]branded\b")
_BRAND_WORD = re.compile(
    r"((?:" + _NAME_TOKEN + r"\s+){0,2}" + _NAME_TOKEN + r")\s+brand\s+(?!names?\b)[a-z]"
)
_QUOTED_BRAND = re.compile(r"[\"“]([^\"“”]{2,30})[\"”]\s+brand(?:\s+name)?\b")
_BRAND_NAMES = re.compile(
    r"\bbrand\s+names?\s+(?:of\s+|is\s+|are\s+)?((?:[\"“][^\"“”]{2,30}[\"”](?:,?\s*(?:and|or)?\s*)?)+)", re.I
)
_INVOLVES = re.compile(
    r"\b(?:involves|includes)\s+(?:the\s+|all\s+|certain\s+|some\s+|various\s+)?((?:"
    + _NAME_TOKEN
    + r"\s+)+)"
    r"(?:and\s+((?:" + _NAME_TOKEN + r"\s+)+))?"
)
_TITLE_FIRM = re.compile(
    r"^(?:CPSC\s*(?:,|&|and)\s*)?(.+?)\s+(?:Voluntarily\s+)?(?:Expands\s+)?"
    r"(?:Recalls|Recall of|(?:Announces?|Issues?|Reannounces?)\s+(?:Recalls?|Recall of))\b"
)
_TITLE_BY = re.compile(
    r"\b(?:Recalled|Sold|Imported|Distributed|Manufactured)(?:\s+\w+)?\s+by\s+([^;]+?)"
    r"\s*(?:;|$|\s(?:Due\s+to|Because|After|For)\b)"
)
_HOW_MANY = re.compile(
    r"^(?:(?:About|Approximately|Nearly|More\s+than|Over)\s+)?(?:[\d.,]+|One|Two|Three|Four|Five)\s+"
    r"(?:Million|Thousand|Hundred)\s+",
    re.I,
)
_STOPWORDS = frozenset(
    """
    the a an this these all certain some various new other and or of by
    """.split()
)


def _clean_run(run: str) -> str:
    words = run.strip().split()
    while words and words[0].lower() in _STOPWORDS:
        words.pop(0)
    return " ".join(words).strip(" ,.'’\"")


def branded_names(text: str) -> list[str]:
    """Brands the prose names as brands ("X-branded", "X brand electric...", '"X" brand name')."""
    found: list[tuple[int, str]] = []
    if "brand" not in (text or "").lower():
        return []
    for pattern in (_BRANDED, _BRAND_WORD, _QUOTED_BRAND):
        for m in pattern.finditer(text or ""):
            name = _clean_run(m.group(1))
            if name and name.lower() not in ("the", "a"):
                found.append((m.start(), name))
    for m in _BRAND_NAMES.finditer(text or ""):
        for q in re.findall(r"[\"“]([^\"“”]{2,30})[\"”]", m.group(1)):
            found.append((m.start(), q.strip(" .,")))
    return _dedupe([n for _, n in sorted(found, key=lambda p: p[0])])


def title_firm(title: str) -> str:
    """The firm a title names as recalling ("X Recalls ..."), or '' when the title leads with the product."""
    m = _TITLE_FIRM.match(title or "")
    return m.group(1).strip() if m else ""


def title_product_phrase(title: str) -> str:
    """The product as the title names it: after "X Recalls" or before "Recalled".

    >>> title_product_phrase("Conair Recalls Over One Million Cuisinart Grill Brushes Due to Injury")
    'Cuisinart Grill Brushes'
    """
    t = title or ""
    m = _TITLE_FIRM.match(t)
    if m:
        t = t[m.end() :]
    t = re.split(r"\s+(?:Recalled|Due to|Because|After|Sold|;)\b|;", t, maxsplit=1)[0]
    t = _HOW_MANY.sub("", t.strip())  # "Over One Million Grill Brushes": how many, not which product
    return t.strip(" ,")


def _is_name_word(token: str, lower: frozenset[str]) -> bool:
    t = token.strip("'’.,\"“”()")
    if not t or not (t[0].isupper() or t[0].isdigit()):
        return False
    if re.search(r"\d", t) and not t.isdigit() and (not re.search(r"[a-z]", t) or re.match(r"\d+-", t)):
        return False  # model-shaped: AES015, VL2020, 7-Drawer, 1-K, 24V (but "4our Kiddies" is a name)
    return not is_common_word(t, lower)


#: A model year (1950-2039) or a range of them ("2017-2020", "2007/2008"), as product names start with.
_YEAR = re.compile(r"(?:19[5-9]\d|20[0-3]\d)(?:[-–/](?:19[5-9]\d|20[0-3]\d|\d\d))?")
#: Words that, before or after a model year, say it is one ("Model Year 2017-2020 Masi ...", "2009 Model
#: Electra Bicycles"): never a brand.
_YEAR_WORDS = frozenset({"model", "models", "year", "years", "my", "and", "&", "to"})


def _skip_model_years(words: list[str]) -> list[str]:
    """The words after a leading model year and the words that name it as one (all of them when
    nothing else follows).

    >>> _skip_model_years("Model Year 2017-2020 Masi Evoluzione".split())
    ['Masi', 'Evoluzione']
    >>> _skip_model_years("2018 Schwinn Abbott".split()), _skip_model_years("32 Degrees Jackets".split())
    (['Schwinn', 'Abbott'], ['32', 'Degrees', 'Jackets'])
    """
    i = 0
    while i < len(words) - 1 and (_YEAR.fullmatch(words[i]) or words[i].lower() in _YEAR_WORDS):
        i += 1
    skipped = words[:i]
    if not any(_YEAR.fullmatch(w) for w in skipped):
        return words  # "Model X Strollers", "Years of Fun": not a model year
    return words[i:]


def leading_brand(name: str, prose: str, companies: list[str]) -> str:
    """The brand words a product name starts with ('Gudook Adult Bike Helmets' -> 'Gudook'), after a
    model year ('2018 Schwinn Abbott Bicycles' -> 'Schwinn', not '2018 Schwinn': a listing never writes
    the brand with the year, so "2018 Schwinn" met a listing's "Schwinn" only as a weak part of itself).

    >>> leading_brand("2018 Schwinn Abbott Bicycles", "", []), leading_brand("17 Stories Sofas", "", [])
    ('Schwinn', '17 Stories')
    """
    lower = lowercase_words(prose)
    written = re.findall(r"[A-Za-z0-9][\w'’&+.!-]*", name or "")
    words = _skip_model_years(written)
    if not words:
        return ""
    first = words[0]
    if first.isdigit() and words is not written:
        return ""  # '2010 26" Epic Bicycles': a size after the year, not a brand like '32 Degrees'
    if first.isdigit():
        if len(words) > 1 and _is_name_word(words[1], lower) and not words[1][0].isdigit():
            return f"{first} {words[1]}"  # 17 Stories, 32 Degrees
        return ""
    if not _is_name_word(first, lower):
        return ""
    brand = [first]
    if first.endswith(("'", "’")) and len(words) > 1:
        brand.append(words[1])  # Lil' Buddies
    for company in companies:  # extend while a company name confirms the words: "Merkury Innovations"
        cw = company.split()
        if cw and cw[0].lower() == first.lower():
            n = 1
            while n < min(len(cw), len(words)) and cw[n].lower() == words[n].lower():
                n += 1
            if n > len(brand):
                brand = words[:n]
    return " ".join(brand)


def company_brand(prose: str, companies: list[str], product_lead: str = "") -> str:
    """A company's distinctive words that the prose uses as a brand.

    With ``product_lead``, only when the words stand right before it ("Vornado SRTH heaters").
    """
    for company in companies:
        words = company.split()
        for n in range(len(words), 0, -1):
            for i in range(len(words) - n + 1):
                cand = " ".join(words[i : i + n])
                if len(cand) < 3 or all(is_common_word(w, frozenset()) for w in words[i : i + n]):
                    continue
                if cand.lower() in _GENERIC_COMPANY_WORDS or cand.lower() in _STOPWORDS:
                    continue
                if _occurs(prose, cand, product_lead):
                    return cand
    return ""


def _occurs(text: str, word: str, then: str = "") -> bool:
    """``word`` as a whole word in ``text`` (followed by spaces and ``then`` when given); no regex compile."""
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        before_ok = start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "-_")
        if before_ok:
            if then:
                rest = text[end:]
                stripped = rest.lstrip(" \t")
                if len(stripped) < len(rest) and stripped.startswith(then):
                    return True
            elif end == len(text) or not (text[end].isalnum() or text[end] == "_"):
                return True
        start = text.find(word, start + 1)
    return False


_GENERIC_COMPANY_WORDS = frozenset(
    """
    group trading international technology industrial electronics electronic commerce e-commerce
    store official direct usa america american china global products industries enterprises brands
    holdings imports import manufacturing company corporation home furniture toys toy sports outdoor
    """.split()
)


def company_list(recall_companies: list[str], title: str) -> list[str]:
    """Cleaned company names from the recall's company entries and its title (firm, 'Sold ... by X')."""
    out: list[str] = []
    for entry in recall_companies:
        out.extend(company_names(entry))
    firm = title_firm(title)
    if firm:
        out.extend(company_names(firm))
    by = _TITLE_BY.search(title or "")
    if by:
        out.extend(company_names(re.sub(r",?\s+of\s+.*$", "", by.group(1))))
    return _dedupe(out)


def involved_names(description: str, companies: list[str]) -> list[str]:
    """Brand words right after "This recall involves": "Foubeaka and Geniuss multi-purpose..."."""
    m = _INVOLVES.search(description or "")
    if not m:
        return []
    runs = [_clean_run(g) for g in m.groups() if g]
    names: list[str] = []
    earlier: set[str] = set()  # the words of the runs before, after their brands
    for r in runs:
        b = leading_brand(r, description, companies)
        if b and b.lower() not in earlier:  # "Cannondale Bad Boy and Bad Girl": a sibling model, not a brand
            names.append(b)
        earlier |= {w.lower() for w in r.split()} - {w.lower() for w in b.split()}
    return _dedupe(names)


def _dedupe(names: list[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        if n and n.lower() not in (o.lower() for o in out):
            out.append(n)
    return out


def company_names_first(firm: str) -> str:
    """A title firm as a brand: its cleaned name ('Tainoki Fine Furniture')."""
    names = company_names(firm)
    return names[0] if names else firm
