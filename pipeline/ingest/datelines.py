"""Datelines: the place (and perhaps the outlet or date) that opens a wire story's first paragraph.

"PENTAGON - The U.S. is ...", "WASHINGTON (AP) — The ...", "CARVILLE, La. (8/31/12) - Members ...",
"Cape Girardeau – FEMA ...". The parsers keep the place as the article's `located` and the body
without it; the duplicate detector drops it, so a copy with and one without a dateline compare equal.
"""

from __future__ import annotations

import re

# A dateline opens the first paragraph: the place in capitals ("PENTAGON", "WASHINGTON, D.C."), or a
# "City, State" in any case ("Cape Girardeau, Mo."), perhaps an outlet or a date in brackets before
# or after a dash of any kind ("-", "--", "---", "–", "—"; a hyphen with a space beside it, not the
# one of "The Biden-Harris administration"): "DALLAS – (May 15, 2017) The",
# "CARVILLE, La. (8/31/12) - Members". Matched on the paragraph's first 100 characters only.
_PLACE_CAPS = r"[A-Z][A-Z.'’-]*(?: [A-Z][A-Z.'’-]*){0,4}"
_PLACE_TITLE = r"[A-Z][a-z.'’-]+(?: [A-Z][a-z.'’-]+){0,3}"
_DATELINE = re.compile(
    rf"^((?:{_PLACE_CAPS}|{_PLACE_TITLE})(?:, ?[A-Z][A-Za-z.'’]*(?: [A-Z][A-Za-z.'’]*){{0,3}})?)"
    r"(?: ?\([\w .,/&]{1,30}\))?(?: ?-{2,3} ?| - ?|- | ?[–—] ?)(?:\([\w .,/&]{1,30}\) ?)?(?=[A-Z\"“‘'0-9])"
)


def split_dateline(paragraph: str) -> tuple[str | None, str]:
    """The dateline's place and the paragraph without the dateline; (None, paragraph) when it has none."""
    match = _DATELINE.match(paragraph[:100])
    if match is None or len(match.group(1)) > 60:
        return None, paragraph
    return match.group(1).strip(" ,"), paragraph[match.end():]
