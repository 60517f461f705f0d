"""Fixtures for the kernel tests: the reference implementations they are held against."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture(scope="session")
def reference() -> ModuleType:
    """reference.py, loaded by path: under --import-mode=importlib tests cannot import siblings."""
    path = Path(__file__).with_name("reference.py")
    spec = importlib.util.spec_from_file_location("quantcli_kernels_reference", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
