"""OTLP requests as data: the three signals, decoding (protobuf, OTLP/JSON), validation, partition splits.

Pure logic: no I/O, no clock. Receivers in ``gateway.receivers`` call these.
"""

from processors.otlp.errors import PayloadError
from processors.otlp.json_codec import decode_json, decode_protobuf, encode_json
from processors.otlp.signals import Signal
from processors.otlp.validate import NANOS_PER_DAY, ValidationResult, split_by_partition, validate

__all__ = [
    "NANOS_PER_DAY",
    "PayloadError",
    "Signal",
    "ValidationResult",
    "decode_json",
    "decode_protobuf",
    "encode_json",
    "split_by_partition",
    "validate",
]
