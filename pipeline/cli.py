"""`wirestream`: the one command-line entry point. `wirestream --help` lists the subcommands."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.admin_commands import index_app, schemas_app, stack_app, topics_app
from pipeline.alerts.commands import alerts_app
from pipeline.bench.commands import bench_app
from pipeline.bundled import SAMPLES_DIR
from pipeline.settings import CONFIG_DIR
from pipeline.views import fail, settings_or_exit

app = typer.Typer(
    help="Wirestream: news wire stories through Kafka, Faust and Elasticsearch.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
app.add_typer(bench_app, name="bench")
app.add_typer(alerts_app, name="alerts")
app.add_typer(stack_app, name="stack")
app.add_typer(schemas_app, name="schemas")
app.add_typer(topics_app, name="topics")
app.add_typer(index_app, name="index")

console = Console()
err = Console(stderr=True)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"wirestream {version('wirestream')}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Wirestream: news wire stories through Kafka, Faust and Elasticsearch."""


@app.command()
def produce(
    targets: Annotated[list[str], typer.Argument(help="Files, folders, globs, http(s) URLs, or - for stdin.")],
    fmt: Annotated[
        Optional[str], typer.Option("--format", "-f", help="wire, ninjs, jsonl or feed; guessed from each name if unset.")
    ] = None,
    source: Annotated[Optional[str], typer.Option(help="Source name for inputs that carry none, e.g. voa.")] = None,
) -> None:
    """Parse wire stories and send them to articles.raw, keyed by story id. Inputs that cannot be
    parsed go to articles.dlq with the reason, and the rest of the batch carries on."""
    from kafka.errors import KafkaError

    from pipeline.ingest import FORMATS, Rejected, parse_bytes
    from pipeline.producer import ArticleProducer, ProduceSummary, read_inputs

    settings = settings_or_exit()
    if fmt is not None and fmt not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    summary = ProduceSummary()
    try:
        producer = ArticleProducer(settings)
    except KafkaError as error:
        raise fail(settings.kafka.unreachable(error))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with producer, Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("producing", total=None)
        for name, raw in read_inputs(targets):
            items = [raw] if isinstance(raw, Rejected) else parse_bytes(
                name, raw, fmt=fmt, source=source or settings.ingest.default_source,
                timezone=settings.ingest.wire_timezone, max_bytes=settings.ingest.max_article_bytes,
            )
            for delivery in producer.deliver(items):
                if delivery.sent:
                    summary.sent += 1
                elif delivery.dead_lettered:
                    summary.rejected += 1
                    err.print(f"[red]rejected[/] {escape(delivery.label)}: {escape(delivery.reason or '')}",
                              highlight=False)
                else:
                    summary.lost += 1
                    err.print(f"[red]not sent[/] {escape(delivery.label)}: {escape(delivery.reason or '')}",
                              highlight=False)
                progress.advance(task)
    console.print(
        f"sent {summary.sent} article(s) to {settings.topics.raw}; "
        f"{summary.rejected} rejected input(s) to {settings.topics.dlq}"
        + (f"; {summary.lost} on neither topic (see above)" if summary.lost else "")
    )
    if summary.lost or (summary.sent == 0 and summary.rejected):
        raise typer.Exit(1)




@app.command()
def demo(
    samples: Annotated[Path, typer.Option(help="Folder of wire stories.")] = SAMPLES_DIR,
) -> None:
    """Run the pipeline on the bundled samples, with copies and an update among them, and show
    what each stage did. Needs the local stack (`wirestream stack up`)."""
    from kafka.errors import KafkaError

    from pipeline.demo import run

    if not samples.is_dir():
        raise fail(f"no samples folder at {samples}; pass --samples PATH")
    try:
        run(settings_or_exit(), samples, console)
    except KafkaError as error:
        raise fail(f"Kafka: {error}; is `wirestream stack up` running?") from None
    except RuntimeError as error:  # the pipeline stalled: the message names the worker log
        raise fail(str(error)) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    open_: Annotated[bool, typer.Option("--open", help="Accept requests without a token (loopback addresses only).")] = False,
    prefix: Annotated[Optional[str], typer.Option(help="Serve the topics and index of a run made with that prefix (a test's, a benchmark's).")] = None,
) -> None:
    """Accept articles over HTTP: POST /articles with wire text, ninjs JSON, JSON Lines or a feed;
    good ones go to articles.raw, bad ones to articles.dlq with the reason. Clients send
    `Authorization: Bearer <token>`, the token set in WIRESTREAM_INGEST__TOKEN (or [ingest] token).

    The newsroom page is at / : search with facets, stories, subscriptions, live alerts."""
    from aiohttp import web

    from pipeline.http_ingest import create_app
    from pipeline.producer import ArticleProducer

    settings = settings_or_exit()
    if settings.ingest.token is None:
        if not open_:
            raise fail("no ingest token: set WIRESTREAM_INGEST__TOKEN, or run with --open on a loopback address")
        if not _loopback(host):
            raise fail(f"--open serves without a token, so only on a loopback address, not {host}")
    if prefix:
        settings = settings.isolated(prefix)
    with ArticleProducer(settings) as producer:
        web.run_app(create_app(settings, producer), host=host, port=port,
                    print=lambda _: err.print(f"newsroom page on http://{host}:{port}/ ; POST /articles to ingest"))


