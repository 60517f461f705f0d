"""How the CLI shows model versions: the gate table, `models show`'s summary and its JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from quantcli.application.modeling.manage_models import recorded_gates
from quantcli.application.modeling.ports import ModelVersion
from quantcli.entrypoints.cli.output import count, decimal, number, percent, ratio, seconds, table


class Gate(Protocol):
    """What a gate row shows: GateResult (just computed) or RecordedGate (from metadata)."""

    @property
    def name(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def threshold(self) -> float: ...
    @property
    def comparison(self) -> str: ...
    @property
    def passed(self) -> bool | None: ...
    @property
    def detail(self) -> str: ...


def _at_least_count(value: float) -> str:
    # MinTRL is fractional: the track record needs at least its next whole number of periods.
    return count(math.ceil(value)) if math.isfinite(value) else number(value)


# value format, threshold format; probabilities with 4 decimals, Sharpe ratios with 2,
# periods as counts, drawdowns as percentages. Unknown gates: 4 decimals.
_GATE_FORMATS: dict[str, tuple[Callable[[float], str], Callable[[float], str]]] = {
    "psr": (decimal, decimal),
    "dsr": (decimal, decimal),
    "track_record": (count, _at_least_count),
    "mean_sharpe": (ratio, ratio),
    "worst_path_sharpe": (ratio, ratio),
    "max_drawdown": (percent, percent),
}


def gate_table(gates: Iterable[Gate], *, with_detail: bool = True) -> str:
    """Gate, value, comparison, threshold, result (and detail)."""
    rows = []
    for gate in gates:
        value_text, threshold_text = _GATE_FORMATS.get(gate.name, (decimal, decimal))
        rows.append(
            (
                gate.name,
                value_text(gate.value),
                gate.comparison,
                threshold_text(gate.threshold),
                {True: "pass", False: "FAIL", None: "-"}[gate.passed],
                *((gate.detail,) if with_detail else ()),
            )
        )
    headers = ("gate", "value", "", "threshold", "result")
    return table((*headers, "detail") if with_detail else headers, rows)


def gate_summary(version: ModelVersion) -> str:
    """`5/6 passed`, or `-` without recorded gates."""
    gates = recorded_gates(version)
    if not gates:
        return "-"
    return f"{sum(g.passed is True for g in gates)}/{len(gates)} passed"


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def promotions(history: Sequence[Mapping[str, Any]], version: int) -> list[Mapping[str, Any]]:
    """The registry's promote events of `version`, oldest first."""
    return [e for e in history if e.get("event") == "promote" and e.get("version") == version]


def summary_lines(version: ModelVersion, history: Sequence[Mapping[str, Any]]) -> list[str]:
    """`models show`: what the version is, what it was trained on, how it was judged."""
    meta = version.metadata
    fields: list[tuple[str, str]] = [("created", f"{timestamp(version.created_at)} UTC")]
    promoted = promotions(history, version.version)
    if promoted:
        last = promoted[-1]
        when = _when(last.get("at"))
        forced = " (forced: gates failed)" if last.get("forced") else ""
        fields.append(("promoted", f"{when}{forced}"))
    else:
        fields.append(("promoted", "never"))
    if (data := _data_line(meta)) is not None:
        fields.append(("data", data))
    if (features := _features_line(meta)) is not None:
        fields.append(("features", features))
    if (models := _models_line(meta)) is not None:
        fields.append(("models", models))
    if (cpcv := _cpcv_line(meta.get("cpcv"))) is not None:
        fields.append(("CPCV", cpcv))
    trials = meta.get("trials")
    if isinstance(trials, Mapping) and "n_trials" in trials:
        fields.append(("tuning trials", number(trials["n_trials"])))
    training = [
        *([seconds(meta["training_seconds"])] if _is_number(meta.get("training_seconds")) else []),
        *([f"seed {meta['seed']}"] if "seed" in meta else []),
    ]
    if training:
        fields.append(("training", ", ".join(training)))
    width = max(len(label) for label, _ in fields) + 2
    lines = [f"Model {version.name} v{version.version} ({version.stage})"]
    lines += [f"  {label + ':':<{width}}{text}" for label, text in fields]
    gates = recorded_gates(version)
    if gates:
        passed = sum(g.passed is True for g in gates)
        lines.append(f"Gates: {passed} of {len(gates)} passed")
        lines.append(gate_table(gates, with_detail=False))
    return lines


