"""Targets assembled from one recall: the brand(s), product(s), identifiers and context the matcher needs.

Usually one target per recall; several when the recall names clearly different products (a product list
"Sofas, Loveseats and Recliners", several Products entries) or several brands ("Generac ... and DR Power
brand"). Model numbers go to the product or brand the prose names them with when it does so for each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from recallguard.domain.identifiers import canonical_model, normalize_gtin
from recallguard.domain.models import IdentifierRange, Recall, Target
from recallguard.sources.extract import brand as brand_mod
from recallguard.sources.extract import identifiers as ids
from recallguard.sources.extract.product_type import head_phrase, product_type_of, split_product_list
from recallguard.sources.extract.prose import quoted
from recallguard.sources.extract.ranges import identifier_ranges
from recallguard.sources.extract.retailers import sold_at, title_seller

_COUNTRIES = (
    "China|Vietnam|Taiwan|India|Indonesia|Thailand|Malaysia|Cambodia|Bangladesh|Mexico|Canada|"
    "United States|Japan|South Korea|Korea|Germany|Italy|France|Poland|Turkey|Philippines|Sri Lanka|"
    "Pakistan|Brazil|Hong Kong"
)
_MADE_IN = re.compile(r"\b(?:made|manufactured|produced|assembled)\s+in\s+(" + _COUNTRIES + r")\b", re.I)


@dataclass
class BrandChoice:
    brands: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)


def choose_brands(recall: Recall) -> BrandChoice:
    """The product's brand(s) and the company names kept as aliases."""
    names = "\n".join(recall.product_names)
    prose = "\n".join((recall.title, names, recall.description))
    companies = brand_mod.company_list(
        [*recall.manufacturers, *recall.importers, *recall.distributors], recall.title
    )
    branded = brand_mod.branded_names(f"{recall.description} {names}")
    name = head_phrase(recall.product_names[0]) if recall.product_names else ""
    phrase = brand_mod.title_product_phrase(recall.title)
    lead = brand_mod.leading_brand(name, prose, companies) or brand_mod.leading_brand(
        phrase, prose, companies
    )
    brands: list[str] = []
    extra: list[str] = []
    if branded:
        named = f"{recall.title} {names}".lower()
        if (
            lead
            and lead.lower() not in (b.lower() for b in branded)
            and not any(b.lower() in named for b in branded)
        ):
            brands, extra = [lead], branded  # the product name wins over a misspelt "-branded"
        else:
            brands = branded
    elif lead:
        before = brand_mod.company_brand(prose, companies, product_lead=lead)
        brands = [before] if before else [lead]  # "Vornado SRTH": the lead word is a product line
        involved = brand_mod.involved_names(recall.description, companies)
        if len(involved) > 1 and brands[0].lower() in (i.lower() for i in involved):
            brands = involved
    else:
        involved = brand_mod.involved_names(recall.description, companies)
        found = brand_mod.company_brand(f"{recall.description}\n{names}", companies)
        firm = brand_mod.title_firm(recall.title)
        brands = (
            involved or ([found] if found else []) or ([brand_mod.company_names_first(firm)] if firm else [])
        )
    _, seller = title_seller(recall.title)
    aliases = _dedupe([*extra, *companies, *([seller] if seller else [])])
    low = {b.lower() for b in brands}
    return BrandChoice([b for b in brands if b], [a for a in aliases if a.lower() not in low])


def _assign(keys: list[str], codes: list[str], text: str) -> dict[str, list[str]] | None:
    """Codes per key when the prose names each code right after a mention of one key (else None)."""
    if len(keys) < 2 or not codes:
        return None
    mentions = sorted(
        (m.start(), k) for k in keys for m in re.finditer(r"(?<!\w)" + re.escape(k) + r"(?!\w)", text, re.I)
    )
    own: dict[str, list[str]] = {k: [] for k in keys}
    shared: list[str] = []
    for code in codes:
        at = text.find(code)
        before = [k for pos, k in mentions if pos < at] if at >= 0 else []
        (own[before[-1]] if before else shared).append(code)
    if not all(own.values()):
        return None
    return {k: [*v, *shared] for k, v in own.items()}


