"""Fixtures for the simulator tests: the plain-Python reference loop, loaded by path."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture(scope="session")
def sim_reference() -> ModuleType:
    """reference_simulator.py; under --import-mode=importlib tests cannot import siblings."""
    path = Path(__file__).with_name("reference_simulator.py")
    spec = importlib.util.spec_from_file_location("quantcli_simulator_reference", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
