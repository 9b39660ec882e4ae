"""The plain wire text format of the bundled samples.

    ␠date 2020-01-02 USA              <- date line: publication date and section
    <headline>
    By Carla Babb                      <- optional byline
    Updated January 02, 2020 07:53 PM  <- timestamp (with or without "Updated", time optional)
    <photo captions>                   <- lines that carry a photo's date, before the body
    PENTAGON - The U.S. is ...         <- body; the first paragraph may open with a dateline
    ...
    Kenneth Schwartz contributed to this report.   <- credit
    Related Stories                    <- the site's trailer: never part of the story
    ...

Text copied from a web page also carries the site's chrome (`pipeline.ingest.chrome`): skip links
and banners above the date line or the headline, share and media lines anywhere, breadcrumbs and
the section's name above the headline. None of it is kept, and none of it can become the
headline, which the story's id is made from.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from pipeline.ingest.chrome import is_breadcrumb, is_chrome, is_trailer
from pipeline.ingest.datelines import split_dateline
from pipeline.ingest.errors import InvalidInput
from pipeline.ingest.ids import story_id
from schemas import Article

FORMAT = "wire"

# Patterns without a lazy group before trailing spaces ("(.*?)\s*$" is quadratic on a line of spaces);
# lines are stripped before they are matched.
_DATE_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})(?:\s+(.*))?$")
_BYLINE = re.compile(r"^By\s+(.+)$")
_TIMESTAMP = re.compile(
    r"^(?:Updated\s+)?((?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+\d{1,2},\s+\d{4})(?:\s+(\d{1,2}:\d{2}\s*[AP]M))?\s*$"
)
# Captions carry the photo's date in AP style: "Jan. 13, 2020", "Dec. 29, 2019".
_PHOTO_DATE = r"(?:Jan|Feb|March|April|May|June|July|Aug|Sept|Oct|Nov|Dec)\.?\s+\d{1,2},\s+\d{4}"
_HAS_PHOTO_DATE = re.compile(r"\b" + _PHOTO_DATE)
# In the body a caption stands alone and ends with ", <its date>", perhaps followed by the place
# ("... in Manila, Jan. 13, 2020."); a sentence that merely ends on a date ("the deadline is
# July 22, 2025.") is not one.
_BODY_CAPTION = re.compile(r",\s+" + _PHOTO_DATE + r"(?:,\s+in\s+[^.\"]+)?\.?$|^(?:In this photo|FILE PHOTO)")
_CREDIT = re.compile(
    r"(?:contributed to this report\.?"
    r"|^(?:Some\s+)?(?:information|material|reporting)\s+(?:for|in)\s+this\s+(?:report|story|article)\s+"
    r"(?:is|was|came|comes)\s+(?:from|provided by)\b.*"
    r"|^This (?:report|story|article) (?:includes|contains|uses) (?:information|material|reporting) from\b.*"
    r"|^\(?(?:Additional )?Reporting by\b.*|^Camera:.*|^Produced by:.*)$",
    re.IGNORECASE,
)
#: Lines above the date line may be page chrome the chrome list does not know, if they are short.
MAX_LINES_BEFORE_DATE = 40
MAX_WORDS_BEFORE_DATE = 8


def parse_wire_text(text: str, *, source: str, timezone: str = "America/New_York") -> Article:
    """Parse one story. Raises `InvalidInput` naming the field that is missing or malformed."""
    lines = [line.replace("\u00a0", " ").rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    lines = ["" if is_chrome(line) else line for line in lines]
    published, section, rest = _date_line(lines)
    headline, rest = _headline(rest, section)
    header, paragraphs = _header_and_paragraphs(rest)

    byline = None
    updated: datetime | None = None
    captions: list[str] = []
    lead: list[str] = []
    tz = ZoneInfo(timezone)
    for line in header:
        if byline is None and updated is None and (match := _BYLINE.match(line)):
            byline = match.group(1).strip()
        elif updated is None and (match := _TIMESTAMP.match(line)):
            updated = _timestamp(match.group(1), match.group(2), tz)
        elif updated is not None and not lead and _HAS_PHOTO_DATE.search(line):
            captions.append(line)
        else:
            lead.append(line)
    if updated is None:
        updated = datetime(published.year, published.month, published.day, tzinfo=tz)

    body: list[str] = []
    credits: list[str] = []
    for paragraph in lead + paragraphs:
        if is_trailer(paragraph):
            break
        if _CREDIT.search(paragraph):
            credits.extend(part.strip() for part in re.split(r"\s{3,}", paragraph) if part.strip())
        elif body and _BODY_CAPTION.search(paragraph) and '"' not in paragraph:
            captions.append(paragraph)
        else:
            body.append(paragraph)

    located = None
    if body:
        located, body[0] = split_dateline(body[0])
    try:
        return Article(
            id=story_id(source, headline=headline, published=published),
            source=source,
            headline=headline,
            byline=byline,
            section=section or None,
            located=located,
            firstcreated=published,
            versioncreated=updated,
            body_text="\n\n".join(body),
            captions=captions,
            credits=credits,
            ingest_format=FORMAT,
        )
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from None


def _date_line(lines: list[str]) -> tuple[date, str, list[str]]:
    before = 0
    first = None
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        first = first or line
        match = _DATE_LINE.match(line.strip())
        if not match:
            # A page's banner or logo text above the date line, unknown to the chrome list.
            before += 1
            if before <= MAX_LINES_BEFORE_DATE and len(line.split()) <= MAX_WORDS_BEFORE_DATE:
                continue
            raise InvalidInput(f"first line must be ' date YYYY-MM-DD SECTION', got {first[:60]!r}", "firstcreated")
        try:
            published = date.fromisoformat(match.group(1))
        except ValueError:
            raise InvalidInput(f"not a calendar date: {match.group(1)!r}", "firstcreated") from None
        return published, (match.group(2) or "").strip(), lines[index + 1 :]
    if first is not None:
        raise InvalidInput(f"first line must be ' date YYYY-MM-DD SECTION', got {first[:60]!r}", "firstcreated")
    raise InvalidInput("empty story", "headline")


def _headline(lines: list[str], section: str) -> tuple[str, list[str]]:
    """The first line that is neither a breadcrumb nor the section's name again; a headline
    printed twice (the page's title and its heading) is kept once."""
    while True:
        headline, lines = _next_nonblank(lines, "headline")
        if not (is_breadcrumb(headline) or headline.casefold() == section.casefold()):
            break
    for index, line in enumerate(lines):
        if line.strip():
            if line.strip() == headline:
                return headline, lines[index + 1 :]
            break
    return headline, lines


def _next_nonblank(lines: list[str], field: str) -> tuple[str, list[str]]:
    for index, line in enumerate(lines):
        if line.strip():
            return line.strip(), lines[index + 1 :]
    raise InvalidInput("missing", field)


def _header_and_paragraphs(lines: list[str]) -> tuple[list[str], list[str]]:
    """The header block is the run of lines up to the first blank line after the headline;
    after it, every non-blank line is a paragraph."""
    start = next((index for index, line in enumerate(lines) if line.strip()), len(lines))
    header: list[str] = []
    for index in range(start, len(lines)):
        if not lines[index].strip():
            return header, [p.strip() for p in lines[index + 1 :] if p.strip()]
        header.append(lines[index].strip())
    return header, []


def _timestamp(day: str, time: str | None, tz: ZoneInfo) -> datetime:
    try:
        stamp = datetime.strptime(" ".join(day.split()), "%B %d, %Y")
        if time:
            clock = datetime.strptime(" ".join(time.upper().replace("AM", " AM").replace("PM", " PM").split()), "%I:%M %p")
            stamp = stamp.replace(hour=clock.hour, minute=clock.minute)
    except ValueError:  # "January 00, 2020", "13:75 PM"
        raise InvalidInput(f"not a date and time: {' '.join(filter(None, [day, time]))!r}", "versioncreated") from None
    return stamp.replace(tzinfo=tz)
