"""Test helpers shared across test packages (local stand-in servers)."""
