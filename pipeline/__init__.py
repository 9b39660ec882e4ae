"""Wirestream: an event-streaming pipeline for news wire stories."""

__version__ = "0.1.0"
