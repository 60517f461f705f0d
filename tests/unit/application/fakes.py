"""In-memory fakes of the application ports, and small builders of the frames use cases take.

Loaded by path through the `fakes` fixture in conftest.py: under --import-mode=importlib test
modules cannot import siblings.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quantcli.application.common.ports import FloatArray
from quantcli.application.marketdata.ports import check_bar_frame, empty_bar_frame
from quantcli.application.modeling.ports import ModelVersion, TrainedModel
from quantcli.application.trading.ports import (
    BrokerEvent,
    BrokerOrderState,
    OrderCancelled,
    OrderRejected,
)
from quantcli.domain.bar import Bar
from quantcli.domain.errors import BrokerError, DataError, ModelError
from quantcli.domain.fills import Fill
from quantcli.domain.kill_switch import KillSwitchEvent
from quantcli.domain.loss_limits import EquityPoint
from quantcli.domain.model_stages import ModelLineage
from quantcli.domain.orders import Order, OrderAmendment
from quantcli.domain.positions import Portfolio
from quantcli.domain.trading_types import OrderStatus, to_decimal

# --- builders ---------------------------------------------------------------------------------


def utc_days(count: int, start: str = "2024-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=count, freq="D", tz="UTC")


def bar_frame(
    symbol: str,
    timestamps: Sequence[pd.Timestamp] | pd.DatetimeIndex,
    open_: Sequence[float],
    close: Sequence[float],
    volume: Sequence[float] | None = None,
    *,
    spread: float = 1.0,
) -> pd.DataFrame:
    """A valid bar frame for one symbol: high `spread` above, low `spread` / 2 below the body."""
    opens = np.asarray(open_, dtype=np.float64)
    closes = np.asarray(close, dtype=np.float64)
    return pd.DataFrame(
        {
            "symbol": [symbol] * len(closes),
            "timestamp": pd.DatetimeIndex(timestamps),
            "open": opens,
            "high": np.maximum(opens, closes) + spread,
            "low": np.minimum(opens, closes) - spread * 0.5,
            "close": closes,
            "volume": np.full(len(closes), 1_000.0) if volume is None else volume,
        }
    )


def sigmoid(values: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-values))


# --- market data ------------------------------------------------------------------------------


class FakeMarketDataSource:
    """Returns a fixed frame, whatever is asked; records the requests."""

    def __init__(self, frame: pd.DataFrame, name: str = "fake-vendor") -> None:
        self.name = name
        self.frame = frame
        self.requests: list[tuple[tuple[str, ...] | None, datetime | None, datetime | None]] = []

    def fetch_bars(
        self,
        symbols: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        self.requests.append((None if symbols is None else tuple(symbols), start, end))
        return self.frame.copy()


class FakeBarStore:
    """Bars in a frame keyed by (symbol, timestamp); writes are checked and upserted."""

    def __init__(self, bars: pd.DataFrame | None = None) -> None:
        self._bars = empty_bar_frame()
        self.write_calls: list[int] = []
        self.replace_calls: list[int] = []
        self.read_calls: list[tuple[tuple[str, ...] | None, datetime | None, datetime | None]] = []
        if bars is not None:
            self._bars = check_bar_frame(bars, "FakeBarStore seed")

    def write_bars(self, bars: pd.DataFrame) -> int:
        checked = check_bar_frame(bars, "FakeBarStore.write_bars")
        if self._bars.empty:
            merged = checked
        else:
            merged = pd.concat([self._bars, checked], ignore_index=True).drop_duplicates(
                subset=["symbol", "timestamp"], keep="last"
            )
        self._bars = merged.sort_values(["symbol", "timestamp"], kind="stable").reset_index(
            drop=True
        )
        self.write_calls.append(len(checked))
        return len(checked)

    def replace_bars(self, bars: pd.DataFrame) -> int:
        checked = check_bar_frame(bars, "FakeBarStore.replace_bars")
        replaced = self._bars["symbol"].isin(checked["symbol"].unique().tolist())
        merged = pd.concat([self._bars[~replaced], checked], ignore_index=True)
        self._bars = merged.sort_values(["symbol", "timestamp"], kind="stable").reset_index(
            drop=True
        )
        self.replace_calls.append(len(checked))
        return int(replaced.sum())

    def read_bars(
        self,
        symbols: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        self.read_calls.append((None if symbols is None else tuple(symbols), start, end))
        mask = pd.Series(True, index=self._bars.index)
        if symbols is not None:
            mask &= self._bars["symbol"].isin(list(symbols))
        if start is not None:
            mask &= self._bars["timestamp"] >= pd.Timestamp(start)
        if end is not None:
            mask &= self._bars["timestamp"] <= pd.Timestamp(end)
        return self._bars[mask].reset_index(drop=True).copy()

    def symbols(self) -> list[str]:
        return sorted(self._bars["symbol"].unique().tolist())

    def bar_count(self) -> int:
        return len(self._bars)

    @property
    def frame(self) -> pd.DataFrame:
        return self._bars.copy()


# --- research ---------------------------------------------------------------------------------


class FakeFeatureStore:
    """Named tables in a dict; saving replaces a table with a copy."""

    def __init__(self) -> None:
        self.tables: dict[str, pd.DataFrame] = {}
        self.saved: list[str] = []

    def save(self, name: str, table: pd.DataFrame) -> None:
        self.tables[name] = table.copy()
        self.saved.append(name)

    def load(self, name: str) -> pd.DataFrame:
        try:
            return self.tables[name].copy()
        except KeyError:
            raise DataError(f"feature table {name!r} does not exist") from None

    def names(self) -> list[str]:
        return sorted(self.tables)

    def delete(self, name: str) -> bool:
        return self.tables.pop(name, None) is not None


class FakeEstimator:
    """P(up) = sigmoid(scale × the named feature); remembers the rows it was fitted on."""

    def __init__(self, feature: str = "return_1", scale: float = 1.0) -> None:
        self.feature = feature
        self.scale = scale
        self.fitted_features: FloatArray | None = None
        self.fitted_labels: FloatArray | None = None
        self.feature_names: tuple[str, ...] = ()
        self.predicted: list[FloatArray] = []

    def fit(self, features: FloatArray, labels: FloatArray, feature_names: Sequence[str]) -> None:
        if features.shape[0] != labels.shape[0]:
            raise ModelError("features and labels differ in length")
        self.fitted_features = features.copy()
        self.fitted_labels = labels.copy()
        self.feature_names = tuple(feature_names)

    def predict_proba(self, features: FloatArray) -> FloatArray:
        if self.fitted_features is None:
            raise ModelError("FakeEstimator: predict before fit")
        self.predicted.append(features.copy())
        column = self.feature_names.index(self.feature)
        return sigmoid(self.scale * features[:, column])

    def feature_importance(self, kind: str, features: FloatArray | None = None) -> FloatArray:
        """All the importance on the one feature the fake reads."""
        return np.array([float(name == self.feature) for name in self.feature_names])

    def fitted_column(self, name: str) -> FloatArray:
        """One feature column of the rows this estimator was fitted on."""
        assert self.fitted_features is not None
        return self.fitted_features[:, self.feature_names.index(name)]


class FakeEstimatorFactory:
    """An EstimatorFactory that keeps every estimator it made, in order."""

    def __init__(self, feature: str = "return_1", scale: float = 1.0) -> None:
        self.feature = feature
        self.scale = scale
        self.created: list[FakeEstimator] = []

    def __call__(self) -> FakeEstimator:
        estimator = FakeEstimator(self.feature, self.scale)
        self.created.append(estimator)
        return estimator


def fitted_model(
    feature_names: Sequence[str], feature: str = "return_1", name: str = "fake-model"
) -> TrainedModel:
    """A TrainedModel whose FakeEstimator is ready to predict from `feature`."""
    estimator = FakeEstimator(feature)
    estimator.fit(np.zeros((1, len(feature_names))), np.zeros(1), feature_names)
    return TrainedModel(
        name=name, estimator=estimator, feature_names=tuple(feature_names), metadata={}
    )


class FakeModelStore:
    def __init__(self) -> None:
        self.models: dict[str, TrainedModel] = {}

    def save(self, model: TrainedModel) -> Path:
        self.models[model.name] = model
        return Path("fake-models") / model.name

    def load(self, name: str) -> TrainedModel:
        try:
            return self.models[name]
        except KeyError:
            raise ModelError(f"model {name!r} does not exist") from None


# --- trading ----------------------------------------------------------------------------------


class FakeLedger:
    """Orders, fills and portfolio snapshots in dicts; `atomic()` rolls back on an exception.

    Everything is stored as a deep copy, so later changes to a live Order or Portfolio never
    leak into what was recorded. `fail_on` makes the next call of that method raise inside
    whatever transaction is open, to test rollback.
    """

    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._fills: dict[str, Fill] = {}
        self._portfolios: dict[str, tuple[Portfolio, datetime]] = {}
        self.portfolio_history: list[tuple[str, Portfolio, datetime]] = []
        self.order_history: list[tuple[str, OrderStatus]] = []
        self._amendments: list[OrderAmendment] = []
        self._accounts: dict[str, Decimal] = {}
        self._equity: dict[str, dict[datetime, EquityPoint]] = {}
        self.transactions = 0
        self.fail_on: str | None = None

    def _state(self) -> tuple[Any, ...]:
        return (
            self._orders,
            self._fills,
            self._portfolios,
            self.portfolio_history,
            self.order_history,
            self._amendments,
            self._accounts,
            self._equity,
        )

    @contextmanager
    def atomic(self) -> Iterator[None]:
        snapshot = copy.deepcopy(self._state())
        self.transactions += 1
        try:
            yield
        except BaseException:
            (
                self._orders,
                self._fills,
                self._portfolios,
                self.portfolio_history,
                self.order_history,
                self._amendments,
                self._accounts,
                self._equity,
            ) = snapshot
            raise

    def _maybe_fail(self, method: str) -> None:
        if self.fail_on == method:
            self.fail_on = None
            raise OSError(f"FakeLedger: injected failure in {method}")

    def save_order(self, order: Order) -> None:
        self._maybe_fail("save_order")
        self._orders[order.client_order_id] = copy.deepcopy(order)
        self.order_history.append((order.client_order_id, order.status))

    def save_fill(self, fill: Fill) -> None:
        self._maybe_fail("save_fill")
        self._fills.setdefault(fill.fill_id, fill)

    def orders(self, status: OrderStatus | None = None, account: str | None = None) -> list[Order]:
        return [
            copy.deepcopy(order)
            for order in sorted(
                self._orders.values(), key=lambda o: (o.created_at, o.client_order_id)
            )
            if (status is None or order.status is status)
            and (account is None or order.account == account)
        ]

    def order(self, client_order_id: str) -> Order | None:
        saved = self._orders.get(client_order_id)
        return copy.deepcopy(saved) if saved is not None else None

    def fills(self, account: str | None = None) -> list[Fill]:
        fills = sorted(self._fills.values(), key=lambda f: (f.timestamp, f.fill_id))
        if account is None:
            return fills
        return [f for f in fills if self._orders[f.client_order_id].account == account]

    def save_amendment(self, amendment: OrderAmendment) -> None:
        self._maybe_fail("save_amendment")
        self._amendments.append(amendment)

    def amendments(self, client_order_id: str | None = None) -> list[OrderAmendment]:
        return [
            a
            for a in self._amendments
            if client_order_id is None or a.client_order_id == client_order_id
        ]

    def open_account(self, account: str, opening_cash: Decimal, at: datetime) -> Decimal:
        return self._accounts.setdefault(account, opening_cash)

    def opening_cash(self, account: str) -> Decimal | None:
        return self._accounts.get(account)

    def portfolio_as_of(self, account: str) -> datetime | None:
        saved = self._portfolios.get(account)
        return saved[1] if saved is not None else None

    def save_equity(self, account: str, point: EquityPoint) -> None:
        self._maybe_fail("save_equity")
        self._equity.setdefault(account, {})[point.timestamp] = point

    def equity_history(self, account: str) -> list[EquityPoint]:
        return [p for _, p in sorted(self._equity.get(account, {}).items())]

    def save_portfolio(self, account: str, portfolio: Portfolio, as_of: datetime) -> None:
        self._maybe_fail("save_portfolio")
        snapshot = copy.deepcopy(portfolio)
        self._portfolios[account] = (snapshot, as_of)
        self.portfolio_history.append((account, snapshot, as_of))

    def load_portfolio(self, account: str) -> Portfolio | None:
        saved = self._portfolios.get(account)
        return copy.deepcopy(saved[0]) if saved is not None else None


class FakeKillSwitchStore:
    """Kill switch events in a list."""

    def __init__(self) -> None:
        self.events: list[KillSwitchEvent] = []

    def record_kill_switch_event(self, event: KillSwitchEvent) -> None:
        self.events.append(event)

    def kill_switch_events(self) -> list[KillSwitchEvent]:
        return list(self.events)


class FakeBroker:
    """Records submitted orders; the test scripts fills, cancels and rejections as events.

    With `ledger`, it notes the ledger's status of every order at the moment it is submitted.
    With `fill_at_open`, each working order fills whole at the open of the next bar of its
    symbol, at `commission_per_fill`, as a simple stand-in for a market. With `confirm_cancels`
    a cancel request is confirmed at once (an OrderCancelled event), as the simulated broker
    does; otherwise the test scripts it.
    """

    def __init__(
        self,
        ledger: FakeLedger | None = None,
        *,
        fill_at_open: bool = False,
        commission_per_fill: Decimal = Decimal(0),
        confirm_cancels: bool = False,
    ) -> None:
        self.ledger = ledger
        self.confirm_cancels = confirm_cancels
        self.fill_at_open = fill_at_open
        self.commission_per_fill = commission_per_fill
        self.submitted: list[Order] = []
        self.ledger_status_at_submit: dict[str, OrderStatus | None] = {}
        self.cancel_requests: list[str] = []
        self.market_data: list[dict[str, Bar]] = []
        self.connected = True
        # Ids the broker refuses with a BrokerError at submit (never recorded).
        self.refuse: set[str] = set()
        self._working: dict[str, Order] = {}
        self._known: dict[str, Order] = {}
        self._fills: dict[str, list[Fill]] = {}
        self._events: list[BrokerEvent] = []
        self._fill_count = 0

    supports_modify = False

    def modify_order(
        self,
        client_order_id: str,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> None:
        raise BrokerError("FakeBroker: modify is not supported")

    def is_connected(self) -> bool:
        return self.connected

    def lookup_order(self, client_order_id: str) -> BrokerOrderState | None:
        order = self._known.get(client_order_id)
        if order is None:
            return None
        return BrokerOrderState(copy.deepcopy(order), tuple(self._fills.get(client_order_id, ())))

    def positions(self, account: str) -> dict[str, Decimal]:
        held: dict[str, Decimal] = {}
        for client_order_id, fills in self._fills.items():
            if self._known[client_order_id].account != account:
                continue
            for fill in fills:
                held[fill.symbol] = held.get(fill.symbol, Decimal(0)) + fill.signed_quantity
        return {s: q for s, q in held.items() if q != 0}

    def submit_order(self, order: Order) -> str:
        if order.status is not OrderStatus.NEW:
            raise BrokerError(f"order {order.client_order_id} is {order.status.value}, not NEW")
        if self.ledger is not None:
            saved = self.ledger.order(order.client_order_id)
            self.ledger_status_at_submit[order.client_order_id] = (
                saved.status if saved is not None else None
            )
        if order.client_order_id in self.refuse:
            raise BrokerError(f"FakeBroker: refused order {order.client_order_id}")
        if order.client_order_id in self._known:
            raise BrokerError(f"FakeBroker: duplicate client order id {order.client_order_id}")
        self.submitted.append(copy.deepcopy(order))
        working = copy.deepcopy(order)
        working.submit(broker_order_id=f"BRK-{len(self.submitted)}")
        self._working[order.client_order_id] = working
        self._known[order.client_order_id] = working
        return f"BRK-{len(self.submitted)}"

    def cancel_order(self, client_order_id: str) -> None:
        self.cancel_requests.append(client_order_id)
        if self.confirm_cancels and client_order_id in self._working:
            order = self._working[client_order_id]
            moments = [bar.timestamp for bars in self.market_data for bar in bars.values()]
            self.cancel(client_order_id, max([order.created_at, *moments]), "cancelled by request")

    def on_market_data(self, bars: Mapping[str, Bar]) -> None:
        self.market_data.append(dict(bars))
        if not self.fill_at_open:
            return
        for client_order_id, order in list(self._working.items()):
            bar = bars.get(order.symbol)
            if bar is not None:
                self.fill(
                    client_order_id,
                    order.remaining_quantity,
                    to_decimal(bar.open),
                    bar.timestamp,
                    commission=self.commission_per_fill,
                )

    def drain_events(self) -> list[BrokerEvent]:
        events, self._events = self._events, []
        return events

    def open_orders(self) -> list[Order]:
        return [copy.deepcopy(order) for order in self._working.values()]

    # --- scripting, for tests ---

    def fill(
        self,
        client_order_id: str,
        quantity: Decimal | int,
        price: Decimal | str,
        timestamp: datetime,
        commission: Decimal = Decimal(0),
    ) -> Fill:
        order = self._working[client_order_id]
        self._fill_count += 1
        fill = Fill(
            fill_id=f"F-{self._fill_count}",
            client_order_id=client_order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=Decimal(quantity),
            price=Decimal(price),
            commission=commission,
            timestamp=timestamp,
        )
        order.apply_fill(fill)
        self._fills.setdefault(client_order_id, []).append(fill)
        if order.status is OrderStatus.FILLED:
            del self._working[client_order_id]
        self._events.append(fill)
        return fill

    def cancel(
        self, client_order_id: str, timestamp: datetime, reason: str = "DAY order expired"
    ) -> None:
        order = self._working.pop(client_order_id, None)
        if order is not None:
            order.cancel(timestamp, reason)
        self._events.append(OrderCancelled(client_order_id, reason, timestamp))

    def reject(self, client_order_id: str, timestamp: datetime, reason: str) -> None:
        order = self._working.pop(client_order_id, None)
        if order is not None:
            order.reject(reason, timestamp)
        self._events.append(OrderRejected(client_order_id, reason, timestamp))

    def push(self, event: BrokerEvent) -> None:
        self._events.append(event)


class ListBarReplay:
    """A BarReplay over slices given up front."""

    def __init__(self, slices: Sequence[tuple[datetime, Mapping[str, Bar]]]) -> None:
        self.slices = list(slices)

    def __iter__(self) -> Iterator[tuple[datetime, Mapping[str, Bar]]]:
        return iter(self.slices)


def bar(symbol: str, timestamp: datetime, open_: float, close: float) -> Bar:
    return Bar(
        symbol,
        timestamp,
        open_,
        max(open_, close) * 1.01,
        min(open_, close) * 0.99,
        close,
        1_000.0,
    )


def day(number: int) -> datetime:
    """Midnight UTC of 2024-01-`number`."""
    return datetime(2024, 1, number, tzinfo=UTC)


# --- model registry ---------------------------------------------------------------------------


class FakeModelRegistry:
    """ModelRegistry in dicts, with the stage rules of the real one (domain ModelLineage)."""

    def __init__(self, now: datetime = datetime(2024, 1, 1, tzinfo=UTC)) -> None:
        self.now = now
        self.lineages: dict[str, ModelLineage] = {}
        self.models: dict[tuple[str, int], TrainedModel] = {}
        self.records: dict[tuple[str, int], tuple[datetime, Mapping[str, Any]]] = {}
        self.tables: dict[tuple[str, int], pd.DataFrame] = {}
        self.events: dict[str, list[Mapping[str, Any]]] = {}

    def register(
        self,
        name: str,
        model: TrainedModel,
        metadata: Mapping[str, Any],
        predictions: pd.DataFrame | None = None,
    ) -> ModelVersion:
        if model.name != name:
            raise ModelError(f"cannot register model {model.name!r} under the name {name}")
        lineage, version = self.lineages.get(name, ModelLineage(name=name)).register()
        self.lineages[name] = lineage
        self.models[name, version] = model
        self.records[name, version] = (self.now, copy.deepcopy(dict(metadata)))
        if predictions is not None:
            self.tables[name, version] = predictions.reset_index(drop=True).copy()
        return self._version(name, version)

    def predictions(self, name: str, version: int | None = None) -> pd.DataFrame:
        chosen = self._lineage(name).resolve(version)
        if (name, chosen) not in self.tables:
            raise ModelError(f"model {name} version {chosen} has no stored predictions")
        return self.tables[name, chosen].copy()

    def list(self, name: str | None = None) -> tuple[ModelVersion, ...]:
        names = sorted(self.lineages) if name is None else [name]
        return tuple(self._version(each, v) for each in names for v in self._lineage(each).versions)

    def get(self, name: str, version: int | None = None) -> ModelVersion:
        return self._version(name, self._lineage(name).resolve(version))

    def load(self, name: str, version: int | None = None) -> TrainedModel:
        return self.models[name, self._lineage(name).resolve(version)]

    def promote(self, name: str, version: int, *, forced: bool = False) -> ModelVersion:
        lineage = self._lineage(name)
        self.lineages[name] = lineage.promote(version)
        event = {"event": "promote", "version": version, "previous": lineage.production}
        self.events.setdefault(name, []).append(
            {"at": self.now.isoformat(), **event, "forced": forced}
        )
        return self._version(name, version)

    def rollback(self, name: str) -> ModelVersion:
        self.lineages[name], version = self._lineage(name).rollback()
        return self._version(name, version)

    def prune(self, name: str, keep_last: int, *, dry_run: bool = False) -> tuple[int, ...]:
        pruned, dropped = self._lineage(name).prune(keep_last)
        if dry_run:
            return dropped
        self.lineages[name] = pruned
        for version in dropped:
            del self.models[name, version], self.records[name, version]
            self.tables.pop((name, version), None)
        return dropped

    def history(self, name: str) -> tuple[Mapping[str, Any], ...]:
        self._lineage(name)
        return tuple(self.events.get(name, []))

    def _lineage(self, name: str) -> ModelLineage:
        try:
            return self.lineages[name]
        except KeyError:
            raise ModelError(f"model {name} is not registered") from None

    def _version(self, name: str, version: int) -> ModelVersion:
        created_at, metadata = self.records[name, version]
        stage = self.lineages[name].stages[version]
        return ModelVersion(name, version, created_at, stage, metadata)


class FakeTradingCalendar:
    """Weekdays are sessions closing 21:00 UTC, except the holidays given."""

    name = "XTST"

    def __init__(self, holidays: Sequence[date] = ()) -> None:
        self.holidays = set(holidays)

    def session_of(self, timestamp: datetime) -> date:
        return timestamp.date()

    def is_session(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def closed_reason(self, day: date) -> str:
        return day.strftime("%A") if day.weekday() >= 5 else "holiday Test Day"

    def sessions_between(self, first: date, last: date) -> int:
        return sum(
            self.is_session(first + timedelta(days=n)) for n in range(1, (last - first).days)
        )

    def session_open(self, day: date) -> datetime:
        assert self.is_session(day)
        return datetime(day.year, day.month, day.day, 14, 30, tzinfo=UTC)

    def session_close(self, day: date) -> datetime:
        assert self.is_session(day)
        return datetime(day.year, day.month, day.day, 21, tzinfo=UTC)
