"""``wiretool h2-frames`` on the real TLS captures of samples/tls (curl, h2load and nghttpd
on OpenSSL 3.0, openssl s_client/s_server, Python's ssl with python-hyper h2, grpclib),
end to end through the CLI and through ``decode_h2``: every connection as tshark 4.0
shows it when given the keys (NAME.tshark.json, written once by
samples/tls/tshark_expect.py): the handshake, every HTTP/2 frame with the packet it
ends in, every header list, every gRPC message, and the gRPC messages as each side
sent them; with the key log, with the keys inside the pcapng, with SSLKEYLOGFILE, and
without keys."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.tls.h2cli import SAMPLES, Connection, Run, capture_of, h2_frames, keylog_of
from tests.tls.pipeline import GRPC_TLS_CALLS, assert_what_was_sent, decode_capture
from wiretool.direction import Direction
from wiretool.tls import TlsPlaintext

NAMES = ["curl-h2", "curl-h2.dsb", "tls13-suites", "tls12-suites", "tls12-cbc", "h2load",
         "missing-key", "http11", "keyupdate", "renegotiation", "ccm", "handshake-failure",
         "early-data", "grpc-tls"]
H2 = {"curl-h2", "curl-h2.dsb", "tls13-suites", "tls12-suites", "tls12-cbc", "h2load",
      "missing-key", "keyupdate", "grpc-tls"}
Golden = Any


@cache
def expected(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / f"{name}.tshark.json").read_text())  # type: ignore[no-any-return]


@cache
def decoded(name: str) -> Run:
    return h2_frames("-f", "jsonl", *keylog_of(name), capture_of(name))


def pairs(name: str) -> list[tuple[Connection, dict[str, Any]]]:
    conns = decoded(name).connections()
    theirs = expected(name)["connections"]
    assert sorted(conns) == sorted(t["client_port"] for t in theirs)
    return [(conns[t["client_port"]], t) for t in theirs]


def decryptable(name: str, tcp_stream: int) -> bool:
    return name not in ("ccm", "handshake-failure") and not (
        name == "missing-key" and tcp_stream == 1)


@pytest.mark.parametrize("name", NAMES)
def test_connection_record_says_what_tshark_says_of_the_handshake(name: str) -> None:
    assert decoded(name).code == 0, decoded(name).stderr  # no error in any of them
    for conn, theirs in pairs(name):
        start, tls = conn.start, theirs["tls"]
        version = tls["version_name"].split(" (")[0] if tls["version_name"] else None
        assert {k: start["tls"][k] for k in ("version", "cipher_suite", "sni", "alpn",
                                             "offered_alpn")} == {
            "version": version, "cipher_suite": tls["cipher_suite_name"], "sni": tls["sni"],
            "alpn": tls["alpn"], "offered_alpn": tls["offered_alpn"]}
        ok = decryptable(name, theirs["tcp_stream"])
        assert start["tls"]["decrypted"] is ok
        assert start["tls"]["key_source"] == (
            None if not ok else "dsb" if name.endswith(".dsb") else "keylog")
        assert start["http2"] is (name in H2 and ok)
        if start["http2"]:
            assert (start["evidence"], start["reason"]) == ("alpn", "ALPN h2")
        summary = conn.of("summary")
        assert summary == []  # only with --summary


@pytest.mark.parametrize("name", sorted(H2))
def test_frames_and_the_packets_they_end_in_equal_tshark(name: str) -> None:
    for conn, theirs in pairs(name):
        for direction in ("client", "server"):
            ours = [(f["stream_id"], f["type"], f["flags"], f["length"], f["packet"])
                    for f in conn.of("frame") if f["direction"] == direction]
            other = [(f["stream_id"], f["type"], f["flags"], f["length"], f["packet"])
                     for f in theirs.get("frames", []) if f["direction"] == direction]
            assert ours == other, (theirs["tcp_stream"], direction)


@pytest.mark.parametrize("name", sorted(H2))
def test_header_lists_equal_tshark(name: str) -> None:
    for conn, theirs in pairs(name):
        for direction in ("client", "server"):
            ours = [[[h["name"], h["value"]] for h in f["headers"] if h["name"] is not None]
                    for f in conn.of("frame") if f["direction"] == direction and "headers" in f]
            other = [f["headers"] for f in theirs.get("frames", [])
                     if f["direction"] == direction and "headers" in f]
            assert len(ours) == len(other)
            for mine, their in zip(ours, other, strict=True):
                # tshark shows binary (-bin) values as text: those by name only.
                assert [n for n, _v in mine] == [n for n, _v in their]
                assert [v for n, v in mine if not n.endswith("-bin")] == [
                    v for n, v in their if not n.endswith("-bin")]


def test_grpc_messages_equal_tshark_and_what_each_side_sent() -> None:
    ((conn, theirs),) = pairs("grpc-tls")
    ours = conn.of("grpc-message")
    assert [(m["direction"], m["length"], m["compressed"]) for m in ours] == [
        (g["direction"], g["length"], g["compressed"]) for g in theirs["grpc"]]
    got: dict[tuple[str, str], list[bytes]] = {}
    for message in ours:
        got.setdefault((GRPC_TLS_CALLS[message["stream_id"]], message["direction"]), []).append(
            bytes.fromhex(message["data"]))
    assert_what_was_sent(got)
    assert max(m["length"] for m in ours) > 20_000
    statuses = conn.of("grpc-status")
    assert [s["name"] for s in statuses] == ["OK"] * 4 + ["INVALID_ARGUMENT"]
    assert statuses[-1]["message"] == "name must not be empty: 100% wrong ✗"


@pytest.mark.parametrize("name", ["grpc-tls", "keyupdate", "tls12-cbc", "h2load"])
def test_every_record_names_the_tls_record_its_frame_starts_in(name: str) -> None:
    """From a frame to its packet: ``tls_record_offset`` is the TCP-stream offset of the
    TLS record that holds the first byte of the record's frame."""
    spans: dict[tuple[int, str, int], tuple[int, int]] = {}
    for conn in decode_capture(capture_of(name), [SAMPLES / expected(name)["keys"]]):
        for event in conn.events:
            if isinstance(event, TlsPlaintext):
                spans[(conn.opened.client.port, event.direction.value, event.record_offset)] = (
                    event.offset, event.offset + len(event.data))
    checked = 0
    for port, conn in decoded(name).connections().items():
        frames = {(f["direction"], f["offset"]): f for f in conn.of("frame")}
        for record in conn.records:
            if record["record"] in ("connection", "summary"):
                assert "tls_record_offset" not in record
                continue
            assert "tls_record_offset" in record
            if record["record"] == "frame":
                start, end = spans[(port, record["direction"], record["tls_record_offset"])]
                assert start <= record["offset"] < end
                checked += 1
            elif record["record"] in ("grpc-message", "grpc-status"):
                frame = frames[(record["direction"], record["frame_offset"])]
                assert record["tls_record_offset"] == frame["tls_record_offset"]
            elif record["record"] == "diagnostic" and "tls_problem" in record:
                assert record["tls_record_offset"] is None  # its offset is in the TCP stream
    assert checked == sum(len(t.get("frames", [])) for t in expected(name)["connections"])


