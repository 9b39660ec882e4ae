"""The newsroom page: `wirestream serve` also answers `/` with a page where a desk editor searches
the wire (the same query language, entity filters and facets as `wirestream search`), opens a
story, manages subscriptions and watches alerts arrive live.

- `api.py`: the JSON endpoints under `/api/` and the page's static files, on the `Settings`, the
  search module and the subscription store the CLI uses (no second query builder).
- `live.py`: one consumer of every alert topic in a thread, fanned out to the page's server-sent
  event streams.
- `background.py`: the page `wirestream demo` leaves running, stopped by `wirestream stack down`.
- `static/`: plain HTML, CSS and JavaScript, no build step.
"""

from pipeline.newsroom.api import add_newsroom

__all__ = ["add_newsroom"]
