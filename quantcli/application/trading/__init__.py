"""Trading: execution engine, trading session, position reconciliation."""
