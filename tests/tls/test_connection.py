"""TlsConnection on the RFC 8448 §3 trace and on records sealed with its keys: the
handshake read, both directions decrypted, and every fault one diagnostic with the
record offset, the rest skipped or resumed, never an exception."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.tls import forge
from tests.tls import rfc8448 as r
from wiretool.direction import Direction
from wiretool.errors import Severity
from wiretool.tls import (
    KeyLog,
    KeySource,
    RecordStatus,
    TlsConnection,
    TlsDiagnostic,
    TlsEvent,
    TlsHandshakeMessage,
    TlsPlaintext,
    TlsPlaintextGap,
    TlsProblem,
    TlsRecord,
    TlsSummary,
    stream_span,
)

C, S = Direction.CLIENT, Direction.SERVER
Step = tuple[Direction, bytes | int]
"""(direction, bytes to feed) or (direction, number of bytes lost in a gap)."""

# The trace in the order the peers send it.
TRACE: list[Step] = [
    (C, r.CLIENT_HELLO_RECORD), (S, r.SERVER_HELLO_RECORD + r.SERVER_FLIGHT_RECORD),
    (C, r.CLIENT_FINISHED_RECORD), (S, r.SERVER_TICKET_RECORD), (C, r.CLIENT_APP_RECORD),
    (S, r.SERVER_APP_RECORD), (C, r.CLIENT_ALERT_RECORD), (S, r.SERVER_ALERT_RECORD),
]


def keys(text: str = r.KEY_LOG) -> KeyLog:
    log = KeyLog()
    assert log.add_text(text, origin="rfc8448.keys") == []
    return log


def run(steps: Sequence[Step], key_log: KeyLog | None = None, *, chunk: int | None = None
        ) -> list[TlsEvent]:
    tls = TlsConnection(key_log if key_log is not None else keys())
    out: list[TlsEvent] = []
    for direction, data in steps:
        if isinstance(data, int):
            out += tls.gap(direction, data)
        elif chunk is None:
            out += tls.feed(direction, data)
        else:
            for at in range(0, len(data), chunk):
                out += tls.feed(direction, data[at:at + chunk])
    out += tls.close()
    check_tiling(steps, out)
    return out


def check_tiling(steps: Sequence[Step], events: list[TlsEvent]) -> None:
    """Every byte fed or lost is in exactly one event's span (model.stream_span)."""
    for direction in (C, S):
        total = sum(len(d) if isinstance(d, bytes) else d for side, d in steps
                    if side is direction)
        spans = sorted(span[1:] for e in events if (span := stream_span(e)) is not None
                       and span[0] is direction)
        at = 0
        for offset, length in spans:
            assert offset == at, (direction, spans)
            at += length
        assert at == total, (direction, at, total)


def of(events: list[TlsEvent], kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, kind)]


def diagnostics(events: list[TlsEvent], problem: TlsProblem) -> list[TlsDiagnostic]:
    return [e for e in of(events, TlsDiagnostic) if e.problem is problem]


def plaintext(events: list[TlsEvent], direction: Direction) -> bytes:
    return b"".join(e.data for e in of(events, TlsPlaintext) if e.direction is direction)


# -- the trace ---------------------------------------------------------------------------


