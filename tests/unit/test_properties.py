"""Arbitrary text and bytes at every parser: valid articles or clear errors, never a crash."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest import FORMATS, Rejected, parse_bytes
from schemas import Article

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=15), children, max_size=6),
    max_leaves=20,
)
ninjs_like = st.fixed_dictionaries(
    {},
    optional={
        "headline": st.text(max_size=50) | json_values,
        "body_text": st.text(max_size=200) | json_values,
        "body_html": st.text(max_size=200),
        "versioncreated": st.datetimes().map(lambda d: d.isoformat()) | st.text(max_size=30),
        "uri": st.text(max_size=40),
        "byline": st.text(max_size=40) | json_values,
    },
)


def check(results):
    assert results, "every input yields at least one result"
    for result in results:
        assert isinstance(result, (Article, Rejected))
        if isinstance(result, Rejected):
            assert result.reason and "\n" not in result.reason


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=2000), fmt=st.sampled_from(FORMATS))
def test_arbitrary_bytes_in_every_format(raw, fmt):
    check(list(parse_bytes("fuzz", raw, fmt=fmt, source="fuzz")))


@settings(max_examples=300)
@given(text=st.text(max_size=2000))
def test_arbitrary_text_as_wire_stories(text):
    check(list(parse_bytes("fuzz.txt", (" date 2020-01-02 USA\n" + text).encode(), source="fuzz")))


@settings(max_examples=300)
@given(document=ninjs_like)
def test_arbitrary_ninjs_documents(document):
    check(list(parse_bytes("fuzz.json", json.dumps(document).encode(), source="fuzz")))
    check(list(parse_bytes("fuzz.jsonl", (json.dumps(document) + "\n").encode(), source="fuzz")))
