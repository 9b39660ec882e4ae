"""`wirestream index migrate`: the stories of the index the alias points at copied into an index of
the current mapping version, then the alias moved, in one atomic alias change.

Each story keeps its Elasticsearch version (its story version, strided: `pipeline.sinks.documents`),
so an older story version arriving later is still refused. Stop the workers first: a story written to
the old index during the copy would be left behind (the command refuses when the old index changes
while it copies). The old index is kept; delete it once the new one has been checked.
"""

from __future__ import annotations

from collections.abc import Callable

from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk, scan

from pipeline.sinks.elasticsearch import ensure_index, index_version, mapping_version


class MigrationError(RuntimeError):
    """The copy could not be completed; the alias has not moved."""


def migrate(client: Elasticsearch, alias: str, say: Callable[[str], None] = print) -> str | None:
    """Copy `alias`'s index into `<alias>-v<current version>` and move the alias there; returns the
    new index, or None when the alias is already on the current version (or does not exist)."""
    wanted = mapping_version()
    if not client.indices.exists_alias(name=alias):
        say(f"no alias {alias!r} yet: the first worker creates {alias}-v{wanted}")
        return None
    old = next(iter(client.indices.get_alias(name=alias)))
    if index_version(old) >= wanted:
        say(f"{alias} -> {old}: already mapping version {index_version(old)}")
        return None
    new = f"{alias}-v{wanted}"
    if client.indices.exists(index=new):
        raise MigrationError(f"{new} exists already (an earlier attempt?): delete it, then run the migration again")
    client.indices.create(index=new)  # the index template gives it the current mapping
    client.indices.refresh(index=old)
    expected = client.count(index=old)["count"]
    say(f"copying {expected:,} stories from {old} to {new}")
    actions = ({"_op_type": "index", "_index": new, "_id": hit["_id"], "_source": hit["_source"],
                "version": hit["_version"], "version_type": "external"}
               for hit in scan(client, index=old, version=True, size=500))
    copied, errors = bulk(client, actions, chunk_size=500, raise_on_error=False, stats_only=False)
    if errors:
        raise MigrationError(f"{len(errors)} stories could not be copied to {new} (first: {errors[0]}); "
                             f"the alias still points at {old}")
    client.indices.refresh(index=new)
    if client.count(index=old)["count"] != expected or client.count(index=new)["count"] != expected:
        raise MigrationError(f"{old} changed during the copy (are workers running?); the alias still points at "
                             f"{old}: stop the workers, delete {new} and run the migration again")
    client.indices.update_aliases(actions=[{"remove": {"index": old, "alias": alias}},
                                           {"add": {"index": new, "alias": alias, "is_write_index": True}}])
    ensure_index(client, alias)
    say(f"{alias} -> {new}: {copied:,} stories copied; {old} is kept, delete it once {new} is checked")
    return new
