"""``compare-json --format json``: comparisons as plain JSON (the documented contract).

Reads :class:`~wiretool.protobuf.sizes.Comparison` and
:class:`~wiretool.protobuf.sizes.BatchSummary`; computes nothing but ratios. Input
names and messages go through ``escape_message``: they may quote the input, and
the document is UTF-8, which cannot hold a lone surrogate.
The contract is documented field by field in docs/json.md ("compare-json").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO, Any

from wiretool.protobuf.sizes import BatchSummary, Comparison, EncodedSize, FieldSize
from wiretool.render.escape import escape_json, escape_message
from wiretool.render.json_text import exact_integers

SCHEMA_VERSION = 1


def _ratio(top: int | None, bottom: int) -> float | None:
    return round(top / bottom, 4) if top is not None and bottom else None


def _size(size: EncodedSize) -> dict[str, int]:
    return {"bytes": size.bytes, **{f"{k}_bytes": v for k, v in size.compressed.items()}}


def field_to_dict(f: FieldSize) -> dict[str, Any]:
    return {
        "path": f.path,
        "name": f.name,
        "number": f.number,
        "type": f.type,
        "json_name": f.json_name,
        "occurrences": f.occurrences,
        "protobuf_bytes": f.protobuf_bytes,
        "protobuf": {
            "tag": f.protobuf.tag,
            "length_prefix": f.protobuf.length_prefix,
            "payload": f.protobuf.payload,
            "end_group": f.protobuf.end_group,
        },
        "json_bytes": f.json_bytes,
        "json": {
            "key": f.json.key,
            "quotes": f.json.quotes,
            "colon": f.json.colon,
            "value": f.json.value,
            "separator": f.json.separator,
        },
        "children": [field_to_dict(c) for c in f.children],
    }


def comparison_to_dict(c: Comparison, name: str, kind: str) -> dict[str, Any]:
    """One input's comparison; ``kind`` is ``json`` or ``binary``."""
    pb = c.protobuf
    ratios: dict[str, float | None] = {"json": _ratio(c.json.bytes, pb.bytes)}
    for comp in c.json.compressed:
        ratios[f"json_{comp}"] = _ratio(c.json.compressed[comp], pb.compressed[comp])
    ratios["json_pretty"] = _ratio(c.json_pretty.bytes, pb.bytes)
    if c.input_json is not None:
        ratios["input"] = _ratio(c.input_json.bytes, pb.bytes)
        ratios["input_gzip"] = _ratio(c.input_json.gzip_bytes, pb.gzip_bytes)
    return {
        "input": {"name": escape_message(name), "kind": kind, "bytes": c.input_bytes},
        "type": c.type_name,
        "schema": "inferred"
        if c.estimate or c.type_name.startswith("wiretool.inferred.")
        else "given",
        "estimate": c.estimate,
        "protobuf": _size(pb),
        "json": {
            **_size(c.json),
            "pretty_bytes": c.json_pretty.bytes,
            **{f"pretty_{k}_bytes": v for k, v in c.json_pretty.compressed.items()},
            "input_bytes": c.input_json.bytes if c.input_json is not None else None,
            **{
                f"input_{k}_bytes": (c.input_json.compressed[k] if c.input_json else None)
                for k in c.json.compressed
            },
            "mapping": c.mapping,
        },
        "ratios": ratios,
        "fields": [field_to_dict(f) for f in c.fields],
        "json_overhead_bytes": c.json_overhead,
        "advice": [
            {
                "kind": a.kind,
                "path": a.path,
                "message": a.message,
                "protobuf_bytes_saved": a.protobuf_bytes_saved,
                "json_bytes_saved": a.json_bytes_saved,
            }
            for a in c.advice
        ],
        "diagnostics": [
            {
                "offset": d.offset,
                "length": d.length,
                "severity": d.severity.value,
                "message": escape_message(d.message),
            }
            for d in c.diagnostics
        ],
    }


def summary_to_dict(s: BatchSummary) -> dict[str, Any]:
    return {
        "count": s.count,
        "encodings": {
            name: {
                "count": st.count,
                "total": st.total,
                "median": st.median,
                "p95": st.p95,
                "min": st.min,
                "max": st.max,
            }
            for name, st in s.encodings.items()
        },
        "ratio": round(s.ratio, 4) if s.ratio is not None else None,
        "compressed_ratio": {
            k: (round(v, 4) if v is not None else None) for k, v in s.compressed_ratio.items()
        },
    }


def render_json(
    items: Sequence[tuple[str, str, Comparison]],
    errors: Sequence[tuple[str, str]],
    summary: BatchSummary | None,
    out: IO[str],
) -> None:
    """One input: its comparison object. Several: ``{"inputs", "summary", "errors"}``.
    Compact, on one line (the CLI indents it for a person); integers beyond 2**53 - 1
    as strings (``json_text.exact_integers``)."""
    error_list = [{"input": escape_message(name), "message": escape_message(message)}
                  for name, message in errors]
    if len(items) == 1 and not errors and summary is None:
        name, kind, c = items[0]
        doc: dict[str, Any] = {"version": SCHEMA_VERSION, **comparison_to_dict(c, name, kind)}
    else:
        doc = {
            "version": SCHEMA_VERSION,
            "inputs": [comparison_to_dict(c, name, kind) for name, kind, c in items],
            "summary": summary_to_dict(summary) if summary is not None else None,
            "errors": error_list,
        }
    out.write(_encode(doc))
    out.write("\n")


def render_json_lines(
    items: Sequence[tuple[str, str, Comparison]],
    errors: Sequence[tuple[str, str]],
    out: IO[str],
) -> None:
    """``--format jsonl``: a line per input, its comparison object (as one input's
    document, with ``version``), then a line per input that failed:
    ``{"version", "input": {"name"}, "error"}``."""
    for name, kind, c in items:
        out.write(_encode({"version": SCHEMA_VERSION, **comparison_to_dict(c, name, kind)})
                  + "\n")
    for name, message in errors:
        out.write(_encode({"version": SCHEMA_VERSION, "input": {"name": escape_message(name)},
                           "error": escape_message(message)}) + "\n")


def _encode(doc: dict[str, Any]) -> str:
    return escape_json(json.dumps(exact_integers(doc), ensure_ascii=False,
                                  separators=(",", ":")))
