"""Fixtures for the feature tests: the numpy references and a small random bar frame."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def reference() -> ModuleType:
    """reference.py, loaded by path: under --import-mode=importlib tests cannot import siblings."""
    path = Path(__file__).with_name("reference.py")
    spec = importlib.util.spec_from_file_location("quantcli_feature_reference", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def random_bars(
    n: int, seed: int = 11, symbol: str = "AAA", start: str = "2024-01-01"
) -> pd.DataFrame:
    """A valid daily bar frame: a random walk with gaps, wicks and varying volume."""
    rng = np.random.default_rng(seed)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    previous = np.concatenate(([50.0], close[:-1]))
    opens = previous * np.exp(rng.normal(0, 0.005, n))
    high = np.maximum(opens, close) * (1 + rng.uniform(0.001, 0.02, n))
    low = np.minimum(opens, close) * (1 - rng.uniform(0.001, 0.02, n))
    volume = rng.integers(1_000, 5_000, n).astype(np.float64)
    return pd.DataFrame(
        {
            "symbol": symbol,
            "timestamp": pd.date_range(start, periods=n, freq="D", tz="UTC"),
            "open": opens,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
        }
    )


@pytest.fixture
def bars() -> pd.DataFrame:
    return random_bars(120)


@pytest.fixture(scope="session")
def make_bars() -> object:
    """random_bars(n, seed=11, symbol="AAA", start="2024-01-01") for tests that need their own."""
    return random_bars
