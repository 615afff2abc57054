"""``compare-json`` for people: sizes, per-field breakdown, a bar chart, advice.

Reads :class:`~wiretool.protobuf.sizes.Comparison` / ``BatchSummary`` and writes rich
tables. Every wire-derived string goes into ``Text`` objects through ``escape_text``
(field paths, input names) or ``escape_message`` (diagnostics and errors); rich
markup is never interpreted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from wiretool.protobuf.sizes import COMPRESSORS, BatchSummary, Comparison, EncodedSize, FieldSize
from wiretool.render.escape import escape_message, escape_text
from wiretool.render.layout import cut_left, width

BAR_WIDTH = 30
FIELDS_TITLE = "Per field (protobuf: tag+len+payload; JSON: key+quotes+colon+value+sep)"
FIELDS_TITLE_PROTOBUF = "Per field, protobuf: tag+len+payload"
FIELDS_TITLE_JSON = "Per field, JSON: key+quotes+colon+value+sep"
CHART_TITLE = "Where the bytes go (# protobuf, = JSON compact)"


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
    tables = _fields_tables(c, depth, console)
    if len(tables) == 1:
        console.print(_t(FIELDS_TITLE))
        console.print(tables[0])
    else:
        console.print(_t(FIELDS_TITLE_PROTOBUF))
        console.print(tables[0])
        console.print(_t(FIELDS_TITLE_JSON))
        console.print(tables[1])
    console.print(_t(CHART_TITLE))
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


_PROTOBUF_COLUMNS = ("#", "tag", "len", "payload", "protobuf")
_JSON_COLUMNS = ("key", "quotes", "colon", "value", "sep", "JSON")
FIELD_WIDTH = 22
"""The field column's widest (names are cut from the left beyond it)."""
TYPE_WIDTH = 28
"""The type column's widest; it narrows to ``TYPE_LEAST`` before the table splits."""
TYPE_LEAST = 12

_Row = tuple[str, str, list[str], str]
"""(label, type, the eleven numbers as text, style: "" | "yellow" (unknown field, its
type shown so) | "dim" | "bold") of a row of the per-field table."""


def _fields_rows(c: Comparison, depth: int) -> list[_Row]:
    """The rows of the per-field table: the fields down to ``depth`` levels, the
    object braces, the total."""
    rows: list[_Row] = []

    def add(f: FieldSize, level: int) -> None:
        name = f.path.rsplit(".", 1)[-1] if level else f.path
        label = "  " * level + cut_left(escape_text(name), FIELD_WIDTH - 2 * level)
        pb, js = f.protobuf, f.json
        numbers = [f.occurrences, pb.tag, pb.length_prefix, pb.payload + pb.end_group,
                   pb.total, js.key, js.quotes, js.colon, js.value, js.separator, js.total]
        rows.append((label, f.type or f"unknown ({f.number})", [str(n) for n in numbers],
                     "" if f.type else "yellow"))
        if level + 1 < depth:
            for child in f.children:
                add(child, level + 1)

    for f in c.fields:
        add(f, 0)
    rows.append(("(object braces)", "", ["", "", "", "", "0", "", "", "", "", "",
                                         str(c.json_overhead)], "dim"))
    rows.append(("total", "", ["", "", "", "", str(c.protobuf.bytes), "", "", "", "", "",
                               str(c.json.bytes)], "bold"))
    return rows


def _fields_tables(c: Comparison, depth: int, console: Console) -> list[Table]:
    """The per-field table: one table when it fits the console (the type column
    narrowed down to ``TYPE_LEAST``, type names cut from the left), else its
    protobuf half and its JSON half one under the other. Numbers are never cut."""
    rows = _fields_rows(c, depth)
    widest_type = max([4, *(width(escape_text(t)) for _, t, _, _ in rows)])
    top = min(widest_type, TYPE_WIDTH)
    for type_width in range(top, min(top, TYPE_LEAST) - 1, -1):
        whole = _field_table(rows, type_width, protobuf=True, json=True)
        if _width_of(whole, console) <= console.width:
            return [whole]
    for type_width in range(top, min(top, TYPE_LEAST) - 1, -1):
        halves = [_field_table(rows, type_width, protobuf=True, json=False),
                  _field_table(rows, type_width, protobuf=False, json=True)]
        if _width_of(halves[0], console) <= console.width:
            break
    return halves


def _width_of(table: Table, console: Console) -> int:
    return Measurement.get(console, console.options.update(width=10_000), table).maximum


def _field_table(rows: list[_Row], type_width: int, *,
                 protobuf: bool, json: bool) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    numbers: list[int] = []
    table.add_column("field", no_wrap=True)
    if protobuf:
        table.add_column("type", no_wrap=True)
        numbers += range(0, 5)
    else:
        numbers.append(0)  # the JSON half: how many times, then the JSON parts
    if json:
        numbers += range(5, 11)
    headers = [*_PROTOBUF_COLUMNS, *_JSON_COLUMNS]
    for index in numbers:
        widest = max(len(headers[index]), *(len(r[2][index]) for r in rows))
        table.add_column(headers[index], justify="right", no_wrap=True, min_width=widest)
    totals = {4, 10}
    for label, type_text, values, style in rows:
        cells: list[Text | str] = [Text(label, style=style if style != "yellow" else "")]
        if protobuf:
            shown = cut_left(escape_text(type_text), type_width)
            cells.append(Text(shown, style="yellow" if style == "yellow" else ""))
        cells += [Text(values[i], style="bold") if i in totals and values[i] else values[i]
                  for i in numbers]
        table.add_row(*cells)
    return table


