"""feature_report: importance shares, dead features, correlated groups, recommendations."""

from __future__ import annotations

import json
from types import ModuleType

import numpy as np
import pytest

from quantcli.application.common.ports import FloatArray
from quantcli.application.features.feature_diagnostics import FeatureReport, feature_report
from quantcli.application.modeling.ensemble import train_stacked_ensemble
from quantcli.application.validation.purged_splits import PurgedWalkForward
from quantcli.domain.errors import ValidationError

ROWS = 60
NAMES = ("const", "near_const", "p1", "p2", "q1", "q2", "a", "b", "c", "noise")
RHO_P = 0.95
RHO_Q = -0.97
CHAIN = 0.95  # rho(a, b) = rho(b, c); rho(a, c) = 2 × 0.95² - 1 = 0.805, below 0.9
# SHAP: p2 beats p1, q1 beats q2, c leads the chain, noise is far below 0.2 / 10 = 2%.
SHAP = np.array([0.0, 0.0, 0.05, 0.20, 0.25, 0.10, 0.04, 0.06, 0.29, 0.01])
GAIN = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])


def orthonormal(rows: int, count: int, seed: int = 3) -> FloatArray:
    """`count` centred, unit-length, mutually orthogonal columns: exact sample correlations."""
    rng = np.random.default_rng(seed)
    raw = rng.normal(size=(rows, count))
    q, _ = np.linalg.qr(raw - raw.mean(axis=0))
    return q


def planted_matrix() -> FloatArray:
    e = orthonormal(ROWS, 7)
    theta = np.arccos(CHAIN)
    near_const = 1.0 + 1e-4 * np.where(np.arange(ROWS) % 2 == 0, 1.0, -1.0)  # variance 1e-8
    columns = [
        np.full(ROWS, 3.0),
        near_const,
        e[:, 0],
        RHO_P * e[:, 0] + np.sqrt(1 - RHO_P**2) * e[:, 1],
        e[:, 2],
        RHO_Q * e[:, 2] + np.sqrt(1 - RHO_Q**2) * e[:, 3],
        e[:, 4],
        np.cos(theta) * e[:, 4] + np.sin(theta) * e[:, 5],
        np.cos(2 * theta) * e[:, 4] + np.sin(2 * theta) * e[:, 5],
        e[:, 6],
    ]
    # Scales and offsets of their own (the first two stay as built): correlation ignores them.
    scales = np.array([1.0, 1.0, 10.0, 0.1, 5.0, 2.0, 100.0, 1.0, 3.0, 7.0])
    offsets = np.array([0.0, 0.0, 50.0, -3.0, 1e4, 0.0, -20.0, 5.0, 0.5, 1.0])
    return np.column_stack(columns) * scales + offsets


def report(matrix: FloatArray | None = None, **kwargs: object) -> FeatureReport:
    x = planted_matrix() if matrix is None else matrix
    return feature_report(x, NAMES, GAIN, SHAP, **kwargs)  # type: ignore[arg-type]


def group_of(result: FeatureReport, name: str) -> tuple[str, ...]:
    for group in result.correlated_groups:
        if name in group.features:
            return group.features
    return ()


def recommendation(result: FeatureReport, name: str) -> tuple[str, str, str | None]:
    (entry,) = [r for r in result.recommendations if r.feature == name]
    return entry.action, entry.reason, entry.kept


# --- importance table ---------------------------------------------------------------------


def test_importance_shares_sum_to_one_and_rank_follows_shap() -> None:
    result = report()

    assert sum(entry.shap_share for entry in result.importances) == pytest.approx(1.0)
    assert sum(entry.gain_share for entry in result.importances) == pytest.approx(1.0)
    assert [entry.name for entry in result.importances[:3]] == ["c", "q1", "p2"]
    assert [entry.rank for entry in result.importances] == list(range(1, 11))
    assert result.importance("p2").shap_share == pytest.approx(0.20)
    assert result.importance("p2").gain_share == pytest.approx(3.0 / 45.0)


def test_unnormalised_importances_are_turned_into_shares() -> None:
    result = feature_report(
        planted_matrix()[:, 2:4], ["p1", "p2"], np.array([30.0, 10.0]), np.array([2.0, 6.0])
    )

    assert result.importance("p1").gain_share == pytest.approx(0.75)
    assert result.importance("p2").shap_share == pytest.approx(0.75)


