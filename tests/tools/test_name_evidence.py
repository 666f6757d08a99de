"""Name evidence: tokens, abbreviations (dropped vowels, initials), synonyms, weights."""

from __future__ import annotations

import pytest

from tools.matching.name_evidence import name_similarity, parse_lexicon, token_weights

STRONG_NAME_EXAMPLES = (
    ("ts", "timestamp"),
    ("qty", "quantity"),
    ("amt", "amount"),
    ("desc", "description"),
    ("addr", "address"),
    ("order_dt", "order_date"),
    ("OwnOrRentFlag", "wnrrntflg"),
    ("MaritalStatus", "mrtlstts"),
    ("CustomerID", "CID"),
    ("BorrowerName", "BN"),
    ("customerId", "CUSTOMER_ID"),
    ("sex", "gender"),
)


@pytest.mark.parametrize(("first", "second"), STRONG_NAME_EXAMPLES)
def test_abbreviations_synonyms_and_case_only_renames_are_strong(first: str, second: str) -> None:
    assert name_similarity(first, second) >= 0.85


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("age", "aligned_reads_files"),
        ("number_of_lymph_nodes_examined", "name"),
        ("fat", "features"),
        ("price", "city"),
        ("coupon", "channel"),
    ],
)
def test_letters_that_merely_fit_inside_another_name_are_not_an_abbreviation(
    first: str, second: str
) -> None:
    assert name_similarity(first, second) < 0.5


def test_a_word_every_column_carries_weighs_little() -> None:
    names = ["prospect_AgID", "prospect_FiN", "prospect_Co", "prospect_Em"]
    weights = token_weights(names)
    assert weights["prospect"] < 0.2
    assert name_similarity("Country", "prospect_Co", weights) > name_similarity(
        "Country", "prospect_Co"
    )


def test_the_lexicon_reads_synonyms_and_stop_words() -> None:
    lexicon = parse_lexicon("# comment\nstop: of the\ntimestamp: ts tstamp\n")
    assert lexicon.meaning("tstamp") == "timestamp" and lexicon.stop == {"of", "the"}
