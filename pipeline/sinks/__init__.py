"""Sinks: where enriched stories leave the pipeline."""
