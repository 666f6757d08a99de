"""What a substitute for a vanished text or yes/no field writes, judged against the old codes.

- `case_lost`: every old value wrote lower-case letters (or every one upper-case) and no value
  the substitute writes does, sharing none of them: `FOOD_AND_DRINK` where the field held
  `Food and Drink`, `usps` where it held `UPS`. Another taxonomy or another spelling of it,
  either way not the old field's values (a mapping keeps the old representation).
- `flag_guessed`: a yes/no field rebuilt by sorting the codes of a text field with three or
  more values into true and false (`state in ('subscribed', 'pending')`): which codes mean
  yes is a decision about meaning the samples cannot make (two-valued flags, `Y`/`N`, are
  read the usual way elsewhere).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlglot
from pydantic import JsonValue
from sqlglot import exp
from sqlglot.errors import SqlglotError

from tools.matching.samples import flags
from tools.matching.unit_fit import MIN_VALUES

MIN_CODES = 3
"""Distinct text values from which sorting into true and false is a choice, not a reading."""


def compared_operands(target: str) -> list[str]:
    """The expressions `target` compares with text literals (`x in ('a', 'b')`, `x = 'a'`).

    >>> compared_operands("(consent).state in ('subscribed', 'pending')")
    ['(consent).state']
    """
    try:
        tree = sqlglot.parse_one(target, read="duckdb")
    except SqlglotError:
        return []
    found: list[str] = []
    for node in tree.find_all(exp.In, exp.EQ, exp.NEQ):
        sides = (
            [node.this, *node.args.get("expressions", [])]
            if isinstance(node, exp.In)
            else [
                node.this,
                node.expression,
            ]
        )
        texts = [s for s in sides if isinstance(s, exp.Literal) and s.is_string]
        others = [s for s in sides if not (isinstance(s, exp.Literal) and s.is_string)]
        if texts and len(others) == 1:
            operand = others[0].unnest() if isinstance(others[0], exp.Paren) else others[0]
            found.append(operand.sql(dialect="duckdb"))
    return sorted(set(found))


def _cases(text: str) -> set[str]:
    found = set()
    if any(c.islower() for c in text):
        found.add("lower-case")
    if any(c.isupper() for c in text):
        found.add("upper-case")
    return found


def case_lost(old: Sequence[JsonValue], new: Sequence[JsonValue]) -> str | None:
    """Why the text `new` is not written in the letter case every `old` value was, or None.

    >>> print(case_lost(["Food and Drink", "Shops", "Transfer"], ["FOOD_AND", "INCOME", "TRAVEL"]))
    writes no lower-case letters, where every one of the field's values did ('Food and Drink', ...)
    >>> case_lost(["Food and Drink", "Shops", "Transfer"], ["Income", "TRAVEL", "Rent"]) is None
    True
    """
    before = {v for v in old if isinstance(v, str) and any(c.isalpha() for c in v)}
    after = {v for v in new if isinstance(v, str) and any(c.isalpha() for c in v)}
    if len(before) < MIN_VALUES or len(after) < MIN_VALUES or before & after:
        return None
    if len(before) != len({v for v in old if v is not None}):
        return None  # some old values have no letters: not a code list of words
    kept = set.intersection(*(_cases(v) for v in before))
    written = set.union(*(_cases(v) for v in after))
    lost = sorted(kept - written)
    if not lost:
        return None
    return (
        f"writes no {' or '.join(lost)} letters, where every one of the field's values did "
        f"({sorted(before)[0]!r}, ...)"
    )


def flag_guessed(
    old: Sequence[JsonValue], computed: Sequence[JsonValue], sources: Sequence[JsonValue]
) -> str | None:
    """Why `computed` yes/no values, read from the text `sources`, are a guess, or None.

    >>> print(flag_guessed([True, False], [True, True, False], ["on", "pending", "off"]))
    sorts 3 codes ('off', 'on', 'pending') into true and false: which mean yes is a guess
    >>> flag_guessed([True, False], [True, False, True], ["Y", "N", "Y"]) is None
    True
    """
    if not old or not all(isinstance(v, bool) for v in old):
        return None
    if not any(isinstance(v, bool) for v in computed):
        return None
    texts = [v for v in sources if isinstance(v, str)]
    codes = sorted(set(texts))
    if len(codes) < MIN_CODES or flags(texts) is not None:
        return None
    return (
        f"sorts {len(codes)} codes ({', '.join(map(repr, codes[:4]))}) into true and false: "
        "which mean yes is a guess"
    )
