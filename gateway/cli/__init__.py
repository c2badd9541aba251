"""The ``inferwatch`` command line."""
