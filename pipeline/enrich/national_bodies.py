"""A country's own institutions named the generic way: "Nigeria's Senate", "the Kenyan Parliament",
"Pakistan's Foreign Office" are the Senate of Nigeria, the Parliament of Kenya and the Ministry of
Foreign Affairs (Pakistan), English Wikipedia's usual titles for them. Without the country the
gazetteer would read them as the one institution it knows by that name (the United States Senate,
the British Foreign Office).
"""

from __future__ import annotations

_FOREIGN = "Ministry of Foreign Affairs ({name})"
_DEFENCE = "Ministry of Defence ({name})"
_INTERIOR = "Ministry of Interior ({name})"
#: The body as news copy names it -> the title pattern; {of} is the country after "of" ("the
#: Philippines"), {name} the country alone.
TITLES = {
    "Senate": "Senate of {of}",
    "Parliament": "Parliament of {of}",
    "Supreme Court": "Supreme Court of {of}",
    "Constitutional Court": "Constitutional Court of {of}",
    "National Assembly": "National Assembly ({name})",
    "Foreign Ministry": _FOREIGN, "Ministry of Foreign Affairs": _FOREIGN, "Foreign Office": _FOREIGN,
    "Foreign Affairs Ministry": _FOREIGN,
    "Defense Ministry": _DEFENCE, "Defence Ministry": _DEFENCE, "Ministry of Defense": _DEFENCE,
    "Ministry of Defence": _DEFENCE,
    "Interior Ministry": _INTERIOR, "Ministry of Interior": _INTERIOR, "Ministry of the Interior": _INTERIOR,
    "Health Ministry": "Ministry of Health ({name})", "Ministry of Health": "Ministry of Health ({name})",
    "Finance Ministry": "Ministry of Finance ({name})", "Ministry of Finance": "Ministry of Finance ({name})",
    "Justice Ministry": "Ministry of Justice ({name})", "Ministry of Justice": "Ministry of Justice ({name})",
    "Joint Chiefs of Staff": "Joint Chiefs of Staff ({name})",
}
#: Countries whose name takes "the" after "of".
_WITH_THE = frozenset({
    "Philippines", "United Kingdom", "Netherlands", "Gambia", "Bahamas", "Central African Republic",
    "United Arab Emirates", "Czech Republic", "Dominican Republic", "Maldives", "Comoros", "Seychelles",
    "Democratic Republic of the Congo", "Republic of the Congo", "Marshall Islands", "Solomon Islands",
})


def national_body(body: str, country: str) -> str | None:
    """The title of `country`'s `body` ("Senate", "Foreign Ministry"), or None for a body this does
    not know. `country` is the country's own title ("Nigeria", "Philippines")."""
    pattern = TITLES.get(body)
    if pattern is None:
        return None
    return pattern.format(name=country, of=f"the {country}" if country in _WITH_THE else country)
