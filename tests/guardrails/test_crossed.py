"""Two substitutes crossed: each reads the new field whose values look like the OTHER old field's
(guardrails.crossed). Each alone keeps a plausible magnitude; crossed back, both fit better."""

from __future__ import annotations

from tests.guardrails._replay import contract_of, verdict

WEATHER_MODEL = "select station, humidity as humidity_pct, pressure as pressure_hpa from weather"
WEATHER_BEFORE = [
    {"station": "s1", "humidity": 62.0, "pressure": 1013.2},
    {"station": "s2", "humidity": 71.5, "pressure": 1009.8},
    {"station": "s3", "humidity": 58.3, "pressure": 1016.4},
    {"station": "s4", "humidity": 66.1, "pressure": 1011.0},
]
WEATHER_AFTER = [
    {"station": "s1", "obs": {"rh": 64.2, "hpa": 1012.5}},
    {"station": "s2", "obs": {"rh": 69.9, "hpa": 1008.1}},
    {"station": "s3", "obs": {"rh": 55.0, "hpa": 1018.0}},
    {"station": "s4", "obs": {"rh": 60.7, "hpa": 1010.4}},
]
WEATHER = contract_of("weather", {"station": "string", "humidity": "number", "pressure": "number"})


def test_refuses_humidity_and_pressure_crossed() -> None:
    crossed = "select station, obs.hpa as humidity_pct, obs.rh as pressure_hpa from weather"
    passed, detail = verdict(WEATHER_MODEL, crossed, WEATHER_BEFORE, WEATHER_AFTER, WEATHER)
    assert not passed
    assert "crossed" in detail


def test_passes_humidity_and_pressure_straight() -> None:
    straight = "select station, obs.rh as humidity_pct, obs.hpa as pressure_hpa from weather"
    passed, detail = verdict(WEATHER_MODEL, straight, WEATHER_BEFORE, WEATHER_AFTER, WEATHER)
    assert passed, detail


# heart rate and body temperature, within a factor 3 of each other: magnitudes alone pass both
VITALS_MODEL = "select patient, pulse as pulse_bpm, temp as temp_c from vitals"
VITALS_BEFORE = [
    {"patient": "a", "pulse": 72, "temp": 36.8},
    {"patient": "b", "pulse": 88, "temp": 37.4},
    {"patient": "c", "pulse": 64, "temp": 36.5},
    {"patient": "d", "pulse": 79, "temp": 37.0},
]
VITALS_AFTER = [
    {"patient": "e", "reading": {"heart_rate": 91, "body_temp": 38.1}},
    {"patient": "f", "reading": {"heart_rate": 67, "body_temp": 36.6}},
    {"patient": "g", "reading": {"heart_rate": 75, "body_temp": 36.9}},
    {"patient": "h", "reading": {"heart_rate": 83, "body_temp": 37.2}},
]
VITALS = contract_of("vitals", {"patient": "string", "pulse": "number", "temp": "number"})


def test_refuses_pulse_and_temperature_crossed() -> None:
    crossed = (
        "select patient, reading.body_temp as pulse_bpm, reading.heart_rate as temp_c from vitals"
    )
    passed, detail = verdict(VITALS_MODEL, crossed, VITALS_BEFORE, VITALS_AFTER, VITALS)
    assert not passed
    assert "crossed" in detail


def test_passes_pulse_and_temperature_straight() -> None:
    straight = (
        "select patient, reading.heart_rate as pulse_bpm, reading.body_temp as temp_c from vitals"
    )
    passed, detail = verdict(VITALS_MODEL, straight, VITALS_BEFORE, VITALS_AFTER, VITALS)
    assert passed, detail


# fill level and flow rate of a tank, renamed at the top level
TANK_MODEL = "select tank, level_pct, flow_lpm from tanks"
TANK_BEFORE = [
    {"tank": "t1", "level_pct": 44.0, "flow_lpm": 12.1},
    {"tank": "t2", "level_pct": 51.5, "flow_lpm": 10.4},
    {"tank": "t3", "level_pct": 47.2, "flow_lpm": 13.0},
    {"tank": "t4", "level_pct": 40.8, "flow_lpm": 11.6},
]
TANK_AFTER = [
    {"tank": "t1", "fill": 39.0, "flow": 14.2},
    {"tank": "t2", "fill": 55.1, "flow": 9.8},
    {"tank": "t3", "fill": 48.7, "flow": 12.5},
    {"tank": "t4", "fill": 43.3, "flow": 10.9},
]
TANK = contract_of("tanks", {"tank": "string", "level_pct": "number", "flow_lpm": "number"})


def test_refuses_level_and_flow_crossed() -> None:
    crossed = "select tank, flow as level_pct, fill as flow_lpm from tanks"
    passed, detail = verdict(TANK_MODEL, crossed, TANK_BEFORE, TANK_AFTER, TANK)
    assert not passed
    assert "crossed" in detail


def test_passes_level_and_flow_straight() -> None:
    straight = "select tank, fill as level_pct, flow as flow_lpm from tanks"
    passed, detail = verdict(TANK_MODEL, straight, TANK_BEFORE, TANK_AFTER, TANK)
    assert passed, detail


def test_passes_two_fields_of_one_distribution_either_way() -> None:
    # min and max of one quantity overlap: the samples cannot tell a crossing, so no claim
    model = "select id, lo, hi from ranges"
    before = [{"id": i, "lo": lo, "hi": hi} for i, (lo, hi) in enumerate([(10, 14), (12, 13)])]
    before += [{"id": 5 + i, "lo": lo, "hi": hi} for i, (lo, hi) in enumerate([(9, 15), (11, 16)])]
    after = [
        {"id": 20 + i, "low": lo, "high": hi} for i, (lo, hi) in enumerate([(10, 12), (13, 17)])
    ]
    after += [
        {"id": 30 + i, "low": lo, "high": hi} for i, (lo, hi) in enumerate([(8, 14), (12, 15)])
    ]
    contract = contract_of("ranges", {"id": "integer", "lo": "integer", "hi": "integer"})
    straight = "select id, low as lo, high as hi from ranges"
    passed, detail = verdict(model, straight, before, after, contract)
    assert passed, detail


def test_refuses_soil_ph_and_conductivity_crossed() -> None:
    model = "select probe, ph, ec as ec_ms from soil"
    before = [
        {"probe": "p1", "ph": 6.4, "ec": 1.8},
        {"probe": "p2", "ph": 6.9, "ec": 2.1},
        {"probe": "p3", "ph": 6.1, "ec": 1.6},
        {"probe": "p4", "ph": 7.2, "ec": 1.9},
    ]
    after = [
        {"probe": "p1", "chem": {"acidity": 6.6, "conductivity": 2.2}},
        {"probe": "p2", "chem": {"acidity": 5.9, "conductivity": 1.7}},
        {"probe": "p3", "chem": {"acidity": 7.0, "conductivity": 2.0}},
        {"probe": "p4", "chem": {"acidity": 6.3, "conductivity": 1.5}},
    ]
    contract = contract_of("soil", {"probe": "string", "ph": "number", "ec": "number"})
    crossed = "select probe, chem.conductivity as ph, chem.acidity as ec_ms from soil"
    passed, detail = verdict(model, crossed, before, after, contract)
    assert not passed
    assert "crossed" in detail
    straight = "select probe, chem.acidity as ph, chem.conductivity as ec_ms from soil"
    passed, detail = verdict(model, straight, before, after, contract)
    assert passed, detail
