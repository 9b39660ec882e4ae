"""Parsing every input a newsroom has into `schemas.Article` events.

Pure functions only: bytes in, articles or `Rejected` records out. Reading files and feeds and
talking to Kafka happen in `pipeline.producer`.
"""

from pipeline.ingest.errors import InvalidInput, Rejected
from pipeline.ingest.formats import FORMATS, detect_format, parse_bytes

__all__ = ["FORMATS", "InvalidInput", "Rejected", "detect_format", "parse_bytes"]
