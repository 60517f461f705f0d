"""Storage adapters: SQLite (bars, ledger and kill switch in one file) and Parquet features."""

from quantcli.adapters.storage.parquet_feature_store import ParquetFeatureStore
from quantcli.adapters.storage.sqlite_bar_store import SqliteBarStore
from quantcli.adapters.storage.sqlite_database import SqliteDatabase
from quantcli.adapters.storage.sqlite_kill_switch import SqliteKillSwitchStore
from quantcli.adapters.storage.sqlite_ledger import SqliteLedger

__all__ = [
    "ParquetFeatureStore",
    "SqliteBarStore",
    "SqliteDatabase",
    "SqliteKillSwitchStore",
    "SqliteLedger",
]