def _loopback(host: str) -> bool:
    import ipaddress

    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost
        return False


@app.command()
def worker(
    loglevel: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
    log_format: Annotated[str, typer.Option(help="text (for a terminal) or json (one event per line on stdout, for a log collector).")] = "text",
    http_port: Annotated[Optional[int], typer.Option(min=1, max=65535, help="Serve /livez, /readyz and /metrics (Prometheus) on this port.")] = None,
    http_host: Annotated[str, typer.Option(help="The address --http-port listens on (0.0.0.0 for a scraper in another container).")] = "127.0.0.1",
    restart: Annotated[bool, typer.Option("--restart", help="Run the worker in a child process and start a new one "
                                          "whenever it exits with an error (a stall, a deadline); for use without a "
                                          "supervisor such as docker-compose or systemd.")] = False,
) -> None:
    """Run the Faust worker with every stage's agents until stopped (Ctrl-C). Start more workers
    to scale out; Kafka shares the partitions among them. With --http-port, its health (live: the
    event loop turns; ready: it holds partitions and none is stalled) and Prometheus metrics.

    A worker that cannot go on by itself (a partition stalled, a model or Elasticsearch past its
    deadline) exits with status 75 after one line saying why; with --restart, or under
    docker-compose, a new one takes over from the last committed offsets."""
    import logging.config

    from pipeline.agents.app import create_worker
    from pipeline.logs import FORMATS, json_logging
    from pipeline.startup import StartupError, prepare

    if log_format not in FORMATS:
        raise fail(f"--log-format must be one of {', '.join(FORMATS)}, not {log_format!r}")
    if log_format == "json":  # the lines before Faust starts are JSON events too
        logging.config.dictConfig(json_logging(loglevel))
    log = logging.getLogger("wirestream.worker")
    if loglevel.lower() != "debug":
        # One INFO line per connection and per request: they would bury the pipeline's own lines.
        for client in ("kafka", "elastic_transport"):
            logging.getLogger(client).setLevel(logging.WARNING)

    def say(level: int, message: str) -> None:
        if log_format == "json":
            log.log(level, message)
        else:
            style = "yellow" if level >= logging.WARNING else ""
            err.print(f"[{style}]{escape(message)}[/]" if style else escape(message), highlight=False, soft_wrap=True)

    def stop(message: str) -> typer.Exit:
        if log_format == "json":
            log.error(message)
            return typer.Exit(1)
        return fail(message)

    if restart:
        from pipeline.supervisor import supervise

        argv = [arg for arg in sys.argv[1:] if arg != "--restart"]
        raise typer.Exit(supervise([sys.executable, "-m", "pipeline.cli", *argv],
                                   lambda line: say(logging.WARNING, line)))

    settings = settings_or_exit()
    try:
        prepare(settings, say)
    except StartupError as error:
        raise stop(str(error)) from None
    try:
        worker = create_worker(settings, loglevel, log_format, (http_host, http_port) if http_port else None)
    except OSError as error:  # the port is taken, or the address is not this machine's
        raise stop(f"cannot serve health on {http_host}:{http_port}: {error.strerror or error}") from None
    worker.execute_from_commandline()