def test_cleartext_records_have_no_tls_members() -> None:
    run = h2_frames("-f", "jsonl", SAMPLES.parent / "grpc" / "demo.pcap")
    for record in run.records:
        assert "tls_record_offset" not in record
        if record["record"] == "connection":
            assert record["tls"] is None


def test_keys_inside_the_pcapng_decrypt_as_the_key_log_does() -> None:
    by_keylog, by_dsb = decoded("curl-h2"), decoded("curl-h2.dsb")
    assert by_dsb.stderr == ""  # nothing said: the capture brought its keys
    assert by_dsb.stdout.replace('"key_source": "dsb"', '"key_source": "keylog"') == (
        by_keylog.stdout)


def test_the_key_log_and_the_blocks_together() -> None:
    # A key log that covers nothing of this capture, and the capture's own block.
    run = h2_frames("-f", "jsonl", "--keylog", SAMPLES / "http11.keys",
                    capture_of("curl-h2.dsb"))
    (conn,) = run.connections().values()
    assert conn.start["tls"]["key_source"] == "dsb" and len(conn.of("frame")) == 12


def test_sslkeylogfile_when_no_key_is_given(tmp_path: Path) -> None:
    env = {"SSLKEYLOGFILE": str(SAMPLES / "grpc-tls.keys")}
    run = h2_frames("-f", "jsonl", capture_of("grpc-tls"), env=env)
    assert run.stderr == (f"wiretool: no --keylog given: TLS keys from SSLKEYLOGFILE "
                          f"({SAMPLES / 'grpc-tls.keys'}), unless the capture carries its own "
                          "(Decryption Secrets Blocks)\n")
    assert run.stdout == decoded("grpc-tls").stdout
    # --keylog wins: SSLKEYLOGFILE is not read (it names no file here), nothing is said.
    env = {"SSLKEYLOGFILE": str(tmp_path / "absent.keys")}
    run = h2_frames("-f", "jsonl", *keylog_of("grpc-tls"), capture_of("grpc-tls"), env=env)
    assert (run.code, run.stderr, run.stdout) == (0, "", decoded("grpc-tls").stdout)
    # Blocks in the capture win: SSLKEYLOGFILE's (wrong) keys are not used.
    wrong = tmp_path / "wrong.keys"
    wrong.write_text("".join(
        f"{line.split()[0]} {line.split()[1]} {'00' * (len(line.split()[2]) // 2)}\n"
        for line in (SAMPLES / "curl-h2.keys").read_text().splitlines()
        if line and not line.startswith("#")))
    run = h2_frames("-f", "jsonl", capture_of("curl-h2.dsb"), env={"SSLKEYLOGFILE": str(wrong)})
    assert run.stdout == decoded("curl-h2.dsb").stdout
    # And an SSLKEYLOGFILE that cannot be read is a warning, not a failure.
    run = h2_frames("-f", "jsonl", capture_of("grpc-tls"),
                    env={"SSLKEYLOGFILE": str(tmp_path / "absent.keys")})
    assert run.code == 0
    assert "cannot read key log" in run.stderr and "SSLKEYLOGFILE" in run.stderr
    (conn,) = run.connections().values()
    assert conn.start["reason"] == "not decrypted: no key"


