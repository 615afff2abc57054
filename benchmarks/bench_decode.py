#!/usr/bin/env python3
"""Benchmark ``wiretool decode --format json`` side by side with ``protoc --decode_raw``
and the pure-Python decoders protobuf-inspector and bbpb.

    python benchmarks/bench_decode.py            # 5 runs per cell
    python benchmarks/bench_decode.py --runs 3 --scales 1

The inputs are made here, reproducibly, with the protobuf runtime and a real schema
(``samples/person.proto``): an ``AddressBook`` of random people of about 4 MB, and
the same at 2x and 4x; plus a ~4 MB ``FileDescriptorSet`` (descriptor.proto's own
schema). Every command runs in a fresh process, in rounds (each round runs every
tool once: see ``measure.py``); the table shows the median wall time, the peak
resident memory (RSS: the program's own high-water mark), and the ratio to protoc on
the same input. A tiny decode is compared with the bare ``import typer, rich.console``
to show start-up cost.

protobuf-inspector and bbpb are installed by the benchmark into a throwaway
virtual environment (``benchmarks/work/peers``) on the first run. Peers that cannot
be installed or found are skipped with the command that installs them. This is a
benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
from pathlib import Path

import measure

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
WORDS = ["alpha", "beta", "Ada", "Lovelace", "Grace", "Hopper", "analytical", "engine",
         "example.com", "東京", "Ünïcødé", "team", "ops", "payments", "v1", "eu-west-1"]


def person_class() -> type:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    pool = descriptor_pool.DescriptorPool()
    fds = descriptor_pb2.FileDescriptorSet.FromString((ROOT / "samples/person.desc").read_bytes())
    for file in fds.file:
        pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("wiretool.samples.Person"))


def make_addressbook(size: int, seed: int = 1) -> bytes:
    """An AddressBook (field 1: repeated Person) of about ``size`` bytes."""
    rng = random.Random(seed)
    person = person_class()
    out = bytearray()
    while len(out) < size:
        p = person(name=f"{rng.choice(WORDS)} {rng.choice(WORDS)}", id=rng.randint(1, 10**6),
                   email=f"{rng.choice(WORDS)}@example.com",
                   lucky_numbers=[rng.randint(0, 1000) for _ in range(rng.randint(0, 6))],
                   balance_cents=rng.randint(-10**6, 10**6), score=rng.random(),
                   created_ms=rng.randint(1_600_000_000_000, 1_800_000_000_000),
                   timezone_offset_minutes=rng.choice([-300, 0, 60]))
        for _ in range(rng.randint(0, 2)):
            p.phones.add(number=f"+44 {rng.randint(10**9, 10**10)}", type=rng.randint(0, 2))
        p.labels[rng.choice(WORDS)] = rng.choice(WORDS)
        if rng.random() < 0.5:
            p.avatar_sha256 = rng.randbytes(32)
        body = p.SerializeToString()
        out += b"\x0a" + _varint(len(body)) + body
    return bytes(out)


def make_descriptor_set(size: int) -> bytes:
    """A FileDescriptorSet of the well-known types' .proto files, repeated (renamed)."""
    from google.protobuf import (
        any_pb2,
        api_pb2,
        descriptor_pb2,
        duration_pb2,
        struct_pb2,
        timestamp_pb2,
        type_pb2,
        wrappers_pb2,
    )

    files = []
    for module in (descriptor_pb2, any_pb2, api_pb2, duration_pb2, struct_pb2, timestamp_pb2,
                   type_pb2, wrappers_pb2):
        proto = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(proto)
        files.append(proto)
    fds = descriptor_pb2.FileDescriptorSet()
    copy = 0
    while fds.ByteSize() < size:
        for proto in files:
            renamed = fds.file.add()
            renamed.CopyFrom(proto)
            renamed.name = f"copy{copy}/{proto.name}"
        copy += 1
    return fds.SerializeToString()


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def python_peers() -> dict[str, list[str]]:
    """protobuf-inspector and bbpb in a throwaway venv: name -> command (stdin input)."""
    venv = WORK / "peers"
    bin_dir = venv / "bin"
    if not (bin_dir / "bbpb").exists() or not (bin_dir / "protobuf_inspector").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=False)
        subprocess.run([str(bin_dir / "pip"), "install", "--quiet", "protobuf-inspector",
                        "bbpb"], check=False)
    found: dict[str, list[str]] = {}
    if (bin_dir / "protobuf_inspector").exists():
        found["protobuf_inspector"] = [str(bin_dir / "protobuf_inspector")]
    if (bin_dir / "bbpb").exists():
        found["bbpb -r --compact (JSON)"] = [str(bin_dir / "bbpb"), "-r", "--compact"]
    if len(found) < 2:
        print(f"protobuf-inspector/bbpb could not be installed into {venv}: "
              "pip install protobuf-inspector bbpb (measuring the rest)")
    return found


