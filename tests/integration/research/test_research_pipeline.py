"""The whole research pipeline on the synthetic market: real features, the real stacked ensemble
(LightGBM, XGBoost, CatBoost), CPCV and the gates. It must find a planted signal and must not
find one in a random walk."""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np
import pandas as pd
import pytest

from quantcli.adapters.data import SyntheticMarket
from quantcli.application.modeling.train_ensemble import EnsembleTraining
from quantcli.entrypoints.cli import training_workflows, workflows
from quantcli.entrypoints.container import build_container
from quantcli.entrypoints.settings import load_settings

SYMBOLS = 12
DAYS = 1512  # six years of business days


def research(tmp_path: Path, bars: pd.DataFrame) -> EnsembleTraining:
    settings = load_settings()
    settings = attrs.evolve(
        settings,
        quantcli=attrs.evolve(settings.quantcli, data_dir=tmp_path),
        models=settings.models.quick(),
    )
    container = build_container(settings)
    container.bar_store().write_bars(bars)
    workflows.features(container)
    return training_workflows.train(container)


def random_walk_bars(seed: int = 5) -> pd.DataFrame:
    """Zero-drift Gaussian log returns, independent across days and symbols: nothing to find."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2016-01-04", periods=DAYS, tz="UTC")
    frames = []
    for i in range(SYMBOLS):
        close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.015, DAYS)))
        open_ = np.concatenate([[50.0], close[:-1]]) * np.exp(rng.normal(0.0, 0.003, DAYS))
        top = np.maximum(open_, close) * (1 + np.abs(rng.normal(0.0, 0.004, DAYS)))
        bottom = np.minimum(open_, close) * (1 - np.abs(rng.normal(0.0, 0.004, DAYS)))
        volume = np.round(rng.lognormal(13.0, 0.3, DAYS))
        frames.append(
            pd.DataFrame(
                {
                    "symbol": f"RW{i:02d}",
                    "timestamp": days,
                    "open": open_,
                    "high": top,
                    "low": bottom,
                    "close": close,
                    "volume": volume,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> EnsembleTraining:
    market = SyntheticMarket(n_symbols=SYMBOLS, years=6, seed=11, signal_strength=2.0)
    bars = market.fetch_bars()
    return research(tmp_path_factory.mktemp("planted"), bars)


@pytest.fixture(scope="module")
def random_walk(tmp_path_factory: pytest.TempPathFactory) -> EnsembleTraining:
    return research(tmp_path_factory.mktemp("random_walk"), random_walk_bars())


def gate(training: EnsembleTraining, name: str) -> float:
    return next(g.value for g in training.gates if g.name == name)


def test_a_planted_signal_is_found_out_of_sample(planted: EnsembleTraining) -> None:
    summary = planted.evaluation.as_dict()
    assert summary["mean_accuracy"] > 0.53
    assert summary["mean_auc"] > 0.54
    assert gate(planted, "psr") > 0.95
    assert gate(planted, "dsr") > 0.95
    assert planted.passed, [g.name for g in planted.gates if not g.passed]


def test_a_random_walk_fails_the_gates(random_walk: EnsembleTraining) -> None:
    summary = random_walk.evaluation.as_dict()
    assert abs(summary["mean_accuracy"] - 0.5) < 0.02
    assert not random_walk.passed
    assert gate(random_walk, "psr") < 0.95
