"""A mapping change is a new index: `wirestream index migrate` copies the stories of an older index,
each with its version, and moves the alias; workers refuse to write to the older one meanwhile."""

from __future__ import annotations

import copy
import json

import pytest
from elasticsearch import ConflictError

from pipeline.sinks.documents import VERSION_STRIDE
from pipeline.sinks.elasticsearch import TEMPLATE_FILE, MappingOutdated, ensure_index, mapping_version
from pipeline.sinks.migration import migrate

NESTED_ENTITIES = {"type": "nested", "properties": {"name": {"type": "keyword"}, "type": {"type": "keyword"}}}


def lucene_documents(es, index: str) -> int:
    return int(es.cat.indices(index=index, h="docs.count", format="json")[0]["docs.count"])


def test_stories_move_to_the_current_mapping_with_their_versions(es, settings):
    alias = settings.elasticsearch.index_alias
    template = json.loads(TEMPLATE_FILE.read_text())["template"]
    old_mappings = copy.deepcopy(template["mappings"])
    old_mappings["properties"]["entities"] = NESTED_ENTITIES  # how version 1 kept them
    old = f"{alias}-v1"
    es.indices.create(index=old, settings=template["settings"], mappings=old_mappings, aliases={alias: {"is_write_index": True}})
    entities = [{"name": "Mark Esper", "type": "person"}, {"name": "Iran", "type": "place"}]
    for number, version in enumerate((1, 3, 2)):
        es.index(index=old, id=f"story-{number}", version=version * VERSION_STRIDE, version_type="external",
                 document={"headline": f"Story {number}", "version": version, "people": ["Mark Esper"],
                           "entities": entities})
    es.indices.refresh(index=old)
    assert lucene_documents(es, old) == 9  # each story and its two nested entities

    with pytest.raises(MappingOutdated, match="run `wirestream index migrate`"):
        ensure_index(es, alias)

    said = []
    new = migrate(es, alias, said.append)
    assert new == f"{alias}-v{mapping_version()}" and list(es.indices.get_alias(name=alias)) == [new]
    assert "3 stories copied" in said[-1] and f"{old} is kept" in said[-1]
    assert lucene_documents(es, new) == 3  # no nested documents any more
    story = es.get(index=alias, id="story-1")
    assert story["_version"] == 3 * VERSION_STRIDE and story["_source"]["entities"] == entities
    with pytest.raises(ConflictError):  # an older story version arriving late is still refused
        es.index(index=alias, id="story-1", version=2 * VERSION_STRIDE, version_type="external",
                 document={"headline": "older", "version": 2})
    assert es.search(index=alias, query={"term": {"people": "Mark Esper"}})["hits"]["total"]["value"] == 3
    assert ensure_index(es, alias) == new
    assert migrate(es, alias, said.append) is None and "already mapping version" in said[-1]