def test_rfc8448_trace() -> None:
    events = run(TRACE)
    (summary,) = of(events, TlsSummary)
    assert (summary.version, summary.cipher_suite, summary.sni, summary.alpn,
            summary.decrypted, summary.key_source) == (
        "TLS 1.3", "TLS_AES_128_GCM_SHA256", "server", None, True, KeySource.KEYLOG)
    assert summary.client_random == r.CLIENT_RANDOM and not summary.hello_retry
    assert [(m.direction, m.name, m.protected) for m in of(events, TlsHandshakeMessage)] == [
        (C, "ClientHello", False), (S, "ServerHello", False),
        (S, "EncryptedExtensions", True), (S, "Certificate", True),
        (S, "CertificateVerify", True), (S, "Finished", True), (C, "Finished", True),
        (S, "NewSessionTicket", True)]
    assert plaintext(events, C) == r.APP_PAYLOAD == plaintext(events, S)
    client_data, server_data = of(events, TlsPlaintext)
    assert (client_data.offset, client_data.record_offset, client_data.record_length) == (
        0, len(r.CLIENT_HELLO_RECORD + r.CLIENT_FINISHED_RECORD), 72)
    assert server_data.record_offset == len(forge.SERVER_HANDSHAKE)
    assert [d.message for d in diagnostics(events, TlsProblem.ALERT)] == [
        "alert from the client (warning, encrypted) at offset 331: close_notify",
        "alert from the server (warning, encrypted) at offset 1073: close_notify"]
    assert all(d.severity is Severity.INFO for d in of(events, TlsDiagnostic))
    # The summary comes before the first plaintext.
    assert events.index(summary) < events.index(client_data)


def test_flight_record_holds_four_messages_with_inner_types() -> None:
    events = run(TRACE)
    flight = next(e for e in of(events, TlsRecord) if e.offset == len(r.SERVER_HELLO_RECORD))
    assert (flight.opaque_type, flight.content_type, flight.status, flight.length,
            flight.plaintext_length) == (23, 22, RecordStatus.DECRYPTED, 674, 657)


@pytest.mark.parametrize("chunk", [1, 2, 5, 7, 64, 1000])
def test_chunking_changes_nothing(chunk: int) -> None:
    assert run(TRACE, chunk=chunk) == run(TRACE)


def test_records_coalesced_and_handshake_messages_fragmented() -> None:
    # The ServerHello split over two records, and the client's first two records in one
    # feed (a TCP segment holding several records).
    body = r.SERVER_HELLO_RECORD[5:]
    split = (b"\x16\x03\x03\x00\x07" + body[:7]
             + b"\x16\x03\x03" + (len(body) - 7).to_bytes(2, "big") + body[7:])
    steps: list[Step] = [(C, r.CLIENT_HELLO_RECORD), (S, split + r.SERVER_FLIGHT_RECORD),
                         (C, r.CLIENT_FINISHED_RECORD + r.CLIENT_APP_RECORD),
                         (S, r.SERVER_TICKET_RECORD + r.SERVER_APP_RECORD)]
    events = run(steps)
    hello = next(m for m in of(events, TlsHandshakeMessage) if m.name == "ServerHello")
    assert hello.record_offset == 0 and hello.length == len(body) - 4
    assert plaintext(events, C) == r.APP_PAYLOAD == plaintext(events, S)
    assert not [d for d in of(events, TlsDiagnostic) if d.severity is not Severity.INFO]


# -- keys --------------------------------------------------------------------------------


def test_no_key_one_line_and_the_handshake_in_clear() -> None:
    events = run(TRACE, KeyLog())
    (summary,) = of(events, TlsSummary)
    assert (summary.version, summary.cipher_suite, summary.sni, summary.decrypted,
            summary.key_source, summary.alpn) == (
        "TLS 1.3", "TLS_AES_128_GCM_SHA256", "server", False, None, None)
    (problem,) = diagnostics(events, TlsProblem.NO_KEY)
    assert problem.offset == len(r.SERVER_HELLO_RECORD) and problem.direction is S
    assert problem.message == (
        "no key for client random cb34ecb1… in the key log(s) given (TLS 1.3, "
        "TLS_AES_128_GCM_SHA256): its records are not decrypted")
    assert of(events, TlsPlaintext) == []
    protected = [e for e in of(events, TlsRecord) if e.opaque_type == 23]
    assert len(protected) == 7 and {e.status for e in protected} == {RecordStatus.ENCRYPTED}


