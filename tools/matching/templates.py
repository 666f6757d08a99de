"""Find how whole strings are built from parts: `prefix part1 sep1 part2 ... suffix`.

Used to undo splits (old field = parts joined) and merges (old parts = pieces of a new field).
Each part is matched by its language, learned from ALL its known values: the kinds of characters
inside it (letters and digits by Unicode category, so an accent the sample lacked still fits;
other characters as seen) and the kinds it starts and ends with. The edges matter: a last name
that may hold a space ("De witte") never starts with one, so " Dolson" is no last name and the
space before it is the separator; prefix, separators and suffix are
constant across all values, and are found, not guessed from a fixed list.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

MAX_AFFIXES = 12
"""How many prefix (and suffix) cut points to try, shortest first."""


@dataclass(frozen=True)
class Template:
    """Constant text around and between the parts of a whole value."""

    prefix: str
    separators: tuple[str, ...]
    suffix: str

    def pattern(self, classes: Sequence[str]) -> str:
        """A regex matching a whole value, with one group per part."""
        inner = "".join(
            f"({cls}+)" + (re.escape(self.separators[i]) if i < len(self.separators) else "")
            for i, cls in enumerate(classes)
        )
        return f"^{re.escape(self.prefix)}{inner}{re.escape(self.suffix)}$"

    def python_pattern(self, classes: Sequence[str]) -> str:
        """The same regex in Python's `re` syntax."""
        return self.pattern([python_class(c) for c in classes])


_LETTERS, _MARKS, _DIGITS = r"\p{L}", r"\p{M}", r"\p{Nd}"


def char_class(texts: Sequence[str], word_internal: bool = True) -> str:
    """A character class (RE2 syntax, as DuckDB reads it) of the kinds of characters in `texts`.

    Letters and digits are matched by Unicode category, not by the ones the sample happens to
    show: a name with an accent the sample lacked still matches. Other characters are listed.

    >>> print(char_class(["news.example.com", "A1"]))
    [\\p{L}\\p{M}\\p{Nd}\\-._]
    """
    chars = set("".join(texts))
    if word_internal and any(c.isalpha() for c in chars):
        chars |= {"-", "_"}  # word-internal in slugs and identifiers, even if unseen so far
    categories = ""
    if any(c.isalpha() for c in chars):
        categories += _LETTERS + _MARKS
    if any(c.isdigit() for c in chars):
        categories += _DIGITS
    others = sorted(c for c in chars if not (c.isalpha() or c.isdigit()))
    return "[" + categories + "".join(re.escape(c) if c in "\\]^-[" else c for c in others) + "]"


@dataclass(frozen=True)
class PartLanguage:
    """Python regexes for a part: its first character, its inner ones, its last one."""

    first: str
    body: str
    last: str

    @property
    def regex(self) -> str:
        """A regex (no groups) matching one value of the part."""
        return f"(?:{self.first}(?:{self.body}*{self.last})?)"

    def admits(self, piece: str) -> bool:
        """Whether `piece` can be a value of this part.

        >>> names = learn(["Ada", "De witte", "HOR-LAM"])
        >>> names.admits("José"), names.admits("van der Berg"), names.admits(" Dolson")
        (True, True, False)
        """
        return bool(piece) and re.fullmatch(self.regex, piece) is not None

    def in_words(self) -> PartLanguage:
        """The language of several of this part's values joined by single spaces: a last name
        "De witte", or a city "New York", where the values seen were single words.

        >>> surnames = learn(["Dore", "Machika"]).in_words()
        >>> surnames.admits("De witte"), surnames.admits("De  witte"), surnames.admits(" Dore")
        (True, False, False)
        """
        spaced = f"(?:{self.body}|(?<={self.last}) (?={self.first}))"
        return PartLanguage(first=self.first, body=spaced, last=self.last)


