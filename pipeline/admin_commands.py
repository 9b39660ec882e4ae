"""`wirestream stack`, `topics`, `index` and `schemas`: what the pipeline runs on, set up and looked after."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from pipeline.views import fail, settings_or_exit

stack_app = typer.Typer(help="Run the local Kafka and Elasticsearch (no Docker needed).", no_args_is_help=True)
schemas_app = typer.Typer(help="The event schemas.", no_args_is_help=True)
topics_app = typer.Typer(help="The Kafka topics.", no_args_is_help=True)
index_app = typer.Typer(help="The Elasticsearch index of the stories.", no_args_is_help=True)
console = Console()


@stack_app.command("up")
def stack_up() -> None:
    """Start Kafka (127.0.0.1:9092) and Elasticsearch (127.0.0.1:9200); resolve them with Maven
    on the first run. Safe to run again: what already runs is left alone."""
    from pipeline import stack
    from pipeline.topics import TopicError, ensure_topics

    try:
        stack.up(console.print)
        created = ensure_topics(settings_or_exit())
    except (stack.StackError, TopicError) as error:
        raise fail(str(error)) from None
    if created:
        console.print(f"topics: created {', '.join(created)}")


@stack_app.command("down")
def stack_down() -> None:
    """Stop the Kafka and Elasticsearch processes that `stack up` started (by pid); data stays."""
    from pipeline import stack

    stack.down(console.print)


@stack_app.command("status")
def stack_status(
    check: Annotated[bool, typer.Option("--check", help="Exit 1 unless every service is running.")] = False,
) -> None:
    """Show what runs where, with each JVM's resident memory."""
    from pipeline import stack
    from pipeline.views import services_table

    statuses = stack.status()
    console.print(services_table(statuses))
    if check and not all(s.running for s in statuses):
        raise typer.Exit(1)


@topics_app.command("create")
def topics_create() -> None:
    """Create every pipeline topic that does not exist yet."""
    from pipeline.topics import TopicError, ensure_topics

    try:
        created = ensure_topics(settings_or_exit())
    except TopicError as error:
        raise fail(str(error)) from None
    console.print(f"created: {', '.join(created)}" if created else "all topics exist")


@index_app.command("migrate")
def index_migrate() -> None:
    """Copy the stories into an index of the current mapping version and move the alias there
    (each keeps its version). Stop the workers first; the old index is kept."""
    from elasticsearch import ApiError, TransportError

    from pipeline.sinks.elasticsearch import connect
    from pipeline.sinks.migration import MigrationError, migrate

    settings = settings_or_exit()
    try:
        migrate(connect(settings), settings.elasticsearch.index_alias, console.print)
    except MigrationError as error:
        raise fail(str(error)) from None
    except (TransportError, ApiError) as error:
        raise fail(f"Elasticsearch at {settings.elasticsearch.url}: {type(error).__name__}: {error}") from None


@schemas_app.command("export")
def schemas_export() -> None:
    """Regenerate schemas/json/*.schema.json from the pydantic models."""
    from schemas.export import export

    for path in export():
        console.print(str(path))