def test_key_log_warnings_name_their_line_once(tmp_path: Path) -> None:
    keys = tmp_path / "keys.log"
    keys.write_text("# comment\n\nCLIENT_RANDOM nothex zz\n"
                    + (SAMPLES / "grpc-tls.keys").read_text() + "BOGUS_LABEL 1 2\n")
    run = h2_frames("-f", "jsonl", "--keylog", keys, capture_of("grpc-tls"))
    assert run.code == 0
    last = 3 + len((SAMPLES / "grpc-tls.keys").read_text().splitlines()) + 1
    assert run.stderr.splitlines() == [
        f"wiretool: warning: {keys} line 3: the client random and the secret must be hex "
        "digits; skipped",
        f"wiretool: warning: {keys} line {last}: unknown label 'BOGUS_LABEL'; this line "
        "and later ones with the same label are skipped"]
    assert run.stdout == decoded("grpc-tls").stdout


def test_key_log_that_cannot_be_read_or_used(tmp_path: Path) -> None:
    run = h2_frames("--keylog", tmp_path / "absent.keys", capture_of("grpc-tls"))
    assert run.code == 2 and "cannot read key log" in run.stderr
    dump = SAMPLES.parent / "h2" / "basic.client.bin"
    run = h2_frames("--keylog", SAMPLES / "grpc-tls.keys", dump)
    assert run.code == 2
    assert "--keylog applies to pcap/pcapng captures only" in run.stderr


