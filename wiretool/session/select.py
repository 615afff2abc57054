"""Which records a session yields: ``--summary``, ``--stream``, ``--type``, ``--limit``.

``Selection.kept`` filters the records one input event produced and notes whether
any record (shown or not) says the input is malformed; ``Selection.stop_before`` ends
the frame list after ``--limit`` frames. The capture pipeline, the dump pipeline and
every ``--jobs`` worker select with it.
"""

from __future__ import annotations

from wiretool.capture.model import CaptureDiagnostic
from wiretool.errors import Severity
from wiretool.grpc.messages import GrpcMessage, GrpcStatus
from wiretool.http2.constants import FrameType
from wiretool.http2.frames import Frame, Preface
from wiretool.session.options import SessionOptions
from wiretool.session.records import Located, SessionRecord, record_has_error

_BLOCK_TYPES = frozenset({FrameType.HEADERS, FrameType.PUSH_PROMISE})


class Selection:
    """The options that choose records, applied; ``malformed`` once any record had an
    error, ``limit_reached`` once ``--limit`` stopped the list."""

    def __init__(self, options: SessionOptions, *, capture: bool) -> None:
        """``capture``: the input is a capture (``--summary`` then shows only totals)."""
        self.summary_only = options.summary and capture
        self.streams = options.streams
        types = set(options.frame_types)
        if types & _BLOCK_TYPES:
            # The block is shown on the frame with END_HEADERS, often a CONTINUATION.
            types.add(FrameType.CONTINUATION)
        self.frame_types = frozenset(types)
        self.limit = options.limit
        self.frames_shown = 0
        self.filtered = bool(self.streams or self.frame_types)
        """``--stream`` or ``--type`` chooses the frames shown."""
        self.frames_read = 0
        self.frames_matched = 0
        """With a filter: the frames read, and those it kept."""
        self.limit_reached = False
        self.malformed = False

    def kept(self, items: list[SessionRecord]) -> list[SessionRecord]:
        """The records of ``items`` to yield, in order."""
        filtered = self.filtered
        kept = []
        for item in items:
            if isinstance(item, Located):
                if record_has_error(item.record):
                    self.malformed = True
                if filtered:
                    shown = self._shown(item.record)
                    if type(item.record) is Frame:
                        self.frames_read += 1
                        self.frames_matched += shown
                    if not shown:
                        continue
                if self.summary_only:
                    continue
            elif isinstance(item, CaptureDiagnostic) and item.severity is Severity.ERROR:
                self.malformed = True
            kept.append(item)
        return kept

    def stop_before(self, item: SessionRecord) -> bool:
        """Count ``item`` if it is a frame; True (stop) when it is one past ``--limit``,
        so the gRPC messages and diagnostics the last frame completed are still shown."""
        if self.limit is None or not isinstance(item, Located) \
                or not isinstance(item.record, Frame):
            return False
        if self.frames_shown >= self.limit:
            self.limit_reached = True
            return True
        self.frames_shown += 1
        return False

    def _shown(self, record: object) -> bool:
        """``--stream``/``--type`` (gRPC records go with their DATA/HEADERS frames)."""
        streams, types = self.streams, self.frame_types
        if isinstance(record, Frame):
            return not ((streams and record.stream_id not in streams)
                        or (types and record.type not in types))
        if isinstance(record, GrpcMessage | GrpcStatus):
            kind = FrameType.DATA if isinstance(record, GrpcMessage) else FrameType.HEADERS
            return not ((streams and record.stream_id not in streams)
                        or (types and kind not in types))
        return not isinstance(record, Preface)  # the preface is of no stream
