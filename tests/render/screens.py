"""Terminal screens of ``h2-frames`` and ``compare-json``, as a person sees them: the real
command in a real terminal (tmux) at 80, 120 and 200 columns, captured as plain text.

The goldens are in ``tests/golden/GROUP/screens/NAME.WIDTH.txt`` (GROUP: ``h2``,
``compare``). Regenerate them (after an intended change of the views, or after
remaking ``samples/grpc/load.pcap``) with

    python -m tests.render.screens --update

and review the diff (``git diff tests/golden/h2/screens``); ``--show NAME WIDTH``
prints one screen. ``test_screens.py`` runs the same commands and compares, and
checks every golden for a broken token or a cut number (``check_screen``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_ROOT = ROOT / "tests" / "golden"
WIDTHS = (80, 120, 200)
SENTINEL = "__SCREEN_DONE__"
TIMEOUT_S = 90.0


@dataclass(frozen=True)
class Screen:
    """A command shown in a terminal (its arguments after ``wiretool``)."""

    name: str
    args: tuple[str, ...]
    group: str = "h2"
    """The golden directory: ``tests/golden/GROUP/screens``."""
    widths: tuple[int, ...] = WIDTHS
    """The terminal widths it is captured at."""


_SHOP = ("--proto", "samples/shop/shop.proto", "--type", "shop.v1.Order")
SCREENS = (
    Screen("frames-demo", ("h2-frames", "samples/grpc/demo.pcap")),
    Screen("summary-demo", ("h2-frames", "--summary", "samples/grpc/demo.pcap")),
    Screen("frames-load", ("h2-frames", "--limit", "60", "samples/grpc/load.pcap")),
    Screen("summary-load", ("h2-frames", "--summary", "--waterfall", "samples/grpc/load.pcap")),
    Screen("order", ("compare-json", *_SHOP, "tests/compare/data/order.json"), "compare"),
    Screen("inferred", ("compare-json", "tests/compare/data/events.json"), "compare"),
    # Also at 60 columns (a split pane): below the inputs table's narrowest whole
    # layout, its sizes and its gzip sizes one under the other.
    Screen("batch", ("compare-json", *_SHOP, "tests/compare/data/orders.jsonl",
                     "tests/compare/data/order.json"), "compare", (60, *WIDTHS)),
)


def tmux_available() -> bool:
    return shutil.which("tmux") is not None


def capture(screen: Screen, width: int, *, colour: bool = False) -> str:
    """The whole output of ``screen`` in a ``width``-column tmux pane (its scrollback
    too), lines without trailing spaces; with ``colour``, the escape codes kept."""
    socket = f"wiretool-screens-{uuid.uuid4().hex[:8]}"
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as conf:
        conf.write("set -g history-limit 1000000\nset -g remain-on-exit on\n")
    command = " ".join([sys.executable, "-m", "wiretool", *screen.args])
    env = {key: value for key, value in os.environ.items()
           if key not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TMUX")}
    tmux = ["tmux", "-L", socket, "-f", conf.name]
    try:
        subprocess.run([*tmux, "new-session", "-d", "-s", "screen", "-x", str(width), "-y",
                        "50", f"cd {ROOT} && {command}; echo {SENTINEL}"],
                       check=True, env={**env, "TERM": "xterm-256color"})
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            text = subprocess.run([*tmux, "capture-pane", "-p", "-t", "screen", "-S", "-",
                                   "-E", "-", *(["-e"] if colour else [])],
                                  check=True, capture_output=True, text=True).stdout
            if SENTINEL in text:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{screen.name} at {width} columns did not finish")
            time.sleep(0.2)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True, check=False)
        os.unlink(conf.name)
    lines = [line.rstrip() for line in text.split(SENTINEL)[0].splitlines()]
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n"


def golden_path(screen: Screen, width: int) -> Path:
    return GOLDEN_ROOT / screen.group / "screens" / f"{screen.name}.{width}.txt"


# -- the checker: no broken token, no cut number ---------------------------------------

_NUMBER = re.compile(r"\d+")


@dataclass
class Model:
    """What a screen must show whole, from the JSON Lines of the same command."""

    numbers: set[int] = field(default_factory=set)
    """Integers the screen shows (offsets, lengths, ids, counts, sizes...)."""
    paths: set[str] = field(default_factory=set)
    """``:path`` values: shown whole, or cut from the left at a segment."""
    names: set[str] = field(default_factory=set)
    """Header names: shown whole, or cut from the left."""
    words: set[str] = field(default_factory=set)
    """Words of values that must not be split (header values, gRPC messages)."""


def model_of(screen: Screen) -> Model:
    """The model of ``screen``'s command: its ``--format jsonl`` records (``compare-json``:
    its ``--format json`` document)."""
    if screen.args[0] == "compare-json":
        return _compare_model(screen)
    args = [a for a in screen.args if a not in ("--waterfall",)]
    out = subprocess.run([sys.executable, "-m", "wiretool", *args[:1], "--format", "jsonl",
                          *args[1:]], cwd=ROOT, capture_output=True, text=True, check=False)
    model = Model()
    for line in out.stdout.splitlines():
        _collect(json.loads(line), model)
    return model


_FRAME_INTS = ("packet", "offset", "stream_id", "length", "window_size_increment",
               "promised_stream_id", "last_stream_id")
_CALL_INTS = ("calls", "client_messages", "client_message_bytes", "server_messages",
              "server_message_bytes")
"""Integer members a screen shows as numbers, per record (not times, ids of settings,
absolute offsets of headers, which no view shows)."""


def _collect(record: dict[str, Any], model: Model) -> None:
    kind = record.get("record")
    numbers = model.numbers

    def ints(source: dict[str, Any], keys: tuple[str, ...]) -> None:
        numbers.update(source[key] for key in keys
                       if isinstance(source.get(key), int) and not isinstance(source[key], bool))

    if isinstance(record.get("path"), str) and kind not in ("connection", "summary"):
        model.paths.add(record["path"])  # a connection's path is its layers (``ipv4``)
    if kind == "frame":
        ints(record, _FRAME_INTS)
        numbers.update(s["value"] for s in record.get("settings") or ())
        block = record.get("header_block")
        if block:
            ints(block, ("wire_length", "decoded_length"))
        for header in record.get("headers") or ():
            ints(header, ("size",))
            name, value = header.get("name"), header.get("value")
            if isinstance(name, str):
                model.names.add(name)
                if name == ":path" and isinstance(value, str):
                    model.paths.add(value)
                elif isinstance(value, str):
                    model.words.update(_value_words(value))
    elif kind == "grpc-message":
        ints(record, ("offset", "length"))
    elif kind == "grpc-status":
        ints(record, ("code",))
        if isinstance(record.get("message"), str):
            model.words.update(_value_words(record["message"]))
    elif kind == "summary":
        ints(record, ("client_bytes", "server_bytes"))
        for direction in record.get("directions") or ():
            ints(direction, ("hpack_wire_bytes", "hpack_decoded_bytes", "header_blocks"))
            numbers.update(direction["frames"].values())
        if record.get("calls"):
            _calls(record["calls"], model)
        for row in record.get("streams") or ():
            ints(row, ("stream_id",))
            if row["grpc"]:
                ints(row, _CALL_INTS[1:])
            if isinstance(row.get("path"), str):
                model.paths.add(row["path"])
    elif kind in ("method", "capture-summary"):
        _calls(record, model)


def _compare_model(screen: Screen) -> Model:
    """What a ``compare-json`` screen shows whole: every size of the sizes table, every
    number of the per-field table (two levels, as shown), the field names."""
    out = subprocess.run([sys.executable, "-m", "wiretool", "compare-json", "--format", "json",
                          *screen.args[1:]], cwd=ROOT, capture_output=True, text=True,
                         check=False)
    document = json.loads(out.stdout)
    model = Model()
    for item in document.get("inputs") or [document]:
        if "inputs" in document:  # a batch shows one row per input: its totals
            model.numbers.update(item[key][size] for key in ("protobuf", "json")
                                 for size in ("bytes", "gzip_bytes"))
            continue
        for key in ("protobuf", "json"):
            model.numbers.update(v for k, v in item[key].items() if isinstance(v, int))
        model.numbers.add(item["json_overhead_bytes"])
        for top in item["fields"]:
            for f in (top, *top["children"]):
                model.numbers.update((f["occurrences"], f["protobuf_bytes"], f["json_bytes"],
                                      *f["protobuf"].values(), *f["json"].values()))
                if f["name"]:
                    model.names.add(f["name"])
    if document.get("summary"):
        for stats in document["summary"]["encodings"].values():
            model.numbers.update(v for v in stats.values() if isinstance(v, int))
    return model


def _calls(calls: dict[str, Any], model: Model) -> None:
    model.numbers.update(value for key, value in calls.items() if key in _CALL_INTS)
    model.numbers.update(calls["statuses"].values())
    for failure in calls["failures"]:
        model.numbers.add(failure["calls"])
        if failure["message"]:
            model.words.update(_value_words(failure["message"]))


def _value_words(value: str) -> set[str]:
    """Words of a value a screen must not split: runs between break opportunities,
    short enough to fit any value column."""
    return {word for word in re.split(r"[ /,;&=?()\[\]]+", value) if 1 < len(word) <= 16
            and word.isprintable() and word.isascii()}


def check_screen(text: str, model: Model) -> list[str]:
    """What is wrong with ``text`` (empty: nothing): a number of the model not shown
    whole anywhere, a path or a name neither whole nor cut from the left at a segment,
    a value's word split across lines, a line wider than the terminal."""
    problems: list[str] = []
    shown_numbers = {int(n) for n in _NUMBER.findall(text)}
    for number in sorted(model.numbers):
        if number not in shown_numbers:
            problems.append(f"number {number} is not shown whole")
    for path in sorted(model.paths):
        if path in text:
            continue
        cuts = re.findall(r"…(\S+)", text)
        if not any(path.endswith(cut) and path[-len(cut) - 1] in "/." for cut in cuts
                   if len(cut) < len(path)):
            problems.append(f"path {path!r} is neither whole nor cut from the left at a segment")
    for token in set(text.split()):  # every cut of a path: at the left, at a segment
        core = token.strip(",;()")
        if "…" not in core or len(core) < 4:
            continue
        if not core.startswith("…"):
            kept = core.replace("…", "")
            if any(kept in path and kept != path for path in model.paths):
                problems.append(f"{token!r}: a path cut at the right")
            continue
        kept = core[1:]
        for path in model.paths:
            if path.endswith(kept) and len(kept) < len(path) and path[-len(kept) - 1] not in "/.":
                problems.append(f"{token!r}: {path!r} cut inside a segment")
    for name in sorted(model.names):
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            continue
        if not any(name.endswith(cut) for cut in re.findall(r"…([\w:-]+)", text)):
            problems.append(f"header name {name!r} is neither whole nor cut from the left")
    tokens = set(re.findall(r"[^\s/,;&=?()\[\]]+", text))
    for word in sorted(model.words):
        if not any(word in token for token in tokens):
            problems.append(f"word {word!r} of a value is split or missing")
    return problems


def widest_line(text: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in text.splitlines()), default=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite every golden screen")
    parser.add_argument("--show", nargs=2, metavar=("NAME", "WIDTH"), help="print one screen")
    args = parser.parse_args()
    if args.show:
        screen = next(s for s in SCREENS if s.name == args.show[0])
        sys.stdout.write(capture(screen, int(args.show[1])))
        return
    if not args.update:
        parser.error("nothing to do: --update or --show")
    for screen in SCREENS:
        golden_path(screen, WIDTHS[0]).parent.mkdir(parents=True, exist_ok=True)
        model = model_of(screen)
        for width in screen.widths:
            text = capture(screen, width)
            problems = check_screen(text, model)
            golden_path(screen, width).write_text(text, encoding="utf-8")
            print(f"{golden_path(screen, width).relative_to(ROOT)}: {len(text.splitlines())} "
                  f"lines, widest {widest_line(text)}"
                  + (f"; PROBLEMS: {problems[:5]}" if problems else ""))


if __name__ == "__main__":
    main()