def _chart(c: Comparison) -> Table:
    """Two bars per top-level field on one scale: protobuf (#) and JSON (=)."""
    table = Table(
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
                Text(cut_left(escape_text(f.path), 24)) if char == "#" else Text(""),
                Text(bar, style=style),
                str(n),
            )
    return table


def _diagnostics(c: Comparison, console: Console) -> None:
    for d in c.diagnostics:
        style = "red" if d.severity.value == "error" else "yellow"
        console.print(_message(f"{d.severity.value}: {d.message}", style))


_INPUT_SIZES = ("protobuf", "JSON", "ratio")
_INPUT_GZIP = ("protobuf gzip", "JSON gzip", "ratio gzip")


def _input_numbers(c: Comparison) -> tuple[str, ...]:
    """The numbers of one input's row: sizes and ratio, then the same with gzip."""
    return (str(c.protobuf.bytes), str(c.json.bytes), _ratio(c.json.bytes, c.protobuf.bytes),
            str(c.protobuf.gzip_bytes), str(c.json.gzip_bytes),
            _ratio(c.json.gzip_bytes, c.protobuf.gzip_bytes))


def _inputs_table(names: Sequence[str], types: Sequence[str], rows: Sequence[tuple[str, ...]],
                  name_width: int, type_width: int, *, two_lines: bool,
                  columns: range = range(6)) -> Table:
    """One row per input: its name and type (cut from the left to the widths given),
    then its numbers (``_input_numbers``) of ``columns``, never cut."""
    per = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header in ("input", "type"):
        per.add_column(header, no_wrap=True)
    for index in columns:
        header = (*_INPUT_SIZES, *_INPUT_GZIP)[index]
        shown = header.replace(" ", "\n") if two_lines else header
        widest = max([*map(len, shown.split("\n")), *(len(row[index]) for row in rows)])
        per.add_column(shown, justify="right", no_wrap=True, min_width=widest)
    for name, type_text, row in zip(names, types, rows, strict=True):
        per.add_row(Text(cut_left(name, name_width)), Text(cut_left(type_text, type_width)),
                    *(row[index] for index in columns))
    return per


def _inputs_tables(items: Sequence[tuple[str, str, Comparison]], console: Console
                   ) -> list[Table]:
    """The inputs table as it fits the console: whole, its headers on two lines
    ("protobuf" over "gzip") before names are cut, names and types cut from the left
    down to 12 and 10 cells; else its sizes and its gzip sizes one under the other,
    fitted the same way. Numbers are never cut. Each layout is measured on one row of
    the widest cells (a batch may have thousands of inputs); the chosen one is built
    with every row."""
    names = [escape_text(name) for name, _, _ in items]
    types = [escape_text(c.type_name + (" ~" if c.estimate else "")) for _, _, c in items]
    rows = [_input_numbers(c) for _, _, c in items]
    numbers = tuple(max(column, key=len) for column in zip(*rows, strict=True)) or ("",) * 6
    natural_name = min(max([5, *map(width, names)]), 40)
    natural_type = min(max([4, *map(width, types)]), 30)

    def widest_cut(texts: list[str]) -> Callable[[int], str]:
        """The widest of ``texts`` cut to so many cells (a cut ends at a segment: a
        shorter text may stay wider than a longer one cut)."""
        return cache(lambda cells: max((cut_left(text, cells) for text in texts), key=width,
                                       default=""))

    widest_name, widest_type = widest_cut(names), widest_cut(types)

    layouts = [(parts, max(12, natural_name - shrink), max(10, natural_type - shrink), two_lines)
               for parts in ((range(6),), (range(3), range(3, 6)))
               for shrink in range(max(natural_name - 12, natural_type - 10, 0) + 1)
               for two_lines in (False, True)]

    def fits(layout: tuple[tuple[range, ...], int, int, bool]) -> bool:
        parts, name_width, type_width, two_lines = layout
        probe = ([widest_name(name_width)], [widest_type(type_width)], [numbers])
        return all(_width_of(_inputs_table(*probe, name_width, type_width, two_lines=two_lines,
                                           columns=columns), console) <= console.width
                   for columns in parts)

    layout = next((layout for layout in layouts if fits(layout)), layouts[-1])
    parts, name_width, type_width, two_lines = layout
    return [_inputs_table(names, types, rows, name_width, type_width, two_lines=two_lines,
                          columns=columns) for columns in parts]


def render_batch(
    items: Sequence[tuple[str, str, Comparison]],
    errors: Sequence[tuple[str, str]],
    summary: BatchSummary | None,
    console: Console,
) -> None:
    """Many inputs: one line each, then count/total/median/p95 per encoding and the ratios.
    Input names and type names are cut from the left to fit the console; numbers never."""
    console.print(_t("Inputs"))
    for table in _inputs_tables(items, console):
        console.print(table)
    if summary is not None:
        agg = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        console.print(_t(f"{summary.count} messages (each compressed on its own)"))
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
