"""The entity gazetteer: known entities, titles and ignored words, read from `config/`.

`config/gazetteer.yaml` is read first, then every `config/gazetteer.d/*.yaml` in name order, so a
newsroom extends it by adding a file rather than editing code.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from schemas import EntityType


class GazetteerError(ValueError):
    """A gazetteer file that cannot be used, with the file and the problem in one line."""


class KnownEntity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="The canonical name every alias maps to.")
    type: EntityType
    aliases: tuple[str, ...] = ()
    wikidata: str | None = Field(None, pattern=r"^Q\d+$")
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, for places.")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_coordinates(self) -> KnownEntity:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class Gazetteer(BaseModel):
    """Entities by canonical name, plus the titles and words that are never entities."""

    model_config = ConfigDict(extra="forbid")

    entities: list[KnownEntity] = []
    titles: list[str] = []
    ignore: list[str] = []
    _canonical: dict[tuple[EntityType, str], str] | None = PrivateAttr(None)
    _folded: dict[str, KnownEntity] | None = PrivateAttr(None)

    def merged(self, other: Gazetteer) -> Gazetteer:
        """This gazetteer extended by `other`; its entries replace same-named ones here."""
        by_name = {entity.name: entity for entity in self.entities}
        by_name.update({entity.name: entity for entity in other.entities})
        return Gazetteer(
            entities=list(by_name.values()),
            titles=_unique([*self.titles, *other.titles]),
            ignore=_unique([*self.ignore, *other.ignore]),
        )

    def by_form(self) -> dict[str, KnownEntity]:
        """Every name and alias -> its entity."""
        return {form: entity for entity in self.entities for form in entity.forms}

    def by_name(self) -> dict[str, KnownEntity]:
        return {entity.name: entity for entity in self.entities}

    def forms_folded(self) -> dict[str, KnownEntity]:
        """Every name and alias, case-folded -> its entity (people, organisations and places only)."""
        if self._folded is None:
            self._folded = {form.casefold(): e for e in self.entities if e.type is not EntityType.GROUP for form in e.forms}
        return self._folded

    def canonical(self, kind: EntityType, name: str) -> str:
        """The canonical name of `name` (any alias, any case) as an entity of `kind`; unknown names stay."""
        if self._canonical is None:
            self._canonical = {(e.type, form.casefold()): e.name for e in self.entities for form in e.forms}
        return self._canonical.get((kind, name.casefold()), name)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def gazetteer_files(config_dir: Path) -> list[Path]:
    """The main file, the entity lists in `entities/` (organisations, people, places under their
    English Wikipedia titles), then a newsroom's extensions in `gazetteer.d/`, in the order they apply."""
    main = config_dir / "gazetteer.yaml"
    known = sorted((config_dir / "entities").glob("*.yaml"))
    extra = sorted((config_dir / "gazetteer.d").glob("*.yaml")) + sorted((config_dir / "gazetteer.d").glob("*.yml"))
    return [path for path in [main, *known, *extra] if path.is_file()]


def load_gazetteer(paths: Iterable[Path]) -> Gazetteer:
    """Read and merge gazetteer files; a bad file raises `GazetteerError` naming it."""
    gazetteer = Gazetteer()
    for path in paths:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            gazetteer = gazetteer.merged(Gazetteer.model_validate(data))
        except (OSError, yaml.YAMLError) as error:
            raise GazetteerError(f"{path}: cannot read: {error}") from error
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            # YAML 1.1 reads an unquoted NO (Norway), ON or YES as a boolean.
            hint = " (quote it: YAML reads NO, ON, YES unquoted as true/false)" if isinstance(first["input"], bool) else ""
            raise GazetteerError(f"{path}: {where}: {first['msg']}{hint}") from error
    return gazetteer
