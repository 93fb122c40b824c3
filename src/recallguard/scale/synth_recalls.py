"""Synthetic recalls for scale benchmarks: many CPSC API records made from real ones.

Issue 8 asks for screening against 10^4-10^5 recall targets, and the data at hand holds a few hundred
real recalls. Each synthetic record is a real record (the *template*) rewritten so that it recalls
another company's product of the same kind: the firms' names and the brand are replaced by an
invented brand (in the prose, the retailers, e-mail addresses, web shops and links too),
product-line names (capitalised words that the templates never write in lower case, "NURSH") by
invented words, and every identifier (model numbers and SKUs the matcher's own extraction finds,
tokens mixing letters and digits, tokens of six digits and more: item numbers, UPCs, phone numbers) by
a fresh one of the same shape (UPCs and EANs with a valid check digit). What stays is what recalls of
one kind share: the product type, the hazard, the remedy, the prose. So an index of real and
synthetic recalls has the crowding a real one has (a thousand stroller recalls of a thousand brands)
without any synthetic record naming a real listing's brand or model — and more than a real one has:
a template's generic product name ("Three-Wheeled Children's Scooter with Foot Brake") and its
description recur in every record made from it, where real firms word theirs apart.

Records are deterministic for (templates, seed, index) and numbered ``SYN-000001``...; they parse
with the CPSC format like the templates.

>>> tpl = {"RecallNumber": "26530", "Title": "TOMY Recalls Boon NURSH 8 oz Baby Bottles",
...        "Description": "Item number B11654 and the UPC 669028116546 are printed on the bottom.",
...        "Products": [{"Name": "Boon NURSH 8 oz Baby Bottles"}],
...        "Importers": [{"Name": "TOMY International, Inc., of Oak Brook, Illinois"}],
...        "ProductUPCs": [{"UPC": "669028116546"}]}
>>> rec = synthetic_recalls([tpl], 1, seed=1)[0]
>>> rec["RecallNumber"], "TOMY" in rec["Title"], "NURSH" in rec["Title"], "B11654" in rec["Description"]
('SYN-000001', False, False, False)
>>> from stdnum import ean
>>> ean.is_valid(rec["ProductUPCs"][0]["UPC"])
True
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from stdnum import ean

from recallguard.scale.vocab import make_brands

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-./][A-Za-z0-9]+)*")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)[^\s\"'<>]+")
_DOMAIN = re.compile(r"\b[\w-]+\.(?:com|net|org|co|us|ca|shop|store)\b", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
_COMPANY_FIELDS = ("Manufacturers", "Importers", "Distributors")
_CORPORATE = frozenset("inc llc ltd co corp corporation company group international usa the".split())
LINE_NAMES = 8  # invented product-line names per record (a template's further ones are kept)
_KEEP_UPPER = frozenset("USB LED LCD ATV UTV USA CPSC ASTM ANSI FDA UPC SKU DVD TV AC DC".split())


def _companies(rec: dict[str, Any]) -> list[str]:
    """Firm names of a record, without the ", of City, State" tail."""
    out = []
    for key in _COMPANY_FIELDS:
        for item in rec.get(key) or []:
            name = str((item or {}).get("Name") or "")
            name = re.split(r",?\s+of\s+", name, maxsplit=1)[0]
            if name.strip():
                out.append(name.strip(" ,."))
    return out


_TITLE_FIRMS = (re.compile(r"^(?:CPSC,?\s+)?(.+?)\s+(?:Announces?\s+(?:Voluntary\s+)?Recall|Recalls?)\b"),)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9'’.&-]*[A-Za-z0-9]")


def _extracted(rec: dict[str, Any]) -> tuple[list[str], frozenset[str]]:
    """The brands and company aliases, and the model numbers and SKUs, that the matcher's own
    extraction reads from the record (none for a record it cannot read)."""
    from recallguard.sources.cpsc import parse_cpsc_record
    from recallguard.sources.targets_by_format import targets_for_recall

    names: list[str] = []
    ids: set[str] = set()
    try:
        for t in targets_for_recall(parse_cpsc_record(rec)):
            names += [t.brand, *t.brand_aliases]
            ids.update(x for x in (*t.model_numbers, *t.skus) if any(c.isdigit() for c in x))
    except Exception:
        pass
    return names, frozenset(ids)


def _brand_words(rec: dict[str, Any], extracted: Sequence[str] = ()) -> set[str]:
    """Words that name a firm or its brand: the firms of the company fields and of the title ("X
    Recalls ...", "CPSC, X Announce Recall of ..."), and the brands and company aliases the matcher's
    own extraction reads from the record (``extracted``); without corporate words."""
    names = _companies(rec) + list(extracted)
    title = str(rec.get("Title") or "")
    for pattern in _TITLE_FIRMS:
        if m := pattern.match(title):
            names += re.split(r",\s*|\s+and\s+", m.group(1))
    words: set[str] = set()
    for name in names:
        found = _NAME.findall(name or "")
        while found and found[-1].lower().strip(".") in _CORPORATE:  # "Rand International" → "Rand"
            found.pop()
        if len(found) > 1:  # the whole name first, so "CF Roark Welding" becomes one brand, not three
            words.add(" ".join(found))
            words.add(name[: name.index(found[-1]) + len(found[-1])].strip())
        words.update(w for w in found if w.lower() not in _CORPORATE and _is_name(w))
    return words


def _is_name(word: str) -> bool:
    """A word long enough to be a name: three letters, or two capitals ("JD"), and no common acronym."""
    return (len(word) >= 3 or (len(word) == 2 and word.isupper())) and word not in _KEEP_UPPER


def _line_names(rec: dict[str, Any], common: frozenset[str]) -> set[str]:
    """Capitalised words of the title, product names and description that are no common word:
    product-line names ("Whippet", "Globe Sport"), and the odd place or standard's name."""
    prose = " ".join(str(rec.get(k) or "") for k in ("Title", "Description"))
    lower = {w for w in _WORD.findall(prose) if w.islower()}  # written in lower case here: a common word
    out = set()
    texts = [prose, *(str((p or {}).get("Name") or "") for p in rec.get("Products") or [])]
    for text in texts:
        for w in _WORD.findall(text):
            if w[0].isupper() and _is_name(w) and w.lower() not in common and w.lower() not in lower:
                out.add(w)
    return out


def _common_words(templates: Sequence[dict[str, Any]]) -> frozenset[str]:
    """Words the templates write in lower case anywhere (product kinds, hazards, remedies, and the
    title-case words of titles: "Break", "Posing"), or in any case in three templates or more."""
    from collections import Counter

    df: Counter[str] = Counter()
    lower: set[str] = set()
    for rec in templates:
        text = " ".join(str(rec.get(k) or "") for k in ("Title", "Description"))
        text += " " + " ".join(str((p or {}).get("Name") or "") for p in rec.get("Products") or [])
        words = _WORD.findall(text)
        lower.update(w for w in words if w.islower())
        df.update({w.lower() for w in words})
    return frozenset(lower | {w for w, n in df.items() if n >= 3})


class _Rewriter:
    """Rewrites the strings of one record: names to new names, identifiers to fresh ones of their shape."""

    def __init__(
        self,
        names: dict[str, str],
        rng: np.random.Generator,
        identifiers: frozenset[str] = frozenset(),
        brand: str = "",
    ) -> None:
        self.rng = rng
        self.site = re.sub(r"[^a-z0-9]", "", brand.lower()) or "firm"  # the firm's e-mail and web domain
        self.identifiers = {i.upper() for i in identifiers}  # further tokens to rewrite: "Model 7300"
        self.ids: dict[str, str] = {}
        alts = sorted(names, key=len, reverse=True)
        self.names = {k.lower(): v for k, v in names.items()}
        self.name_re = (
            re.compile(r"\b(" + "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in alts) + r")\b", re.I)
            if alts
            else None
        )

    def _fresh(self, token: str) -> str:
        if token not in self.ids:
            digits = token.replace("-", "").replace(".", "").replace("/", "")
            if digits.isdigit() and len(digits) in (12, 13) and token.isdigit():
                body = "".join(str(int(d)) for d in self.rng.integers(0, 10, len(token) - 1))
                self.ids[token] = body + ean.calc_check_digit(body)
            else:
                out = []
                for c in token:
                    if c.isdigit():
                        out.append(str(int(self.rng.integers(0, 10))))
                    elif c.isalpha():
                        letter = chr(ord("A") + int(self.rng.integers(0, 26)))
                        out.append(letter if c.isupper() else letter.lower())
                    else:
                        out.append(c)
                self.ids[token] = "".join(out)
        return self.ids[token]

    def _identifier(self, m: re.Match[str]) -> str:
        tok = m.group(0)
        n_digits = sum(c.isdigit() for c in tok)
        mixed = n_digits and any(c.isalpha() for c in tok)
        return self._fresh(tok) if mixed or n_digits >= 6 or tok.upper() in self.identifiers else tok

    def _domain(self, m: re.Match[str]) -> str:
        """A web shop named after a firm or brand ("booninc.com") is the new firm's; "amazon.com" stays."""
        host = m.group(0).lower().replace("-", "")
        return f"{self.site}.example" if any(n.replace(" ", "") in host for n in self.names) else m.group(0)

    def _name(self, m: re.Match[str]) -> str:
        new = self.names[" ".join(m.group(0).lower().split())]
        return new.upper() if m.group(0).isupper() and len(m.group(0)) > 1 else new

    def text(self, s: str) -> str:
        s = _EMAIL.sub(f"recall@{self.site}.example", s)  # "GoregentRecall@outlook.com" names the firm
        s = _URL.sub(f"https://www.{self.site}.example/recall", s)
        s = _DOMAIN.sub(self._domain, s)
        if self.name_re is not None:
            s = self.name_re.sub(self._name, s)
        return _TOKEN.sub(self._identifier, s)

    def value(self, v: Any) -> Any:
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if isinstance(v, dict):
            return {k: self.value(x) for k, x in v.items()}
        return v


def synthetic_recall(
    template: dict[str, Any], number: int, brand: str, words: Sequence[str], seed: int, common: frozenset[str]
) -> dict[str, Any]:
    """One synthetic record from ``template``: firm and brand words → ``brand``, product-line names →
    ``words`` (in order), identifiers → fresh ones; numbered ``SYN-{number:06d}``."""
    rng = np.random.default_rng([seed, number, 11])
    extracted, identifiers = _extracted(template)
    names = {w: brand for w in _brand_words(template, extracted)}
    for w, new in zip(sorted(_line_names(template, common) - set(names)), words, strict=False):
        names[w] = new
    rw = _Rewriter(names, rng, identifiers, brand)
    keep = {"RecallID", "RecallNumber", "RecallDate", "LastPublishDate", "ManufacturerCountries"}
    rec = {k: (copy.deepcopy(v) if k in keep else rw.value(v)) for k, v in template.items()}
    for key in _COMPANY_FIELDS:  # the firm itself: "<brand> Inc." wherever the template named one
        if rec.get(key):
            rec[key] = [dict(item, Name=f"{brand} Inc.") for item in rec[key]]
    for item in rec.get("ProductUPCs") or []:  # a UPC field holds only the code: always a fresh one
        code = str(item.get("UPC") or "")
        if code.isdigit() and len(code) in (12, 13):
            item["UPC"] = rw._fresh(code)
    rec["RecallNumber"] = f"SYN-{number:06d}"
    rec["RecallID"] = 9_000_000 + number
    return rec


def usable_templates(records: Sequence[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The records that can serve as templates, and why each other one cannot (naming the record and
    the field): an object with a RecallNumber, whose firm and product fields are lists of objects.

    >>> records = [{"RecallNumber": "1"}, {"Title": "x"}, {"RecallNumber": "2", "Products": "x"}]
    >>> good, bad = usable_templates(records)
    >>> len(good), bad
    (1, ['record 2: no RecallNumber', 'record 3 (2): Products is not a list of objects'])
    """
    good, bad = [], []
    for n, rec in enumerate(records, 1):
        if not isinstance(rec, dict):
            bad.append(f"record {n}: not an object")
        elif not str(rec.get("RecallNumber") or "").strip():
            bad.append(f"record {n}: no RecallNumber")
        else:
            wrong = [
                k
                for k in (*_COMPANY_FIELDS, "Products", "ProductUPCs")
                if rec.get(k) is not None
                and not (isinstance(rec[k], list) and all(isinstance(x, dict) for x in rec[k]))
            ]
            if wrong:
                bad.append(f"record {n} ({rec['RecallNumber']}): {wrong[0]} is not a list of objects")
            else:
                good.append(rec)
    return good, bad


def synthetic_recalls(templates: Sequence[dict[str, Any]], count: int, seed: int = 0) -> list[dict[str, Any]]:
    """``count`` synthetic records, the templates taken in turn (see the module docstring)."""
    return list(iter_synthetic_recalls(templates, count, seed))


def iter_synthetic_recalls(
    templates: Sequence[dict[str, Any]], count: int, seed: int = 0
) -> Iterator[dict[str, Any]]:
    """``synthetic_recalls`` one record at a time (for progress and large counts)."""
    if not templates:
        raise ValueError("no template recalls to make synthetic ones from")
    common = _common_words(templates)
    per = 1 + LINE_NAMES
    invented = make_brands(count * per, seed=seed, syllables=(2, 5))  # a brand and its line names per record
    order = np.random.default_rng([seed, 5]).permutation(len(templates))
    for i in range(count):
        tpl = templates[int(order[i % len(templates)])]
        mine = invented[per * i : per * (i + 1)]
        yield synthetic_recall(tpl, i + 1, mine[0], mine[1:], seed, common)
