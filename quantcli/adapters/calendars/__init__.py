"""Calendar adapters: exchange sessions from `exchange_calendars`."""

from quantcli.adapters.calendars.exchange_calendar import ExchangeTradingCalendar, calendar_names

__all__ = ["ExchangeTradingCalendar", "calendar_names"]