def test_equal_shap_shares_are_ranked_by_gain_then_column_order() -> None:
    x = orthonormal(ROWS, 3)

    result = feature_report(x, ["x", "y", "z"], np.array([1.0, 2.0, 1.0]), np.ones(3))

    assert [entry.name for entry in result.importances] == ["y", "x", "z"]


# --- dead features ------------------------------------------------------------------------


def test_constant_and_near_constant_columns_are_dead() -> None:
    result = report()

    assert [(d.name, d.kind) for d in result.dead] == [
        ("const", "constant"),
        ("near_const", "low_variance"),
    ]
    assert result.dead[1].variance == pytest.approx(1e-8, rel=1e-6)
    assert recommendation(result, "const") == ("drop", "dead", None)
    assert recommendation(result, "near_const") == ("drop", "dead", None)


def test_a_threshold_below_the_variance_keeps_the_near_constant_column_alive() -> None:
    result = report(dead_variance=1e-9)

    assert [d.name for d in result.dead] == ["const"]


def test_all_nan_columns_and_columns_constant_apart_from_nan_are_dead() -> None:
    x = planted_matrix()
    x[:, 0] = np.nan
    x[::3, 0] = np.inf  # infinite counts as missing
    x[:, 1] = 7.0
    x[::2, 1] = np.nan

    result = report(x)

    assert [(d.name, d.kind, d.finite_rows) for d in result.dead] == [
        ("const", "all_nan", 0),
        ("near_const", "constant", ROWS // 2),
    ]
    assert np.isnan(result.dead[0].variance)


def test_nan_does_not_make_a_varying_column_dead() -> None:
    x = planted_matrix()
    x[: ROWS // 2, 9] = np.nan

    result = report(x)

    assert "noise" not in {d.name for d in result.dead}


# --- correlated groups ----------------------------------------------------------------------


def test_pairs_above_the_threshold_form_groups_of_either_sign() -> None:
    result = report()
    x = planted_matrix()

    (p_pair,) = next(g for g in result.correlated_groups if "p1" in g.features).pairs
    (q_pair,) = next(g for g in result.correlated_groups if "q1" in g.features).pairs

    assert p_pair.correlation == pytest.approx(RHO_P, abs=1e-12)
    assert q_pair.correlation == pytest.approx(RHO_Q, abs=1e-12)
    assert q_pair.correlation == pytest.approx(np.corrcoef(x[:, 4], x[:, 5])[0, 1], abs=1e-12)
    assert p_pair.rows == ROWS
    assert group_of(result, "noise") == ()


def test_a_chain_links_three_features_through_the_middle_one() -> None:
    result = report()
    (chain,) = [g for g in result.correlated_groups if "a" in g.features]

    assert set(chain.features) == {"a", "b", "c"}
    assert {(p.first, p.second) for p in chain.pairs} == {("a", "b"), ("b", "c")}
    assert np.corrcoef(planted_matrix()[:, [6, 8]].T)[0, 1] == pytest.approx(0.805)


def test_groups_are_ordered_by_their_most_important_feature() -> None:
    result = report()

    assert [g.features for g in result.correlated_groups] == [
        ("c", "b", "a"),
        ("q1", "q2"),
        ("p2", "p1"),
    ]
    assert [g.kept for g in result.correlated_groups] == ["c", "q1", "p2"]


def test_the_threshold_is_strict_and_configurable() -> None:
    assert group_of(report(correlation_threshold=0.95), "p1") == ()
    assert set(group_of(report(correlation_threshold=0.8), "a")) == {"a", "b", "c"}
    assert len(report(correlation_threshold=0.8).correlated_groups[0].pairs) == 3


def test_nan_rows_are_skipped_pair_by_pair() -> None:
    x = planted_matrix()
    x[:20, 2] = np.nan  # p1: a long warm-up
    x[40:45, 3] = np.nan  # p2
    x[50:, 5] = np.nan  # q2
    x[10, 7] = np.inf  # b

    result = report(x)

    (p_pair,) = next(g for g in result.correlated_groups if "p1" in g.features).pairs
    both = np.isfinite(x[:, 2]) & np.isfinite(x[:, 3])
    assert p_pair.rows == ROWS - 25
    assert p_pair.correlation == pytest.approx(np.corrcoef(x[both, 2], x[both, 3])[0, 1], abs=1e-12)
    # p1's warm-up does not cost the other pairs their rows.
    (q_pair,) = next(g for g in result.correlated_groups if "q1" in g.features).pairs
    assert q_pair.rows == 50
    assert set(group_of(result, "a")) == {"a", "b", "c"}


def test_a_pair_with_too_few_complete_rows_is_not_linked() -> None:
    x = planted_matrix()
    x[:52, 2] = np.nan  # p1 and p2 share 8 rows

    assert group_of(report(x), "p1") == ()
    assert set(group_of(report(x, min_overlap=5), "p1")) == {"p1", "p2"}


def test_a_column_constant_on_the_shared_rows_has_no_correlation() -> None:
    x = orthonormal(ROWS, 2)
    x[:30, 1] = np.nan
    x[30:, 0] = 1.0  # varies, but only where the other is missing

    result = feature_report(x, ["x", "y"], np.ones(2), np.ones(2))

    assert result.correlated_groups == ()


# --- recommendations ----------------------------------------------------------------------


def test_each_pair_keeps_its_more_important_feature() -> None:
    result = report()

    assert recommendation(result, "p1") == ("drop", "correlated", "p2")
    assert recommendation(result, "q2") == ("drop", "correlated", "q1")
    assert not [r for r in result.recommendations if r.feature in {"p2", "q1"}]
    message = next(r.message for r in result.recommendations if r.feature == "p1")
    assert "'p2'" in message
    assert "+0.950" in message


def test_the_chain_keeps_its_most_important_and_drops_the_rest() -> None:
    result = report()

    assert recommendation(result, "a") == ("drop", "correlated", "c")
    assert recommendation(result, "b") == ("drop", "correlated", "c")
    # a is linked to c only through b: its message names the link it has.
    message = next(r.message for r in result.recommendations if r.feature == "a")
    assert "correlated with 'b'" in message
    assert "keep 'c'" in message


def test_features_with_a_tiny_shap_share_are_candidates_to_drop() -> None:
    result = report()

    assert result.low_importance_share == pytest.approx(0.02)
    assert recommendation(result, "noise") == ("consider_drop", "low_importance", None)
    # Dead features with no SHAP get one recommendation, not two.
    assert [r.feature for r in result.recommendations].count("const") == 1
    assert sorted(result.to_drop) == ["a", "b", "const", "near_const", "p1", "q2"]


def test_no_low_importance_flags_when_shap_is_all_zero() -> None:
    x = orthonormal(ROWS, 3)

    result = feature_report(x, ["x", "y", "z"], np.ones(3), np.zeros(3))

    assert result.recommendations == ()
    assert all(entry.shap_share == 0.0 for entry in result.importances)


def test_never_recommends_dropping_every_feature() -> None:
    x = np.column_stack([np.full(ROWS, 1.0), np.full(ROWS, 2.0)])

    result = feature_report(x, ["x", "y"], np.array([1.0, 2.0]), np.array([1.0, 3.0]))

    assert [r.feature for r in result.recommendations] == ["x"]
    assert len(result.warnings) == 1
    assert "'y'" in result.warnings[0]


def test_the_feature_spared_from_dropping_all_is_a_live_one() -> None:
    x = np.column_stack([np.full(ROWS, 1.0), orthonormal(ROWS, 1)[:, 0]])

    # SHAP all on the dead column: the live one is flagged as unimportant.
    result = feature_report(x, ["dead", "live"], np.ones(2), np.array([1.0, 0.0]))

    assert [r.feature for r in result.recommendations] == ["dead"]
    assert "'live'" in result.warnings[0]


# --- output ---------------------------------------------------------------------------------


def test_as_dict_is_plain_json() -> None:
    x = planted_matrix()
    x[:, 0] = np.nan

    data = report(x).as_dict()

    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["dead"][0] == {
        "name": "const",
        "kind": "all_nan",
        "variance": None,
        "finite_rows": 0,
    }
    assert data["importances"][0] == {
        "name": "c",
        "gain_share": pytest.approx(8 / 45),
        "shap_share": pytest.approx(0.29),
        "rank": 1,
    }
    assert data["correlated_groups"][0]["kept"] == "c"
    assert data["correlation_rows"] == "pairwise_complete"
    assert {r["action"] for r in data["recommendations"]} == {"drop", "consider_drop"}


def test_format_lines_show_the_top_features_and_every_recommendation() -> None:
    result = report(top=3)

    lines = result.format_lines()

    assert lines[0].startswith("Features: 10 over 60 rows; 2 dead, 3 correlated group(s)")
    assert lines[2].split() == ["1", "c", "29.0%", "17.8%"]
    assert lines[5] == "  ... 7 more feature(s)"
    assert lines[6] == "Recommendations:"
    assert len(lines) == 7 + len(result.recommendations)
    assert all(line.startswith("  - ") for line in lines[7:])


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("matrix", "names", "gain", "shap", "named"),
    [
        (np.zeros(4), ["a"] * 4, np.ones(4), np.ones(4), "matrix must be 2-D"),
        (np.zeros((2, 2, 2)), ["a", "b"], np.ones(2), np.ones(2), "matrix must be 2-D"),
        (np.zeros((0, 2)), ["a", "b"], np.ones(2), np.ones(2), "matrix has shape"),
        (np.zeros((3, 2)), ["a", "b", "c"], np.ones(2), np.ones(2), "feature_names has 3"),
        (np.zeros((3, 2)), ["a", "a"], np.ones(2), np.ones(2), "feature_names repeats"),
        (np.zeros((3, 2)), ["a", "b"], np.ones(3), np.ones(2), "gain has shape"),
        (np.zeros((3, 2)), ["a", "b"], np.ones(2), np.ones((2, 1)), "shap has shape"),
        (np.zeros((3, 2)), ["a", "b"], np.array([1.0, -0.1]), np.ones(2), r"gain .*\['b'\]"),
        (np.zeros((3, 2)), ["a", "b"], np.ones(2), np.array([-1.0, 1.0]), r"shap .*\['a'\]"),
        (np.zeros((3, 2)), ["a", "b"], np.ones(2), np.array([np.nan, 1.0]), r"shap .*\['a'\]"),
    ],
)
def test_bad_input_is_a_validation_error_naming_it(
    matrix: FloatArray, names: list[str], gain: FloatArray, shap: FloatArray, named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        feature_report(matrix, names, gain, shap)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("dead_variance", -1.0),
        ("correlation_threshold", 1.5),
        ("low_importance_fraction", -0.1),
        ("min_overlap", 1),
        ("top", 0),
    ],
)
def test_bad_settings_are_validation_errors_naming_them(setting: str, value: float) -> None:
    with pytest.raises(ValidationError, match=setting):
        report(**{setting: value})