def test_some_secrets_missing_are_named() -> None:
    text = "\n".join(line for line in r.KEY_LOG.splitlines() if "TRAFFIC_SECRET_0" not in line)
    events = run(TRACE, keys(text))
    (problem,) = diagnostics(events, TlsProblem.NO_KEY)
    assert problem.message.startswith(
        "no CLIENT_TRAFFIC_SECRET_0, SERVER_TRAFFIC_SECRET_0 for client random cb34ecb1…")
    assert [m.name for m in of(events, TlsHandshakeMessage)][-2:] == ["Finished", "Finished"]


def test_traffic_secrets_without_handshake_secrets() -> None:
    # A key log with only the application secrets: the handshake stays encrypted, the
    # application data is found by trying the traffic key on each record.
    text = "\n".join(line for line in r.KEY_LOG.splitlines() if "HANDSHAKE" not in line)
    events = run(TRACE, keys(text))
    assert plaintext(events, C) == r.APP_PAYLOAD == plaintext(events, S)
    assert of(events, TlsSummary)[0].decrypted
    assert not [d for d in of(events, TlsDiagnostic) if d.severity is not Severity.INFO]


def test_keys_added_after_the_connection_started() -> None:
    # Secrets from a Decryption Secrets Block read while the capture goes on.
    log = KeyLog()
    tls = TlsConnection(log)
    events = tls.feed(C, r.CLIENT_HELLO_RECORD) + tls.feed(S, r.SERVER_HELLO_RECORD)
    log.add_text(r.KEY_LOG, origin="dsb")
    for direction, data in TRACE[1:]:
        if direction is S and data.startswith(r.SERVER_HELLO_RECORD):
            data = data[len(r.SERVER_HELLO_RECORD):]
        events += tls.feed(direction, data)
    assert plaintext(events, S) == r.APP_PAYLOAD
    assert diagnostics(events, TlsProblem.NO_KEY) == []


def test_wrong_key_one_diagnostic_per_direction_then_skipped() -> None:
    wrong = r.KEY_LOG
    for secret in (r.CLIENT_HS_SECRET, r.SERVER_HS_SECRET, r.CLIENT_AP_SECRET,
                   r.SERVER_AP_SECRET):
        wrong = wrong.replace(secret.hex(), bytes(b ^ 1 for b in secret).hex())
    events = run(TRACE, keys(wrong))
    problems = diagnostics(events, TlsProblem.AUTHENTICATION_FAILED)
    assert [(d.direction, d.offset) for d in problems] == [
        (S, len(r.SERVER_HELLO_RECORD)), (C, len(r.CLIENT_HELLO_RECORD))]
    assert "the key is wrong" in problems[0].message and "rfc8448.keys line 2" in problems[0].message
    assert of(events, TlsPlaintext) == [] and not of(events, TlsSummary)[0].decrypted


# -- faults --------------------------------------------------------------------------------


def test_flipped_byte_one_record_lost_the_rest_decrypts() -> None:
    extra = forge.server_app(2, 23, b"after the corrupted one")
    damaged = bytearray(r.SERVER_APP_RECORD)
    damaged[30] ^= 0x40
    steps: list[Step] = [*TRACE[:5], (S, bytes(damaged) + extra)]
    events = run(steps)
    (problem,) = diagnostics(events, TlsProblem.AUTHENTICATION_FAILED)
    at = len(forge.SERVER_HANDSHAKE)
    assert (problem.offset, problem.length, problem.direction) == (at, 72, S)
    assert "it is corrupted (the records after it decrypt)" in problem.message
    (gap,) = of(events, TlsPlaintextGap)
    assert (gap.direction, gap.offset, gap.length, gap.record_offset) == (S, 0, 72, at + 72)
    (data,) = [e for e in of(events, TlsPlaintext) if e.direction is S]
    assert (data.data, data.offset) == (b"after the corrupted one", 72)
    failed = [e for e in of(events, TlsRecord) if e.status is RecordStatus.FAILED]
    assert [e.offset for e in failed] == [at]


