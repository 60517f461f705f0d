"""The risk engine: pre-trade rules with their order-rate state, loss limits, stress and VaR.

The execution path calls, per order: `check` → if approved, submit to the broker and
`record_submission`; else `order.reject(decision.reject_reason)`. On every equity update it
calls `loss_limit_breach` and stops opening risk while one is returned.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal

import attrs
import pandas as pd

from quantcli.application.common.ports import Clock
from quantcli.application.risk.value_at_risk import VaRConfig, VaRResult, value_at_risk
from quantcli.domain.errors import RiskError, ValidationError
from quantcli.domain.loss_limits import EquityPoint, LossLimitBreach, LossLimits, SessionOf
from quantcli.domain.order_rules import OrderRateRule
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio
from quantcli.domain.risk_rules import RiskContext, RiskDecision, RiskRules
from quantcli.domain.stress_scenarios import (
    StressResult,
    StressScenario,
    position_values,
    stress_pnl,
)

EquityHistory = Iterable[EquityPoint | tuple[datetime, Decimal]]


@attrs.define
class RiskEngine:
    """One account's risk: the configured rules, the times of its recent order submissions,
    its loss limits, stress scenarios and VaR settings.

    `now` arguments default to `clock.now()`; pass them explicitly (a backtest's bar time) or
    inject a clock. The sector map serves the stress scenarios' "sector:" shocks.
    """

    rules: RiskRules
    loss_limits: LossLimits = attrs.Factory(LossLimits)
    stress_scenarios: tuple[StressScenario, ...] = ()
    sectors: Mapping[str, str] = attrs.Factory(dict)
    var_config: VaRConfig = attrs.Factory(VaRConfig)
    clock: Clock | None = None
    session_of: SessionOf | None = None
    _submissions: list[datetime] = attrs.field(factory=list, init=False)

    @property
    def recent_submissions(self) -> tuple[datetime, ...]:
        return tuple(self._submissions)

    def check(
        self,
        order: Order,
        portfolio: Portfolio,
        marks: Mapping[str, Decimal],
        now: datetime | None = None,
        *,
        buying_power: Decimal | None = None,
        locates: Mapping[str, Decimal] | None = None,
    ) -> RiskDecision:
        """Every rule's verdict on `order` against the book; `decision.approved` to submit.

        `buying_power` and `locates` are the broker's figures when it has them.
        """
        at = self._now(now)
        self._forget_before(at)
        context = RiskContext(
            portfolio=portfolio,
            marks=marks,
            now=at,
            recent_submissions=tuple(self._submissions),
            buying_power=buying_power,
            locates=locates or {},
        )
        return self.rules.evaluate(order, context)

    def record_submission(self, now: datetime | None = None) -> None:
        """Count an order sent to the broker against the order-rate limit."""
        at = self._now(now)
        bisect.insort(self._submissions, at)
        self._forget_before(at)

    def loss_limit_breaches(self, equity_history: EquityHistory) -> tuple[LossLimitBreach, ...]:
        return self.loss_limits.breaches(equity_history, self.session_of)

    def loss_limit_breach(self, equity_history: EquityHistory) -> LossLimitBreach | None:
        """The first loss limit (daily, weekly, monthly, max_drawdown) breached now, if any."""
        return self.loss_limits.first_breach(equity_history, self.session_of)

    def stress_test(
        self, portfolio: Portfolio, marks: Mapping[str, Decimal]
    ) -> tuple[StressResult, ...]:
        """Each configured scenario's P&L on the book at `marks`."""
        return stress_pnl(self.stress_scenarios, position_values(portfolio, marks), self.sectors)

    def value_at_risk(
        self, portfolio: Portfolio, marks: Mapping[str, Decimal], returns: pd.DataFrame
    ) -> VaRResult:
        """VaR and ES of the book by `var_config`; `returns` one column per held symbol."""
        values = position_values(portfolio, marks)
        if not values:
            raise RiskError("portfolio: no open positions, so there is no value at risk")
        return value_at_risk(values, returns, self.var_config)

    def _now(self, now: datetime | None) -> datetime:
        if now is None:
            if self.clock is None:
                raise ValidationError("now: not given and the risk engine has no clock")
            now = self.clock.now()
        if now.tzinfo is None or now.utcoffset() != timedelta(0):
            raise ValidationError(f"now: {now.isoformat()} is not timezone-aware UTC")
        return now

    def _forget_before(self, now: datetime) -> None:
        # Kept only as long as the widest order-rate window can still count them.
        windows = [rule.window for rule in self.rules.rules if isinstance(rule, OrderRateRule)]
        keep = max(windows, default=timedelta(0))
        del self._submissions[: bisect.bisect_right(self._submissions, now - keep)]


@attrs.frozen
class RiskEngineCheck:
    """The engine as a trading session's pre-trade check: every order is valued at its
    decision price and judged by every rule; a submission counts toward the rate limit."""

    engine: RiskEngine

    def reject_reason(
        self,
        order: Order,
        price: Decimal,
        portfolio: Portfolio,
        marks: Mapping[str, Decimal],
        now: datetime,
    ) -> str | None:
        decision = self.engine.check(order, portfolio, {**marks, order.symbol: price}, now)
        return None if decision.approved else decision.reject_reason

    def on_submitted(self, order: Order, now: datetime) -> None:
        self.engine.record_submission(now)
