"""How strongly two column names say the same thing: tokens, abbreviations, synonyms, weights.

Names are split into word tokens (snake, kebab, camel, dotted, spaced). Two tokens agree when
the lexicon (`name_lexicon.txt`) gives them one meaning, when one abbreviates the other (a
prefix, or the word with letters dropped: qty ~ quantity, wnrrntflg ~ ownorrentflag), or when
they are spelled nearly alike (pathologic ~ pathology). A name's score weighs its tokens, so a
word every column of a wide table carries (a table prefix) counts for little.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz.distance import Indel

_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_VOWELS = re.compile(r"[aeiou]")
LEXICON_PATH = Path(__file__).with_name("name_lexicon.txt")
SAME = 1.0
"""Token score of one meaning: equal words, lexicon synonyms, case or separator changes."""
ABBREVIATION = 0.85
"""Token score of an abbreviation of three letters or more (qty ~ quantity, cust ~ customer)."""
SHORT_ABBREVIATION = 0.6
"""Token score of a two-letter abbreviation (ag ~ agency)."""
INITIAL = 0.45
"""Token score of a single initial (g ~ genre): weak alone, useful beside other evidence."""
STEM = 0.8
"""Token score of two words sharing a stem of four letters or more (booking ~ booked)."""
SPELLING = 0.75
"""Smallest normalised spelling similarity counted as the same word (pathologic ~ pathology)."""


@dataclass(frozen=True)
class Lexicon:
    """Canonical meaning of each known token, and the words that carry no meaning."""

    canonical: Mapping[str, str]
    stop: frozenset[str]

    def meaning(self, token: str) -> str:
        """The canonical word for `token` (itself when the lexicon does not know it)."""
        return self.canonical.get(token, token)


def parse_lexicon(text: str) -> Lexicon:
    """A Lexicon from lines `canonical: alias ...` and `stop: word ...` (# starts a comment).

    >>> parse_lexicon("stop: of\\nquantity: qty").meaning("qty")
    'quantity'
    """
    canonical: dict[str, str] = {}
    stop: set[str] = set()
    for line in text.splitlines():
        head, colon, rest = line.split("#", 1)[0].partition(":")
        if not colon:
            continue
        words = rest.split()
        if head.strip() == "stop":
            stop.update(words)
            continue
        for word in words:
            canonical.setdefault(word, head.strip())
    return Lexicon(canonical=canonical, stop=frozenset(stop))


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The shipped lexicon (read once)."""
    return parse_lexicon(LEXICON_PATH.read_text(encoding="utf-8"))


def tokens(name: str) -> list[str]:
    """Lower-case word tokens of a column name, stop words dropped unless nothing else is left.

    >>> tokens("Age in Months at Time of Tissue Procurement")
    ['age', 'months', 'time', 'tissue', 'procurement']
    >>> tokens("prospect_OwORFl"), tokens("address.zipCode"), tokens("the")
    (['prospect', 'ow', 'fl'], ['address', 'zip', 'code'], ['the'])
    """
    found = [t.lower() for t in _TOKEN.findall(name)]
    kept = [t for t in found if t not in lexicon().stop]
    return kept or found


def abbreviates(short: str, long: str) -> bool:
    """True when `short` shortens the word `long`: a prefix of it, or its start and consonants.

    The start may be the word's first letter or its first consonant (wnr ~ owner); letters kept
    after a gap are consonants, so a short word that merely fits inside (fat ~ features) is not.

    >>> abbreviates("qty", "quantity"), abbreviates("desc", "description")
    (True, True)
    >>> abbreviates("cat", "account"), abbreviates("fat", "features"), abbreviates("amount", "amt")
    (False, False, False)
    """
    if not short or len(short) >= len(long):
        return False
    if long.startswith(short):
        return True
    return _chunk_end(short, 0, long) == len(short)


def _chunk_end(short: str, start: int, word: str) -> int:
    """How far into `short` (from `start`) an abbreviation of `word` reaches; `start` if not."""
    consonants = [i for i, char in enumerate(word) if char not in "aeiou"]
    first = [0] + ([consonants[0]] if consonants and consonants[0] != 0 else [])
    best = start
    for origin in first:
        if start >= len(short) or short[start] != word[origin]:
            continue
        end, position = start + 1, origin + 1
        while end < len(short):
            found = word.find(short[end], position)
            if found < 0 or (found > position and short[end] in "aeiou"):
                break
            end, position = end + 1, found + 1
        best = max(best, end)
    return best


@lru_cache(maxsize=1 << 18)
def token_similarity(first: str, second: str) -> float:
    """0..1: how surely two name tokens mean the same thing.

    >>> token_similarity("qnty", "quantity"), token_similarity("sex", "gender")
    (0.85, 1.0)
    >>> token_similarity("price", "city")
    0.0
    """
    words = lexicon()
    if first == second or words.meaning(first) == words.meaning(second):
        return SAME
    if first.isdigit() or second.isdigit():
        return 0.0
    if not (_starts((first,)) & _starts((second,))) and words.meaning(first) == first:
        if words.meaning(second) == second:
            return 0.0  # neither a prefix, an abbreviation, a stem nor a near spelling
    for pair in ((first, second), (words.meaning(first), words.meaning(second))):
        short, long = sorted(pair, key=len)
        if abbreviates(short, long):
            if len(short) == 1:
                return INITIAL
            return ABBREVIATION if len(short) >= 3 else SHORT_ABBREVIATION
    short = min(first, second, key=len)
    if len(short) >= 4:
        stem = len(os.path.commonprefix([first, second]))  # noqa: RUF071 (words, not paths)
        if stem >= 4 and stem >= 0.6 * len(short):
            return STEM  # booking ~ booked, pathologic ~ pathological
        spelled = Indel.normalized_similarity(first, second)
        if spelled >= SPELLING:
            return round(0.9 * spelled, 4)
    return 0.0


def name_similarity(first: str, second: str, weights: Mapping[str, float] | None = None) -> float:
    """0..1: soft overlap of two names' tokens, each weighted (1 unless `weights` says less).

    >>> name_similarity("cstmr_id", "customerId"), name_similarity("FirstName", "first_name")
    (0.925, 1.0)
    >>> name_similarity("OwnOrRentFlag", "wnrrntflg"), name_similarity("coupon", "channel")
    (0.85, 0.0)
    """
    return similarity_of_tokens(tokens(first), tokens(second), weights or {}, (first, second))


def similarity_of_tokens(
    left: Sequence[str],
    right: Sequence[str],
    weights: Mapping[str, float],
    names: tuple[str, str] = ("", ""),
) -> float:
    """name_similarity over names already split into tokens (`names`: the names as written)."""
    if not left or not right:
        return 0.0
    words = lexicon()
    if [words.meaning(t) for t in left] == [words.meaning(t) for t in right]:
        return SAME
    whole = max(_whole_abbreviation(*names), _whole_abbreviation("".join(left), "".join(right)))
    total = matched = 0.0
    for own, other in ((left, right), (right, left)):
        for token in own:
            weight = weights.get(token, 1.0)
            total += weight
            matched += weight * max(token_similarity(token, t) for t in other)
    return round(max(whole, matched / total if total else 0.0), 4)


def _whole_abbreviation(first: str, second: str) -> float:
    """One name written as pieces of each word of the other, in order (wnrrntflg, CID, BN)."""
    short, long = sorted((first, second), key=lambda n: len(_letters(n)))
    letters = _letters(short)
    words = _words(long)
    if len(letters) < 2 or len(words) < 2 or len(letters) >= len(_letters(long)):
        return 0.0
    if letters[0] not in _starts(words):
        return 0.0  # cheap refusal: most pairs of a wide table end here
    return ABBREVIATION if _pieces(letters, 0, words) else 0.0


@lru_cache(maxsize=1 << 14)
def _words(name: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _TOKEN.findall(name))


@lru_cache(maxsize=1 << 14)
def _starts(words: tuple[str, ...]) -> frozenset[str]:
    """Letters an abbreviation of `words` may start with (stop words may be skipped)."""
    found: set[str] = set()
    for word in words:
        consonants = _VOWELS.sub("", word)
        found.update(word[:1], consonants[:1])
        if word not in lexicon().stop:
            break
    return frozenset(found)


def _pieces(short: str, start: int, words: tuple[str, ...]) -> bool:
    """True when short[start:] is one abbreviation per word (stop words may be skipped)."""
    if not words:
        return start == len(short)
    word, rest = words[0], words[1:]
    if word in lexicon().stop and _pieces(short, start, rest):
        return True
    if word.isdigit():
        return short.startswith(word, start) and _pieces(short, start + len(word), rest)
    reach = _chunk_end(short, start, word)
    return any(_pieces(short, end, rest) for end in range(reach, start, -1))


@lru_cache(maxsize=1 << 14)
def _letters(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalnum())


def token_weights(names: Sequence[str]) -> dict[str, float]:
    """Weights of the tokens of one table's column names: the rarer a word, the more it says.

    An inverse document frequency scaled to 0.1..1; a token in half the names or more (a table
    prefix such as `prospect_`) weighs 0.1. Tables of fewer than three names weigh all alike.

    >>> weights = token_weights(["prospect_id", "prospect_name", "prospect_city", "city_zip"])
    >>> weights["prospect"], weights["city"], weights["zip"]
    (0.1, 0.1, 0.5693)
    """
    counts: dict[str, int] = {}
    for name in names:
        for token in set(tokens(name)):
            counts[token] = counts.get(token, 0) + 1
    size = len(names)
    if size < 3:
        return dict.fromkeys(counts, 1.0)
    return {
        token: 0.1
        if count / size >= 0.5
        else round(max(0.1, math.log((size + 1) / (count + 1)) / math.log(size + 1)), 4)
        for token, count in counts.items()
    }
