"""The gateway's configuration: frozen dataclasses (``schema``) and the YAML loader (``loader``).

Reads: the YAML file, the environment and ``--set`` overrides (through ``load_config``). Writes: nothing.
Config keys: all of them; see ``docs/configuration.md``.
"""

from gateway.config.dump import dump_config
from gateway.config.loader import ConfigError, load_config, load_config_text
from gateway.config.ml_schema import MlConfig, PiiConfig
from gateway.config.schema import (
    ClickHouseConfig,
    Config,
    GrpcReceiverConfig,
    HttpReceiverConfig,
    IngestConfig,
    QueryApiConfig,
    ReceiversConfig,
    TtlConfig,
    format_duration,
    format_size,
    mask_url_password,
    parse_duration,
    parse_size,
)

__all__ = [
    "ClickHouseConfig",
    "Config",
    "ConfigError",
    "GrpcReceiverConfig",
    "HttpReceiverConfig",
    "IngestConfig",
    "MlConfig",
    "PiiConfig",
    "QueryApiConfig",
    "ReceiversConfig",
    "TtlConfig",
    "dump_config",
    "format_duration",
    "format_size",
    "load_config",
    "load_config_text",
    "mask_url_password",
    "parse_duration",
    "parse_size",
]
