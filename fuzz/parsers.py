"""Coverage-guided fuzzing of every input parser with atheris (libFuzzer).

    .venv/bin/python fuzz/parsers.py -max_total_time=300 fuzz/corpus      # `make fuzz`

The first byte of each input picks the parser (wire text, ninjs, JSON Lines, feed, the HTML-to-text
step, the dateline and chrome rules, the entity engine's name rules, an alert subscription's query
and its matching); the rest is its input. A
parser may refuse anything, in one line, but must never raise, and must answer in time: libFuzzer
reports inputs slower than `-timeout` seconds (default here: 2) as failures, so quadratic cases
show up as crashes with the input saved.
"""

from __future__ import annotations

import sys

import atheris

# Only the project's own code is instrumented (pydantic's and lxml's compiled parts cannot be).
with atheris.instrument_imports(include=["pipeline", "schemas"]):
    from pipeline.alerts.lucene import Story, compile_query, matches
    from pipeline.enrich.acronyms import definitions
    from pipeline.enrich.names import clean_mention, name_key
    from pipeline.ingest import Rejected, parse_bytes
    from pipeline.ingest.chrome import is_breadcrumb, is_chrome, is_trailer
    from pipeline.ingest.datelines import split_dateline
    from pipeline.ingest.html_text import html_to_text
    from pipeline.search import QueryError
    from schemas import Article

FORMATS = ("wire", "ninjs", "jsonl", "feed")
STORY = Story.of({"headline": "Esper: US Prepared to Take 'Preemptive' Action on Iran", "captions": ["Mark Esper"],
                  "body_text": "The U.S. embassy in Baghdad's Green Zone was attacked; e-mail said 1,000 troops.",
                  "people": ["Mark Esper"], "places": ["Iran"], "section": "USA", "source": "voa"})


def one_input(data: bytes) -> None:
    if not data:
        return
    choice, raw = data[0] % 9, data[1:]
    if choice < 4:
        for result in parse_bytes("fuzz", raw, fmt=FORMATS[choice], source="fuzz"):
            assert isinstance(result, (Article, Rejected))
            if isinstance(result, Rejected):
                assert result.reason and "\n" not in result.reason, result.reason
        return
    text = raw.decode("utf-8", errors="replace")
    if choice == 4:
        html_to_text(text)
    elif choice == 5:
        split_dateline(text)
        is_chrome(text), is_trailer(text), is_breadcrumb(text)
    elif choice == 6:
        definitions(text)
    elif choice == 7:
        clean_mention(text), name_key(text)
    else:
        try:
            query = compile_query(text)
        except QueryError as error:
            assert "\n" not in str(error), str(error)
            return
        assert matches(query, STORY) in (True, False)


def main() -> None:
    argv = list(sys.argv)
    if not any(arg.startswith("-timeout=") for arg in argv):
        argv.append("-timeout=2")
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
