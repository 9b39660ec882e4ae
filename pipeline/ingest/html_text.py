"""Plain text from HTML bodies: paragraphs kept, scripts, styles, comments and tags dropped.

Parsed with libxml2 (lxml), which reads any input in time linear in its size: CPython's
`html.parser` rescans unfinished constructs ("<!--", "</", "<a" repeated) and took minutes on 200 KB.
"""

from __future__ import annotations

from lxml import etree, html

_BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article"}
_SKIPPED = {"script", "style", "noscript", "template", "iframe", "object"}
# No network, no DTD, no entity expansion beyond HTML's own named characters.
_PARSER = html.HTMLParser(encoding="utf-8", recover=True, no_network=True, remove_comments=True, remove_pis=True)


def html_to_text(markup: str) -> str:
    """Paragraphs of visible text, separated by blank lines ("" when there is none)."""
    if "<" not in markup and "&" not in markup:
        return " ".join(markup.split())
    try:
        root = html.document_fromstring(markup.encode("utf-8"), parser=_PARSER)
    except (etree.ParserError, ValueError):  # nothing but markup that holds no text
        return ""
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = " ".join("".join(current).split())
        if text:
            paragraphs.append(text)
        current.clear()

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _BLOCKS:
                flush()
            if tag in _SKIPPED:
                walker.skip_subtree()
            elif element.text:
                current.append(element.text)
        else:
            if tag in _BLOCKS:
                flush()
            if element.tail:
                current.append(element.tail)
    flush()
    return "\n\n".join(paragraphs)
