"""Fixtures for the use-case tests: the in-memory fakes of the ports (see fakes.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture(scope="session")
def fakes() -> ModuleType:
    """fakes.py, loaded by path: under --import-mode=importlib tests cannot import siblings."""
    path = Path(__file__).with_name("fakes.py")
    spec = importlib.util.spec_from_file_location("quantcli_application_fakes", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
