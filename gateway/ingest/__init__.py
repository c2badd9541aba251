"""Ingest: the durable spool and the batching writer between receivers and ClickHouse."""
