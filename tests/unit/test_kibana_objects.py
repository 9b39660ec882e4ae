"""The Kibana saved objects in `config/kibana/wirestream.ndjson` are what Kibana 8 writes itself (Docker,
and so Kibana, cannot run here): migration versions, Lens visualisations, panels inside the dashboard's
48-column grid, a map layer with a style, every reference resolved. (The fields they use are checked
against the real index's mapping in tests/integration/test_kibana_objects.py.)"""

import json
import pytest

from pipeline.settings import CONFIG_DIR

OBJECTS = [json.loads(line) for line in (CONFIG_DIR / "kibana" / "wirestream.ndjson").read_text().splitlines() if line]
BY_ID = {(o["type"], o["id"]): o for o in OBJECTS}
GRID_COLUMNS = 48


def of_type(kind: str) -> list[dict]:
    return [o for o in OBJECTS if o["type"] == kind]


def test_every_object_carries_the_migration_versions_kibana_8_writes():
    for o in OBJECTS:
        assert o["coreMigrationVersion"] == "8.8.0", o["id"]
        major, *_ = o["typeMigrationVersion"].split(".")
        assert int(major) >= 7, o["id"]
        assert "migrationVersion" not in o, o["id"]  # the pre-8.8 field Kibana no longer writes


def test_every_reference_names_an_object_in_the_file():
    (data_view,) = of_type("index-pattern")
    assert data_view["attributes"]["title"] == "articles"  # the alias, not a versioned index
    for o in OBJECTS:
        for reference in o["references"]:
            assert (reference["type"], reference["id"]) in BY_ID, (o["id"], reference)


def test_charts_are_lens_visualisations_not_legacy_ones():
    assert not of_type("visualization")
    assert len(of_type("lens")) >= 4


@pytest.mark.parametrize("lens", of_type("lens"), ids=lambda o: o["id"])
def test_a_lens_layer_has_its_data_view_and_shows_its_columns(lens):
    layers = lens["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
    names = {r["name"] for r in lens["references"]}
    for layer_id, layer in layers.items():
        assert f"indexpattern-datasource-layer-{layer_id}" in names
        assert set(layer["columnOrder"]) == set(layer["columns"])
    shown = lens["attributes"]["state"]["visualization"]["layers"]
    for layer in shown:
        columns = layers[layer["layerId"]]["columns"]
        assert layer["xAccessor"] in columns and all(a in columns for a in layer["accessors"])


def test_the_map_layers_are_styled():
    (the_map,) = of_type("map")
    layers = json.loads(the_map["attributes"]["layerListJSON"])
    documents = [layer for layer in layers if layer["sourceDescriptor"]["type"] == "ES_SEARCH"]
    assert documents
    for layer in layers:
        assert layer["style"]["type"] in ("VECTOR", "EMS_VECTOR_TILE"), layer["id"]
    for layer in documents:
        assert layer["style"]["properties"]["fillColor"]["options"]["color"].startswith("#")
        assert any(r["name"] == layer["sourceDescriptor"]["indexPatternRefName"] for r in the_map["references"])


def test_the_dashboard_panels_fit_the_48_column_grid_without_overlapping():
    (dashboard,) = of_type("dashboard")
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    cells = set()
    for panel in panels:
        grid = panel["gridData"]
        assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= GRID_COLUMNS, panel["panelIndex"]
        mine = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not mine & cells, f"panel {panel['panelIndex']} overlaps another"
        cells |= mine
        reference = next(r for r in dashboard["references"] if r["name"] == f"{panel['panelIndex']}:{panel['panelRefName']}")
        assert reference["type"] == panel["type"]