def test_no_key_one_clear_line() -> None:
    _first, second = (conn for _port, conn in sorted(decoded("missing-key").connections()
                                                     .items()))
    assert second.start["http2"] is False
    assert second.start["reason"] == "not decrypted: no key"
    random = second.start["tls"]["client_random"]
    (line,) = second.of("diagnostic")
    assert line["severity"] == "warning" and line["tls_problem"] == "no-key"
    assert line["message"].startswith(f"no key for client random {random[:8]}… in the key "
                                      "log(s) given (TLS 1.3, TLS_AES_256_GCM_SHA384)")
    assert second.of("frame") == []
    table = h2_frames("-f", "table", *keylog_of("missing-key"), capture_of("missing-key"))
    assert table.code == 0
    lines = table.stdout.splitlines()
    at = next(i for i, text in enumerate(lines) if text.startswith("connection 2:"))
    assert " ".join(lines[at:at + 4]).split("[server]")[0].split() == ["connection", "2:", "127.0.0.1:42806", "→", "127.0.0.1:47309", "TLS", "1.3", "TLS_AES_256_GCM_SHA384,", "SNI", "wiretool.test,", "ALPN", "encrypted", "(offered:", "h2,", "http/1.1),", "not", "decrypted;", "not", "HTTP/2", "(not", "decrypted:", "no", "key);", "skipped"]


def test_without_any_key_the_handshake_still_says_what_is_inside() -> None:
    run = h2_frames("-f", "jsonl", capture_of("tls12-suites"))
    assert run.code == 0
    for conn in run.connections().values():
        tls = conn.start["tls"]
        # TLS 1.2 sends the ALPN in clear: h2 inside, before any key is found.
        assert (tls["version"], tls["alpn"], tls["decrypted"]) == ("TLS 1.2", "h2", False)
        assert conn.of("frame") == []


def test_port_on_an_encrypted_connection_is_refused_for_it() -> None:
    run = h2_frames("-f", "jsonl", "--port", "47309", *keylog_of("missing-key"),
                    capture_of("missing-key"))
    first, second = (conn for _port, conn in sorted(run.connections().items()))
    assert first.start["evidence"] == "alpn" and len(first.of("frame")) == 8
    assert second.start["http2"] is False
    assert second.start["reason"] == ("not decrypted: no key; --port 47309 does not "
                                      "apply to encrypted bytes")
    assert second.of("frame") == []


def test_port_applies_to_the_decrypted_bytes() -> None:
    # No ALPN: detection says the plaintext is not HTTP/2; --port reads it as HTTP/2 anyway.
    run = h2_frames("-f", "jsonl", "--port", "47312", *keylog_of("renegotiation"),
                    capture_of("renegotiation"))
    (conn,) = run.connections().values()
    assert conn.start["http2"] is True and conn.start["evidence"] == "port"
    assert conn.start["tls"]["decrypted"] is True
    # The text is no HTTP/2: the frame reader finds no frame header and says so.
    assert conn.of("frame") == [] and conn.errors()
    assert all(d["tls_record_offset"] is None or d["tls_record_offset"] >= 0
               for d in conn.of("diagnostic"))


def test_http11_alpn_is_listed_as_tls_http1() -> None:
    for conn in decoded("http11").connections().values():
        assert conn.start["http2"] is False
        assert conn.start["reason"] == "HTTP/1.x over TLS, ALPN http/1.1"


