"""Entity enrichment: spaCy NER plus a gazetteer, canonical names, places on the map."""

from pipeline.enrich.engine import EntityEngine
from pipeline.enrich.model import tagged_text
from pipeline.enrich.gazetteer import Gazetteer, GazetteerError, KnownEntity, load_gazetteer

__all__ = ["EntityEngine", "Gazetteer", "GazetteerError", "KnownEntity", "load_gazetteer", "tagged_text"]
