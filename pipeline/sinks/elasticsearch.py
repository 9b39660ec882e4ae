"""Writing stories to Elasticsearch: the index behind its alias, and bulk writes that lose nothing.

Modelled on Confluent's Elasticsearch sink connector: batches bounded by count and bytes, several
requests in flight, retries with doubling backoff on 429/5xx and while Elasticsearch is
unreachable (the caller blocks, so the agent stops consuming rather than dropping), version
conflicts counted as done, and documents Elasticsearch rejects returned with the reason for the
dead-letter topic.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch import ConnectionError as Unreachable

from pipeline.metrics import ELASTICSEARCH_RETRIES, ELASTICSEARCH_SECONDS, timed
from pipeline.retrying import retry_forever
from pipeline.settings import CONFIG_DIR, Settings
from pipeline.sinks import history
from pipeline.sinks.documents import ndjson

log = logging.getLogger(__name__)

TEMPLATE_FILE = CONFIG_DIR / "elasticsearch" / "articles-template.json"
#: The connector's defaults: 2,000 records or 5 MiB per request, and a few requests in flight.
MAX_BATCH_DOCS = 2_000
MAX_BATCH_BYTES = 5 * 1024 * 1024
IN_FLIGHT = 2
BACKOFF_FIRST_S = 0.1
BACKOFF_MAX_S = 30.0
#: How long one request may keep failing while Elasticsearch answers (busy, server errors, time-outs)
#: before the writer gives up; a node that does not answer at all is waited for without end.
ANSWERING_DEADLINE_S = 300.0

Action = tuple[dict, dict | None]
#: An action and its lines of a bulk request body.
Encoded = tuple[Action, bytes]


def connect(settings: Settings) -> Elasticsearch:
    """A client for the configured Elasticsearch, with credentials and CA when given."""
    es = settings.elasticsearch
    auth = (es.username, es.password) if es.username else None
    return Elasticsearch(es.url, basic_auth=auth, ca_certs=es.ca_certs, request_timeout=60)


class MappingOutdated(RuntimeError):
    """The alias points at an index of an older mapping version; the message says what to run."""


def mapping_version() -> int:
    """The version of `config/elasticsearch/articles-template.json`'s mapping."""
    return int(json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))["_meta"]["mapping_version"])


def index_version(index: str) -> int:
    """The mapping version in an index's name (`articles-v2` -> 2)."""
    return int(index.rsplit("-v", 1)[1])


def ensure_index(client: Elasticsearch, alias: str) -> str:
    """The index template for `<alias>-v*`, and `<alias>-v<mapping version>` behind `alias`, created
    if missing; returns the index the alias points at. Safe to call on every start. Raises
    `MappingOutdated` when the alias points at an index of an older mapping."""
    template = json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))
    template["index_patterns"] = [f"{alias}-v*"]
    client.indices.put_index_template(name=alias, **template)
    wanted = mapping_version()
    if client.indices.exists_alias(name=alias):
        index = next(iter(client.indices.get_alias(name=alias)))
        if index_version(index) < wanted:
            raise MappingOutdated(f"the index {index} has mapping version {index_version(index)}, this Wirestream "
                                  f"writes version {wanted}: run `wirestream index migrate` (it copies every story "
                                  f"into {alias}-v{wanted} and moves the alias {alias!r})")
        # Fields added to the template since the index was made (the story vector) are added to it;
        # a changed field is refused by Elasticsearch and needs a new mapping version.
        client.indices.put_mapping(index=index, **template["template"]["mappings"])
        return index
    index = f"{alias}-v{wanted}"
    if not client.indices.exists(index=index):
        client.indices.create(index=index, aliases={alias: {"is_write_index": True}})
    else:
        client.indices.put_alias(index=index, name=alias)
    return index


def ensure_history_indices(client: Elasticsearch, alias: str) -> None:
    """The story history's two small indices (`pipeline.sinks.history`), created if missing."""
    for kind, mappings in history.MAPPINGS.items():
        name = history.index_name(alias, kind)
        if not client.indices.exists(index=name):
            client.options(ignore_status=400).indices.create(  # 400: another worker just made it
                index=name, mappings=mappings, settings={"number_of_shards": 1, "number_of_replicas": 0})


@dataclass
class BulkResult:
    """What one `write` did. Rejected actions come with Elasticsearch's reason."""

    written: int = 0
    conflicts: int = 0
    missing: list[Action] = field(default_factory=list)
    rejected: list[tuple[Action, str]] = field(default_factory=list)
    retries: int = 0

    def merge(self, other: BulkResult) -> None:
        self.written += other.written
        self.conflicts += other.conflicts
        self.missing += other.missing
        self.rejected += other.rejected
        self.retries += other.retries


class DeadlineExceeded(RuntimeError):
    """A request Elasticsearch kept failing while it answered, for longer than the deadline."""


