"""The container builds the ensemble members from models.yaml."""

from __future__ import annotations

import attrs

from quantcli.adapters.ml import CatboostEstimator, LogisticMetaLearner, XgboostEstimator
from quantcli.entrypoints.container import build_container
from quantcli.entrypoints.settings import Settings, load_settings


def test_members_get_the_configured_regularisation_threads_and_the_global_seed() -> None:
    container = build_container(load_settings(environ={}))

    xgb = container.xgboost_estimator()
    cat = container.catboost_estimator()

    assert isinstance(xgb, XgboostEstimator)
    assert xgb.params == {
        "learning_rate": 0.05,
        "max_depth": 4,
        "min_child_weight": 5.0,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "reg_lambda": 1.0,
    }
    assert (xgb.num_boost_round, xgb.seed, xgb.num_threads) == (150, 42, 1)
    assert isinstance(cat, CatboostEstimator)
    assert cat.params["min_data_in_leaf"] == 200
    assert cat.params["grow_policy"] == "Depthwise"
    assert (cat.iterations, cat.seed, cat.num_threads) == (150, 42, 1)
    assert isinstance(container.meta_learner(), LogisticMetaLearner)


def test_a_section_seed_overrides_the_global_seed_and_each_call_is_a_new_estimator() -> None:
    settings = Settings()
    settings = attrs.evolve(
        settings,
        models=attrs.evolve(
            settings.models, xgboost=attrs.evolve(settings.models.xgboost, seed=7, threads=2)
        ),
    )
    container = build_container(settings)

    first, second = container.xgboost_estimator(), container.xgboost_estimator()

    assert (first.seed, first.num_threads) == (7, 2)
    assert container.catboost_estimator().seed == settings.quantcli.seed
    assert first is not second
