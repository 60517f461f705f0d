"""Helpers that write override config files into tmp_path."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from quantcli.entrypoints.settings import loader

WriteYaml = Callable[[Path, str], Path]


@pytest.fixture
def write_yaml() -> WriteYaml:
    """Write dedented YAML to a file (creating folders) and return its path."""

    def write(path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def default_config_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of config/ in tmp_path used as the defaults, with tmp_path as working directory."""
    copy = tmp_path / "config"
    shutil.copytree(loader.DEFAULT_CONFIG_DIR, copy)
    monkeypatch.setattr(loader, "DEFAULT_CONFIG_DIR", copy)
    monkeypatch.chdir(tmp_path)
    return copy
