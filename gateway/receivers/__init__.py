"""Receivers: OTLP over gRPC and HTTP, thin adapters over ``gateway.receivers.export``."""
