"""Ports every context may use."""

from quantcli.application.common.ports import Clock, FloatArray, TradingCalendar

__all__ = ["Clock", "FloatArray", "TradingCalendar"]
