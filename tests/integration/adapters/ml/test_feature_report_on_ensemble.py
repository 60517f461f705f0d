"""feature_report on a stacked ensemble of the real LightGBM and XGBoost adapters."""

from __future__ import annotations

import json

import numpy as np

from quantcli.adapters.ml import LightGbmEstimator, LogisticMetaLearner, XgboostEstimator
from quantcli.application.features.feature_diagnostics import feature_report
from quantcli.application.modeling.ensemble import train_stacked_ensemble
from quantcli.application.validation.purged_splits import PurgedWalkForward

ROWS = 600
NAMES = ("momentum", "momentum_smooth", "carry", "noise", "flat")


def test_report_flags_the_flat_the_redundant_and_the_useless_feature() -> None:
    rng = np.random.default_rng(7)
    momentum, carry = rng.normal(size=ROWS), rng.normal(size=ROWS)
    features = np.column_stack(
        [
            momentum,
            momentum + rng.normal(0.0, 0.1, ROWS),
            carry,
            rng.normal(size=ROWS),
            np.ones(ROWS),
        ]
    )
    features[:30, 1] = np.nan  # a warm-up
    labels = (momentum + 0.5 * carry + rng.normal(0.0, 0.3, ROWS) > 0).astype(np.float64)
    times = np.datetime64("2020-01-01", "ns") + np.arange(ROWS) * np.timedelta64(1, "D")
    result = train_stacked_ensemble(
        features,
        labels,
        times,
        times + np.timedelta64(1, "D"),
        NAMES,
        base_factories={
            "lightgbm": lambda: LightGbmEstimator(
                {"learning_rate": 0.1, "num_leaves": 7}, num_boost_round=30, seed=42, num_threads=1
            ),
            "xgboost": lambda: XgboostEstimator(
                {"max_depth": 3, "learning_rate": 0.1}, num_boost_round=30, seed=42, num_threads=1
            ),
        },
        meta_factory=LogisticMetaLearner,
        splitter=PurgedWalkForward(n_splits=3, purge_bars=1, embargo_bars=2),
    )
    ensemble = result.ensemble

    report = feature_report(
        features,
        NAMES,
        ensemble.feature_importance("gain"),
        ensemble.feature_importance("shap", features),
    )

    assert report.importances[0].name == "momentum"
    assert [d.name for d in report.dead] == ["flat"]
    (group,) = report.correlated_groups
    assert group.features == ("momentum", "momentum_smooth")
    assert group.pairs[0].rows == ROWS - 30
    actions = {r.feature: (r.action, r.reason) for r in report.recommendations}
    assert actions == {
        "flat": ("drop", "dead"),
        "momentum_smooth": ("drop", "correlated"),
        "noise": ("consider_drop", "low_importance"),
    }
    json.dumps({"features": report.as_dict(), "diversity": result.diversity.as_dict()})
    assert any("momentum_smooth" in line for line in report.format_lines())
