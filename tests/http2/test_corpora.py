"""External corpora as oracles: http2-frame-test-case and hpack-test-case.

Both are copied into tests/corpora, so the tests never read ../shared.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import hpack
import pytest

from wiretool.http2.frames import H2Diagnostic, decode_frame
from wiretool.http2.hpack import HpackContext

CORPORA = Path(__file__).resolve().parent.parent / "corpora"
FRAME_CASES = sorted((CORPORA / "http2-frame-test-case").glob("*/*.json"))
STORIES = sorted((CORPORA / "hpack-test-case").glob("*/story_*.json"))


def _case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _payload_fields(frame: Any) -> dict[str, Any]:
    """Our frame in the corpus's vocabulary (its frame_payload keys): the fields of its
    body record, ``None`` where the type has no such field."""
    padding = getattr(frame.body, "padding", None).decode() if getattr(frame.body, "padding", None) else None
    return {
        "data": getattr(frame.body, "data", None).decode() if getattr(frame.body, "data", None) is not None else None,
        "padding_length": getattr(frame.body, "pad_length", None),
        "padding": padding,
        "stream_dependency": getattr(frame.body, "stream_dependency", None),
        "weight": getattr(frame.body, "weight", None),
        "exclusive": getattr(frame.body, "exclusive", None),
        "header_block_fragment": getattr(frame.body, "fragment", None).decode() if getattr(frame.body, "fragment", None) is not None else None,
        "error_code": getattr(frame.body, "error_code", None),
        "settings": [[s.identifier, s.value] for s in getattr(frame.body, "settings", None) or ()],
        "promised_stream_id": getattr(frame.body, "promised_stream_id", None),
        "opaque_data": getattr(frame.body, "opaque_data", None).decode() if getattr(frame.body, "opaque_data", None) is not None else None,
        "last_stream_id": getattr(frame.body, "last_stream_id", None),
        "additional_debug_data": (
            getattr(frame.body, "debug_data", None).decode() if getattr(frame.body, "debug_data", None) is not None else None),
        "window_size_increment": getattr(frame.body, "window_size_increment", None),
    }


@pytest.mark.parametrize("path", [p for p in FRAME_CASES if p.parent.name != "error"], ids=_case_id)
def test_frame_corpus_normal_cases(path: Path) -> None:
    case = json.loads(path.read_text())
    expected = case["frame"]
    # A CONTINUATION is only legal inside an open block on its stream (RFC 9113 §6.10).
    open_block = expected["stream_identifier"] if expected["type"] == 9 else None
    frame = decode_frame(bytes.fromhex(case["wire"]), open_block=open_block)
    assert (frame.length, frame.type, frame.flags, frame.stream_id) == (
        expected["length"], expected["type"], expected["flags"], expected["stream_identifier"])
    assert not [d for d in frame.diagnostics if d.severity == "error"]
    ours = _payload_fields(frame)
    for key, value in expected["frame_payload"].items():
        if key == "padding" and value is not None:
            continue  # the corpus pads with text; RFC 9113 wants zeros (we warn, and keep it)
        assert ours[key] == value, key


@pytest.mark.parametrize("path", [p for p in FRAME_CASES if p.parent.name == "error"], ids=_case_id)
def test_frame_corpus_error_cases(path: Path) -> None:
    case = json.loads(path.read_text())
    frame = decode_frame(bytes.fromhex(case["wire"]), truncated=False)
    found = {d.error_code for d in frame.diagnostics if isinstance(d, H2Diagnostic)}
    assert found & set(case["error"]), (found, case["error"], case["description"])


def test_frame_corpus_padding_is_read_even_when_not_zero() -> None:
    case = json.loads((CORPORA / "http2-frame-test-case" / "data" / "normal.json").read_text())
    frame = decode_frame(bytes.fromhex(case["wire"]))
    assert frame.body.padding == b"Howdy!"
    assert [d.severity for d in frame.diagnostics] == ["warning"]


@pytest.mark.parametrize("path", STORIES, ids=_case_id)
def test_hpack_stories_one_context_per_story(path: Path) -> None:
    story = json.loads(path.read_text())
    ctx: HpackContext | None = None
    decoder = hpack.Decoder()  # the oracle, fed the same blocks
    for case in story["cases"]:
        size = case.get("header_table_size")
        if ctx is None:
            ctx = HpackContext(table_size_limit=size or 4096)
        elif size is not None:
            ctx.set_limit(size)
        if size is not None:
            decoder.max_allowed_table_size = size
        wire = bytes.fromhex(case["wire"])
        block = ctx.decode_block(wire)
        expected = [(k.encode(), v.encode()) for item in case["headers"] for k, v in item.items()]
        assert block.diagnostics == ()
        assert block.headers == expected
        assert block.headers == [(bytes(n), bytes(v)) for n, v in decoder.decode(wire, raw=True)]
        assert [(e.name, e.value) for e in block.table] == list(
            decoder.header_table.dynamic_entries)


def test_corpus_copy_has_the_required_encoders_and_licence() -> None:
    encoders = {p.parent.name for p in STORIES}
    assert {"nghttp2-change-table-size", "swift-nio-hpack-huffman"} <= encoders
    assert (CORPORA / "hpack-test-case" / "LICENSE").exists()
    assert (CORPORA / "http2-frame-test-case" / "LICENSE").exists()


def test_check_script_on_the_copied_corpus() -> None:
    script = Path(__file__).resolve().parents[2] / "scripts" / "check_hpack_corpus.py"
    result = subprocess.run(
        [sys.executable, str(script), str(CORPORA / "hpack-test-case")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "swift-nio-hpack-huffman: 8 stories" in result.stdout
    assert result.stdout.rstrip().endswith("all ok")
