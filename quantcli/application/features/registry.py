"""The feature registry: every feature definition a configuration builds, by name."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from quantcli.application.features.cross_sectional import RANK_PREFIX, rank_feature
from quantcli.application.features.definition import FeatureDefinition
from quantcli.application.features.parameters import (
    CALENDAR_FEATURES,
    FAMILIES,
    INTRADAY_FEATURES,
    FeatureParameterError,
    FeatureParameters,
)
from quantcli.application.features.price import price_features
from quantcli.application.features.stationary import stationary_features
from quantcli.application.features.technical import technical_features
from quantcli.application.features.time_features import parse_session_open, time_features
from quantcli.application.features.volume import volume_features
from quantcli.domain.errors import ValidationError


class FeatureRegistry:
    """Feature definitions by unique name, in registration order."""

    def __init__(self, definitions: Iterable[FeatureDefinition] = ()) -> None:
        self._definitions: dict[str, FeatureDefinition] = {}
        for definition in definitions:
            self.register(definition)

    def register(self, definition: FeatureDefinition) -> FeatureDefinition:
        """Add a definition; a second one with the same name is an error."""
        if definition.name in self._definitions:
            raise ValidationError(f"feature {definition.name} is already registered")
        self._definitions[definition.name] = definition
        return definition

    def get(self, name: str) -> FeatureDefinition:
        try:
            return self._definitions[name]
        except KeyError:
            raise ValidationError(f"no feature named {name} is registered") from None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._definitions)

    @property
    def definitions(self) -> tuple[FeatureDefinition, ...]:
        return tuple(self._definitions.values())

    def __contains__(self, name: object) -> bool:
        return name in self._definitions

    def __iter__(self) -> Iterator[FeatureDefinition]:
        return iter(self._definitions.values())

    def __len__(self) -> int:
        return len(self._definitions)


def build_registry(params: FeatureParameters | None = None) -> FeatureRegistry:
    """The features `params` select; FeatureParameterError names the parameter that is wrong."""
    params = FeatureParameters() if params is None else params
    check_parameters(params)
    per_symbol = [
        *price_features(params.return_horizons, params.volatility_window),
        *volume_features(params.volume_ratio_windows, params.flow_window),
        *time_features(params.calendar, params.intraday, params.time_zone, params.session_open),
        *technical_features(params),
        *stationary_features(params),
    ]
    candidates = {definition.name: definition for definition in per_symbol}
    ranks = []
    for index, source in enumerate(params.ranks):
        if source not in candidates:
            close = difflib.get_close_matches(source, candidates, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise FeatureParameterError(
                f"ranks[{index}]",
                f"{source!r} is not a per-symbol feature of this configuration{hint}",
            )
        ranks.append(rank_feature(candidates[source]))
    families = set(params.families)
    chosen = [d for d in [*per_symbol, *ranks] if d.family.value in families]
    names = {definition.name for definition in chosen}
    for index, name in enumerate(params.exclude):
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise FeatureParameterError(
                f"exclude[{index}]", f"{name!r} is not a feature this configuration builds{hint}"
            )
    registry = FeatureRegistry(d for d in chosen if d.name not in set(params.exclude))
    if not len(registry):
        raise FeatureParameterError("families", "families and exclude leave no feature to build")
    return registry


def check_parameters(params: FeatureParameters) -> None:
    """Raise FeatureParameterError for the first parameter no feature can be built with."""
    _at_least_each(params, ("return_horizons", "volume_ratio_windows", "sma_periods"), 1)
    _at_least_each(params, ("ema_periods", "log_distance_periods", "atr_periods"), 1)
    for name in ("flow_window", "rsi_period", "cci_period", "willr_period", "mfi_period"):
        _at_least(name, getattr(params, name), 1)
    for name in ("natr_period", "demean_window", "momentum_window", "donchian_period"):
        _at_least(name, getattr(params, name), 1)
    _at_least("vwap_window", params.vwap_window, 1)
    # Sample standard deviations and Wilder's ADX need two values.
    for name in ("volatility_window", "volume_window", "adx_period"):
        _at_least(name, getattr(params, name), 2)
    _at_least("macd.fast", params.macd.fast, 2)
    _at_least("macd.signal", params.macd.signal, 1)
    if params.macd.slow <= params.macd.fast:
        raise FeatureParameterError(
            "macd.slow", f"{params.macd.slow} is not above macd.fast {params.macd.fast}"
        )
    for name in ("fastk", "slowk", "slowd"):
        _at_least(f"stoch.{name}", getattr(params.stoch, name), 1)
    _at_least("bollinger.period", params.bollinger.period, 1)
    if not params.bollinger.nbdev > 0:
        raise FeatureParameterError("bollinger.nbdev", f"{params.bollinger.nbdev} is not positive")
    _one_of_each("calendar", params.calendar, CALENDAR_FEATURES)
    _one_of_each("intraday", params.intraday, INTRADAY_FEATURES)
    _one_of_each("families", params.families, FAMILIES)
    for name in ("ranks", "exclude"):
        _no_repeats(name, getattr(params, name))
    for index, source in enumerate(params.ranks):
        if source.startswith(RANK_PREFIX):
            raise FeatureParameterError(f"ranks[{index}]", f"{source!r} is already a rank")
    try:
        ZoneInfo(params.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise FeatureParameterError(
            "time_zone", f"{params.time_zone!r} is not a known IANA timezone"
        ) from None
    if parse_session_open(params.session_open) is None:
        raise FeatureParameterError(
            "session_open", f"{params.session_open!r} is not a time of day HH:MM"
        )


def _at_least(key: str, value: int, minimum: int) -> None:
    if value < minimum:
        problem = "is not positive" if minimum == 1 else f"is below {minimum}"
        raise FeatureParameterError(key, f"{value} {problem}")


def _at_least_each(params: FeatureParameters, names: tuple[str, ...], minimum: int) -> None:
    for name in names:
        values: tuple[int, ...] = getattr(params, name)
        for index, value in enumerate(values):
            _at_least(f"{name}[{index}]", value, minimum)
        _no_repeats(name, values)


def _one_of_each(key: str, values: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    for index, value in enumerate(values):
        if value not in allowed:
            raise FeatureParameterError(
                f"{key}[{index}]", f"{value!r} is not one of {', '.join(allowed)}"
            )
    _no_repeats(key, values)


def _no_repeats(key: str, values: tuple[object, ...]) -> None:
    for index, value in enumerate(values):
        if value in values[:index]:
            raise FeatureParameterError(f"{key}[{index}]", f"{value!r} is listed twice")
