"""Query subscriptions matched in process: the Lucene query_string subset that subscriptions use,
parsed by luqum and evaluated against one story's fields analysed as the index analyses them
(`pipeline.alerts.analysis`), with the semantics Elasticsearch gives `query_string` with the
default operator OR over headline, body and captions and phrases on their `.exact` sub-fields.
No Elasticsearch request in the alert path; tests/integration/test_query_matching.py checks the
answers against the real node's on a corpus of queries and stories.

Supported: words, "phrases", `*` at the end of a word, AND, OR, NOT, + and -, (groups), field:value
on the searchable and keyword fields, ^boosts (which do not change what matches). Refused, with
the reason, when the subscription is added: fuzzy (~), proximity, ranges, regular expressions,
other wildcards, unknown fields, and AND and OR mixed without parentheses (Lucene's reading of
"a AND b OR c" is not the one people expect).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from luqum import tree
from luqum.exceptions import ParseError
from luqum.parser import parser

from pipeline.alerts.analysis import english, standard
from pipeline.search import QueryError

#: The fields a word without a field searches (query_string's `fields`, boosts aside).
DEFAULT_FIELDS = ("headline", "body_text", "captions")
#: Analysed text fields (`english`; phrases on their `.exact` sub-field, `standard`).
TEXT_FIELDS = frozenset(DEFAULT_FIELDS)
#: Keyword fields: a value matches as written, whole.
KEYWORD_FIELDS = frozenset({"people", "organisations", "places", "groups", "section", "source", "language",
                            "authors", "country_codes", "located"})
_MUST, _SHOULD, _MUST_NOT = "must", "should", "must_not"
#: How deep a query may nest (groups, NOT, fields): no subscription needs more, and matching recurses.
MAX_DEPTH = 40


@dataclass
class Story:
    """One story's searchable fields, analysed once, lazily."""

    values: dict[str, list[str]]
    _english: dict[str, set[str]] = field(default_factory=dict)
    _exact: dict[str, list[list[str]]] = field(default_factory=dict)

    @classmethod
    def of(cls, document: dict[str, Any]) -> Story:
        """From the indexed document (`pipeline.sinks.documents.document`)."""
        values = {}
        for name in TEXT_FIELDS | KEYWORD_FIELDS:
            value = document.get(name)
            values[name] = [] if value is None else [str(v) for v in value] if isinstance(value, list) else [str(value)]
        return cls(values)

    def terms(self, name: str) -> set[str]:
        if name not in self._english:
            self._english[name] = {token for value in self.values[name] for token in english(value)}
        return self._english[name]

    def exact(self, name: str) -> list[list[str]]:
        """Each value's `standard` tokens: a phrase never runs from one caption into the next."""
        if name not in self._exact:
            self._exact[name] = [standard(value) for value in self.values[name]]
        return self._exact[name]


@lru_cache(maxsize=4096)
def compile_query(text: str) -> tree.Item:
    """The parsed query; raises `QueryError` with a one-line reason when it cannot be parsed or uses
    what the matcher does not support."""
    if not text.strip():
        raise QueryError("the query is empty")
    try:
        parsed = parser.parse(text)
    except (ParseError, ValueError, TypeError, ArithmeticError) as error:  # luqum reads "a^." as a bad Decimal
        raise QueryError(f"cannot parse {text[:200]!r}: {' '.join(str(error).split())[:200]}") from None
    except RecursionError:
        raise QueryError(f"nested more than {MAX_DEPTH} levels deep") from None
    _check(parsed, 0)
    return parsed


def matches(query: tree.Item, story: Story) -> bool:
    """Whether `story` matches the compiled `query`."""
    return bool(_match(query, story, None))


