"""Storage adapters: SQLite (bars and ledger in one file) and Parquet feature tables."""

from quantcli.adapters.storage.parquet_feature_store import ParquetFeatureStore
from quantcli.adapters.storage.sqlite_bar_store import SqliteBarStore
from quantcli.adapters.storage.sqlite_database import SqliteDatabase
from quantcli.adapters.storage.sqlite_ledger import SqliteLedger

__all__ = ["ParquetFeatureStore", "SqliteBarStore", "SqliteDatabase", "SqliteLedger"]
