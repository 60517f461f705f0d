"""How the container builds the trading path's adapters and policies from Settings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from quantcli.adapters.brokers import SimulatedBroker, SimulatedBrokerJournal
from quantcli.application.kill_switch import KillSwitchPolicy
from quantcli.application.ports import Broker
from quantcli.application.risk_engine import RiskEngine
from quantcli.domain.cost_models import (
    CommissionTier,
    MarketImpact,
    PerShareCommission,
    SlippageCosts,
)
from quantcli.domain.errors import BrokerError
from quantcli.domain.loss_limits import LossLimits
from quantcli.entrypoints.settings import Settings

PAPER_BROKER_FILE = "paper_broker.db"


def _exact(value: float) -> Decimal:
    return Decimal(repr(value))


def paper_costs(settings: Settings) -> tuple[PerShareCommission, SlippageCosts, MarketImpact]:
    """backtest.yaml's costs as the simulated broker charges them (the backtest's cost model)."""
    backtest = settings.backtest
    costs = backtest.costs
    commission = PerShareCommission(
        per_share=backtest.commission.per_share,
        minimum=backtest.commission.minimum,
        maximum_fraction=None
        if costs.commission_maximum_fraction is None
        else _exact(costs.commission_maximum_fraction),
        bps=backtest.commission.bps,
        tiers=tuple(
            CommissionTier(_exact(tier.from_shares), _exact(tier.per_share))
            for tier in costs.commission_tiers
        ),
    )
    slippage = SlippageCosts(
        fixed_bps=backtest.slippage_bps,
        spread_bps=_exact(costs.spread_bps),
        volume_k=_exact(costs.volume_slippage),
    )
    return commission, slippage, MarketImpact(temporary_eta=_exact(costs.temporary_impact))


def backtest_only_costs(settings: Settings) -> list[str]:
    """Cost and margin settings the simulated broker does not model (paper fills skip them)."""
    costs, margin = settings.backtest.costs, settings.backtest.margin
    found = [
        f"backtest.costs.{name}"
        for name in ("square_root_impact", "permanent_impact", "borrow_rate")
        if getattr(costs, name)
    ]
    if margin.max_leverage is not None or margin.initial_margin or margin.maintenance_margin:
        found.append("backtest.margin")
    return found


def build_paper_broker(settings: Settings, account: str = "paper") -> SimulatedBroker:
    """The simulated broker with the backtest's fill and cost model and a durable book of the
    account's own (each paper account replays stored bars on its own timeline)."""
    commission, slippage, impact = paper_costs(settings)
    rate = settings.backtest.costs.participation_rate
    return SimulatedBroker(
        commission,
        slippage,
        impact=impact,
        participation_rate=None if rate is None else _exact(rate),
        journal=SimulatedBrokerJournal(settings.quantcli.data_dir / PAPER_BROKER_FILE, account),
    )


def build_live_broker(settings: Settings) -> Broker:
    """The broker `quantcli live` trades through, chosen by trading.broker."""
    choice = settings.trading.broker
    if choice == "simulated":
        raise BrokerError(
            "no live broker is configured: trading.broker is 'simulated', which only paper "
            "trades stored bars (`quantcli paper`); set trading.broker: ibkr for live trading"
        )
    # The IBKR adapter (quantcli/adapters/brokers/ibkr) is built here once it is wired.
    raise BrokerError(
        f"trading.broker is {choice!r}, but the IBKR broker adapter is not available in this "
        "build yet; live trading cannot start"
    )


def build_risk_engine(settings: Settings) -> RiskEngine:
    """risk.yaml's pre-trade rules, loss limits, stress scenarios and VaR settings."""
    risk = settings.risk
    return RiskEngine(
        risk.to_risk_rules(),
        risk.loss_limits.to_loss_limits(),
        risk.to_stress_scenarios(),
        risk.limits.sectors,
        risk.var.to_var_config(settings.quantcli.seed),
    )


def build_kill_switch_policy(
    settings: Settings, loss_limits: LossLimits | None = None
) -> KillSwitchPolicy:
    """trading.yaml's kill switch triggers, with risk.yaml's loss limits unless given others."""
    kill = settings.trading.kill_switch

    def seconds(value: float | None) -> timedelta | None:
        return None if value is None else timedelta(seconds=value)

    return KillSwitchPolicy(
        loss_limits=loss_limits or settings.risk.loss_limits.to_loss_limits(),
        max_rejects=kill.max_rejects,
        reject_window=timedelta(seconds=kill.reject_window_seconds),
        max_disconnected=seconds(kill.max_disconnected_seconds),
        max_stale=seconds(kill.max_stale_seconds),
        max_missing_sessions=kill.max_missing_sessions,
        flatten_on_trip=kill.flatten_on_trip,
    )