def _check(node: tree.Item, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise QueryError(f"nested more than {MAX_DEPTH} levels deep")
    unsupported = {tree.Fuzzy: "fuzzy matching (~)", tree.Proximity: "proximity (~)", tree.Range: "ranges",
                   tree.From: "ranges", tree.To: "ranges", tree.Regex: "regular expressions"}
    for kind, what in unsupported.items():
        if isinstance(node, kind):
            raise QueryError(f"{what} not supported in alert queries: {str(node).strip()!r}")
    if isinstance(node, tree.SearchField):
        if node.name not in TEXT_FIELDS | KEYWORD_FIELDS:
            raise QueryError(f"unknown field {node.name!r}; fields: {', '.join(sorted(TEXT_FIELDS | KEYWORD_FIELDS))}")
    if isinstance(node, tree.Word) and _is_wildcard(node.value):
        raise QueryError(f"wildcards only at the end of a word: {node.value!r}")
    if isinstance(node, (tree.AndOperation, tree.OrOperation, tree.UnknownOperation)):
        for child in node.children:
            if isinstance(child, (tree.AndOperation, tree.OrOperation, tree.UnknownOperation)):
                raise QueryError(f"AND, OR and plain spaces mixed without parentheses in {str(node).strip()!r}: "
                                 "group them, e.g. (a AND b) OR c")
    for child in node.children:
        _check(child, depth + 1)


def _is_wildcard(value: str) -> bool:
    body = value[:-1] if value.endswith("*") and not value.endswith("\\*") else value
    return any(mark in _unescaped(body, keep_marks=True) for mark in "*?") or value == "*"


def _unescaped(value: str, keep_marks: bool = False) -> str:
    """A word without Lucene's backslash escapes; with `keep_marks`, escaped * and ? become spaces."""
    out, escaped = [], False
    for char in value:
        if escaped:
            out.append(" " if keep_marks and char in "*?" else char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    return "".join(out)


def _match(node: tree.Item, story: Story, field_name: str | None) -> bool | None:
    """Whether the node matches; None when it is no clause at all (a stop word, as Lucene drops it)."""
    if isinstance(node, tree.SearchField):
        return _match(node.expr, story, node.name)
    if isinstance(node, (tree.Group, tree.FieldGroup, tree.Boost)):
        return _match(node.children[0], story, field_name)
    if isinstance(node, tree.Word):
        return _word(node.value, story, field_name)
    if isinstance(node, tree.Phrase):
        return _phrase(node.value[1:-1], story, field_name)
    occurs = _SHOULD if isinstance(node, (tree.OrOperation, tree.UnknownOperation)) else _MUST
    clauses = [_clause(child, occurs) for child in node.children] if isinstance(
        node, (tree.AndOperation, tree.OrOperation, tree.UnknownOperation)) else [_clause(node, _MUST)]
    return _boolean([(occur, child) for occur, child in clauses], story, field_name)


def _clause(node: tree.Item, default: str) -> tuple[str, tree.Item]:
    if isinstance(node, (tree.Not, tree.Prohibit)):
        return _MUST_NOT, node.children[0]
    if isinstance(node, tree.Plus):
        return _MUST, node.children[0]
    return default, node


def _boolean(clauses: list[tuple[str, tree.Item]], story: Story, field_name: str | None) -> bool | None:
    """A Lucene BooleanQuery: no MUST_NOT matches, every MUST does, and (without a MUST) one SHOULD
    does; a query of MUST_NOT alone matches everything else (Elasticsearch adds `*:*`)."""
    results = [(occur, _match(child, story, field_name)) for occur, child in clauses]
    results = [(occur, result) for occur, result in results if result is not None]
    if not results:
        return None
    if any(result for occur, result in results if occur == _MUST_NOT):
        return False
    musts = [result for occur, result in results if occur == _MUST]
    shoulds = [result for occur, result in results if occur == _SHOULD]
    if musts:
        return all(musts)
    return not shoulds or any(shoulds)


def _word(value: str, story: Story, field_name: str | None) -> bool | None:
    prefix = value.endswith("*") and not value.endswith("\\*")
    value = _unescaped(value[:-1] if prefix else value)
    if field_name in KEYWORD_FIELDS:
        return any(v.startswith(value) if prefix else v == value for v in story.values[field_name])
    fields = (field_name,) if field_name else DEFAULT_FIELDS
    if prefix:  # a prefix is lower-cased, not stemmed, and meets the stemmed terms
        return any(term.startswith(value.lower()) for name in fields for term in story.terms(name))
    tokens = english(value)  # several tokens ("e-mail") are any of them, as query_string's OR makes them
    if not tokens:
        return None
    return any(token in story.terms(name) for name in fields for token in tokens)


def _phrase(text: str, story: Story, field_name: str | None) -> bool | None:
    text = _unescaped(text)
    if field_name in KEYWORD_FIELDS:
        return text in story.values[field_name]
    wanted = standard(text)
    if not wanted:
        return None
    size = len(wanted)
    fields = (field_name,) if field_name else DEFAULT_FIELDS
    return any(tokens[i:i + size] == wanted for name in fields for tokens in story.exact(name)
               for i in range(len(tokens) - size + 1))