def test_gap_inside_a_record_resynchronises_and_finds_the_sequence_number() -> None:
    # The ticket (seq 0) and the trace's application record (seq 1) are lost in a gap that
    # starts inside the ticket; decryption picks up at a forged record (seq 2).
    ticket = r.SERVER_TICKET_RECORD
    lost = len(ticket) - 100 + len(r.SERVER_APP_RECORD)
    after = forge.server_app(2, 23, b"x" * 40) + forge.server_app(3, 23, b"y" * 10)
    steps: list[Step] = [*TRACE[:3], (S, ticket[:100]), (S, lost), (S, after)]
    events = run(steps)
    start = len(r.SERVER_HELLO_RECORD + r.SERVER_FLIGHT_RECORD)
    (gap,) = diagnostics(events, TlsProblem.GAP)
    assert (gap.offset, gap.length, gap.skipped, gap.severity) == (
        start, len(ticket) + len(r.SERVER_APP_RECORD), True, Severity.ERROR)
    assert gap.message.startswith(f"{lost} bytes missing (not captured) at offset {start + 100}, "
                                  f"inside the record at offset {start}")
    assert plaintext(events, S) == b"x" * 40 + b"y" * 10
    (hole,) = of(events, TlsPlaintextGap)
    assert hole.record_offset == start + len(ticket) + len(r.SERVER_APP_RECORD)


def test_gap_then_bytes_that_are_no_record() -> None:
    after = forge.server_app(2, 23, b"resumed")
    steps: list[Step] = [*TRACE[:3], (S, r.SERVER_TICKET_RECORD), (S, 50),
                         (S, r.SERVER_APP_RECORD[50:] + after)]
    events = run(steps)
    (skipped,) = diagnostics(events, TlsProblem.NOT_A_RECORD)
    assert skipped.length == len(r.SERVER_APP_RECORD) - 50 and skipped.skipped
    assert plaintext(events, S) == b"resumed"


def test_lost_key_update_is_found_by_trial() -> None:
    # RFC 8446 §4.6.3: a KeyUpdate lost in a gap; the next records use the next secret.
    from wiretool.tls.keyschedule import next_traffic_secret, traffic_keys
    from wiretool.tls.suites import suite_parameters

    suite = suite_parameters(0x1301)
    assert suite is not None
    key, iv = traffic_keys(suite, next_traffic_secret("sha256", r.SERVER_AP_SECRET))
    update = forge.server_app(2, 22, b"\x18\x00\x00\x01\x00")
    after = forge.seal13(key, iv, 1, 23, b"new epoch")  # seq 0 of the new key is lost too
    steps: list[Step] = [*TRACE[:6], (S, len(update) + 40), (S, after)]
    events = run(steps)
    assert plaintext(events, S) == r.APP_PAYLOAD + b"new epoch"


def test_key_update_followed() -> None:
    from wiretool.tls.keyschedule import next_traffic_secret, traffic_keys
    from wiretool.tls.suites import suite_parameters

    suite = suite_parameters(0x1301)
    assert suite is not None
    secret = next_traffic_secret("sha256", r.SERVER_AP_SECRET)
    update = forge.server_app(2, 22, b"\x18\x00\x00\x01\x01")  # update_requested
    key, iv = traffic_keys(suite, secret)
    second = traffic_keys(suite, next_traffic_secret("sha256", secret))
    records = (update + forge.seal13(key, iv, 0, 23, b"epoch 1")
               + forge.seal13(key, iv, 1, 22, b"\x18\x00\x00\x01\x00")
               + forge.seal13(second.key, second.iv, 0, 23, b"epoch 2"))
    events = run([*TRACE[:6], (S, records)])
    assert plaintext(events, S) == r.APP_PAYLOAD + b"epoch 1epoch 2"
    assert [m.name for m in of(events, TlsHandshakeMessage)][-2:] == ["KeyUpdate", "KeyUpdate"]


