"""Hostile values and mutations shared by the hostile-input tests (hypothesis strategies).

A mutation takes a real record (a CPSC recall, a Safety Gate notification, a listing…), picks a few
places in it and puts something a broken or malicious producer could send there: the wrong type,
NaN and infinities, huge or negative numbers, empty and whitespace-only text, control characters,
lone UTF-16 surrogates, very long text, deep nesting.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]

weird_text = st.sampled_from(
    [
        "",
        " ",
        "\t\n",
        "\x00",
        "\ud800",  # a lone surrogate: valid in a Python str (and in JSON via \\ud800), not in UTF-8
        "\u202e\u0041\u0042",  # right-to-left override
        "NaN",
        "null",
        "9" * 400,
        "x" * 30_000,  # past every field limit
        "2026-13-45T99:99:99",
        "\ufeff",
        '=HYPERLINK("http://evil")',
        "'; DROP TABLE recalls; --",
        "<script>alert(1)</script>",
    ]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    weird_text,
)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=10,
)


def paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (dict keys and list indexes), outermost first.

    >>> paths({"a": [1, {"b": 2}]})
    [('a',), ('a', 0), ('a', 1), ('a', 1, 'b')]
    """
    out: list[tuple[Any, ...]] = []
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else []
    for key, value in items:
        out.append((*prefix, key))
        out.extend(paths(value, (*prefix, key)))
    return out


def mutate(record: Any, changes: list[tuple[int, Any]]) -> Any:
    """A deep copy of ``record`` with ``changes`` applied: (index into ``paths``, new value); a value
    of the sentinel ``DELETE`` removes the key instead."""
    rec = copy.deepcopy(record)
    places = paths(rec)
    for index, value in changes:
        if not places:
            break
        path = places[index % len(places)]
        node = rec
        try:
            for key in path[:-1]:
                node = node[key]
            if value is DELETE and isinstance(node, dict):
                node.pop(path[-1], None)
            elif value is not DELETE:
                node[path[-1]] = value
        except (KeyError, IndexError, TypeError):  # an earlier change moved this place away
            continue
    return rec


DELETE = object()
changes = st.lists(st.tuples(st.integers(min_value=0), values | st.just(DELETE)), min_size=1, max_size=4)


def load_json(relative: str) -> Any:
    """A JSON file of the repository (real samples; provenance next to each file)."""
    return json.loads((ROOT / relative).read_text(encoding="utf-8"))


# Raw JSON tokens a hostile file may hold that ``json.dumps`` would never write.
raw_tokens = st.sampled_from(
    [
        "1" * 5000,  # past Python's int-from-string digit limit
        "[" * 5000 + "]" * 5000,  # nesting past the recursion limit
        "1e999999",
        "-0",
        '"\\ud800"',
        '"\\u0000"',
        "NaN",
        "Infinity",
        "{}",
        "[]",
        "null",
    ]
)


def corrupt_json_text(text: str, cut: int, token: str, where: int) -> str:
    """``text`` with a raw token pasted in at a value position, or cut short (``cut`` > 0).

    >>> corrupt_json_text('{"a": 1}', 0, "NaN", 0)
    '{"a": NaN}'
    """
    if cut:
        return text[: max(1, len(text) - cut)]
    colons = [i for i, ch in enumerate(text) if ch == ":"]
    if not colons:
        return token
    at = colons[where % len(colons)] + 1
    end = at
    depth = 0
    in_str = False
    while end < len(text):  # skip the old value (a string, a number, or a nested value)
        ch = text[end]
        if in_str:
            if ch == "\\":
                end += 1
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            break
        end += 1
    return f"{text[:at]} {token}{text[end:]}"
