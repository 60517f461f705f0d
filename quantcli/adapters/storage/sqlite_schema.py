"""Ordered schema migrations; migration N brings PRAGMA user_version from N-1 to N.

Never edit a released migration: append a new one, because files already at version N
will only ever run the migrations after N.
"""

from __future__ import annotations

# Timestamps are INTEGER nanoseconds since the epoch in UTC: exact, and they sort correctly.
# Decimals are TEXT so cash, prices and quantities come back exactly as they were saved.
_V1_BARS_AND_LEDGER: tuple[str, ...] = (
    """
    CREATE TABLE bars (
        symbol TEXT NOT NULL,
        ts INTEGER NOT NULL,
        open REAL NOT NULL,
        high REAL NOT NULL,
        low REAL NOT NULL,
        close REAL NOT NULL,
        volume REAL NOT NULL,
        PRIMARY KEY (symbol, ts)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE orders (
        client_order_id TEXT PRIMARY KEY,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        quantity TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        order_type TEXT NOT NULL,
        time_in_force TEXT NOT NULL,
        limit_price TEXT,
        stop_price TEXT,
        status TEXT NOT NULL,
        filled_quantity TEXT NOT NULL,
        average_fill_price TEXT,
        filled_notional TEXT NOT NULL,
        broker_order_id TEXT,
        reject_reason TEXT,
        updated_at INTEGER
    )
    """,
    "CREATE INDEX orders_by_created_at ON orders (created_at, client_order_id)",
    "CREATE INDEX orders_by_status ON orders (status)",
    """
    CREATE TABLE fills (
        fill_id TEXT PRIMARY KEY,
        client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        quantity TEXT NOT NULL,
        price TEXT NOT NULL,
        commission TEXT NOT NULL,
        ts INTEGER NOT NULL
    )
    """,
    "CREATE INDEX fills_by_timestamp ON fills (ts, fill_id)",
    "CREATE INDEX fills_by_order ON fills (client_order_id)",
    """
    CREATE TABLE portfolios (
        account TEXT PRIMARY KEY,
        cash TEXT NOT NULL,
        total_commission TEXT NOT NULL,
        as_of INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE positions (
        account TEXT NOT NULL REFERENCES portfolios (account) ON DELETE CASCADE,
        symbol TEXT NOT NULL,
        quantity TEXT NOT NULL,
        average_cost TEXT NOT NULL,
        cost_basis TEXT NOT NULL,
        realized_pnl TEXT NOT NULL,
        PRIMARY KEY (account, symbol)
    )
    """,
)

# Order management: each order's account, the order it replaces and why it was cancelled; the
# replace requests; accounts' opening cash; equity at each bar (daily P&L, loss limits); and the
# kill switch's trips and resets, which outlive any process.
_V2_ORDER_MANAGEMENT_AND_KILL_SWITCH: tuple[str, ...] = (
    "ALTER TABLE orders ADD COLUMN account TEXT",
    "ALTER TABLE orders ADD COLUMN replaces TEXT",
    "ALTER TABLE orders ADD COLUMN cancel_reason TEXT",
    # Orders from before this version: their account is the prefix of their client order id.
    """
    UPDATE orders SET account = (
        SELECT p.account FROM portfolios p
        WHERE substr(orders.client_order_id, 1, length(p.account) + 1) = p.account || '-'
        ORDER BY length(p.account) DESC LIMIT 1
    )
    WHERE account IS NULL
    """,
    "CREATE INDEX orders_by_account ON orders (account, created_at, client_order_id)",
    """
    CREATE TABLE order_amendments (
        client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
        sequence INTEGER NOT NULL,
        method TEXT NOT NULL CHECK (method IN ('MODIFY', 'CANCEL_REPLACE')),
        requested_at INTEGER NOT NULL,
        quantity TEXT,
        limit_price TEXT,
        stop_price TEXT,
        replacement_id TEXT,
        PRIMARY KEY (client_order_id, sequence)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE accounts (
        account TEXT PRIMARY KEY,
        opening_cash TEXT NOT NULL,
        opened_at INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE equity_history (
        account TEXT NOT NULL,
        ts INTEGER NOT NULL,
        equity TEXT NOT NULL,
        PRIMARY KEY (account, ts)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE kill_switch_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        action TEXT NOT NULL CHECK (action IN ('TRIP', 'RESET')),
        trigger TEXT,
        reason TEXT NOT NULL,
        actor TEXT NOT NULL,
        account TEXT,
        flatten INTEGER NOT NULL,
        at INTEGER NOT NULL
    )
    """,
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    _V1_BARS_AND_LEDGER,
    _V2_ORDER_MANAGEMENT_AND_KILL_SWITCH,
)