# --- on a trained ensemble -------------------------------------------------------------------


def test_report_on_a_trained_stacked_ensemble(fakes: ModuleType) -> None:
    rng = np.random.default_rng(5)
    rows = 120
    signal = rng.normal(size=rows)
    features = np.column_stack(
        [signal, signal + rng.normal(0.0, 0.05, rows), rng.normal(size=rows), np.zeros(rows)]
    )
    names = ("return_1", "return_1_copy", "volume_z", "flat")
    labels = (signal + rng.normal(0.0, 0.5, rows) > 0).astype(np.float64)
    times = np.datetime64("2024-01-01", "ns") + np.arange(rows) * np.timedelta64(1, "D")
    result = train_stacked_ensemble(
        features,
        labels,
        times,
        times + np.timedelta64(1, "D"),
        names,
        base_factories={
            "signal": fakes.FakeEstimatorFactory("return_1"),
            "volume": fakes.FakeEstimatorFactory("volume_z", scale=0.1),
        },
        meta_factory=fakes.FakeEstimatorFactory("signal"),
        splitter=PurgedWalkForward(n_splits=3, purge_bars=1, embargo_bars=1),
    )
    ensemble = result.ensemble

    report_ = feature_report(
        features,
        names,
        ensemble.feature_importance("gain"),
        ensemble.feature_importance("shap", features),
    )

    assert report_.importances[0].name == "return_1"
    assert [d.name for d in report_.dead] == ["flat"]
    assert report_.correlated_groups[0].features == ("return_1", "return_1_copy")
    assert recommendation(report_, "return_1_copy") == ("drop", "correlated", "return_1")
    assert recommendation(report_, "volume_z") == ("consider_drop", "low_importance", None)
    assert "return_1" not in {r.feature for r in report_.recommendations}
    json.dumps({"features": report_.as_dict(), "diversity": result.diversity.as_dict()})
