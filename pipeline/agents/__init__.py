"""Faust agents, one module per stage. Each exposes `register(app, settings)`."""