def test_summary_shows_tls_on_the_connection_line() -> None:
    run = h2_frames("-f", "table", "--summary", *keylog_of("tls13-suites"),
                    capture_of("tls13-suites"), env={"COLUMNS": "250"})
    heads = [line for line in run.stdout.splitlines() if line.startswith("connection")]
    suites = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
    assert len(heads) == 3
    for head, suite in zip(heads, suites, strict=True):
        assert (f"TLS 1.3 {suite}, SNI wiretool.test, ALPN h2, decrypted (key log); "
                "HTTP/2 (alpn); ") in head
    run = h2_frames("-f", "jsonl", "--summary", *keylog_of("tls13-suites"),
                    capture_of("tls13-suites"))
    kinds = [r["record"] for r in run.records]
    methods = kinds.count("method")
    assert kinds == ["connection", "summary"] * 3 + ["method"] * methods + ["capture-summary"]
    # the decrypted connections' calls are in the per-method roll-up and the total
    total = run.records[-1]
    per_connection = sum(r["calls"]["calls"] for r in run.records if r["record"] == "summary")
    assert methods >= 1 and total["calls"] == per_connection > 0
    assert sum(r["calls"] for r in run.records if r["record"] == "method") == per_connection
    assert all(r["tls"]["decrypted"] for r in run.records if r["record"] == "connection")


def test_the_library_decodes_tls_captures() -> None:
    from wiretool.grpc.messages import GrpcMessage
    from wiretool.http2.frames import Frame
    from wiretool.session import (
        ConnectionEnd,
        ConnectionStart,
        Located,
        SessionOptions,
        decode_h2,
    )

    options = SessionOptions(keylogs=(SAMPLES / "grpc-tls.keys",))
    with decode_h2(capture_of("grpc-tls"), options) as records:
        items = list(records)
        assert records.key_problems == [] and not records.malformed
    start = next(r for r in items if isinstance(r, ConnectionStart))
    assert start.conn.tls is not None and start.conn.tls.alpn == "h2"
    frames = [r for r in items if isinstance(r, Located) and isinstance(r.record, Frame)]
    assert len(frames) == 44 and all(r.tls_record_offset is not None for r in frames)
    assert all(r.conn.tls is start.conn.tls for r in frames)
    messages = [r.record for r in items if isinstance(r, Located)
                and isinstance(r.record, GrpcMessage)]
    assert len(messages) == 17
    (end,) = [r for r in items if isinstance(r, ConnectionEnd)]
    assert end.http2 and end.evidence == "alpn" and end.frames == 44
    assert end.conn.tls == start.conn.tls


def test_one_subprocess_run_of_the_installed_entry_point() -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "SSLKEYLOGFILE"}
    done = subprocess.run(
        [sys.executable, "-m", "wiretool", "h2-frames", "-f", "jsonl", "--keylog",
         str(SAMPLES / "curl-h2.keys"), str(capture_of("curl-h2"))],
        capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == decoded("curl-h2").stdout


def test_golden_table_and_jsonl(golden: Golden) -> None:
    table = h2_frames("-f", "table", *keylog_of("curl-h2"), capture_of("curl-h2"))
    assert table.code == 0 and max(len(line) for line in table.stdout.splitlines()) <= 120
    golden("tls/curl-h2.table.txt", table.stdout)
    golden("tls/curl-h2.jsonl", decoded("curl-h2").stdout)
    summary = h2_frames("-f", "table", "--summary", *keylog_of("grpc-tls"),
                        capture_of("grpc-tls"))
    golden("tls/grpc-tls.summary.txt", summary.stdout)


def test_direction_labels_follow_the_client_hello() -> None:
    # Every client port above is the client's: the ClientHello says so (not the ports).
    for name in ("grpc-tls", "tls12-cbc"):
        for port, conn in decoded(name).connections().items():
            assert conn.start["connection"]["client"].endswith(f":{port}")
            assert conn.start["swapped"] is False
            assert {f["direction"] for f in conn.of("preface")} == {Direction.CLIENT.value}


def test_a_capture_without_tls_does_not_load_the_ciphers() -> None:
    import subprocess
    import sys

    code = ("import sys\nfrom wiretool.session import decode_h2\n"
            "with decode_h2(sys.argv[1]) as records:\n    list(records)\n"
            "print('cryptography' in sys.modules, 'wiretool.tls.connection' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(SAMPLES.parent / "grpc" / "demo.pcap")],
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
