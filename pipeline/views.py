"""How results read in a terminal (rich): shared by `wirestream search`, the demo and alerts."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.search import HIGHLIGHT_END, HIGHLIGHT_START, SearchResult


def highlighted(snippet: str) -> str:
    """Rich markup for a snippet with Elasticsearch's highlight markers, the rest escaped."""
    return escape(snippet).replace(HIGHLIGHT_START, "[bold yellow]").replace(HIGHLIGHT_END, "[/]")


def print_results(result: SearchResult, console: Console) -> None:
    console.print(f"[bold]{result.total}[/] matching stor{'y' if result.total == 1 else 'ies'}")
    for rank, hit in enumerate(result.hits, 1):
        copies = f", {hit.copies} cop{'y' if hit.copies == 1 else 'ies'}" if hit.copies else ""
        console.print(f"\n[bold]{rank}. {escape(hit.headline)}[/]")
        console.print(f"   [dim]{hit.source} · {hit.section or '-'} · {hit.versioncreated} · version {hit.version}"
                      f"{copies} · id {hit.id}[/]")
        for snippet in hit.snippets:
            console.print(f"   … {highlighted(snippet)} …")
        entities = hit.people[:4] + hit.organisations[:3] + hit.places[:4]
        if entities:
            console.print(f"   [cyan]{escape(', '.join(entities))}[/]")
    if result.total:
        table = Table("people", "organisations", "places", title="top entities of the matches")
        columns = [result.facets.get(name, []) for name in ("people", "organisations", "places")]
        for row in range(max(len(column) for column in columns)):
            table.add_row(*(f"{c[row][0]} ({c[row][1]})" if row < len(c) else "" for c in columns))
        console.print(table)
