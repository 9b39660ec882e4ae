"""The project is self-contained: its config and samples ship with it, nothing reads outside the repo."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib.metadata import version

from setuptools import find_packages
from typer.testing import CliRunner

from pipeline.bundled import CONFIG_DIR, SAMPLES_DIR
from pipeline.cli import app
from pipeline.settings import REPO_ROOT


def test_config_and_samples_are_found_without_a_checkout_layout() -> None:
    assert (CONFIG_DIR / "settings.toml").is_file()
    assert (CONFIG_DIR / "elasticsearch" / "articles-template.json").is_file()
    assert len(list(SAMPLES_DIR.glob("*.txt"))) == 6


def test_every_code_package_and_the_data_packages_are_in_the_wheel() -> None:
    listed = set(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    code = set(find_packages(where=str(REPO_ROOT), include=["pipeline*", "schemas*"]))
    assert listed == code | {"wirestream_config", "wirestream_samples"}


def test_every_tracked_config_file_and_page_asset_is_package_data() -> None:
    setuptools = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    tracked = subprocess.run(["git", "ls-files", "config", "pipeline/newsroom/static"], cwd=REPO_ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    shipped = set()
    for package, patterns in setuptools["package-data"].items():
        folder = REPO_ROOT / setuptools["package-dir"].get(package, package.replace(".", "/"))
        shipped |= {str(path.relative_to(REPO_ROOT)) for pattern in patterns for path in folder.glob(pattern)}
    assert tracked and sorted(set(tracked) - shipped) == []


def test_config_dir_can_be_overridden(tmp_path) -> None:
    env = {**os.environ, "WIRESTREAM_CONFIG_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", "from pipeline.bundled import CONFIG_DIR; print(CONFIG_DIR)"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert out == str(tmp_path)


def test_nothing_tracked_reads_outside_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    outside = "/".join(["..", "shared"])  # not written whole, so this file does not find itself
    offenders = []
    for name in tracked.split():
        path = REPO_ROOT / name
        if path.suffix in {".py", ".yml", ".yaml", ".toml", ".md", ".json", ""} and path.is_file():
            if outside in path.read_text(encoding="utf-8", errors="replace"):
                offenders.append(name)
    assert offenders == []


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"wirestream {version('wirestream')}"