def main() -> None:
    # Measure wiretool as installed, with its bytecode cached (pip writes it at install
    # time); with PYTHONDONTWRITEBYTECODE set, an editable install would compile every
    # module again on every run, and start-up would measure the compiler.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--size", type=int, default=4_000_000, help="bytes at scale 1")
    args = parser.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    wiretool = shutil.which("wiretool") or sys.exit("wiretool is not installed: pip install .")
    protoc = shutil.which("protoc")
    peers = python_peers()
    inputs: list[tuple[str, Path]] = []
    for scale in args.scales:
        path = WORK / f"addressbook-{scale}x.bin"
        if not path.exists():
            path.write_bytes(make_addressbook(args.size * scale))
        inputs.append((f"AddressBook {scale}x", path))
    fds_path = WORK / "descriptor-set.bin"
    if not fds_path.exists():
        fds_path.write_bytes(make_descriptor_set(args.size))
    inputs.append(("FileDescriptorSet", fds_path))
    tiny = WORK / "tiny.bin"
    tiny.write_bytes(b"\x08\x96\x01\x12\x02hi")

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    if protoc is None:
        print("protoc not found: install it with `apt-get install protobuf-compiler` "
              "(measuring wiretool alone)")
    print(f"median of {args.runs} runs, in rounds (each round runs every tool once, so the "
          "machine's drift hits all alike); RSS = peak resident memory of the program (VmHWM)\n")
    header = f"{'input':<20} {'size MB':>8} {'tool':<34} {'median s':>9} {'RSS MiB':>8} {'vs protoc':>10}"
    print(header)
    print("-" * len(header))
    for name, path in inputs:
        size = path.stat().st_size / 1e6
        wiretool_name = "wiretool decode --format json"
        commands: dict[str, tuple[list[str], Path | None]] = {}
        if protoc:
            commands["protoc --decode_raw"] = ([protoc, "--decode_raw"], path)
        commands[wiretool_name] = ([wiretool, "decode", "--format", "json", str(path)], None)
        commands.update({peer: (argv, path) for peer, argv in peers.items()})
        results = measure.rounds(commands, args.runs, measure.to_stderr)
        measure.to_stderr("")
        base = results.get("protoc --decode_raw")
        ours = results[wiretool_name]
        for tool, result in results.items():
            ratio = f"{result.seconds / base.seconds:.2f}x" if base else "-"
            note = "" if result.code == 0 else f"  (exit {result.code})"
            if tool in peers:
                note = f"  wiretool is {result.seconds / ours.seconds:.1f}x faster{note}"
            print(f"{name:<20} {size:>8.2f} {tool:<34} {result.seconds:>9.3f} "
                  f"{result.rss_mib:>8.1f} {ratio:>10}{note}")
    print()
    tiny_argv = [wiretool, "decode", "--format", "json", str(tiny)]
    measure.run(tiny_argv)  # writes bytecode
    bare_name = "python -c import typer, rich.console"
    small_name = "wiretool decode (7-byte message)"
    startup = measure.rounds({bare_name: ([sys.executable, "-c", "import typer, rich.console"],
                                          None),
                              small_name: (tiny_argv, None)}, args.runs)
    bare, small = startup[bare_name], startup[small_name]
    print(f"{'start-up':<20} {'':>8} {bare_name:<34} {bare.seconds:>9.3f} {bare.rss_mib:>8.1f}")
    print(f"{'start-up':<20} {'':>8} {small_name:<34} {small.seconds:>9.3f} "
          f"{small.rss_mib:>8.1f} {small.seconds / bare.seconds:>9.2f}x of the bare import")

if __name__ == "__main__":
    main()