def version_json(version: ModelVersion, history: Sequence[Mapping[str, Any]]) -> str:
    """Everything about the version: stage, creation, promotions and the whole metadata."""
    document = {
        "name": version.name,
        "version": version.version,
        "stage": version.stage,
        "created_at": version.created_at.isoformat(),
        "promotions": promotions(history, version.version),
        "metadata": version.metadata,
    }
    return json.dumps(_plain(document), indent=2)


def _plain(value: Any) -> Any:
    """JSON-ready: datetimes as ISO text, Decimals and non-finite floats made valid JSON."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _when(value: Any) -> str:
    try:
        return f"{timestamp(datetime.fromisoformat(str(value)))} UTC"
    except ValueError:
        return str(value)


def _day(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return str(value)[:10]


def _data_line(meta: Mapping[str, Any]) -> str | None:
    data_range = meta.get("data_range")
    if not isinstance(data_range, Mapping):
        return None
    start = data_range.get("from", data_range.get("start"))
    end = data_range.get("until", data_range.get("end"))
    parts = [f"{_day(start)} to {_day(end)}"] if start is not None and end is not None else []
    if _is_number(data_range.get("rows")):
        parts.append(f"{count(data_range['rows'])} rows")
    symbols = data_range.get("symbols")
    if isinstance(symbols, list | tuple):
        parts.append(f"{count(len(symbols))} symbol(s)")
    if isinstance(meta.get("data_hash"), str):
        parts.append(f"data hash {_short_hash(meta['data_hash'])}")
    return ", ".join(parts) or None


def _features_line(meta: Mapping[str, Any]) -> str | None:
    features = meta.get("features")
    names = features.get("feature_names") if isinstance(features, Mapping) else None
    digest = meta.get("feature_definition_hash", meta.get("feature_hash"))
    parts = [count(len(names))] if isinstance(names, list | tuple) else []
    if isinstance(digest, str):
        parts.append(f"definition hash {_short_hash(digest)}")
    return ", ".join(parts) or None


def _models_line(meta: Mapping[str, Any]) -> str | None:
    bases = meta.get("base_models")
    if not isinstance(bases, list | tuple):
        return None
    parameters = meta.get("parameters")
    ensemble = parameters.get("ensemble") if isinstance(parameters, Mapping) else None
    meta_learner = ensemble.get("meta_learner") if isinstance(ensemble, Mapping) else None
    under = f" under a {meta_learner} meta-learner" if meta_learner else ""
    return f"{', '.join(map(str, bases))}{under}"


def _cpcv_line(cpcv: Any) -> str | None:
    if not isinstance(cpcv, Mapping):
        return None
    parts = []
    if _is_number(cpcv.get("n_folds")) and _is_number(cpcv.get("n_test_folds")):
        parts.append(f"{cpcv['n_folds']} folds, {cpcv['n_test_folds']} tested")
    if _is_number(cpcv.get("n_splits")) and _is_number(cpcv.get("n_paths")):
        parts.append(f"{count(cpcv['n_splits'])} splits, {count(cpcv['n_paths'])} paths")
    scores = [
        f"{label} {decimal(cpcv[key])}"
        for label, key in (("accuracy", "mean_accuracy"), ("AUC", "mean_auc"))
        if _is_number(cpcv.get(key))
    ]
    sharpes = cpcv.get("path_sharpe")
    if isinstance(sharpes, list | tuple) and sharpes and all(map(_is_number, sharpes)):
        scores.append(
            f"path Sharpe {ratio(min(sharpes))} .. {ratio(max(sharpes))}"
            + (
                f" (mean {ratio(cpcv['mean_sharpe'])})"
                if _is_number(cpcv.get("mean_sharpe"))
                else ""
            )
        )
    text = "; ".join(filter(None, [", ".join(parts), ", ".join(scores)]))
    return text or None


def _short_hash(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]
