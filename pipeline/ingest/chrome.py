"""Site chrome: the lines a news page carries around a story that are not the story.

Text copied from a news site (or scraped into a feed) brings its navigation along: skip links,
"Breaking News" banners, share and print buttons, media player labels, breadcrumbs, and after the
story a trailer of related links and other headlines. None of it is ever a headline, part of the
body, or part of a story's id. Parsers ask two questions of each line:

- `is_chrome(line)`: a line that is chrome wherever it stands (dropped);
- `is_trailer(line)`: a line that starts the site's trailer (it and everything after are dropped).

Both look at whole lines only, so a sentence that mentions "share" or "print" is never touched.
"""

from __future__ import annotations

import re

# Whole lines, compared lower-cased with punctuation and spacing folded.
_CHROME_LINES = frozenset(
    """
    accessibility links | skip to main content | skip to main navigation | skip to search | skip to content
    | skip navigation | skip to navigation | jump to content | toggle navigation | main menu | menu | search | close
    | next | previous | prev | back | back to top | top | home | loading | show more | see more | show less
    | breaking news | breaking | update | updated | live | just in | developing | developing story
    | print | print this page | print this article | print article | share | share this | share this article
    | share this story | share on facebook | share on twitter | share on x | share via email | share on whatsapp
    | email | e-mail | email this article | facebook | twitter | x | whatsapp | telegram | linkedin | reddit | pinterest
    | tweet | pin | copy link | copy | link | permalink | comments | comment | see comments | show comments
    | leave a comment | add comment | embed | follow | follow us | subscribe | sign up | sign in | log in | login
    | newsletter | sign up for our newsletter | link has been copied to clipboard
    | the url has been copied to your clipboard | the code has been copied to your clipboard | copied
    | no media source currently available | download | download file | direct link | listen | listen to this article
    | listen to article | audio | video | watch | watch live | watch video | play | play video | pause | mute
    | photo | image | 16x9 image | gallery | view gallery | advertisement | ad | sponsored | font size | text size
    | a | a a a | aa | a+ | a- | translate | en | english | español | français
    """.replace("\n", " ").split("|")
)
_FOLD = re.compile(r"[^\w+]+")
# "News / Africa", "Home > World > Asia", "USA | Politics": short segments joined by separators.
# The separators stand between spaces: "Iran/Iraq Tensions Rise" is a headline.
_BREADCRUMB = re.compile(r"^[\w'’.&-]+(?: [\w'’.&-]+){0,3}(?: [/>|»›] [\w'’.&-]+(?: [\w'’.&-]+){0,3}){1,4}$")
# Media player and file labels: "0:00 0:02:34 0:00", "270p | 5.1MB", "width px height px".
_MEDIA = re.compile(
    r"^(?:\d{1,2}:\d{2}(?::\d{2})?(?: \d{1,2}:\d{2}(?::\d{2})?)*|\d{3,4}p ?\|? ?[\d.]+ ?[mkg]b|width px height px"
    r"|\d+ (?:min|minute|minutes|sec) (?:read|listen|watch)|image \d+ of \d+|\d+ comments?|\(\d+\))$",
    re.IGNORECASE,
)
# Where the site's trailer starts: related links, other headlines, special sections.
_TRAILER_LINES = frozenset(
    """
    related stories | related videos | related articles | related content | related coverage | related | related links
    | see also | special section | most popular | most viewed | most read | you may like | you might also like
    | you may also like | also read | read next | recommended | recommended stories | latest news | latest stories
    | latest | more news | more stories | more from voa | top stories | trending | trending now | editor's picks
    | editors' picks | in case you missed it | see all news updates | more in this section | other headlines
    | popular stories | what's next | up next | from the archive
    """.replace("\n", " ").split("|")
)

#: Lines longer than this are text, never chrome (and bound the work the patterns do).
MAX_CHROME_CHARS = 80


def _fold(line: str) -> str:
    return " ".join(_FOLD.sub(" ", line.lower()).split())


_CHROME_FOLDED = frozenset(_fold(line) for line in _CHROME_LINES)
_TRAILER_FOLDED = frozenset(_fold(line) for line in _TRAILER_LINES)


def is_chrome(line: str) -> bool:
    """A navigation, share, media or breadcrumb line, never part of a story."""
    line = line.strip()
    if not line or len(line) > MAX_CHROME_CHARS:
        return False
    return _fold(line) in _CHROME_FOLDED or bool(_MEDIA.match(line)) or is_breadcrumb(line)


def is_breadcrumb(line: str) -> bool:
    line = line.strip()
    return len(line) <= MAX_CHROME_CHARS and bool(_BREADCRUMB.match(line))


def is_trailer(line: str) -> bool:
    """The first line of the site's trailer (related links, other headlines)."""
    line = line.strip()
    return 0 < len(line) <= MAX_CHROME_CHARS and _fold(line) in _TRAILER_FOLDED
