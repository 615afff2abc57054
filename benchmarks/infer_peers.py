#!/usr/bin/env python3
"""What blackboxprotobuf or protobuf-inspector reads each length-delimited field as.

Run by ``bench_infer.py`` with the Python of the throwaway venv the peers live in
(it imports nothing of wiretool's): ``python infer_peers.py bbpb|inspector`` reads a
varint-delimited stream of messages on stdin and prints one JSON line per message:
the tree ``[[field number, kind, children], ...]`` of its length-delimited fields in
wire order, kind one of ``message``, ``string``, ``bytes``, ``packed`` (children only
for ``message``), or ``null`` when the tool failed on the message.

How each tool's reading becomes a kind:

- blackboxprotobuf (``decode_message``): a decoded ``dict`` is a message, ``str`` a
  string, ``bytes`` bytes, a ``list`` within one occurrence packed numbers (a field
  whose type conflicts with its typedef is under an alternate key such as ``4-1``).
- protobuf-inspector (``StandardParser``, whose every length-delimited field goes
  through ``parse_chunk``): the branch ``parse_chunk`` takes - message, packed
  (its "packed chunk"), string, or the bytes hex dump; an "empty chunk" counts as
  bytes. A subclass records the branch, nothing else changes.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def len_fields(data: bytes) -> list[tuple[int, bytes]]:
    """(number, payload) of the length-delimited fields of a valid message, in order.

    Groups exist only in payloads a tool misread as messages (never in the ground
    truth), where their fields are never compared: they are read as if at this level.
    """
    out = []
    pos = 0
    while pos < len(data):
        tag, pos = read_varint(data, pos)
        wire = tag & 7
        if wire == 0:
            _, pos = read_varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            size, pos = read_varint(data, pos)
            out.append((tag >> 3, data[pos : pos + size]))
            pos += size
        elif wire not in (3, 4):  # a group's fields are read as if at this level
            raise ValueError(f"wire type {wire}")
    return out


def messages(stream: bytes) -> list[bytes]:
    out = []
    pos = 0
    while pos < len(stream):
        size, pos = read_varint(stream, pos)
        out.append(stream[pos : pos + size])
        pos += size
    return out


# -- blackboxprotobuf --------------------------------------------------------------


def bbpb_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "message"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (bytes, bytearray)):
        return "bytes"
    if isinstance(value, list):
        return "packed"
    return "other"


def bbpb_tree(data: bytes, decoded: dict[str, Any]) -> list[Any]:
    fields = len_fields(data)
    counts: dict[int, int] = {}
    for number, _ in fields:
        counts[number] = counts.get(number, 0) + 1
    seen: dict[int, int] = {}
    out: list[Any] = []
    for number, payload in fields:
        value = decoded.get(str(number))
        if value is None:  # a type that conflicts with the typedef: an alternate key "4-1"
            value = next((v for k, v in decoded.items() if k.startswith(f"{number}-")), None)
        if counts[number] > 1 or (isinstance(value, list) and value
                                  and isinstance(value[0], (dict, str, bytes, list))):
            index = seen.get(number, 0)
            seen[number] = index + 1
            value = value[index] if isinstance(value, list) and index < len(value) else None
        kind = bbpb_kind(value)
        children = bbpb_tree(payload, value) if kind == "message" else []
        out.append([number, kind, children])
    return out


def run_bbpb(items: list[bytes]) -> None:
    import blackboxprotobuf

    for data in items:
        try:
            decoded, _ = blackboxprotobuf.decode_message(data)
            tree: list[Any] | None = bbpb_tree(data, decoded)
        except Exception:  # the peer's own failure on this message: recorded as null
            tree = None
        print(json.dumps(tree))


# -- protobuf-inspector --------------------------------------------------------------


def run_inspector(items: list[bytes]) -> None:
    from protobuf_inspector.types import StandardParser

    class Recorder(StandardParser):  # type: ignore[misc]
        """StandardParser.parse_chunk, recording which branch it takes."""

        def __init__(self) -> None:
            super().__init__()
            self.frames: list[list[Any]] = [[]]

        def parse_chunk(self, file: Any, type: str) -> str:
            chunk = file.read()
            if not chunk:
                self.frames[-1].append(["bytes", []])
                return "empty chunk"
            self.frames.append([])
            try:
                text = self.parse_message(io.BytesIO(chunk), "message")
                children = self.frames.pop()
                self.frames[-1].append(["message", children])
                return str(text)
            except Exception:
                self.frames.pop()
            self.frames.append([])
            try:
                if len(chunk) >= 5:
                    text = self.parse_packed(io.BytesIO(chunk), "packed chunk")
                    self.frames.pop()
                    self.frames[-1].append(["packed", []])
                    return str(text)
                self.frames.pop()
            except Exception:
                self.frames.pop()
            try:
                if self.is_probable_string(chunk.decode("utf-8")):
                    self.frames[-1].append(["string", []])
                    return str(self.parse_string(io.BytesIO(chunk), "string"))
            except UnicodeError:
                pass
            self.frames[-1].append(["bytes", []])
            return str(self.parse_bytes(io.BytesIO(chunk), "bytes"))

    def numbered(data: bytes, recorded: list[Any]) -> list[Any]:
        fields = len_fields(data)
        if len(fields) != len(recorded):
            raise ValueError("the recording does not match the message")
        return [[number, kind, numbered(payload, children) if kind == "message" else []]
                for (number, payload), (kind, children) in zip(fields, recorded, strict=True)]

    for data in items:
        parser = Recorder()
        parser.types["root"] = {"compact": False}
        try:
            parser.parse_message(io.BytesIO(data), "root")
            tree: list[Any] | None = numbered(data, parser.frames[0])
        except Exception:  # the peer's own failure on this message: recorded as null
            tree = None
        print(json.dumps(tree))


def main() -> None:
    items = messages(sys.stdin.buffer.read())
    sys.setrecursionlimit(20_000)
    {"bbpb": run_bbpb, "inspector": run_inspector}[sys.argv[1]](items)


if __name__ == "__main__":
    main()
