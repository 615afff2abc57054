"""``compare-json`` for people: sizes, per-field breakdown, a bar chart, advice.

Reads :class:`~wiretool.protobuf.sizes.Comparison` / ``Summary`` and writes rich
tables. Every wire-derived string goes into ``Text`` objects through ``escape_text``
(field paths, input names) or ``escape_message`` (diagnostics and errors); rich
markup is never interpreted.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from wiretool.protobuf.sizes import COMPRESSORS, Comparison, EncodedSize, FieldSize, Summary
from wiretool.render.escape import escape_message, escape_text, shorten

BAR_WIDTH = 30


def _t(text: str, style: str = "") -> Text:
    return Text(escape_text(text), style=style)


def _message(text: str, style: str) -> Text:
    """A diagnostic or error line (it may quote the input)."""
    return Text(escape_message(text), style=style)


def _ratio(top: int, bottom: int) -> str:
    return f"{top / bottom:.2f}x" if bottom else "-"


def render_comparison(
    c: Comparison, console: Console, *, name: str, kind: str, depth: int = 2
) -> None:
    """The full report of one input."""
    what = f"{name}: {kind} input"
    if c.input_bytes is not None:
        what += f", {c.input_bytes} bytes"
    what += f"; type {c.type_name}"
    if c.estimate:
        what += " (inferred from the JSON: protobuf size is an estimate)"
    console.print(_t(what, "bold"))
    console.print(_t(f"JSON mapping: {c.mapping}", "dim"))
    console.print(_sizes_table(c))
    console.print(_fields_table(c, depth))
    console.print(_chart(c))
    if c.advice:
        console.print(_t("Advice", "bold"))
        for a in c.advice:
            saved = []
            if a.protobuf_bytes_saved:
                saved.append(f"protobuf -{a.protobuf_bytes_saved} B")
            if a.json_bytes_saved:
                saved.append(f"JSON -{a.json_bytes_saved} B")
            console.print(_t(f"  - {a.message} [{', '.join(saved)}]"))
    _diagnostics(c, console)


def _sizes_table(c: Comparison) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("encoding")
    table.add_column("bytes", justify="right")
    for comp in COMPRESSORS:
        table.add_column(comp, justify="right")
    table.add_column("x protobuf", justify="right")
    table.add_column(f"x protobuf ({next(iter(COMPRESSORS))})", justify="right")
    rows: list[tuple[str, EncodedSize | None]] = [
        ("protobuf" + (" (estimate)" if c.estimate else ""), c.protobuf),
        ("JSON compact", c.json),
        ("JSON pretty", c.json_pretty),
        ("input JSON", c.input_json),
    ]
    first = next(iter(COMPRESSORS))
    for label, size in rows:
        if size is None:
            continue
        table.add_row(
            _t(label),
            str(size.bytes),
            *(str(size.compressed[k]) for k in COMPRESSORS),
            "" if size is c.protobuf else _ratio(size.bytes, c.protobuf.bytes),
            ""
            if size is c.protobuf
            else _ratio(size.compressed[first], c.protobuf.compressed[first]),
        )
    return table


def _fields_table(c: Comparison, depth: int) -> Table:
    table = Table(
        title="Per field (protobuf: tag+len+payload; JSON: key+quotes+colon+value+sep)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    for header in (
        "field",
        "type",
        "#",
        "tag",
        "len",
        "payload",
        "protobuf",
        "key",
        "quotes",
        "colon",
        "value",
        "sep",
        "JSON",
    ):
        left = header in ("field", "type")
        table.add_column(
            header,
            justify="left" if left else "right",
            no_wrap=True,
            min_width=None if left else len(header),
            max_width={"field": 22, "type": 20}.get(header),
            overflow="ellipsis",
        )

    def add(f: FieldSize, level: int) -> None:
        label = "  " * level + (f.path.rsplit(".", 1)[-1] if level else f.path)
        pb, js = f.protobuf, f.json
        table.add_row(
            _t(shorten(label, 22)),
            _t(shorten(f.type or f"unknown ({f.number})", 20), "" if f.type else "yellow"),
            str(f.occurrences),
            str(pb.tag),
            str(pb.length_prefix),
            str(pb.payload + pb.end_group),
            Text(str(pb.total), style="bold"),
            str(js.key),
            str(js.quotes),
            str(js.colon),
            str(js.value),
            str(js.separator),
            Text(str(js.total), style="bold"),
        )
        if level + 1 < depth:
            for child in f.children:
                add(child, level + 1)

    for f in c.fields:
        add(f, 0)
    table.add_row(
        _t("(object braces)", "dim"),
        "",
        "",
        "",
        "",
        "",
        "0",
        "",
        "",
        "",
        "",
        "",
        str(c.json_overhead),
    )
    table.add_row(
        _t("total", "bold"),
        "",
        "",
        "",
        "",
        "",
        Text(str(c.protobuf.bytes), style="bold"),
        "",
        "",
        "",
        "",
        "",
        Text(str(c.json.bytes), style="bold"),
    )
    return table


def _chart(c: Comparison) -> Table:
    """Two bars per top-level field on one scale: protobuf (#) and JSON (=)."""
    table = Table(
        title="Where the bytes go (# protobuf, = JSON compact)",
        title_justify="left",
        box=None,
        show_header=False,
        pad_edge=False,
    )
    table.add_column("field")
    table.add_column("bar")
    table.add_column("bytes", justify="right")
    biggest = max([1, *(max(f.protobuf_bytes, f.json_bytes) for f in c.fields)])
    ordered = sorted(c.fields, key=lambda f: -(f.json_bytes + f.protobuf_bytes))
    for f in ordered:
        for char, n, style in (("#", f.protobuf_bytes, "cyan"), ("=", f.json_bytes, "magenta")):
            bar = char * max(1 if n else 0, round(n * BAR_WIDTH / biggest))
            table.add_row(
                _t(shorten(f.path, 24)) if char == "#" else Text(""),
                Text(bar, style=style),
                str(n),
            )
    return table


def _diagnostics(c: Comparison, console: Console) -> None:
    for d in c.diagnostics:
        style = "red" if d.severity.value == "error" else "yellow"
        console.print(_message(f"{d.severity.value}: {d.message}", style))


def render_batch(
    items: Sequence[tuple[str, str, Comparison]],
    errors: Sequence[tuple[str, str]],
    summary: Summary | None,
    console: Console,
) -> None:
    """Many inputs: one line each, then count/total/median/p95 per encoding and the ratios."""
    per = Table(
        box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title="Inputs", title_justify="left"
    )
    for header in (
        "input",
        "type",
        "protobuf",
        "JSON",
        "ratio",
        "protobuf gzip",
        "JSON gzip",
        "ratio gzip",
    ):
        per.add_column(header, justify="left" if header in ("input", "type") else "right")
    for name, _kind, c in items:
        per.add_row(
            _t(name if len(name) <= 40 else "…" + name[-39:]),
            _t(shorten(c.type_name + (" ~" if c.estimate else ""), 30)),
            str(c.protobuf.bytes),
            str(c.json.bytes),
            _ratio(c.json.bytes, c.protobuf.bytes),
            str(c.protobuf.gzip_bytes),
            str(c.json.gzip_bytes),
            _ratio(c.json.gzip_bytes, c.protobuf.gzip_bytes),
        )
    console.print(per)
    if summary is not None:
        agg = Table(
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            title=f"{summary.count} messages (each compressed on its own)",
            title_justify="left",
        )
        for header in ("encoding", "count", "total", "median", "p95", "min", "max"):
            agg.add_column(header, justify="left" if header == "encoding" else "right")
        for enc, st in summary.encodings.items():
            agg.add_row(
                _t(enc),
                str(st.count),
                str(st.total),
                f"{st.median:g}",
                str(st.p95),
                str(st.min),
                str(st.max),
            )
        console.print(agg)
        line = f"JSON / protobuf, total bytes: {summary.ratio:.2f}x" if summary.ratio else ""
        for comp, r in summary.compressed_ratio.items():
            if r is not None:
                line += f"; with {comp}: {r:.2f}x"
        console.print(_t(line, "bold"))
        if any(c.estimate for _, _, c in items):
            console.print(
                _t("~ protobuf size estimated from a schema inferred from the JSON", "dim")
            )
    for name, message in errors:
        console.print(_message(f"error: {name}: {message}", "red"))
    for name, _kind, c in items:
        for d in c.diagnostics:
            console.print(_message(f"{d.severity.value}: {name}: {d.message}", "yellow"))
