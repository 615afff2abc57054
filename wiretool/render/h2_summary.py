"""The ``h2-frames --summary`` view: per connection, per method, and a waterfall.

For each connection of a capture, when it ends (``ConnectionEnd``): its heading
(``h2_text.connection_title``), one line of its calls (how many, statuses by name,
duration quantiles, messages and bytes each way, HPACK ratio), a row per stream when
the session kept them (a connection with few calls, or ``--streams``) with each
failed call's ``grpc-message`` under it, one line for the streams that carried only
PRIORITY frames, a waterfall of its streams (when its rows are shown, or always with
``--waterfall``: a sample of at most ``summary.WATERFALL_ROWS`` streams of a busy
connection, which it says), then HPACK and frame counts per direction. After the
last connection (``CaptureSummary``): one row per method over all connections.

Tables are laid out by hand (``render.layout``): number columns as wide as their
widest number, the ``:path`` column takes the rest and cuts paths from the left
(``…Demo/ServerStream``); when the numbers alone do not fit the terminal, each row
becomes a wrapped line of labelled values instead. Colour marks statuses (OK green,
failures red) and the phases of the waterfall. Reads the model only.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import IO

from rich.console import Console

from wiretool.capture.model import CaptureDiagnostic
from wiretool.direction import Direction
from wiretool.render.escape import escape_text
from wiretool.render.h2_text import STYLES, carrier_text, connection_line, one_side
from wiretool.render.layout import (
    Styles,
    console_like,
    cut_left,
    joined,
    pad,
    width,
    words,
    wrap,
)
from wiretool.session.records import ConnectionEnd, SessionRecord
from wiretool.session.summary import (
    DURATION_ERROR,
    CallStats,
    CaptureSummary,
    ConnectionCalls,
    StreamRow,
    Summary,
    Totals,
    call_failed,
    status_label,
)

QUANTILES = (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))
PATH_MIN = 16
"""The ``:path`` column is never narrower (else the rows are stacked)."""
PATH_MAX = 60
WATERFALL_LABEL_MAX = 30
REQUEST, WAIT, RESPONSE = "▒", "─", "█"
"""The waterfall's marks: the request being sent, waiting, the response."""


def duration_text(ns: float | None) -> str:
    """A duration to three significant digits: ``0.646 ms``, ``12.3 ms``, ``1.64 s``."""
    if ns is None:
        return "-"
    ms = ns / 1e6
    if ms < 1000:
        return f"{ms:.3g} ms" if ms >= 1 else f"{ms:.3f} ms"
    seconds = ns / 1e9
    return f"{seconds:.3g} s" if seconds < 100 else f"{seconds:.0f} s"


