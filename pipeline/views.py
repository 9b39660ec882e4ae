"""How results read in a terminal (rich): shared by `wirestream search`, the demo and alerts."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.alerts.matching import EM_END, EM_START
from pipeline.search import HIGHLIGHT_END, HIGHLIGHT_START, SearchResult
from pipeline.settings import Settings, SettingsError, load_settings
from pipeline.stack import ServiceStatus
from schemas.alerts import Alert


def fail(message: str, console: Console = Console(stderr=True)) -> typer.Exit:
    """Print one line of error (never wrapped) and return the exit to raise."""
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


def settings_or_exit() -> Settings:
    """The settings for a command; a bad value is one line of error and exit status 1."""
    try:
        return load_settings()
    except SettingsError as error:
        raise fail(str(error)) from None


def highlighted(snippet: str, start: str = HIGHLIGHT_START, end: str = HIGHLIGHT_END) -> str:
    """Rich markup for a snippet whose matches sit between `start` and `end`, the rest escaped."""
    return escape(snippet).replace(start, "[bold yellow]").replace(end, "[/]")


def print_alert(alert: Alert, console: Console) -> None:
    """One alert as an editor watching a subscription sees it."""
    update = " [magenta](update)[/]" if alert.is_update else ""
    console.print(f"[dim]{alert.alerted_at:%H:%M:%S}[/] [bold]{escape(alert.headline)}[/]{update}")
    console.print(f"   [dim]{escape(alert.source)} · {escape(alert.section or '-')} · version {alert.version} · "
                  f"matched {escape(', '.join(alert.matched))}[/]")
    console.print(f"   {highlighted(alert.snippet, EM_START, EM_END)}")
    if alert.link:
        console.print(f"   [blue]{escape(alert.link)}[/]")


def print_results(result: SearchResult, console: Console) -> None:
    console.print(f"[bold]{result.total}[/] matching stor{'y' if result.total == 1 else 'ies'}")
    for rank, hit in enumerate(result.hits, 1):
        copies = f", {hit.copies} cop{'y' if hit.copies == 1 else 'ies'}" if hit.copies else ""
        console.print(f"\n[bold]{rank}. {escape(hit.headline)}[/]")
        console.print(f"   [dim]{escape(hit.source)} · {escape(hit.section or '-')} · {hit.versioncreated} · version "
                      f"{hit.version}{copies} · id {escape(hit.id)}[/]")
        for snippet in hit.snippets:
            console.print(f"   … {highlighted(snippet)} …")
        entities = hit.people[:4] + hit.organisations[:3] + hit.places[:4]
        if entities:
            console.print(f"   [cyan]{escape(', '.join(entities))}[/]")
    if result.total:
        table = Table("people", "organisations", "places", title="top entities of the matches")
        columns = [result.facets.get(name, []) for name in ("people", "organisations", "places")]
        for row in range(max(len(column) for column in columns)):
            table.add_row(*(f"{escape(c[row][0])} ({c[row][1]})" if row < len(c) else "" for c in columns))
        console.print(table)


def services_table(statuses: list[ServiceStatus]) -> Table:
    """What of the local stack runs where, with each JVM's resident memory."""
    table = Table("service", "state", "address", "pid", "memory", title="services")
    for s in statuses:
        state = "[green]running[/]" if s.running else f"[yellow]{escape(s.detail)}[/]"
        table.add_row(s.name, state, s.address, str(s.pid or "-"), f"{s.rss_mb:.0f} MB" if s.rss_mb else "-")
    return table


def print_status(status, console: Console) -> None:
    """`wirestream status` on one screen."""
    console.print(services_table(status.services))
    if status.group:
        members = ", ".join(status.group["members"]) or "none"
        console.print(f"worker group [bold]{escape(status.group['id'])}[/]: {status.group['state'].lower()}, "
                      f"{len(status.group['members'])} member(s): {escape(members)}", highlight=False)
    if status.lag:
        lag = Table("stage", "reads", "lag (events not yet committed)", title="lag")
        for row in status.lag:
            lag.add_row(row.stages, row.topic, f"[yellow]{row.lag:,}[/]" if row.lag else "0")
        console.print(lag)
    if status.index:
        index = status.index
        console.print(f"index [bold]{escape(index['alias'])}[/]: {index['stories']:,} stories"
                      + (f", {index['versions']:,} versions, {index['copies']:,} copies counted, last indexed "
                         f"{index['last_indexed'] or '-'}" if index["stories"] else ""), highlight=False)
    letters = Table("stage", "reason", "count", title="dead letters")
    for row in status.dead_letters[:10]:
        letters.add_row(row["stage"], escape(row["reason"][:100]), str(row["count"]))
    console.print(letters if status.dead_letters else "dead letters: none")
    subscriptions = Table("subscription", "alert topic", "last alert", title="subscriptions")
    for row in status.subscriptions:
        subscriptions.add_row(escape(row["name"]), row["topic"], row["last_alert"] or "-")
    console.print(subscriptions if status.subscriptions else "subscriptions: none")
    for part, problem in status.problems.items():
        console.print(f"[yellow]{part}: not read[/] ({escape(problem)})", highlight=False)
