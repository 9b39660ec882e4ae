"""The runtime: the only package that imports Faust. The app (`app.py`), and one short agent per
stage (each exposes `register(app, settings)`) that feeds the stage's Faust-free class its events."""
