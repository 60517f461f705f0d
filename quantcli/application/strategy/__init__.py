"""Strategies (threshold and rules), signals (batch and live) and sizing."""