@app.command("status")
def status_command(as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts and monitors.")] = False) -> None:
    """What an operator checks first: the services, the worker group and its members, each stage's
    lag, dead letters by stage and reason, what the index holds, and each subscription's last alert.
    A part that cannot be read says why; the rest still shows."""
    import json

    from pipeline.status import collect
    from pipeline.views import print_status

    status = collect(settings_or_exit())
    if as_json:
        print(json.dumps(status.as_dict(), indent=2, ensure_ascii=False))
    else:
        print_status(status, console)


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help='Words, "phrases in quotes", -excluded; plain text otherwise (a question, a pasted headline).')] = "",
    person: Annotated[Optional[list[str]], typer.Option("--person", help="A person, by any name the gazetteer knows (Esper: Mark Esper); repeat for all of several.")] = None,
    org: Annotated[Optional[list[str]], typer.Option("--org", help="An organisation, by name or alias (Pentagon, NASA, U.N.).")] = None,
    place: Annotated[Optional[list[str]], typer.Option("--place", help="A place, by name or alias (U.S., Burma).")] = None,
    section: Annotated[Optional[str], typer.Option(help="Section, e.g. USA.")] = None,
    since: Annotated[Optional[datetime], typer.Option(help="Updated at or after (ISO date or time).")] = None,
    until: Annotated[Optional[datetime], typer.Option(help="Updated at or before (ISO date or time).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many stories to show.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    syntax: Annotated[str, typer.Option(help="plain, or lucene for Lucene's query syntax: 'preemptive AND Iran', 'headline:Esper'.")] = "plain",
) -> None:
    """Search the indexed stories: ranked, with highlighted snippets and the top entities. People,
    organisations and places the query names (in any alias) rank the stories tagged with them first.
    A plain query also finds stories by meaning (hybrid search, `search.vectors`); "quotes" and
    -exclusions keep it to the words."""
    import dataclasses
    import json

    from pipeline.embedding import load_embedder

    from elasticsearch import NotFoundError, TransportError

    from pipeline.search import SYNTAXES, QueryError, SearchRequest, is_hybrid, query_entities, search
    from pipeline.sinks.elasticsearch import connect
    from pipeline.views import print_results

    from pipeline.enrich.gazetteer import gazetteer_files, load_gazetteer
    from schemas import EntityType

    settings = settings_or_exit()
    gazetteer = load_gazetteer(gazetteer_files(CONFIG_DIR))  # facets hold canonical names: aliases resolve to them

    def canonical(kind: EntityType, names: list[str] | None) -> list[str]:
        return [gazetteer.canonical(kind, name) for name in names or []]

    if syntax not in SYNTAXES:
        raise fail(f"--syntax must be one of {', '.join(SYNTAXES)}, not {syntax!r}")
    request = SearchRequest(query, canonical(EntityType.PERSON, person), canonical(EntityType.ORGANISATION, org),
                            canonical(EntityType.PLACE, place), section=section, since=_aware(since),
                            until=_aware(until), limit=limit, syntax=syntax, mentioned=query_entities(query, gazetteer))
    embedder = load_embedder(settings.search.vectors) if is_hybrid(request) else None
    try:
        result = search(connect(settings), settings.elasticsearch.index_alias, request, embedder)
    except QueryError as error:
        raise fail(f"malformed query: {error}" + (" (plain text is the default; drop --syntax lucene)" if syntax == "lucene" else "")) from None
    except NotFoundError:
        raise fail(f"no index {settings.elasticsearch.index_alias!r} yet: start `wirestream worker` and feed "
                   "stories (`wirestream produce PATH`), or run `wirestream demo`") from None
    except TransportError as error:
        raise fail(f"cannot reach Elasticsearch at {settings.elasticsearch.url}: {error}; "
                   "is `wirestream stack up` running?") from None
    if as_json:
        print(json.dumps(dataclasses.asdict(result), indent=2, ensure_ascii=False))
    else:
        print_results(result, console)


@app.command()
def dlq(
    last: Annotated[int, typer.Option(min=0, help="How many of the newest dead letters to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Every dead letter as a JSON line (raw bytes included), for scripts.")] = False,
) -> None:
    """What the pipeline refused, from its dead-letter topics: counts by stage and reason, then the
    newest letters with where each came from."""
    import json

    from kafka.errors import KafkaError

    from pipeline.dlq import read_dead_letters

    settings = settings_or_exit()
    try:
        found = read_dead_letters(settings)
    except LookupError as error:
        raise fail(str(error)) from None
    except (KafkaError, TimeoutError) as error:
        raise fail(settings.kafka.unreachable(error, "read the dead-letter topics from Kafka")) from None
    if as_json:
        for item in found.letters:
            print(json.dumps({"position": item.position, **item.letter.model_dump(mode="json")}, ensure_ascii=False))
        return
    topics = f"{settings.topics.dlq} and {settings.topics.index_dlq}"
    if not found.letters:
        console.print(f"no dead letters on {topics}: nothing was refused")
        return
    reasons = Table("stage", "reason", "letters", title=f"{len(found.letters)} dead letter(s) on {topics}")
    for (stage, reason), count in found.by_reason():
        reasons.add_row(escape(stage), escape(reason), str(count))
    console.print(reasons)
    if last:
        newest = Table("when (UTC)", "stage", "input", "reason", "bytes", "at", title=f"the newest {min(last, len(found.letters))}")
        for item in found.letters[-last:]:
            letter = item.letter
            newest.add_row(f"{letter.occurred_at:%Y-%m-%d %H:%M:%S}", escape(letter.stage), escape(letter.input), escape(letter.reason),
                           str(letter.raw_size), item.position)
        console.print(newest)
    if found.unreadable:
        console.print(f"{found.unreadable} record(s) on {topics} are not dead letters and were skipped")


def _aware(moment: datetime | None) -> datetime | None:
    """Dates without a zone are UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment and moment.tzinfo is None else moment


if __name__ == "__main__":
    app()
