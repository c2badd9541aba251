"""inferwatch gateway: the I/O side (receivers, storage, scheduling, CLI, lifecycle)."""

from importlib import metadata

try:
    __version__ = metadata.version("inferwatch")
except metadata.PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+local"
