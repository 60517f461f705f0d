"""Market data sources: bar files and a seeded synthetic market."""

from quantcli.adapters.data.bar_file import BarFileSource
from quantcli.adapters.data.synthetic_market import SyntheticMarket

__all__ = ["BarFileSource", "SyntheticMarket"]
