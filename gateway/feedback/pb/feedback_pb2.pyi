from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Label(_message.Message):
    __slots__ = ("request_id", "model", "label_class", "label_value", "event_time_unix_nano")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    LABEL_CLASS_FIELD_NUMBER: _ClassVar[int]
    LABEL_VALUE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    model: str
    label_class: str
    label_value: float
    event_time_unix_nano: int
    def __init__(self, request_id: _Optional[str] = ..., model: _Optional[str] = ..., label_class: _Optional[str] = ..., label_value: _Optional[float] = ..., event_time_unix_nano: _Optional[int] = ...) -> None: ...

class SubmitLabelsRequest(_message.Message):
    __slots__ = ("labels",)
    LABELS_FIELD_NUMBER: _ClassVar[int]
    labels: _containers.RepeatedCompositeFieldContainer[Label]
    def __init__(self, labels: _Optional[_Iterable[_Union[Label, _Mapping]]] = ...) -> None: ...

class SubmitLabelsResponse(_message.Message):
    __slots__ = ("accepted", "rejected", "errors")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    rejected: int
    errors: _containers.RepeatedCompositeFieldContainer[LabelError]
    def __init__(self, accepted: _Optional[int] = ..., rejected: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[LabelError, _Mapping]]] = ...) -> None: ...

class LabelError(_message.Message):
    __slots__ = ("index", "message")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    index: int
    message: str
    def __init__(self, index: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...