def test_padding_and_empty_records() -> None:
    records = (forge.server_app(2, 23, b"padded", padding=300)
               + forge.server_app(3, 23, b"")  # zero-length application data
               + forge.server_app(4, 23, b"next"))
    events = run([*TRACE[:6], (S, records)])
    assert plaintext(events, S) == r.APP_PAYLOAD + b"paddednext"
    empty = [e for e in of(events, TlsRecord) if e.content_type == 23]
    assert [(e.plaintext_length, e.status) for e in empty] == [(0, RecordStatus.DECRYPTED)]
    assert of(events, TlsPlaintextGap) == []


def test_record_over_the_size_limits() -> None:
    big = forge.server_app(2, 23, b"z" * (2**14 + 300))  # ciphertext 2^14 + 317 > 2^14 + 256
    events = run([*TRACE[:6], (S, big)])
    (problem,) = diagnostics(events, TlsProblem.RECORD_OVERFLOW)
    assert problem.offset == len(forge.SERVER_HANDSHAKE + r.SERVER_APP_RECORD)
    assert "over the TLS 1.3 limit of 16640 (RFC 8446 §5.2)" in problem.message
    assert plaintext(events, S) == r.APP_PAYLOAD + b"z" * (2**14 + 300)  # still shown


def test_header_declaring_an_impossible_length_is_no_record() -> None:
    garbage = b"\x17\x03\x03\xff\xff" + b"\x00" * 30
    events = run([*TRACE[:6], (S, garbage + forge.server_app(2, 23, b"ok"))])
    (skipped,) = diagnostics(events, TlsProblem.NOT_A_RECORD)
    assert skipped.length == len(garbage)
    assert plaintext(events, S).endswith(b"ok")


def test_fatal_alert_encrypted() -> None:
    events = run([*TRACE[:6], (S, forge.server_app(2, 21, b"\x02\x28"))])
    (alert,) = [d for d in diagnostics(events, TlsProblem.ALERT) if d.direction is S]
    assert alert.severity is Severity.WARNING
    assert alert.message.endswith("(fatal, encrypted) at offset 1073: handshake_failure")


def test_cut_record_at_the_end() -> None:
    events = run([*TRACE[:5], (S, r.SERVER_APP_RECORD[:40])])
    (cut,) = diagnostics(events, TlsProblem.TRUNCATED)
    assert (cut.offset, cut.length, cut.skipped) == (len(forge.SERVER_HANDSHAKE), 40, True)
    assert "the stream ends inside the record at offset" in cut.message


def test_capture_starting_after_the_handshake() -> None:
    steps: list[Step] = [(C, r.CLIENT_APP_RECORD), (S, r.SERVER_APP_RECORD),
                         (C, r.CLIENT_ALERT_RECORD)]
    events = run(steps)
    (problem,) = diagnostics(events, TlsProblem.MIDSTREAM)
    assert (problem.offset, problem.direction) == (0, C)
    assert problem.message.startswith("the capture starts after the TLS handshake")
    assert {e.status for e in of(events, TlsRecord)} == {RecordStatus.ENCRYPTED}
    (summary,) = of(events, TlsSummary)
    assert summary.version is None and not summary.decrypted


def test_capture_starting_inside_a_record() -> None:
    steps: list[Step] = [(S, r.SERVER_FLIGHT_RECORD[200:] + r.SERVER_TICKET_RECORD
                          + r.SERVER_APP_RECORD)]
    events = run(steps)
    (skipped,) = diagnostics(events, TlsProblem.NOT_A_RECORD)
    assert (skipped.offset, skipped.length) == (0, len(r.SERVER_FLIGHT_RECORD) - 200)
    assert len(diagnostics(events, TlsProblem.MIDSTREAM)) == 1


