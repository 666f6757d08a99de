"""Every way a whole value splits into parts laid out by a template, each piece a value its
part's language admits (tools.matching.templates.learn)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from math import comb

from tools.matching.templates import PartLanguage, Template, learn

MAX_DECOMPOSITIONS = 4
"""Stop enumerating the ways a whole splits after this many (two already make it ambiguous)."""
WORDS_CHANCE = 0.05
"""Smallest chance that the new values of the parts show no part of several words by luck, at
which old wholes that need one are still rebuilt (`words_by_luck`)."""


def words_by_luck(needing: int, old: int, new: int) -> float:
    """The chance that, of `old` wholes and `new` events of parts from one population, the
    `needing` values that hold a part of several words all fell among the old wholes: the new
    parts were seen as single words by luck, not because a part never holds several.

    One old name of seven with a surname of two words ("De witte"), against six new surnames of
    one word each, is common luck; every old name holding one word more than its parts show is
    a missing part.

    >>> round(words_by_luck(1, 7, 6), 2), round(words_by_luck(5, 5, 5), 4)
    (0.54, 0.004)
    """
    if needing <= 0:
        return 1.0
    return comb(old, needing) / comb(old + new, needing)


def decompositions(
    whole: str,
    template: Template,
    languages: Sequence[PartLanguage],
    optional: Sequence[bool] = (),
) -> Iterator[tuple[str | None, ...]]:
    """Every way `whole` is the parts laid out by `template`, each piece admitted by its part's
    language; a part marked optional may be absent (None) together with one separator next to
    it, as `concat_ws` writes a NULL part. At most MAX_DECOMPOSITIONS are yielded.

    >>> t = Template("", (" ",), "")
    >>> first, last = learn(["Ada", "HOR-LAM"]), learn(["Lovelace", "De witte"])
    >>> list(decompositions("Roselle De witte", t, [first, last]))
    [('Roselle', 'De witte')]
    >>> list(decompositions("Roselle De witte", t, [last, last]))
    [('Roselle', 'De witte'), ('Roselle De', 'witte')]
    """
    if not whole.startswith(template.prefix) or not whole.endswith(template.suffix):
        return
    end = len(whole) - len(template.suffix)
    if end < len(template.prefix):
        return
    inner = whole[len(template.prefix) : end]
    flags = list(optional) + [False] * (len(languages) - len(optional))
    found = 0
    for pieces in _pieces(inner, template.separators, languages, flags, 0, True):
        yield pieces
        found += 1
        if found >= MAX_DECOMPOSITIONS:
            return


def _pieces(
    text: str,
    separators: tuple[str, ...],
    languages: Sequence[PartLanguage],
    optional: list[bool],
    index: int,
    leading: bool,
) -> Iterator[tuple[str | None, ...]]:
    """Pieces for parts `index`.. out of `text`; `leading` is True while no part was placed yet
    (a separator is written only between two present parts)."""
    if index == len(languages):
        if not text:
            yield ()
        return
    separator = separators[index - 1] if index > 0 and index - 1 < len(separators) else ""
    if optional[index]:
        for rest in _pieces(text, separators, languages, optional, index + 1, leading):
            yield (None, *rest)
    head = "" if leading else separator
    if not text.startswith(head):
        return
    body = text[len(head) :]
    for cut in range(1, len(body) + 1):
        piece = body[:cut]
        if languages[index].admits(piece):
            for rest in _pieces(body[cut:], separators, languages, optional, index + 1, False):
                yield (piece, *rest)


def separated_templates(
    wholes: Sequence[str], parts: Sequence[Sequence[str]]
) -> Iterator[Template]:
    """Templates joining the parts with one run of marks every whole holds (`" "`, `", "`),
    under which every whole reads as the parts: where a part may hold the same mark (a last
    name "De witte"), a regex search finds another cut first.

    >>> wholes, parts = ["AVTAR DOLSON", "ruud chenoweth"], [["De witte", "Ng"], ["ziad"]]
    >>> [t.separators for t in separated_templates(wholes, parts)]
    [(' ',)]
    """
    if not wholes or len(parts) < 2 or any(not p for p in parts):
        return
    runs = [set(re.findall(r"[^\w]+", whole)) for whole in wholes]
    languages = [learn(p) for p in parts]
    for run in sorted(set.intersection(*runs)):
        template = Template("", (run,) * (len(parts) - 1), "")
        if all(next(decompositions(w, template, languages), None) for w in wholes):
            yield template
