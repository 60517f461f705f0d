"""Ports every context may use."""
