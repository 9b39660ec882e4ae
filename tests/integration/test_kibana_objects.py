"""Kibana cannot run here, so its saved objects are checked against the real index mapping: every
field a panel uses exists, with a type that panel can use."""

from __future__ import annotations

import json

from pipeline.settings import CONFIG_DIR
from pipeline.sinks.elasticsearch import ensure_index

OBJECTS = CONFIG_DIR / "kibana" / "wirestream.ndjson"
# What each use needs: Kibana refuses other field types for these.
NEEDS = {
    "time field": {"date"},
    "date_histogram": {"date"},
    "terms": {"keyword"},
    "column": {"keyword", "text", "integer", "date", "float", "boolean"},
    "map": {"geo_point"},
}


def field_types(mapping: dict, prefix: str = "") -> dict[str, str]:
    types = {}
    for name, spec in mapping.get("properties", {}).items():
        types[prefix + name] = spec.get("type", "object")
        types.update(field_types(spec, f"{prefix}{name}."))
        for sub, sub_spec in spec.get("fields", {}).items():
            types[f"{prefix}{name}.{sub}"] = sub_spec["type"]
    return types


def uses(objects: list[dict]) -> list[tuple[str, str, str]]:
    """(object title, use, field) for every field the saved objects reference."""
    found = []
    for obj in objects:
        attributes, title = obj["attributes"], obj["attributes"].get("title")
        if obj["type"] == "index-pattern":
            found.append((title, "time field", attributes["timeFieldName"]))
        elif obj["type"] == "search":
            found += [(title, "column", column) for column in attributes["columns"]]
            found += [(title, "date_histogram", field) for field, _ in attributes["sort"]]
        elif obj["type"] == "lens":
            for layer in attributes["state"]["datasourceStates"]["formBased"]["layers"].values():
                found += [(title, column["operationType"], column["sourceField"]) for column in layer["columns"].values()
                          if column["operationType"] != "count"]
        elif obj["type"] == "map":
            for layer in json.loads(attributes["layerListJSON"]):
                if "geoField" in layer["sourceDescriptor"]:
                    found.append((title, "map", layer["sourceDescriptor"]["geoField"]))
    return found


def test_every_field_kibana_uses_exists_with_a_usable_type(es, settings):
    alias = settings.elasticsearch.index_alias
    index = ensure_index(es, alias)
    mapping = es.indices.get_mapping(index=alias)[index]["mappings"]
    types = field_types(mapping)
    objects = [json.loads(line) for line in OBJECTS.read_text().splitlines() if line.strip()]
    found = uses(objects)
    assert {use for _, use, _ in found} >= {"time field", "date_histogram", "terms", "map", "column"}
    for title, use, field in found:
        assert field in types, f"{title}: {field} is not in the mapping"
        assert types[field] in NEEDS[use], f"{title}: {field} is {types[field]}, {use} needs {NEEDS[use]}"

