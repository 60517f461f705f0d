"""A feature definition: what one feature is, what it reads and how it is computed for a symbol."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Any

import attrs
import numpy as np
import pandas as pd

from quantcli.application.common.ports import FloatArray
from quantcli.domain.errors import ValidationError

BAR_INPUTS = ("timestamp", "open", "high", "low", "close", "volume")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class FeatureFamily(StrEnum):
    PRICE = "price"
    VOLUME = "volume"
    TIME = "time"
    TECHNICAL = "technical"
    STATIONARY = "stationary"
    CROSS_SECTIONAL = "cross_sectional"


class CrossSection(StrEnum):
    """What happens across symbols at each timestamp after the per-symbol pass."""

    RANK = "rank"  # the per-symbol value's rank among the symbols, scaled to [0, 1]


@attrs.frozen(eq=False)
class SymbolBars:
    """One symbol's bars, oldest first, as float64 arrays and UTC timestamps."""

    timestamps: pd.DatetimeIndex
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    @classmethod
    def from_frame(cls, bars: pd.DataFrame) -> SymbolBars:
        """From a bar frame of one symbol sorted by timestamp."""

        def column(name: str) -> FloatArray:
            return np.ascontiguousarray(bars[name].to_numpy(dtype=np.float64))

        return cls(
            timestamps=pd.DatetimeIndex(bars["timestamp"]),
            open=column("open"),
            high=column("high"),
            low=column("low"),
            close=column("close"),
            volume=column("volume"),
        )

    def __len__(self) -> int:
        return len(self.close)


SymbolCompute = Callable[[SymbolBars], FloatArray]


def _as_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _as_dict(values: Mapping[str, Any]) -> dict[str, Any]:
    return dict(values)


def _check_name(_instance: Any, _attribute: Any, name: str) -> None:
    if not _NAME.match(name):
        raise ValidationError(f"feature name {name!r}: use lower-case letters, digits and _")


def _check_inputs(_instance: Any, _attribute: Any, inputs: tuple[str, ...]) -> None:
    unknown = [column for column in inputs if column not in BAR_INPUTS]
    if not inputs or unknown:
        raise ValidationError(
            f"feature inputs {inputs!r}: expected bar columns among {', '.join(BAR_INPUTS)}"
        )


def _check_non_negative(_instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if value < 0:
        raise ValidationError(f"feature {attribute.name} {value} is negative")


@attrs.frozen(eq=False)
class FeatureDefinition:
    """One feature: identity, what it reads and how far back, and its per-symbol computation.

    `lookback` is the number of earlier bars the value needs: the first defined value is at
    position `lookback` of a symbol's history (TA-Lib's convention). `compute` returns one float
    per bar, NaN where undefined, and must read bars up to t only for the value at t. With a
    `cross_section`, the per-symbol values are turned into ranks across symbols per timestamp.
    """

    name: str = attrs.field(validator=_check_name)
    version: int = attrs.field(validator=_check_non_negative)
    family: FeatureFamily = attrs.field(converter=FeatureFamily)
    inputs: tuple[str, ...] = attrs.field(converter=_as_tuple, validator=_check_inputs)
    lookback: int = attrs.field(validator=_check_non_negative)
    compute: SymbolCompute = attrs.field(repr=False)
    params: Mapping[str, Any] = attrs.field(factory=dict, converter=_as_dict)
    cross_section: CrossSection | None = None

    def describe(self) -> dict[str, Any]:
        """The definition as JSON values: what the definition hash and model metadata store."""
        described: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "family": self.family.value,
            "inputs": list(self.inputs),
            "lookback": self.lookback,
            "params": _json_values(self.params),
        }
        if self.cross_section is not None:
            described["cross_section"] = self.cross_section.value
        return described

    def values(self, bars: SymbolBars) -> FloatArray:
        """The feature over `bars`: all NaN when the history is too short for one value."""
        n = len(bars)
        if n <= self.lookback:
            return np.full(n, np.nan)
        result = np.asarray(self.compute(bars), dtype=np.float64)
        if result.shape != (n,):
            raise ValidationError(
                f"feature {self.name}: compute returned shape {result.shape} for {n} bars"
            )
        return result


def _json_values(value: Any) -> Any:
    """Tuples to lists and mappings to dicts, recursively, so JSON sees plain values."""
    if isinstance(value, Mapping):
        return {str(key): _json_values(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_json_values(item) for item in value]
    return value


FamilyMember = Callable[
    [str, tuple[str, ...], int, Mapping[str, float], SymbolCompute], FeatureDefinition
]


def family_member(family: FeatureFamily) -> FamilyMember:
    """A constructor of version-1 definitions of `family` from (name, inputs, lookback, params,
    compute): the shape the registry modules list their features in."""

    def define(
        name: str,
        inputs: tuple[str, ...],
        lookback: int,
        params: Mapping[str, float],
        compute: SymbolCompute,
    ) -> FeatureDefinition:
        return FeatureDefinition(
            name=name,
            version=1,
            family=family,
            inputs=inputs,
            lookback=lookback,
            params=params,
            compute=compute,
        )

    return define
