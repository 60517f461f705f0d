"""Risk: the risk engine, the kill switch, value at risk."""
