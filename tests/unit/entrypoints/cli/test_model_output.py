"""The gate table's per-gate formats and `models show`'s summary and JSON."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal

from quantcli.application.modeling.manage_models import RecordedGate
from quantcli.application.modeling.ports import ModelVersion
from quantcli.application.validation.validation_gates import GateResult
from quantcli.entrypoints.cli.model_output import gate_table, summary_lines, version_json

CREATED = datetime(2024, 5, 17, 14, 30, tzinfo=UTC)


def gate(name: str, value: float, threshold: float, passed: bool = True) -> GateResult:
    return GateResult(name, value, threshold, ">=", passed, "detail")


def test_each_gate_prints_in_the_format_of_its_kind() -> None:
    rendered = gate_table(
        [
            gate("psr", 0.9780278192222216, 0.95),
            gate("track_record", 1896.0, 1264.2140797822158),
            gate("mean_sharpe", 0.49076775378263976, 1.0, passed=False),
            gate("max_drawdown", -0.18526956699814628, -0.25),
            gate("custom", 908.0, math.inf),
        ],
        with_detail=False,
    )

    assert [line.split() for line in rendered.splitlines()[2:]] == [
        ["psr", "0.9780", ">=", "0.9500", "pass"],
        ["track_record", "1,896", ">=", "1,265", "pass"],
        ["mean_sharpe", "0.49", ">=", "1.00", "FAIL"],
        ["max_drawdown", "-18.53%", ">=", "-25.00%", "pass"],
        ["custom", "908.0000", ">=", "inf", "pass"],
    ]


def test_a_recorded_gate_of_unknown_outcome_shows_dashes() -> None:
    rendered = gate_table([RecordedGate("legacy", math.nan, math.nan, "", None)])

    assert rendered.splitlines()[2].split() == ["legacy", "n/a", "n/a", "-"]


def test_the_summary_shows_what_metadata_there_is_and_no_raw_floats() -> None:
    version = ModelVersion(
        "m",
        3,
        CREATED,
        "candidate",
        {"training_seconds": 117.19104286700002, "data_range": {"rows": 37920}},
    )

    lines = summary_lines(version, history=())

    assert lines == [
        "Model m v3 (candidate)",
        "  created:  2024-05-17 14:30:00 UTC",
        "  promoted: never",
        "  data:     37,920 rows",
        "  training: 117.2 s",
    ]


def test_the_json_holds_everything_as_valid_json() -> None:
    metadata = {"when": CREATED, "fee": Decimal("0.0005"), "sharpe": math.nan, "paths": (1, 2)}
    history = ({"event": "promote", "version": 3, "forced": True, "at": "2024-05-18T00:00:00"},)
    version = ModelVersion("m", 3, CREATED, "production", metadata)

    document = json.loads(version_json(version, history))

    assert document == {
        "name": "m",
        "version": 3,
        "stage": "production",
        "created_at": "2024-05-17T14:30:00+00:00",
        "promotions": [dict(history[0])],
        "metadata": {
            "when": "2024-05-17T14:30:00+00:00",
            "fee": "0.0005",
            "sharpe": None,
            "paths": [1, 2],
        },
    }