def _strip_brands(name: str, brands: list[str]) -> str:
    """A product name without the brand words it starts with."""
    out = name.strip()
    for b in sorted((b for b in brands if b), key=len, reverse=True):
        if out.lower().startswith("and "):
            out = out[4:].lstrip()
        if out.lower().startswith(b.lower()):
            rest = out[len(b) :]
            for suffix in ("'s", "-branded"):
                rest = rest[len(suffix) :] if rest.lower().startswith(suffix) else rest
            if not rest or rest[0].isspace():
                out = rest.strip()
    return out


def _phrases(recall: Recall, brands: list[str], product_type: str, name: str) -> list[str]:
    out: list[str] = []
    line = _strip_brands(name, brands).lower()
    if line and line != product_type and len(line.split()) >= 2:
        out.append(line)
    for q in quoted(recall.description):
        words = q.strip(" .,").split()
        if 2 <= len(words) <= 8 and sum(1 for w in words if len(w) > 1 and w[:2].isalpha()) >= 2:
            out.append(" ".join(words).lower())
    return _dedupe(out)


def _countries(recall: Recall) -> list[str]:
    if recall.manufacturer_countries:
        return list(recall.manufacturer_countries)
    return _dedupe(
        m.group(1).title() if m.group(1).islower() else m.group(1)
        for m in _MADE_IN.finditer(recall.description)
    )


def _identifiers(
    recall: Recall, names: list[str], ranges: list[IdentifierRange]
) -> tuple[list[str], list[str], list[str]]:
    prose = recall.description
    models = ids.model_numbers(prose)
    for n in [*names, brand_mod.title_product_phrase(recall.title)]:
        models.extend(ids.model_numbers(n) + ids.name_codes(n))
    skus = ids.skus(prose)
    sku_keys = {canonical_model(s) for s in skus}
    range_keys = {canonical_model(r.start or r.prefix or "") for r in ranges}
    models = [m for m in _dedupe_codes(models) if canonical_model(m) not in sku_keys | range_keys]
    gtins = [g for g in (normalize_gtin(u) for u in recall.upcs) if g]
    gtins = _dedupe([*gtins, *ids.gtins(prose)])
    return models, skus, gtins