def ms_text(ns: float | None) -> str:
    """A duration in milliseconds to about three significant digits (a column whose
    heading says ``ms``): ``0.646``, ``1.64``, ``12.3``, ``1640``."""
    if ns is None:
        return "-"
    ms = ns / 1e6
    if ms < 1:
        return f"{ms:.3f}"
    if ms < 10:
        return f"{ms:.2f}"
    return f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def _ordinal(number: int) -> str:
    """``2nd``, ``3rd``, ``4th``, ``21st``."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(
        number % 10, "th")
    return f"{number}{suffix}"


def _ratio(wire: int, decoded: int) -> str:
    return "-" if not decoded else f"{wire / decoded:.0%}"


class _Table:
    """Rows of cells laid out to a width: number columns as wide as their widest
    cell, one flexible text column (cut from the left), a last column that wraps."""

    def __init__(self, headings: list[str], right: list[bool], flexible: int,
                 last_wraps: bool = False) -> None:
        self.headings = headings
        self.right = right
        self.flexible = flexible
        self.last_wraps = last_wraps
        self.rows: list[tuple[list[str], list[str] | None, str]] = []
        """(cells, lines under the row, role of the last cell)."""

    def add(self, cells: list[str], under: list[str] | None = None, role: str = "") -> None:
        self.rows.append((cells, under, role))

    def widths(self, total: int, indent: int) -> list[int] | None:
        """The columns' widths at ``total`` cells, or None when the fixed columns do not
        leave ``PATH_MIN`` to the flexible one."""
        cells = [max([width(h)] + [width(row[0][i]) for row in self.rows])
                 for i, h in enumerate(self.headings)]
        gaps = 2 * (len(cells) - 1) + indent
        if self.last_wraps:  # as narrow as its widest item (``a, b``: two items)
            cells[-1] = max([width(self.headings[-1])] + [
                width(item) for row in self.rows for item in row[0][-1].split(", ")])
        others = sum(cells) - cells[self.flexible] + gaps
        room = total - others
        if room < PATH_MIN:
            return None
        cells[self.flexible] = min(cells[self.flexible], room, PATH_MAX)
        if self.last_wraps:
            cells[-1] += max(total - (sum(cells) + gaps), 0)
            cells[-1] = min(cells[-1], max([width(row[0][-1]) for row in self.rows]
                                           + [width(self.headings[-1])]))
        return cells

    def lines(self, cells: list[int], indent: int, style: Styles) -> list[str]:
        lead = " " * indent
        out = [style("columns", lead + "  ".join(
            pad(h, w, right=r) for h, w, r in zip(self.headings, cells, self.right,
                                                  strict=True)).rstrip())]
        out.append(lead + style("rule", "─" * (sum(cells) + 2 * (len(cells) - 1))))
        start = sum(cells[:-1]) + 2 * (len(cells) - 1)
        for row, under, role in self.rows:
            texts = list(row)
            texts[self.flexible] = cut_left(texts[self.flexible], cells[self.flexible])
            last = wrap(joined(texts[-1].split(", ")), cells[-1]) if self.last_wraps \
                else [texts[-1]]
            parts = [pad(t, w, right=r) for t, w, r in
                     zip(texts[:-1], cells[:-1], self.right[:-1], strict=True)]
            first = last[0]
            parts.append(style(role, first) if role else first)
            out.append(lead + "  ".join(parts).rstrip())
            out += [lead + " " * start + (style(role, more) if role else more)
                    for more in last[1:]]
            for line in under or ():
                out.append(line)
        return out


class SummaryView:
    """``--summary`` on a capture, printed as the connections end."""

    def __init__(self, console: Console, *, waterfall: bool = False) -> None:
        self.out: IO[str] = console.file
        self.width = max(console.width, 40)
        self.waterfall = waterfall
        self.style = Styles(console, STYLES)

    def render(self, records: Iterable[SessionRecord]) -> None:
        for record in records:
            text = self.text([record])
            if text:
                self.out.write(text)
                self.out.flush()

    def text(self, records: list[SessionRecord]) -> str:
        """The lines of what ``records`` show (connection ends, the capture's
        diagnostics, the capture summary), each ending with a newline."""
        lines: list[str] = []
        for record in records:
            if isinstance(record, ConnectionEnd):
                lines += self.connection(record)
            elif isinstance(record, CaptureSummary):
                lines += self.methods(record)
            elif isinstance(record, CaptureDiagnostic):
                where = f"packet {record.packet_number}, " if record.packet_number else ""
                lines += self._wrap(f"{where}file offset {record.offset}: "
                                    f"{record.severity.value}: {escape_text(record.message)}",
                                    0, "error" if record.severity.value == "error" else "warn")
        return "".join(line + "\n" for line in lines)

    def _wrap(self, text: str, indent: int, role: str = "", hanging: int = 4) -> list[str]:
        lines = wrap(words(text), self.width - indent - hanging, first=self.width - indent)
        out = [" " * indent + lines[0]] + [" " * (indent + hanging) + line
                                           for line in lines[1:]]
        return [self.style(role, line) for line in out] if role else out

    # -- a connection --

    def connection(self, end: ConnectionEnd) -> list[str]:
        sizes = f"({end.client_bytes} + {end.server_bytes} bytes)"
        if end.tunnel is not None:
            return [*self._wrap(connection_line(end.conn, f"{carrier_text(end.reason)} {sizes}"),
                                0, "dim"), ""]
        if not end.http2:
            return [*self._wrap(connection_line(end.conn, f"not HTTP/2: {end.reason}; skipped "
                                                f"{sizes}"), 0, "dim"), ""]
        lines = self._wrap(connection_line(end.conn, f"HTTP/2 ({end.evidence}); {end.reason}; "
                                           f"{end.client_bytes} bytes →, {end.server_bytes} "
                                           "bytes ←" + one_side(end)), 0, "heading")
        summary = end.summary
        calls = summary.calls if summary is not None else None
        if calls is not None:
            lines += self._calls_line(calls.stats, 2)
            if end.rows:
                lines += self._stream_rows(end.rows)
            if calls.priority_only:
                ids = ", ".join(map(str, calls.priority_only_ids))
                more = ", …" if calls.priority_only > len(calls.priority_only_ids) else ""
                lines += self._wrap(
                    f"{calls.priority_only} stream{'s' if calls.priority_only != 1 else ''} "
                    f"carried only PRIORITY frames ({ids}{more}): counted, not calls", 2, "dim")
            if calls.waterfall and (self.waterfall or end.rows):
                lines += self._waterfall(calls)
        if summary is not None:
            lines += self._directions(summary)
        lines.append("")
        return lines

    def _statuses(self, stats: CallStats) -> list[tuple[str, str]]:
        """(text, role) of each status with its count, OK first then by count."""
        ordered = sorted(stats.statuses.items(),
                         key=lambda item: (item[0] not in ("OK", "200"), -item[1], item[0]))
        out = []
        for label, count in ordered:
            failed = label not in ("OK",) and not (label.isdigit() and int(label) < 400)
            role = "fail" if failed else ("ok" if label in ("OK",) or label.isdigit() else "warn")
            if label in ("no response", "no grpc-status"):
                role = "warn"
            out.append((f"{escape_text(label)} {count}", role))
        return out

    def _calls_line(self, stats: CallStats, indent: int) -> list[str]:
        """``N calls: OK 5, NOT_FOUND 1; p50 ..., max ...; messages ...; HPACK ...``."""
        if not stats.calls:
            return self._wrap("no calls", indent, "dim")
        tokens: list[tuple[str, str]] = [(f"{stats.calls} call{'s' if stats.calls != 1 else ''}:",
                                          "")]
        statuses = self._statuses(stats)
        for number, (text, role) in enumerate(statuses):
            end = "," if number < len(statuses) - 1 else ";"
            tokens += [(word, role) for word in words(text)[:-1]]
            tokens.append((words(text)[-1].rstrip() + end, role))
        sketch = stats.durations
        if sketch.count:
            quantiles = [f"{name} {duration_text(sketch.quantile(q))}," for name, q in QUANTILES]
            tokens += [(text, "") for text in [*quantiles, f"max {duration_text(sketch.max_ns)};"]]
        # A count stays with its unit: "(579 B)" is one token.
        if stats.grpc_calls:
            tokens += [("messages", ""), (f"→ {stats.client_messages}", ""),
                       (f"({stats.client_message_bytes} B),", ""),
                       (f"← {stats.server_messages}", ""),
                       (f"({stats.server_message_bytes} B);", "")]
        else:
            tokens += [("data", ""), (f"→ {stats.client_data_bytes} B,", ""),
                       (f"← {stats.server_data_bytes} B;", "")]
        tokens += [("HPACK", ""),
                   (_ratio(stats.hpack_wire_bytes, stats.hpack_decoded_bytes), ""),
                   (f"({stats.hpack_wire_bytes}", ""), ("of", ""),
                   (f"{stats.hpack_decoded_bytes} B)", "")]
        return self._styled_tokens(tokens, indent)

    def _styled_tokens(self, tokens: list[tuple[str, str]], indent: int,
                       hanging: int = 4) -> list[str]:
        """Words wrapped by their plain width, each in its role's style."""
        out: list[str] = []
        line: list[str] = []
        used = indent
        limit = self.width
        for text, role in tokens:
            size = width(text.strip())
            if line and used + 1 + size > limit:
                out.append(" ".join(line))
                line, used = [], indent + hanging
            shown = self.style(role, text.strip()) if role else text.strip()
            if not line:
                line.append(" " * used + shown)
                used += size
            else:
                line.append(shown)
                used += size + 1
        if line:
            out.append(" ".join(line))
        return out

    def _stream_rows(self, rows: tuple[StreamRow, ...]) -> list[str]:
        any_grpc = any(row.grpc for row in rows)
        headings = ["id", "method", ":path", "msg→", "bytes→", "msg←", "bytes←", "frames",
                    "ms", "status"]
        right = [True, False, False, True, True, True, True, True, True, False]
        table = _Table(headings, right, 2, last_wraps=True)
        stacked: list[list[tuple[str, str]]] = []
        for row in rows:
            path = "-" if row.path is None else escape_text(row.path)
            label = escape_text(status_label(row))
            failed = call_failed(row)
            role = "fail" if failed else ("warn" if label.startswith("no ") else "ok")
            duration = (None if row.first_ns is None or row.last_ns is None
                        else row.last_ns - row.first_ns)
            cells = [str(row.stream_id), escape_text(row.method or "-"), path,
                     str(row.client_messages) if row.grpc else "-",
                     str(row.client_message_bytes if row.grpc else row.client_data_bytes),
                     str(row.server_messages) if row.grpc else "-",
                     str(row.server_message_bytes if row.grpc else row.server_data_bytes),
                     str(row.client_frames + row.server_frames), ms_text(duration), label]
            under = None
            if failed and row.grpc_message:
                under = ["grpc-message: " + escape_text(row.grpc_message)]
            table.add(cells, under, role)
            sent = (f"→ {cells[3]} msg ({cells[4]} B)," if row.grpc else f"→ {cells[4]} B,")
            received = (f"← {cells[5]} msg ({cells[6]} B)," if row.grpc
                        else f"← {cells[6]} B,")
            stacked.append([(f"{row.stream_id}", ""), (cells[1], ""), (path, ""),
                            (label + ";", role), (sent, ""), (received, ""),
                            (f"{cells[7]} frames,", ""), (f"{cells[8]} ms", "")])
        if not any_grpc:
            table.headings[3:7] = ["msg→", "data→", "msg←", "data←"]
        widths = table.widths(self.width, 2)
        if widths is not None:
            for _cells, below, _role in table.rows:
                if below:
                    indent = 2 + widths[0] + 2
                    below[:] = [self.style("fail", line) for line in
                                self._wrap(below[0], indent, hanging=2)]
            return table.lines(widths, 2, self.style)
        out: list[str] = []
        for (_cells, below, _role), tokens in zip(table.rows, stacked, strict=True):
            out += self._styled_tokens([(word, role) for text, role in tokens
                                        for word in words(text)], 2, hanging=6)
            if below:
                out += [self.style("fail", line) for line in self._wrap(below[0], 6)]
        return out

    def _waterfall(self, calls: ConnectionCalls) -> list[str]:
        rows = sorted((row for _ordinal, row in calls.waterfall),
                      key=lambda r: (r.opened_ns, r.stream_id))
        start = min(row.opened_ns for row in rows)
        span = max(row.end_ns for row in rows) - start
        ids = max(len(str(row.stream_id)) for row in rows)
        paths = [escape_text(row.path or "-") for row in rows]
        path_cells = min(max(width(p) for p in paths), WATERFALL_LABEL_MAX,
                         max(self.width // 4, 8))
        durations = [duration_text(row.end_ns - row.opened_ns) for row in rows]
        duration_cells = max(width(d) for d in durations)
        bar = self.width - (2 + ids + 2 + path_cells + 2 + 2 + duration_cells)
        if bar < 16:
            return self._wrap("(too narrow for the waterfall)", 2, "dim")
        sampled = calls.stats.calls > len(rows)
        title = (f"waterfall of {len(rows)} of {calls.stats.calls} streams (every "
                 f"{_ordinal(calls.waterfall_step)})" if sampled else "waterfall")
        style = self.style
        lines = self._styled_tokens(
            [(word, "") for word in words(f"{title}: {REQUEST} request, {WAIT} waiting, "
                                          f"{RESPONSE} response; 0 to "
                                          f"{duration_text(span)}")], 2)
        lead = 2 + ids + 2 + path_cells + 2
        axis = [" "] * bar
        for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
            label = "0" if fraction == 0 else duration_text(span * fraction)
            at = round(fraction * (bar - 1))
            begin = min(max(at - len(label) // 2, 0), bar - len(label))
            if fraction == 1.0:
                begin = bar - len(label)
            if all(c == " " for c in axis[max(begin - 1, 0):begin + len(label) + 1]):
                axis[begin:begin + len(label)] = list(label)
        lines.append(style("dim", " " * lead + "".join(axis).rstrip()))

        def column(ns: int) -> int:
            return 0 if span <= 0 else min(int((ns - start) * (bar - 1) / span + 0.5), bar - 1)

        for row, path, duration in zip(rows, paths, durations, strict=True):
            cells = [" "] * bar
            kinds = [""] * bar
            opened, end = column(row.opened_ns), column(row.end_ns)
            request_end = (row.request_end_ns if row.request_end_ns is not None
                           else row.response_ns if row.response_ns is not None else row.end_ns)
            phases = [(row.opened_ns, request_end, REQUEST, "request")]
            if row.response_ns is not None:
                phases.append((request_end, row.response_ns, WAIT, "wait"))
                phases.append((row.response_ns, row.end_ns, RESPONSE,
                               "fail" if row.failed else "response"))
            elif request_end < row.end_ns:
                phases.append((request_end, row.end_ns, WAIT, "wait"))
            for begin_ns, end_ns, mark, kind in phases:
                first, last = column(begin_ns), column(max(end_ns, begin_ns))
                for at in range(first, last + 1):
                    if at == first or kinds[at] in ("", "wait"):
                        cells[at], kinds[at] = mark, kind
            if opened == end and not kinds[opened]:
                cells[opened], kinds[opened] = RESPONSE, "response"
            drawn = self._marks(cells, kinds)
            label = f"{row.stream_id:>{ids}}  {pad(cut_left(path, path_cells), path_cells)}"
            lines.append(f"  {label}  {drawn}  {duration:>{duration_cells}}")
        return lines

    def _marks(self, cells: list[str], kinds: list[str]) -> str:
        """The bar's cells, each run of a kind in its colour."""
        roles = {"request": "client", "wait": "dim", "response": "ok", "fail": "fail", "": ""}
        out: list[str] = []
        run, kind = "", None
        for cell, this in zip(cells, kinds, strict=True):
            if this != kind and run:
                out.append(self.style(roles[kind or ""], run) if kind else run)
                run = ""
            run += cell
            kind = this
        if run:
            out.append(self.style(roles[kind or ""], run) if kind else run)
        return "".join(out)

    def _directions(self, summary: Summary) -> list[str]:
        lines: list[str] = []
        for direction in (Direction.CLIENT, Direction.SERVER):
            totals = summary.directions.get(direction)
            if totals is None:
                continue
            ratio = totals.hpack_ratio
            lines += self._wrap(
                f"{direction} HPACK: {totals.hpack_wire_bytes} bytes on the wire for "
                f"{totals.hpack_decoded_bytes} decoded"
                + ("" if ratio is None else f" ({ratio:.0%})")
                + f", {totals.header_blocks} header block"
                + ("" if totals.header_blocks == 1 else "s"), 2)
            frames = ", ".join(f"{name} {count}" for name, count in sorted(totals.frames.items()))
            lines += self._wrap(f"{direction} frames: {frames}", 2)
        return lines

    # -- all connections --

    def methods(self, summary: CaptureSummary) -> list[str]:
        total = summary.total
        if not total.calls:
            return [*self._wrap(f"all connections: no calls ({summary.connections} "
                                    f"HTTP/2 connection{'s' if summary.connections != 1 else ''})",
                                    0, "heading")]
        count = len(summary.methods) + (1 if summary.other is not None else 0)
        lines = [*self._wrap(
            f"all connections: {total.calls} call{'s' if total.calls != 1 else ''} of "
            f"{count} method{'s' if count != 1 else ''} over {summary.connections} HTTP/2 "
            f"connection{'s' if summary.connections != 1 else ''} (durations in ms: first to "
            f"last frame of each stream; quantiles within {DURATION_ERROR:.0%})", 0, "heading")]
        grpc = total.grpc_calls > 0
        headings = ["method :path", "calls", "p50", "p90", "p99", "max",
                    "msg→" if grpc else "data→", "bytes→" if grpc else "",
                    "msg←" if grpc else "data←", "bytes←" if grpc else "", "HPACK", "status"]
        right = [False] + [True] * 10 + [False]
        table = _Table(headings, right, 0, last_wraps=True)
        entries: list[tuple[str, str, CallStats]] = [
            (escape_text(method) or "-", escape_text(path) or "(no :path)", stats)
            for (method, path), stats in summary.methods]
        if summary.other is not None:
            entries.append(("", "(other methods)", summary.other))
        if len(entries) > 1:
            entries.append(("", "(all)", total))
        stacked: list[list[tuple[str, str]]] = []
        for method, path, stats in entries:
            statuses = self._statuses(stats)
            sketch = stats.durations
            cells = [f"{method} {path}".strip(), str(stats.calls),
                     *[ms_text(sketch.quantile(q)) for _name, q in QUANTILES],
                     ms_text(sketch.max_ns)]
            if grpc:
                cells += [str(stats.client_messages), str(stats.client_message_bytes),
                          str(stats.server_messages), str(stats.server_message_bytes)]
            else:
                cells += [str(stats.client_data_bytes), "", str(stats.server_data_bytes), ""]
            cells += [_ratio(stats.hpack_wire_bytes, stats.hpack_decoded_bytes),
                      ", ".join(text for text, _role in statuses)]
            role = "fail" if stats.failed else "ok"
            under = [f"{escape_text(label)}: {escape_text(message) or '(no grpc-message)'} "
                     f"({n} call{'s' if n != 1 else ''})"
                     for (label, message), n in sorted(stats.failures.items())]
            if stats is total:
                under = []  # said under each method
            elif stats.other_failures:
                under.append(f"… and {stats.other_failures} other failed call"
                             f"{'s' if stats.other_failures != 1 else ''}")
            table.add(cells, under, role)
            stacked.append([(f"{method} {path}".strip() + ":", "heading"),
                            (f"{stats.calls} call{'s' if stats.calls != 1 else ''};", ""),
                            *[(text + ("," if n < len(statuses) - 1 else ";"), r)
                              for n, (text, r) in enumerate(statuses)],
                            *[(f"{name} {cells[2 + i]} ms,", "")
                              for i, (name, _q) in enumerate(QUANTILES)],
                            (f"max {cells[5]} ms;", ""),
                            (f"messages → {cells[6]} ({cells[7]} B), ← {cells[8]} "
                             f"({cells[9]} B);" if grpc else
                             f"data → {cells[6]} B, ← {cells[8]} B;", ""),
                            (f"HPACK {cells[10]}", "")])
        if not grpc:
            for index in (9, 7):  # no message columns: drop the empty ones
                del table.headings[index], table.right[index]
                for row in table.rows:
                    del row[0][index]
        widths = table.widths(self.width, 2)
        if widths is not None:
            status_at = 2 + sum(widths[:-1]) + 2 * (len(widths) - 1)
            for _cells, below, _role in table.rows:
                if below:
                    below[:] = [self.style("fail", line) for text in list(below)
                                for line in self._wrap(text, 4 if status_at > self.width // 2
                                                       else status_at)]
            lines += table.lines(widths, 2, self.style)
        else:
            for (_cells, below, _role), tokens in zip(table.rows, stacked, strict=True):
                lines += self._styled_tokens([(word, role) for text, role in tokens
                                              for word in words(text)], 2, hanging=4)
                for text in below or ():
                    lines += [self.style("fail", line) for line in self._wrap(text, 6)]
        lines.append("")
        return lines


def dump_summary_lines(summary: Summary, cells: int, style: Styles) -> list[str]:
    """``--summary`` of a connection dump: totals per direction, then per stream."""
    lines: list[str] = []
    for title, items in (
        ("per direction", [([str(d or "?")], t) for d, t in summary.directions.items()]),
        ("per stream", [([str(d or "?"), str(s)], t) for (d, s), t in sorted(
            summary.streams.items(), key=lambda i: (str(i[0][0]), i[0][1]))]),
    ):
        lines.append(title)
        label = ["direction"] if title == "per direction" else ["direction", "stream"]
        table = _Table([*label, "frame bytes", "data bytes", "hpack wire/decoded",
                        "frames by type"], [*[False, True][:len(label)], True, True, True, False],
                       0, last_wraps=True)
        for row_label, totals in items:
            table.add([*row_label, *_totals_cells(totals)])
        widths = table.widths(cells, 0)
        if widths is None:
            for row_label, totals in items:
                values = _totals_cells(totals)
                lines += wrap(words(" ".join(row_label) + f": frame bytes {values[0]}, data "
                                    f"bytes {values[1]}, hpack {values[2]}; {values[3]}"),
                              cells - 4, first=cells)
            continue
        lines += table.lines(widths, 0, style)
    return lines


def _totals_cells(totals: Totals) -> list[str]:
    ratio = totals.hpack_ratio
    return [str(totals.frame_bytes), str(totals.data_bytes),
            f"{totals.hpack_wire_bytes}/{totals.hpack_decoded_bytes}"
            + ("" if ratio is None else f" ({ratio:.0%})"),
            ", ".join(f"{name} {count}" for name, count in sorted(totals.frames.items()))]


def summary_renderer(parent: Console, *, waterfall: bool = False
                     ) -> Callable[[list[SessionRecord]], str]:
    """The ``--summary`` text of a few records of a capture, as ``parent`` would print
    it (a ``--jobs`` worker renders with it)."""
    view = SummaryView(console_like(parent, io.StringIO()), waterfall=waterfall)
    return view.text
