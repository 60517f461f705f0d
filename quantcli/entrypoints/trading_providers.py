"""How the container builds the trading path's adapters and policies from Settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from quantcli.adapters.brokers import SimulatedBroker, SimulatedBrokerJournal
from quantcli.adapters.storage import SqliteDatabase, SqliteLedger
from quantcli.application.risk.kill_switch import KillSwitchPolicy
from quantcli.application.risk.risk_engine import RiskEngine
from quantcli.domain.cost_models import (
    CommissionTier,
    MarketImpact,
    PerShareCommission,
    SlippageCosts,
)
from quantcli.domain.errors import BrokerError
from quantcli.domain.loss_limits import LossLimits
from quantcli.entrypoints.settings import Settings

if TYPE_CHECKING:
    from quantcli.adapters.brokers.ibkr import IbkrBroker, LocalBook
    from quantcli.adapters.brokers.ibkr.market_data import QuoteListener

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


def build_live_broker(
    settings: Settings, account: str, on_quote: QuoteListener | None = None
) -> IbkrBroker:
    """The broker `quantcli live` trades `account` through, chosen by trading.broker: not yet
    connected; the ledger's open orders and positions are what it reconciles against."""
    require_live_broker(settings)
    return build_ibkr_broker(settings, account, on_quote=on_quote)


def require_live_broker(settings: Settings) -> None:
    """Refuse live trading when trading.broker names no live broker."""
    if settings.trading.broker == "simulated":
        raise BrokerError(
            "no live broker is configured: trading.broker is 'simulated', which only paper "
            "trades (`quantcli paper`); set trading.broker: ibkr for live trading"
        )


def build_ibkr_broker(
    settings: Settings,
    account: str = "",
    *,
    on_quote: QuoteListener | None = None,
    reconcile_ledger: bool = True,
) -> IbkrBroker:
    """trading.yaml's `ibkr:` section as an IbkrBroker for IB account `account` ("" = the
    login's only account); `reconcile_ledger=False` for a quotes-only connection."""
    # ib_async costs a quarter second to import: only the commands that talk to IB pay it.
    from quantcli.adapters.brokers.ibkr import IbkrBroker, IbkrConfig

    ibkr = settings.trading.ibkr
    config = IbkrConfig(**{**attrs.asdict(ibkr), "account": account})
    local_book = _ledger_book(settings.database_path, account) if reconcile_ledger else None
    return IbkrBroker(config, local_book=local_book, on_quote=on_quote)


def _ledger_book(database: Path, account: str) -> Callable[[], LocalBook]:
    """The ledger's side of a reconciliation. The broker calls it on its own thread, so each
    call opens its own SQLite connection (a connection belongs to the thread that made it)."""
    from quantcli.adapters.brokers.ibkr import LocalBook

    def book() -> LocalBook:
        with SqliteDatabase(database) as connection:
            ledger = SqliteLedger(connection)
            open_orders = [o for o in ledger.orders(account=account) if o.status.is_open]
            portfolio = ledger.load_portfolio(account)
        # An account the ledger never traded holds nothing: whatever IB holds is a difference.
        held = {} if portfolio is None else portfolio.positions
        positions = {symbol: p.quantity for symbol, p in held.items() if not p.is_flat}
        return LocalBook(open_orders=open_orders, positions=positions)

    return book


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
