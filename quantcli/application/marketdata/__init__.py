"""Market data: ingest, stored symbols, bar replay and live bars."""
