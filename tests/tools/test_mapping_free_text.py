"""Tests for tools.healing.mapping on free text: a title, name or author list that moved (into an
object, or under a new name) is judged by evidence that holds for free text, not by outlines."""

from __future__ import annotations

import pytest

from core.contracts import Contract
from core.models import Detection
from tools.healing.mapping import fits, infer_mapping

_AUTHORS = [
    "igor tatarinov , wai tak theodora yeung , shiori betzler , jing su",
    "luis gravano , surajit chaudhuri",
    "alon y. levy , zachary g. ives",
    "jayant madhavan , rachel pottinger , alon y. levy",
    "ewa jaslikowska , stefan saroiu",
    "qiong chen , michael stonebraker",
]
_OTHER_AUTHORS = [
    "joseph m. hellerstein , michael j. franklin , sailesh krishnamurthy",
    "jim gray , prakash sundaresan",
    "hector garcia-molina , jeffrey d. ullman , jennifer widom",
    "serge abiteboul , victor vianu",
    "david j. dewitt , jim gray",
]
_BREWERIES = [
    "Ladyface Ale Companie",
    "Fat Head 's Brewery & Saloon",
    "Cervejaria Seasons",
    "Moor Beer Company",
    "Steelhead Brewing Co. .",
    "Iron Springs Pub & Brewery",
]
_OTHER_BREWERIES = [
    "Hyouko Yashiki No Mori Brewery",
    "Nail Brewing Australia Pty Ltd",
    "Escape Craft Brewery",
    "Odin Brewing Company",
    "Coalition Brewing Co. .",
]
_TITLES = [
    "Single-Cell DNA Methylome Sequencing and Bioinformatic Inference of Cell-State Dynamics",
    "DNA template strand sequencing of single-cells maps genomic rearrangements",
    "Higher 5-hydroxymethylcytosine identifies immortal DNA strand chromosomes",
    "Dynamic readers for 5-(Hydroxy)methylcytosine and its oxidized derivatives",
    "Épigénétique: Méthylation de l'ADN chez les mammifères",
]
_OTHER_TITLES = [
    "Single-cell sequencing-based technologies will revolutionize whole-organism science",
    "Chromatin accessibility: a window into the genome",
    "Über die Methylierung der DNA in Stammzellen (Übersicht)",
    "The role of Tet proteins in 5mC oxidation and DNA demethylation",
]


@pytest.mark.parametrize(
    ("old", "new"),
    [(_AUTHORS, _OTHER_AUTHORS), (_BREWERIES, _OTHER_BREWERIES), (_TITLES, _OTHER_TITLES)],
)
def test_free_text_of_other_events_fits_the_field_it_moved_from(
    old: list[str], new: list[str]
) -> None:
    assert fits(old, new, "spread") is None


@pytest.mark.parametrize(
    ("old", "new"),
    [(_AUTHORS, _OTHER_AUTHORS), (_BREWERIES, _OTHER_BREWERIES), (_TITLES, _OTHER_TITLES)],
)
def test_a_free_text_field_moved_into_an_object_is_mapped_there(
    old: list[str], new: list[str]
) -> None:
    before = [{"id": f"a{i}", "title": t} for i, t in enumerate(old)]
    after = [{"id": f"b{i}", "details": {"title": t}} for i, t in enumerate(new)]
    contract = Contract(
        dataset="papers",
        fields=[{"name": "id", "type": "string"}, {"name": "title", "type": "string"}],
    )
    detections = [Detection(kind="nesting", field="title", to="details.title")]
    result = infer_mapping(detections, contract, {"title"}, before, after)
    assert result.mapping.as_dict() == {"title": "details.title"}, result.notes


@pytest.mark.parametrize(
    "new",
    [
        [t[:18] for t in _OTHER_TITLES + _TITLES],  # cut at one length
        [t.split()[0] for t in _OTHER_TITLES + _TITLES],  # one word of each
        [t.upper() for t in _OTHER_TITLES],  # the case the field wrote is gone
        ["untitled"] * 4,  # a constant
    ],
)
def test_free_text_that_lost_part_of_its_values_does_not_fit(new: list[str]) -> None:
    assert fits(_TITLES, new, "spread") is not None


def test_an_author_list_without_its_separator_does_not_fit() -> None:
    joined = [a.replace(" , ", " and ") for a in _OTHER_AUTHORS]
    found = fits(_AUTHORS, joined, "spread")
    assert found is not None and "','" in found


def test_single_word_places_of_other_events_fit_a_field_of_place_names() -> None:
    old = ["Hay River", "St. Catharines", "Washington", "St. Louis", "Hayward"]
    new = ["Omaha", "Lowell", "Toledo", "Nashua", "Quebec"]
    assert fits(old, new, "spread") is None
    assert fits(old, ["Washin", "St. Ca", "Hay Ri", "St. Lo"], "spread") is not None
