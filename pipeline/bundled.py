"""Files that ship with Wirestream: its default configuration and the sample stories.

In a checkout they are the repository's `config/` and `samples/`; in an installed wheel the same
folders are packaged as `wirestream_config` and `wirestream_samples`. `WIRESTREAM_CONFIG_DIR`
points at a configuration folder of your own instead (a copy of `config/` to edit).
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path


def _packaged(package: str) -> Path:
    # Data-only folders are namespace packages (no __init__.py): their first search location is the folder.
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{package} is not installed: reinstall wirestream (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations)))


def config_dir() -> Path:
    """`WIRESTREAM_CONFIG_DIR` when set, else the bundled defaults."""
    override = os.environ.get("WIRESTREAM_CONFIG_DIR")
    return Path(override) if override else _packaged("wirestream_config")


CONFIG_DIR = config_dir()
#: Six real Voice of America stories (public domain), in the plain wire format.
SAMPLES_DIR = _packaged("wirestream_samples")
