"""Small text helpers for reading recall prose: words, quoted strings, company names.

>>> company_names("Shenzhen Favoto Co., Ltd., doing business as Favoto, of China")
['Shenzhen Favoto', 'Favoto']
>>> quoted("The model \\"MT2383\\" and “100125”")
['MT2383', '100125']
"""

from __future__ import annotations

import re
from functools import lru_cache

_MONTH_NAMES = "january february march april may june july august september october november december"
MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES.split())}
MONTH_RE = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"

_QUOTED = re.compile(r"[\"“”]([^\"“”]{1,80})[\"“”]")
_URLISH = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@\S+|[\w-]+\.(?:com|gov|net|org)\b\S*", re.I)
_PLACE = re.compile(
    r",\s+[A-Z][\w .]*,\s+(?:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?|[A-Z]{2})$"  # ", Liverpool, New York"
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_LOCATION = re.compile(r",?\s+(?:of|based in|in)\s+[A-Z][^()]*$")
_DBA = re.compile(
    r",?\s*\b(?:d/b/a|dba|doing business as|also known as|aka|a/k/a|trading as|t/a|owner of(?: the)?)\b"
    r"[,:]?\s*",
    re.I,
)
_LEGAL = re.compile(
    r"(?:,?\s+(?:Co\.?,?\s*Ltd\.?|Co\.?,?\s*Limited|Co\.?|Ltd\.?|Inc\.?|LLC\.?|L\.L\.C\.|Corp\.?|Corporation|"
    r"Limited|GmbH|S\.A\.|PLC|Pty|Company|LP|L\.P\.|LTD|INC))+\.?,?\s*$",
    re.I,
)


def quoted(text: str) -> list[str]:
    """Strings written in straight or curly double quotes."""
    return [m.group(1).strip() for m in _QUOTED.finditer(text or "")]


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of quoted strings (quotes included)."""
    return [m.span() for m in _QUOTED.finditer(text or "")]


@lru_cache(maxsize=2048)
def lowercase_words(text: str) -> frozenset[str]:
    """Words that ``text`` writes in lower case: there they are common words, not names.

    >>> sorted(lowercase_words("GOPO TOYS pull string toys"))
    ['pull', 'string', 'toys']
    """
    out: set[str] = set()
    text = _QUOTED.sub(" ", _URLISH.sub(" ", text or ""))  # brands are often quoted in lower case
    for m in _WORD.finditer(text):
        w = m.group(0)
        if w.islower():
            out.add(w)
            out.update(p for p in w.split("-") if p)
    return frozenset(out)


def clean_company(name: str) -> str:
    """A company name without legal form or trailing location.

    >>> clean_company("Joolz USA Inc., of New York, New York"), clean_company("Tzumi Electronics of New York")
    ('Joolz USA', 'Tzumi Electronics')
    """
    s = re.sub(r"[®™©]", "", name or "").strip(" ,.;")
    if ", of " in s:
        s = s[: s.rfind(", of ")]
    s = _LOCATION.sub("", s)
    s = _PLACE.sub("", s)
    s = re.sub(r"^the\s+", "", s, flags=re.I)
    s = re.sub(r"\s*\([^)]*\)", "", s)
    prev = None
    while prev != s:
        prev = s
        s = _LEGAL.sub("", s).strip(" ,.;")
    return re.sub(r"\s+", " ", s)


def company_names(name: str) -> list[str]:
    """Every name a company entry gives: its own, the one in parentheses, dba / aka names.

    >>> company_names("Zhongwan Guangzhou Technology Co., Ltd (Zhongwan Kejiyouxiangongsi), dba ZW Creations")
    ['Zhongwan Guangzhou Technology', 'Zhongwan Kejiyouxiangongsi', 'ZW Creations']
    """
    s = re.sub(r"[®™©]", "", name or "")
    if ", of " in s:
        s = s[: s.rfind(", of ")]
    parts = _DBA.split(s)
    out: list[str] = []
    for i, part in enumerate(parts):
        inner = re.findall(r"\(([^)]*)\)", part)
        for cand in [part, *inner] if i == 0 else [part]:
            c = clean_company(cand)
            c = re.sub(r"\s+brand$", "", c, flags=re.I)
            if c and len(c) > 1 and c not in out:
                out.append(c)
    return out


def sentences(text: str) -> list[str]:
    """Sentences of a paragraph (split after . ! ? followed by a space and a capital)."""
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"“])", text or "") if s.strip()]
