"""The replay gate on a free-text field that moved into an object: the right patch passes on
samples of other events, and real harm (NULL, a constant, another field, values cut short or
re-cased, rows filtered away) is still refused."""

from __future__ import annotations

import pytest

from core.contracts import Contract, Pipeline
from core.models import ModelPatch, ValidationReport
from guardrails.replay_gate import validate_patch

MODEL = """select product_id, title, brand, price
from products"""
CONTRACT = Contract(
    dataset="products",
    fields=[
        {"name": "product_id", "type": "string", "required": True, "unique": True},
        {"name": "title", "type": "string", "required": True},
        {"name": "brand", "type": "string"},
        {"name": "price", "type": "number"},
    ],
)
_BEFORE = [
    ("Sony Premium EX Earbuds MDREX57LP, Black", "Sony", 39.99),
    ("PC Treasures External DVD-RW Drive (Pink)", "PC Treasures", 57.74),
    ("Sony 4GB Flash Memory Card \u2013 Black", "Sony", 10.88),
    ("Storm 2306 Case with Foam, Olive Drab", "Storm", 132.0),
    ("Belkin 6' FireWire Cable 4-Pin/6-Pin", "Belkin", 4.88),
    ("Alera LCD/CRT Mobile Computer Security Cabinet 26w x 24d x 63h", "Alera", 524.99),
]
_AFTER = [
    ("Draper High Contrast Grey Ultimate Access Series E Screen", "Draper", 2375.95),
    ("EVGA 1GB GeForce GT 520 DDR3 Graphics Card", "EVGA", 68.99),
    ("Dreamgear i.Sound Stand for iPad", "Dreamgear", 56.09),
    ("Garmin GPSMAP 78s Marine GPS Navigator & Worldwide Chartplotter", "Garmin", 399.88),
    ("Verbatim 8.5 GB DVD+R DL, 10-Pack \u2013 Double Layer Disc", "Verbatim", 14.88),
    ("Café Crème Espresso Machine, Stainless Steel", "De'Longhi", 249.0),
    ("Art Explosion 600,000 Images", "Nova", 29.99),
]
BEFORE = [
    {"product_id": f"p{i}", "title": t, "brand": b, "price": p}
    for i, (t, b, p) in enumerate(_BEFORE)
]
AFTER = [
    {"product_id": f"q{i}", "payload": {"title": t}, "brand": b, "price": p}
    for i, (t, b, p) in enumerate(_AFTER)
]


def _validate(sql: str) -> ValidationReport:
    return validate_patch(
        Pipeline(models={"stg_products": MODEL}),
        [ModelPatch(model="stg_products", before_sql=MODEL, after_sql=sql)],
        {"products": CONTRACT},
        BEFORE,
        AFTER,
        dataset="products",
        mapping=None,
    )


def test_the_nested_free_text_field_read_where_it_moved_passes() -> None:
    report = _validate(MODEL.replace("title,", "payload.title as title,"))
    assert report.passed, report.failures()


@pytest.mark.parametrize(
    "title",
    [
        "null as title",
        "'Unknown product' as title",
        "brand as title",  # another field
        "left(payload.title, 24) as title",  # cut short
        "upper(payload.title) as title",  # re-cased
        "split_part(payload.title, ' ', 1) as title",  # one word of each
    ],
)
def test_harm_to_the_nested_free_text_field_is_refused(title: str) -> None:
    report = _validate(MODEL.replace("title,", f"{title},"))
    assert not report.passed


def test_rows_filtered_away_with_the_move_are_refused() -> None:
    sql = MODEL.replace("title,", "payload.title as title,") + " where price < 60"
    assert not _validate(sql).passed