def learn(values: Sequence[str], word_internal: bool = True) -> PartLanguage:
    """The language of a part, from every known value of it (empty values are skipped)."""
    texts = [v for v in values if v]
    if not texts:
        return PartLanguage(first="(?!)", body="(?!)", last="(?!)")
    return PartLanguage(
        first=python_class(char_class([t[0] for t in texts], word_internal=False)),
        body=python_class(char_class(texts, word_internal=word_internal)),
        last=python_class(char_class([t[-1] for t in texts], word_internal=False)),
    )


def python_class(cls: str) -> str:
    """The class `char_class` made, in Python's `re` syntax (which has no \\p{...}).

    >>> bool(re.fullmatch(python_class(char_class(["Ada"])) + "+", "José"))
    True
    >>> bool(re.fullmatch(python_class(char_class(["12"])) + "+", "x"))
    False
    """
    inner = cls[1:-1]
    letters = _LETTERS in inner
    inner = inner.replace(_LETTERS, "").replace(_MARKS, "\u0300-\u036f").replace(_DIGITS, r"\d")
    if not letters:
        return f"[{inner}]"
    return f"(?:[^\\W\\d_]|[{inner}])" if inner else r"[^\W\d_]"


def _common_prefix(texts: Sequence[str]) -> str:
    first = min(texts, key=len)
    for i, char in enumerate(first):
        if any(t[i] != char for t in texts):
            return first[:i]
    return first


def _kind(char: str) -> int:
    return 0 if char.isalpha() else 1 if char.isdigit() else 2


def _cuts(common: str) -> list[str]:
    """Prefixes of `common` ending where the kind of character changes, shortest first.

    Shortest first: a constant the samples happen to share (this month) is not taken as layout.

    >>> _cuts("ab://c")
    ['', 'ab', 'ab://', 'ab://c']
    """
    cuts = [common[:i] for i in range(1, len(common)) if _kind(common[i - 1]) != _kind(common[i])]
    return list(dict.fromkeys(["", *cuts, common]))[:MAX_AFFIXES]


def templates(wholes: Sequence[str], parts: Sequence[Sequence[str]]) -> Iterator[Template]:
    """Templates under which every whole is its parts (admitted by their languages) in order."""
    if not wholes or not parts or any(not p for p in parts):
        return
    languages = [learn(p) for p in parts]
    widths = [len({len(v) for v in p}) == 1 for p in parts]
    fixed = [a and b for a, b in itertools.pairwise(widths)]
    # without the word-internal extras too: a hyphen between parts (Lyon-69001) is a separator
    strict = [learn(p, word_internal=False) for p in parts]
    prefix = _common_prefix(wholes)
    suffix = _common_prefix([w[::-1] for w in wholes])[::-1]
    seen: set[Template] = set()
    for pre in _cuts(prefix):
        for suf in [s[::-1] for s in _cuts(suffix[::-1])]:
            for kinds in (languages, strict):
                found = _separators(wholes, pre, suf, kinds, fixed)
                if found is not None and (template := Template(pre, found, suf)) not in seen:
                    seen.add(template)
                    yield template


def _separators(
    wholes: Sequence[str],
    prefix: str,
    suffix: str,
    languages: Sequence[PartLanguage],
    fixed: Sequence[bool],
) -> tuple[str, ...] | None:
    """The separators between parts, the same in every whole, or None.

    Two parts meet without a separator only where the kind of character changes (Lyon69001)
    or both have one width (0427): else the cut would fall inside a word, anywhere.
    """
    groups = "(.*?)".join(f"({language.regex})" for language in languages)
    regex = re.compile(f"^{re.escape(prefix)}{groups}{re.escape(suffix)}$")
    separators: tuple[str, ...] | None = None
    for whole in wholes:
        match = regex.match(whole)
        if match is None:
            return None
        found = tuple(match.group(2 * i + 2) for i in range(len(languages) - 1))
        for i, separator in enumerate(found):
            left, right = match.group(2 * i + 1), match.group(2 * i + 3)
            if not separator and not fixed[i] and _kind(left[-1]) == _kind(right[0]):
                return None
        if separators is not None and found != separators:
            return None
        separators = found
    return separators