def extract_targets(recall: Recall) -> list[Target]:
    """The targets of one recall (see the package docstring for an example)."""
    overrides = recall.raw.get("targets") if isinstance(recall.raw, dict) else None
    if isinstance(overrides, list) and overrides:
        return [_override(recall, o, i) for i, o in enumerate(overrides) if isinstance(o, dict)]
    choice = choose_brands(recall)
    # a product name that is nothing but the brand ("Yamaha") names no product: the title's phrase does
    names = [n for n in recall.product_names if _strip_brands(n, choice.brands)] or [
        brand_mod.title_product_phrase(recall.title) or recall.title
    ]
    prose = "\n".join((recall.title, "\n".join(recall.product_names), recall.description))
    products: list[tuple[str, str]] = []  # (product name, product type), one per distinct type
    title_phrase = _strip_brands(brand_mod.title_product_phrase(recall.title), choice.brands)
    for n in names:
        for part in split_product_list(n):
            bare = _strip_brands(part, choice.brands)
            ptype = product_type_of(bare, prose) or product_type_of(title_phrase, prose)
            if ptype not in (t for _, t in products):
                products.append((part, ptype))
    if len({t for _, t in products if t}) < 2:
        products = [(names[0], next((t for _, t in products if t), ""))]
    ranges = identifier_ranges(recall.description)
    models, skus, gtins = _identifiers(recall, recall.product_names, ranges)
    brands = choice.brands or [""]
    if len(products) > 1:
        keys = [t.split()[-1] for _, t in products]
        per = _assign(keys, models, recall.description)
        plan = [(brands[0], n, t, per[t.split()[-1]] if per else models) for n, t in products]
    else:
        per = _assign(brands, models, recall.description)
        plan = [(b, products[0][0], products[0][1], per[b] if per else models) for b in brands]
    base = dict(
        recall_number=recall.recall_number,
        authority=recall.authority,
        skus=skus,
        gtins=gtins,
        sold_at=sold_at(recall.retailers, recall.title),
        manufacturer_countries=_countries(recall),
        hazard=recall.hazard,
        remedy=recall.remedy,
        text=" ".join(
            dict.fromkeys(p for p in (recall.title, *recall.product_names, recall.description) if p)
        ),
        images=list(recall.images),
        priority=recall.priority,
    )
    out: list[Target] = []
    for i, (b, name, ptype, mods) in enumerate(plan):
        others = [x for x in brands if x and x != b]
        out.append(
            Target(
                brand=b,
                brand_aliases=_dedupe([*others, *choice.aliases]),
                product_name=name,
                product_type=ptype,
                model_numbers=list(mods),
                ranges=[IdentifierRange(r.kind, r.start, r.end, r.prefix, r.text) for r in ranges],
                phrases=_phrases(recall, [x for x in brands if x], ptype, head_phrase(name)),
                target_id=f"{recall.authority}:{recall.recall_number}"
                + (f"#{i + 1}" if len(plan) > 1 else ""),
                **base,  # type: ignore[arg-type]
            )
        )
    return out


_TARGET_LISTS = (
    "brand_aliases",
    "model_numbers",
    "gtins",
    "skus",
    "phrases",
    "sold_at",
    "manufacturer_countries",
    "images",
)


def _override(recall: Recall, o: dict[str, object], index: int) -> Target:
    """A target given explicitly in the own format; fields left out come from the recall."""

    def texts(key: str, default: Iterable[str] = ()) -> list[str]:
        v = o.get(key)
        return [str(x) for x in v] if isinstance(v, list) else list(default)

    ranges = []
    for r in o.get("ranges") or []:  # type: ignore[attr-defined]
        if isinstance(r, dict):
            ranges.append(
                IdentifierRange(
                    str(r.get("kind", "serial")),
                    r.get("start"),
                    r.get("end"),
                    r.get("prefix"),
                    str(r.get("text", "")),
                )
            )
    gtins = [g for g in (normalize_gtin(x) for x in texts("gtins", recall.upcs)) if g]
    return Target(
        recall_number=recall.recall_number,
        authority=recall.authority,
        brand=str(o.get("brand") or ""),
        brand_aliases=texts("brand_aliases"),
        product_name=str(
            o.get("product_name") or (recall.product_names[0] if recall.product_names else recall.title)
        ),
        product_type=str(o.get("product_type") or ""),
        model_numbers=texts("model_numbers"),
        gtins=gtins,
        skus=texts("skus"),
        ranges=ranges,
        phrases=texts("phrases"),
        sold_at=texts("sold_at", recall.retailers),
        manufacturer_countries=texts("manufacturer_countries", recall.manufacturer_countries),
        hazard=str(o.get("hazard") or recall.hazard),
        remedy=str(o.get("remedy") or recall.remedy),
        text=str(
            o.get("text")
            or " ".join(p for p in (recall.title, *recall.product_names, recall.description) if p)
        ),
        images=texts("images", recall.images),
        target_id=str(
            o.get("target_id")
            or f"{recall.authority}:{recall.recall_number}" + (f"#{index + 1}" if index else "")
        ),
        priority=bool(o.get("priority", recall.priority)),
    )


def _dedupe(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        if v and v.lower() not in (o.lower() for o in out):
            out.append(v)
    return out


def _dedupe_codes(codes: list[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for c in codes:
        k = canonical_model(c)
        if k and k not in seen:
            seen.add(k)
            out.append(c)
    return out
