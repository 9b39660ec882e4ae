"""Duplicate detection, as pure logic: fingerprints of a story, and an index that classifies each
new article as a first sighting, a new version, or a copy of a known story.

The Faust agent in `pipeline.agents.dedup` persists the index's state in a table; nothing here
knows about Kafka.
"""

from pipeline.dedup.fingerprint import Fingerprint, fingerprint
from pipeline.dedup.index import Decision, DedupIndex
from pipeline.dedup.story import Story, StoryState
from pipeline.dedup.texts import Relation, Text

__all__ = ["Decision", "DedupIndex", "Fingerprint", "Relation", "Story", "StoryState", "Text", "fingerprint"]
