"""What a parser says about input it refuses."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError


class InvalidInput(ValueError):
    """Input that cannot become an article. `str()` is one line a person can act on."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        self.reason = reason
        self.field = field
        super().__init__(f"{field}: {reason}" if field else reason)

    @classmethod
    def from_validation(cls, error: ValidationError) -> InvalidInput:
        """The first problem pydantic found, named by its field."""
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        return cls(first["msg"].removeprefix("Value error, "), field)


@dataclass(frozen=True)
class Rejected:
    """One refused input: where it came from, why, and its raw bytes for the dead-letter topic."""

    input: str
    reason: str
    raw: bytes
    field: str | None = None

    def __str__(self) -> str:
        where = f" (field {self.field})" if self.field else ""
        return f"{self.input}: {self.reason}{where}"