def test_unsupported_suite_named_once() -> None:
    # The trace's ServerHello with TLS_AES_128_CCM_SHA256 (0x1304) instead of 0x1301.
    hello = r.SERVER_HELLO_RECORD.replace(bytes.fromhex("130100002e"), bytes.fromhex("130400002e"))
    steps: list[Step] = [(C, r.CLIENT_HELLO_RECORD), (S, hello + r.SERVER_FLIGHT_RECORD),
                         *TRACE[2:]]
    events = run(steps)
    (problem,) = diagnostics(events, TlsProblem.UNSUPPORTED)
    assert problem.message.startswith("cipher suite TLS_AES_128_CCM_SHA256 is not decrypted")
    assert problem.offset == len(r.SERVER_HELLO_RECORD)
    (summary,) = of(events, TlsSummary)
    assert summary.cipher_suite == "TLS_AES_128_CCM_SHA256" and not summary.decrypted
    assert of(events, TlsPlaintext) == []


def test_malformed_client_hello_is_a_diagnostic() -> None:
    broken = r.CLIENT_HELLO_RECORD[:5] + r.CLIENT_HELLO_RECORD[5:9] + b"\x03\x03" + bytes(10)
    broken = broken[:3] + (len(broken) - 5).to_bytes(2, "big") + broken[5:]
    broken = broken[:6] + (len(broken) - 9).to_bytes(3, "big") + broken[9:]
    events = run([(C, broken)])
    (problem,) = diagnostics(events, TlsProblem.MALFORMED)
    assert "ClientHello in the record at offset 0: random runs past the end" in problem.message


def test_not_tls_at_all() -> None:
    events = run([(C, b"GET / HTTP/1.1\r\nHost: example\r\n\r\n"), (S, b"HTTP/1.1 200 OK\r\n")])
    skipped = diagnostics(events, TlsProblem.NOT_A_RECORD)
    assert [(d.direction, d.offset) for d in skipped] == [(C, 0), (S, 0)]


def test_record_version_learnt_from_a_record_applies_to_the_next_in_the_same_feed() -> None:
    # Found by fuzz/fuzz_tls.py: the ServerHello pins the record version (0x0303) for
    # resynchronisation; records read in the same feed used to be framed before the
    # ServerHello was processed, so one feed and byte-by-byte feeding disagreed.
    tls10 = bytes.fromhex("1703010003") + b"abc"  # plausible, but not 0x0303
    stream = (r.SERVER_HELLO_RECORD + b"\x99\x99\x99" + tls10 + tls10
              + r.SERVER_FLIGHT_RECORD + r.SERVER_TICKET_RECORD)
    steps: list[Step] = [(C, r.CLIENT_HELLO_RECORD), (S, stream)]
    whole = run(steps)
    assert run(steps, chunk=1) == whole
    (skipped,) = diagnostics(whole, TlsProblem.NOT_A_RECORD)
    assert (skipped.offset, skipped.length) == (len(r.SERVER_HELLO_RECORD), 3 + 2 * len(tls10))
    assert [m.name for m in of(whole, TlsHandshakeMessage)][-1] == "NewSessionTicket"


def test_bytes_framed_as_records_by_mistake_use_no_sequence_number() -> None:
    # Two fake records (plausible headers, 20 bytes of noise) between real ones: they fail,
    # and the next real record still has the sequence number that follows the last good one.
    fake = bytes.fromhex("1703030014") + bytes(range(20))
    after = forge.server_app(2, 23, b"still here")
    events = run([*TRACE[:6], (S, fake + fake + after)])
    (problem,) = diagnostics(events, TlsProblem.AUTHENTICATION_FAILED)
    at = len(forge.SERVER_HANDSHAKE + r.SERVER_APP_RECORD)
    assert problem.message == (f"2 records from offset {at} fail authentication; decryption "
                               f"picks up again at offset {at + 2 * len(fake)}")
    assert plaintext(events, S) == r.APP_PAYLOAD + b"still here"
