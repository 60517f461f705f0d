"""Calendar adapters: exchange sessions from `exchange_calendars`."""

from quantcli.adapters.calendars.exchange_calendar import ExchangeTradingCalendar

__all__ = ["ExchangeTradingCalendar"]