class BulkWriter:
    """Bulk writes with the connector's guarantees; `write` returns only when every action is
    written, a conflict, missing (an update of a document not there yet) or rejected."""

    def __init__(
        self,
        client: Elasticsearch,
        *,
        max_docs: int = MAX_BATCH_DOCS,
        max_bytes: int = MAX_BATCH_BYTES,
        in_flight: int = IN_FLIGHT,
        deadline_s: float = ANSWERING_DEADLINE_S,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.deadline_s = deadline_s
        self._clock = clock
        self.max_docs, self.max_bytes = max_docs, max_bytes
        self._pool = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="es-bulk")
        self._sleep = sleep

    def write(self, actions: list[Action]) -> BulkResult:
        result = BulkResult()
        # Each action is serialised once: the chunks are sized by, and sent as, the same bytes.
        encoded = [(action, ndjson([action])) for action in actions]
        for part in self._pool.map(self._write_chunk, self.chunks(encoded)):
            result.merge(part)
        return result

    def chunks(self, encoded: list[Encoded]) -> list[list[Encoded]]:
        """Consecutive runs of at most `max_docs` actions and about `max_bytes` of request body."""
        chunks: list[list[Encoded]] = [[]]
        size = 0
        for action, body in encoded:
            if chunks[-1] and (len(chunks[-1]) >= self.max_docs or size + len(body) > self.max_bytes):
                chunks.append([])
                size = 0
            chunks[-1].append((action, body))
            size += len(body)
        return [chunk for chunk in chunks if chunk]

    def current(self, index: str, ids: list[str], fields: list[str]) -> dict[str, dict]:
        """The `fields` of the documents `ids` as they are now (missing documents are left out)."""
        if not ids:
            return {}
        response, _ = self._request(lambda: self.client.mget(index=index, ids=ids, source_includes=fields))
        return {doc["_id"]: doc["_source"] for doc in response["docs"] if doc.get("found")}

    def _request(self, call: Callable[[], Any]) -> tuple[Any, int]:
        """`call()`, retried with doubling backoff while Elasticsearch is unreachable or busy; returns
        its response and the number of retries. A request refused as such (4xx) is raised, and
        `DeadlineExceeded` when the node answers but keeps failing it for `deadline_s`."""
        failing_since: float | None = None  # while the node answers

        def unavailable(error: BaseException, delay: float) -> None:
            nonlocal failing_since
            if isinstance(error, Unreachable):  # nobody answers: waiting is all there is to do
                failing_since = None
            else:
                failing_since = failing_since or self._clock()
                if self._clock() - failing_since > self.deadline_s:
                    raise DeadlineExceeded(f"Elasticsearch answered but failed a request for {self.deadline_s:.0f} s "
                                           f"({type(error).__name__}: {' '.join(str(error).split())[:200]})")
            log.warning("elasticsearch unavailable (%s); retrying in %.1f s", type(error).__name__, delay)

        retrying = retry_forever(lambda error: isinstance(error, (TransportError, ApiError)) and not _refused(error),
                                 unavailable, first_s=BACKOFF_FIRST_S, most_s=BACKOFF_MAX_S, sleep=self._sleep)
        with timed(ELASTICSEARCH_SECONDS):
            response = retrying(call)
        retries = retrying.statistics["attempt_number"] - 1
        ELASTICSEARCH_RETRIES.inc(retries)
        return response, retries

    def _write_chunk(self, pending: list[Encoded]) -> BulkResult:
        result = BulkResult()
        backoff = BACKOFF_FIRST_S
        while pending:
            try:
                response, retried = self._request(lambda: self.client.bulk(operations=b"".join(body for _, body in pending)))
            except ApiError as error:
                # Refused as a whole (one malformed action spoils the request): halve it until the
                # culprit stands alone, so only it is rejected.
                if len(pending) == 1:
                    cause = error.body.get("error", {}) if isinstance(error.body, dict) else {}
                    reason = cause.get("reason", "") if isinstance(cause, dict) else str(cause)
                    result.rejected.append((pending[0][0], _one_line(f"{error.meta.status}: {error.message} {reason}")))
                else:
                    middle = len(pending) // 2
                    result.merge(self._write_chunk(pending[:middle]))
                    result.merge(self._write_chunk(pending[middle:]))
                return result
            result.retries += retried
            retry = []
            for (action, body), item in zip(pending, response["items"]):
                operation, outcome = next(iter(item.items()))
                status = outcome["status"]
                if status < 300:
                    result.written += 1
                elif status == 409:
                    result.conflicts += 1  # an older or the same version: already done
                elif status == 404 and operation == "update":
                    result.missing.append(action)
                elif status == 404 and operation == "delete":
                    result.written += 1  # deleted before it was ever written: its tombstone stands
                elif status == 429 or status >= 500:
                    retry.append((action, body))
                else:
                    error = outcome.get("error", {})
                    reason = f"{error.get('type', status)}: {error.get('reason', 'rejected')}"
                    caused = error.get("caused_by", {}).get("reason")
                    result.rejected.append((action, _one_line(f"{reason} ({caused})" if caused else reason)))
            if retry:
                result.retries += 1
                self._sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
            pending = retry
        return result


def _refused(error: Exception) -> bool:
    """A request Elasticsearch will never accept (4xx other than 429), as opposed to an outage."""
    status = getattr(getattr(error, "meta", None), "status", None)
    return isinstance(error, ApiError) and bool(status) and status < 500 and status != 429


def _one_line(reason: str) -> str:
    # Elasticsearch quotes the offending value; a dead letter needs one readable line.
    reason = " ".join(reason.split())
    return reason if len(reason) <= 400 else reason[:397] + "..."
