"""One TLS connection, both directions: records, handshake, keys, decryption.

``TlsConnection(keys)`` is fed the reassembled TCP byte stream of each direction, in
stream order and in the order the capture saw it (``feed(direction, data)``), told
about missing bytes (``gap``) and the end (``close``), and returns the events of
``model.py``: the handshake summary, plaintext pieces per direction, the other
records, handshake messages, plaintext gaps and diagnostics. Sans-IO: no files, no
printing; nothing here raises on input.

What it follows:

* the handshake in clear (RFC 8446 §4.1, RFC 5246 §7.4): ClientHello, ServerHello,
  HelloRetryRequest; with keys, TLS 1.3's encrypted handshake (EncryptedExtensions
  gives the ALPN), NewSessionTicket, KeyUpdate (RFC 8446 §4.6.3: the next traffic
  secret of §7.2), and TLS 1.2's encrypted Finished;
* key changes: TLS 1.3 handshake keys after the ServerHello, traffic keys after each
  side's Finished (RFC 8446 §7.3); TLS 1.2 keys at each side's ChangeCipherSpec (RFC
  5246 §7.1), from the master secret of the key log and the two randoms (§6.3); the
  TLS 1.3 middlebox-compatibility ChangeCipherSpec (RFC 8446 §D.4) is ignored;
* TLS 1.2 renegotiation (a new handshake under the current keys), reported and
  followed when the key log has the new client random;
* faults: a record that fails authentication (a corrupted one is skipped and the
  next decrypts; records of a wrong key are reported once and the direction is given
  up), a capture gap (reading resynchronises at the next record header, and the
  sequence number, now unknown, is found by trial decryption, across a lost KeyUpdate
  too), a capture that starts after the handshake, records over the size limits, a
  suite or version we do not decrypt. Each is one diagnostic with the record's offset.

Decryption lives in ``protection.py``, framing in ``records.py``, message parsing in
``handshake.py``, secrets in ``keylog.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from wiretool.direction import Direction
from wiretool.errors import Severity
from wiretool.tls import constants as c
from wiretool.tls.constants import AlertLevel, ContentType, HandshakeType, Version
from wiretool.tls.handshake import (
    ClientHello,
    HandshakeBuffer,
    HandshakeError,
    Message,
    ServerHello,
    parse_client_hello,
    parse_encrypted_extensions,
    parse_key_update,
    parse_server_hello,
)
from wiretool.tls.keylog import KeyLog, KeySource, Label, Secret, client_random_text
from wiretool.tls.keyschedule import key_block, next_traffic_secret, traffic_keys
from wiretool.tls.model import (
    RecordStatus,
    TlsDiagnostic,
    TlsEvent,
    TlsHandshakeMessage,
    TlsPlaintext,
    TlsPlaintextGap,
    TlsProblem,
    TlsRecord,
    TlsSummary,
)
from wiretool.tls.protection import Opened, Protection, tls12_protection, tls13_protection
from wiretool.tls.records import RawRecord, RecordReader, Skip, SkipReason
from wiretool.tls.suites import SuiteParameters, suite_name, suite_parameters

MAX_QUEUED_RECORDS = 64
"""Client records held until the ServerHello says how to read them (0-RTT data, or a
capture whose directions interleave oddly); more are listed undecrypted."""
MAX_TRIAL_SEQUENCES = 4096
"""Sequence numbers tried after a gap (the records lost in it, at most)."""
MAX_FAILURES_IN_A_ROW = 3
"""Records failing authentication one after another before a direction is given up."""

CLIENT, SERVER = Direction.CLIENT, Direction.SERVER


class _Epoch(Enum):
    CLEARTEXT = "cleartext"
    EARLY = "early data"
    HANDSHAKE = "handshake"
    APPLICATION = "application"


class _Side:
    """Mutable state of one direction (internal)."""

    def __init__(self, direction: Direction) -> None:
        self.direction = direction
        self.reader = RecordReader()
        self.handshake = HandshakeBuffer()
        self.encrypted = False
        """Records of this side are protected from now on."""
        self.protection: Protection | None = None
        self.epoch = _Epoch.CLEARTEXT
        self.seq = 0
        self.secret: bytes | None = None
        """TLS 1.3: the current traffic secret (the next one derives from it)."""
        self.secret_info: Secret | None = None
        """The key log line of the secret in use (for diagnostics)."""
        self.pending: Protection | None = None
        """TLS 1.2: the read state a ChangeCipherSpec switches to."""
        self.pending_problem: TlsProblem | None = None
        """TLS 1.2: why there is no pending read state (no key, unsupported suite)."""
        self.next_secret: Secret | None = None
        """TLS 1.3: the traffic secret of the application epoch, tried on its own when the
        handshake epoch cannot be read (no handshake secret, a lost Finished)."""
        self.stopped: TlsProblem | None = None
        """Why this side's protected records are not decrypted (reported once)."""
        self.key_ok = 0
        """Records authenticated under the current key."""
        self.failed: list[RawRecord] = []
        """Records in a row that failed authentication (reported when the streak ends)."""
        self.uncertain = 0
        """Stream bytes lost since the last record decrypted (a gap, skipped bytes): the
        sequence number is unknown and is found by trial; 0 when it is known."""
        self.unconfirmed = 0
        """Sequence numbers given to records that failed since the last one decrypted: a
        corrupted record used one, but bytes framed as a record by mistake did not."""
        self.plain_offset = 0
        self.broken_at: int | None = None
        """Stream offset from which protected bytes were lost (a gap, skipped bytes, a
        record that failed): the next plaintext follows a gap in the decrypted stream."""
        self.records = 0
        self.finished = False
        """This side's Finished of the current handshake was read."""
        self.queue: list[RawRecord] = []
        self.closed = False


class TlsConnection:
    """Decode the two directions of one TLS connection, fed in capture order."""

    def __init__(self, keys: KeyLog | None = None) -> None:
        """``keys``: the secrets to decrypt with (looked up by client random when they
        are needed, so secrets added later, from Decryption Secrets Blocks read as the
        capture goes on, still count). Without keys, the handshake in clear is read and
        protected records are listed."""
        self.keys = keys if keys is not None else KeyLog()
        self._sides = {CLIENT: _Side(CLIENT), SERVER: _Side(SERVER)}
        self.client_hello: ClientHello | None = None
        self.server_hello: ServerHello | None = None
        self._hello_retry = False
        self._suite: SuiteParameters | None = None
        self._suite_value: int | None = None
        self._version: int | None = None
        self._limit = c.MAX_TLS12_CIPHERTEXT_LENGTH
        """Longest protected record the version allows."""
        self._alpn: str | None = None
        self._key_source: KeySource | None = None
        self._summary_sent = False
        self._handshakes = 0
        """Completed handshakes (both Finished read); a ClientHello after one is a
        renegotiation."""
        self._renegotiating = False
        self._midstream = False
        self._reported: set[TlsProblem] = set()
        self._decrypted_any = False
        self._wrong_key = False

    # -- public ---------------------------------------------------------------------

    def feed(self, direction: Direction, data: bytes) -> list[TlsEvent]:
        """The next bytes of ``direction``'s TCP stream."""
        side = self._sides[direction]
        out: list[TlsEvent] = []
        if side.closed:
            return out
        record = self._record
        for item in side.reader.feed_iter(data):
            if type(item) is RawRecord:
                record(side, item, out)
            else:
                self._skip(side, item, out)  # type: ignore[arg-type]
        return out

    def gap(self, direction: Direction, length: int) -> list[TlsEvent]:
        """``length`` bytes of ``direction`` were not captured (they come right after what
        was fed)."""
        side = self._sides[direction]
        out: list[TlsEvent] = []
        if side.closed:
            return out
        for item in side.reader.gap_iter(length):
            self._item(side, item, out)
        return out

    def close(self, direction: Direction | None = None) -> list[TlsEvent]:
        """The end of ``direction`` (of both when None)."""
        out: list[TlsEvent] = []
        for side in self._sides.values():
            if side.closed or (direction is not None and side.direction is not direction):
                continue
            for item in side.reader.close_iter():
                self._item(side, item, out)
            side.closed = True
            self._flush_failures(side, out)
            if side.queue:
                queued, side.queue = side.queue, []
                for record in queued:
                    self._report_once(TlsProblem.EARLY_DATA, side, record.offset, out,
                                      "client records before any ServerHello (0-RTT early "
                                      "data, or a ServerHello that was not captured): "
                                      "not decrypted", Severity.WARNING)
                    out.append(self._record_event(side, record, RecordStatus.ENCRYPTED))
            if side.handshake.pending:
                out.append(self._diag(side, side.reader.offset, Severity.WARNING,
                                      TlsProblem.TRUNCATED,
                                      f"the stream ends inside a handshake message "
                                      f"({side.handshake.pending} bytes of it read)"))
                side.handshake.clear()
        if all(side.closed for side in self._sides.values()):
            self._emit_summary(out)
        return out

    @property
    def summary(self) -> TlsSummary | None:
        """What is known so far (None before any record)."""
        if not any(side.records for side in self._sides.values()):
            return None
        return self._build_summary()

    @property
    def alpn(self) -> str | None:
        """The negotiated ALPN protocol, once known."""
        return self._alpn

    # -- records ------------------------------------------------------------------------

    def _item(self, side: _Side, item: RawRecord | Skip, out: list[TlsEvent]) -> None:
        if isinstance(item, RawRecord):
            self._record(side, item, out)
        else:
            self._skip(side, item, out)

    def _skip(self, side: _Side, skip: Skip, out: list[TlsEvent]) -> None:
        self._flush_failures(side, out)
        if side.encrypted:
            side.uncertain += skip.length
            if side.broken_at is None:
                side.broken_at = skip.offset
        side.handshake.clear()
        if skip.reason is SkipReason.GAP:
            if skip.record_offset is not None:
                captured = skip.length - skip.missing
                after = (f"reading goes on after it, at offset {skip.record_end}"
                         if skip.record_end is not None
                         else "resynchronising at the next record header")
                message = (f"{skip.missing} bytes missing (not captured) at offset "
                           f"{skip.offset + captured}, inside the record at offset "
                           f"{skip.record_offset} ({captured} bytes of it were captured): "
                           f"the record is lost; {after}")
            else:
                message = (f"{skip.missing} bytes missing (not captured) at offset "
                           f"{skip.offset}; resynchronising at the next record header")
            out.append(self._diag(side, skip.offset, Severity.ERROR, TlsProblem.GAP, message,
                                  skip.length, skipped=True))
        elif skip.reason is SkipReason.RECORD_REST:
            out.append(self._diag(side, skip.offset, Severity.INFO, TlsProblem.RESYNCHRONISED,
                                  f"{skip.length} bytes at offset {skip.offset}, the rest of "
                                  f"the record at offset {skip.record_offset} after the gap, "
                                  "skipped; the next record follows",
                                  skip.length, skipped=True))
        elif skip.reason is SkipReason.TRUNCATED:
            out.append(self._diag(side, skip.offset, Severity.ERROR, TlsProblem.TRUNCATED,
                                  f"the stream ends inside the record at offset {skip.offset} "
                                  f"({skip.length} bytes of it were captured)",
                                  skip.length, skipped=True))
        else:
            out.append(self._diag(side, skip.offset, Severity.ERROR, TlsProblem.NOT_A_RECORD,
                                  f"{skip.length} bytes at offset {skip.offset} are not TLS "
                                  "records (no plausible record header); skipped",
                                  skip.length, skipped=True))

    def _record(self, side: _Side, record: RawRecord, out: list[TlsEvent]) -> None:
        side.records += 1
        content_type = record.content_type
        if side.encrypted and (content_type == ContentType.APPLICATION_DATA
                               or self._version != Version.TLS_1_3):
            protection = side.protection
            if (protection is not None and not side.uncertain and not side.failed
                    and len(record.body) <= self._limit):
                # The common case, kept short: the next record of a healthy direction.
                opened = protection.open(side.seq, content_type, record.version, record.header,
                                         record.body)
                if opened is None:
                    self._failed(side, record, out)
                    return
                side.seq += 1
                side.key_ok += 1
                self._decrypted_any = True
                inner, plaintext = opened
                if (inner == ContentType.APPLICATION_DATA and plaintext and self._summary_sent
                        and side.broken_at is None
                        and len(plaintext) <= c.MAX_PLAINTEXT_LENGTH):
                    offset = side.plain_offset
                    side.plain_offset = offset + len(plaintext)
                    out.append(TlsPlaintext(side.direction, offset, plaintext, record.offset,
                                            c.RECORD_HEADER_LENGTH + len(record.body),
                                            side.epoch is _Epoch.EARLY))
                    return
                self._content(side, record, inner, plaintext, out)
                return
            self._protected(side, record, out)
            return
        if (content_type == ContentType.APPLICATION_DATA and side.direction is CLIENT
                and self.client_hello is not None and self.server_hello is None
                and not self._midstream and len(side.queue) < MAX_QUEUED_RECORDS):
            # Before the ServerHello there is nothing to read it with yet: 0-RTT early
            # data (RFC 8446 §4.2.10), or directions fed out of order. Hold it.
            side.queue.append(record)
            return
        self._cleartext(side, record, out)

    def _cleartext(self, side: _Side, record: RawRecord, out: list[TlsEvent]) -> None:
        content_type, body = record.content_type, record.body
        if content_type != ContentType.APPLICATION_DATA and len(body) > c.MAX_PLAINTEXT_LENGTH:
            out.append(self._diag(side, record.offset, Severity.ERROR,
                                  TlsProblem.RECORD_OVERFLOW,
                                  f"record at offset {record.offset} holds {len(body)} bytes "
                                  f"in clear, over the limit of {c.MAX_PLAINTEXT_LENGTH} "
                                  "(RFC 8446 §5.1, RFC 5246 §6.2.1)"))
        if content_type == ContentType.HANDSHAKE:
            if self._midstream_record(side, record, out, handshake=True):
                return
            out.append(self._record_event(side, record, RecordStatus.CLEARTEXT, len(body)))
            self._handshake_bytes(side, body, record, False, out)
        elif content_type == ContentType.CHANGE_CIPHER_SPEC:
            out.append(self._record_event(side, record, RecordStatus.CLEARTEXT, len(body)))
            self._change_cipher_spec(side, record, body, out)
        elif content_type == ContentType.ALERT and (len(body) == 2 or not side.encrypted):
            out.append(self._record_event(side, record, RecordStatus.CLEARTEXT, len(body)))
            self._alerts(side, record, body, False, out)
        elif content_type == ContentType.HEARTBEAT:
            out.append(self._record_event(side, record, RecordStatus.CLEARTEXT, len(body)))
        else:
            # Application data (or an alert) that no handshake seen so far protects.
            if self.client_hello is None:
                self._midstream_record(side, record, out, handshake=False)
            else:
                self._report_once(
                    TlsProblem.MALFORMED, side, record.offset, out,
                    f"{c.content_type_name(content_type)} record at offset {record.offset} "
                    "before the handshake set up any keys: not decrypted",
                    Severity.ERROR)
            out.append(self._record_event(side, record, RecordStatus.ENCRYPTED))

    def _midstream_record(self, side: _Side, record: RawRecord, out: list[TlsEvent], *,
                          handshake: bool) -> bool:
        """A record before any ClientHello: report the capture as starting after the
        handshake (once). True when the record was dealt with here."""
        if self.client_hello is not None:
            return False
        if handshake and record.body[:1] == bytes([HandshakeType.CLIENT_HELLO]) \
                and side.direction is CLIENT:
            return False
        if not self._midstream:
            self._midstream = True
            what = (f"a {c.content_type_name(record.content_type)} record"
                    if not handshake else "a handshake record that is no ClientHello")
            self._report_once(
                TlsProblem.MIDSTREAM, side, record.offset, out,
                f"the capture starts after the TLS handshake ({what} at offset "
                f"{record.offset} comes before any ClientHello): without the client "
                "random no key can be found; its records are not decrypted",
                Severity.WARNING)
            self._emit_summary(out)
        if handshake:
            # Handshake records in clear (a ServerHello after a lost ClientHello) still
            # say which version and suite the connection uses.
            out.append(self._record_event(side, record, RecordStatus.CLEARTEXT,
                                          len(record.body)))
            self._handshake_bytes(side, record.body, record, False, out)
            return True
        return False

    def _protected(self, side: _Side, record: RawRecord, out: list[TlsEvent]) -> None:
        limit = self._limit
        if len(record.body) > limit:
            out.append(self._diag(side, record.offset, Severity.ERROR,
                                  TlsProblem.RECORD_OVERFLOW,
                                  f"record at offset {record.offset} has {len(record.body)} "
                                  f"bytes, over the {self._version_text()} limit of {limit} "
                                  + ("(RFC 8446 §5.2)" if limit == c.MAX_TLS13_CIPHERTEXT_LENGTH
                                     else "(RFC 5246 §6.2.3)")))
        if side.protection is None and side.stopped is None and side.next_secret is None:
            self._stop(side, record, out)
        if side.stopped is not None:
            out.append(self._record_event(side, record, RecordStatus.ENCRYPTED))
            return
        opened = self._open(side, record)
        if opened is None:
            if side.protection is None:
                # Only the next epoch's key is known (no handshake secret): this record is
                # of the epoch we cannot read.
                out.append(self._record_event(side, record, RecordStatus.ENCRYPTED))
                return
            self._failed(side, record, out)
            return
        self._flush_failures(side, out, resumed_at=record)
        self._decrypted_any = True
        side.key_ok += 1
        content_type, plaintext = opened
        self._content(side, record, content_type, plaintext, out)

    def _open(self, side: _Side, record: RawRecord) -> Opened | None:
        """Decrypt with the current key at the expected sequence number; after lost bytes,
        with every sequence number the loss allows, and (TLS 1.3) with the next traffic
        secret too in case a KeyUpdate or the Finished was lost."""
        protection = side.protection
        content_type, version, header, body = (record.content_type, record.version,
                                               record.header, record.body)
        if protection is not None and not side.uncertain:
            opened = protection.open(side.seq, content_type, version, header, body)
            if opened is not None:
                side.seq += 1
                return opened
            return None
        window = self._window(side, protection)
        if protection is not None:
            for seq in range(side.seq - side.unconfirmed, side.seq + window):
                opened = protection.open(seq, content_type, version, header, body)
                if opened is not None:
                    side.seq = seq + 1
                    side.uncertain = side.unconfirmed = 0
                    return opened
        following = self._following_epoch(side)
        if following is not None:
            secret, info, epoch = following
            assert self._suite is not None
            candidate = tls13_protection(self._suite, *traffic_keys(self._suite, secret))
            for seq in range(window if side.uncertain else 1):
                opened = candidate.open(seq, content_type, version, header, body)
                if opened is not None:
                    self._set_tls13_key(side, secret, info, epoch)
                    side.seq = seq + 1
                    side.uncertain = side.unconfirmed = 0
                    return opened
        return None

    def _window(self, side: _Side, protection: Protection | None) -> int:
        if not side.uncertain:
            return 1
        smallest = c.RECORD_HEADER_LENGTH + max(
            protection.min_body_length if protection is not None else 17, 1)
        return min(side.uncertain // smallest + 2, MAX_TRIAL_SEQUENCES)

    def _following_epoch(self, side: _Side) -> tuple[bytes, Secret | None, _Epoch] | None:
        """TLS 1.3: the secret that may have taken over unseen: application traffic
        secret 0 during the handshake epoch, the next generation during the application
        epoch (a lost KeyUpdate)."""
        if self._version != Version.TLS_1_3 or self._suite is None:
            return None
        if side.epoch is not _Epoch.APPLICATION and side.next_secret is not None:
            return side.next_secret.value, side.next_secret, _Epoch.APPLICATION
        if side.epoch is _Epoch.APPLICATION and side.secret is not None and side.uncertain:
            return (next_traffic_secret(self._suite.hash_name, side.secret), side.secret_info,
                    _Epoch.APPLICATION)
        return None

    def _failed(self, side: _Side, record: RawRecord, out: list[TlsEvent]) -> None:
        side.failed.append(record)
        out.append(self._record_event(side, record, RecordStatus.FAILED))
        if side.broken_at is None:
            side.broken_at = record.offset
        # A corrupted record still used its sequence number, but a record that fails may
        # also be of an epoch whose start was not seen: what follows is found by trial.
        side.seq += 1
        side.unconfirmed += 1
        side.uncertain += c.RECORD_HEADER_LENGTH + len(record.body)
        if (len(side.failed) >= 2 and side.key_ok == 0) or \
                len(side.failed) >= MAX_FAILURES_IN_A_ROW:
            self._flush_failures(side, out)

    def _flush_failures(self, side: _Side, out: list[TlsEvent], *,
                        resumed_at: RawRecord | None = None) -> None:
        """Report a streak of records that failed authentication, now that it ended (the
        next record decrypted), or that it decides the direction (a wrong key)."""
        if not side.failed:
            return
        first, count = side.failed[0], len(side.failed)
        side.failed = []
        where = self._key_text(side)
        if resumed_at is not None:
            if count == 1:
                message = (f"record at offset {first.offset} fails authentication: it is "
                           "corrupted (the records after it decrypt); its content is lost")
            else:
                message = (f"{count} records from offset {first.offset} fail authentication; "
                           f"decryption picks up again at offset {resumed_at.offset}")
        elif side.key_ok == 0 and count >= 2:
            message = (f"records from offset {first.offset} on fail authentication with "
                       f"{where}: the key is wrong (or belongs to another connection); the "
                       "rest of this direction is not decrypted")
            self._wrong_key = True
            side.stopped = TlsProblem.AUTHENTICATION_FAILED
        elif count >= MAX_FAILURES_IN_A_ROW:
            message = (f"{count} records in a row from offset {first.offset} fail "
                       "authentication; the rest of this direction is not decrypted")
            side.stopped = TlsProblem.AUTHENTICATION_FAILED
        else:
            message = (f"record at offset {first.offset} fails authentication with {where} "
                       "(a wrong key, or a corrupted record)")
            if side.key_ok == 0:
                self._wrong_key = True
        out.append(self._diag(side, first.offset, Severity.ERROR,
                              TlsProblem.AUTHENTICATION_FAILED, message,
                              c.RECORD_HEADER_LENGTH + len(first.body)))
        if side.stopped is not None:
            self._emit_summary(out)

    def _stop(self, side: _Side, record: RawRecord, out: list[TlsEvent]) -> None:
        """A protected record and no key to open it: look the keys up again (a Decryption
        Secrets Block may have brought them since), else say why, once per connection."""
        if self._retry_keys(side, out):
            return
        problem = side.pending_problem or TlsProblem.NO_KEY
        side.stopped = problem
        if problem is TlsProblem.NO_KEY and self.client_hello is not None:
            random = client_random_text(self.client_hello.random)
            secrets = self._secrets()
            wanted = ([Label.CLIENT_RANDOM] if self._version != Version.TLS_1_3 else
                      [Label.CLIENT_HANDSHAKE_TRAFFIC_SECRET, Label.SERVER_HANDSHAKE_TRAFFIC_SECRET,
                       Label.CLIENT_TRAFFIC_SECRET_0, Label.SERVER_TRAFFIC_SECRET_0])
            missing = [label.value for label in wanted if label not in secrets]
            what = "no key" if not secrets else f"no {', '.join(missing)}"
            message = (f"{what} for client random {random} in the key log(s) given "
                       f"({self._version_text()}, {self._suite_text()}): its records are "
                       "not decrypted")
            self._report_once(problem, side, record.offset, out, message, Severity.WARNING)
        elif problem is TlsProblem.UNSUPPORTED:
            self._report_once(problem, side, record.offset, out, self._unsupported_text(),
                              Severity.WARNING)
        self._emit_summary(out)

    def _retry_keys(self, side: _Side, out: list[TlsEvent]) -> bool:
        """Set up ``side``'s keys again from the key log; True when it now has some."""
        if side.pending_problem is TlsProblem.UNSUPPORTED or self.client_hello is None \
                or self.server_hello is None or self._suite is None:
            return False
        if self._version == Version.TLS_1_3:
            if side.epoch is _Epoch.APPLICATION:
                label = (Label.SERVER_TRAFFIC_SECRET_0 if side.direction is SERVER
                         else Label.CLIENT_TRAFFIC_SECRET_0)
                secret = self._secrets().get(label)
                if secret is not None:
                    self._set_tls13_key(side, secret.value, secret, _Epoch.APPLICATION)
            else:
                self._handshake_keys(side, out)
            return side.protection is not None or side.next_secret is not None
        self._tls12_keys(out)
        if side.encrypted:
            side.protection, side.pending = side.pending, None
        return side.protection is not None

    # -- content ------------------------------------------------------------------------

    def _content(self, side: _Side, record: RawRecord, content_type: int, plaintext: bytes,
                 out: list[TlsEvent]) -> None:
        if content_type == ContentType.APPLICATION_DATA:
            if len(plaintext) > c.MAX_PLAINTEXT_LENGTH and \
                    len(record.body) <= self._limit:  # else reported already
                out.append(self._diag(side, record.offset, Severity.ERROR,
                                      TlsProblem.RECORD_OVERFLOW,
                                      f"record at offset {record.offset} decrypts to "
                                      f"{len(plaintext)} bytes, over the limit of "
                                      f"{c.MAX_PLAINTEXT_LENGTH} (RFC 8446 §5.4)"))
            if not plaintext:
                out.append(self._record_event(side, record, RecordStatus.DECRYPTED, 0,
                                              content_type))
                return
            self._emit_summary(out)
            if side.broken_at is not None:
                # What was lost may have held application data: say so, with an upper bound
                # (the protected bytes lost, skipped or failed since).
                lost = record.offset - side.broken_at
                out.append(TlsPlaintextGap(side.direction, side.plain_offset, lost,
                                           record.offset))
                side.plain_offset += lost
                side.broken_at = None
            out.append(TlsPlaintext(side.direction, side.plain_offset, plaintext, record.offset,
                                    c.RECORD_HEADER_LENGTH + len(record.body),
                                    side.epoch is _Epoch.EARLY))
            side.plain_offset += len(plaintext)
            return
        out.append(self._record_event(side, record, RecordStatus.DECRYPTED, len(plaintext),
                                      content_type))
        if content_type == ContentType.HANDSHAKE:
            if not plaintext:
                out.append(self._diag(side, record.offset, Severity.WARNING,
                                      TlsProblem.MALFORMED,
                                      f"empty handshake record at offset {record.offset} "
                                      "(RFC 8446 §5.1 forbids zero-length fragments)"))
            self._handshake_bytes(side, plaintext, record, True, out)
        elif content_type == ContentType.ALERT:
            self._alerts(side, record, plaintext, True, out)
        elif content_type == ContentType.CHANGE_CIPHER_SPEC:
            self._change_cipher_spec(side, record, plaintext, out)
        elif content_type == 0:
            out.append(self._diag(side, record.offset, Severity.ERROR, TlsProblem.MALFORMED,
                                  f"record at offset {record.offset} decrypts to padding "
                                  "only, with no content type (RFC 8446 §5.4)"))

    def _alerts(self, side: _Side, record: RawRecord, body: bytes, protected: bool,
                out: list[TlsEvent]) -> None:
        """RFC 8446 §6, RFC 5246 §7.2: level, description; each one diagnosed."""
        if len(body) % 2:
            out.append(self._diag(side, record.offset, Severity.ERROR, TlsProblem.MALFORMED,
                                  f"alert record at offset {record.offset} holds {len(body)} "
                                  "bytes; an alert is 2"))
        for at in range(0, len(body) - 1, 2):
            level, description = body[at], body[at + 1]
            name = c.alert_name(description)
            level_name = (AlertLevel(level).name.lower()
                          if level in (AlertLevel.WARNING, AlertLevel.FATAL) else f"level {level}")
            quiet = description in (0, 90)  # close_notify, user_canceled
            how = "encrypted" if protected else "in clear"
            out.append(self._diag(side, record.offset,
                                  Severity.INFO if quiet else Severity.WARNING,
                                  TlsProblem.ALERT,
                                  f"alert from the {side.direction.value} ({level_name}, {how}) "
                                  f"at offset {record.offset}: {name}"))

    def _change_cipher_spec(self, side: _Side, record: RawRecord, body: bytes,
                            out: list[TlsEvent]) -> None:
        if body != b"\x01":
            out.append(self._diag(side, record.offset, Severity.WARNING, TlsProblem.MALFORMED,
                                  f"ChangeCipherSpec at offset {record.offset} holds "
                                  f"{body[:8].hex()!r}; expected 01 (RFC 5246 §7.1)"))
        if self._version == Version.TLS_1_3 or self.server_hello is None:
            return  # RFC 8446 §D.4: middlebox compatibility; no key change
        # RFC 5246 §7.1: from the next record on, this side uses the pending state.
        if side.handshake.pending:
            out.append(self._diag(side, record.offset, Severity.ERROR, TlsProblem.MALFORMED,
                                  f"ChangeCipherSpec at offset {record.offset} inside a "
                                  "handshake message; the message is dropped"))
            side.handshake.clear()
        side.encrypted = True
        side.protection = side.pending
        side.epoch = _Epoch.APPLICATION
        side.seq = side.unconfirmed = 0
        side.key_ok = 0
        side.uncertain = 0
        side.stopped = None
        side.failed = []
        if side.protection is None and side.pending_problem is None:
            side.pending_problem = TlsProblem.NO_KEY
        side.pending = None

    # -- handshake ----------------------------------------------------------------------

    def _handshake_bytes(self, side: _Side, data: bytes, record: RawRecord, protected: bool,
                         out: list[TlsEvent]) -> None:
        for message in side.handshake.add(data, record.offset):
            out.append(TlsHandshakeMessage(side.direction, message.record_offset,
                                           message.msg_type, self._message_name(message),
                                           message.length, protected))
            try:
                self._message(side, message, protected, out)
            except HandshakeError as error:
                out.append(self._diag(side, message.record_offset, Severity.ERROR,
                                      TlsProblem.MALFORMED,
                                      f"{self._message_name(message)} in the record at offset "
                                      f"{message.record_offset}: {error.message} (at byte "
                                      f"{error.offset} of its body)"))

    def _message_name(self, message: Message) -> str:
        if message.msg_type == HandshakeType.SERVER_HELLO and \
                message.body[2:34] == c.HELLO_RETRY_REQUEST_RANDOM:
            return "HelloRetryRequest"
        return c.handshake_name(message.msg_type)

    def _message(self, side: _Side, message: Message, protected: bool,
                 out: list[TlsEvent]) -> None:
        msg_type, body = message.msg_type, message.body
        if msg_type == HandshakeType.CLIENT_HELLO and side.direction is CLIENT:
            self._client_hello(side, message, out)
        elif msg_type == HandshakeType.SERVER_HELLO and side.direction is SERVER:
            self._server_hello(side, message, out)
        elif msg_type == HandshakeType.ENCRYPTED_EXTENSIONS and side.direction is SERVER:
            extensions = parse_encrypted_extensions(body)
            if extensions.alpn is not None:
                self._alpn = extensions.alpn
            client = self._sides[CLIENT]
            if client.epoch is _Epoch.EARLY and not extensions.early_data:
                # RFC 8446 §4.2.10: 0-RTT rejected; the client's next records use its
                # handshake keys (no EndOfEarlyData is sent).
                self._handshake_keys(client, out)
        elif msg_type == HandshakeType.FINISHED:
            self._finished(side, message, out)
        elif msg_type == HandshakeType.KEY_UPDATE and self._version == Version.TLS_1_3:
            parse_key_update(body)
            if side.epoch is _Epoch.APPLICATION and side.secret is not None \
                    and self._suite is not None:
                # RFC 8446 §4.6.3: the sender's next records use the next secret (§7.2).
                self._key_change_check(side, message, out)
                self._set_tls13_key(side, next_traffic_secret(self._suite.hash_name,
                                                              side.secret),
                                    side.secret_info, _Epoch.APPLICATION)
        elif msg_type == HandshakeType.END_OF_EARLY_DATA and side.direction is CLIENT:
            self._handshake_keys(side, out)
        elif msg_type == HandshakeType.HELLO_REQUEST and side.direction is SERVER and protected:
            out.append(self._diag(side, message.record_offset, Severity.INFO,
                                  TlsProblem.RENEGOTIATION,
                                  f"HelloRequest at record offset {message.record_offset}: the "
                                  "server asks for a renegotiation"))

    def _client_hello(self, side: _Side, message: Message, out: list[TlsEvent]) -> None:
        hello = parse_client_hello(message.body)
        if self._handshakes and self._version != Version.TLS_1_3:
            out.append(self._diag(side, message.record_offset, Severity.WARNING,
                                  TlsProblem.RENEGOTIATION,
                                  f"renegotiation: a new ClientHello in the record at offset "
                                  f"{message.record_offset} (client random "
                                  f"{client_random_text(hello.random)}); followed with the "
                                  "keys of the new handshake"))
            self._renegotiating = True
            self.server_hello = None
            for each in self._sides.values():
                each.finished = False
        elif self._handshakes:
            out.append(self._diag(side, message.record_offset, Severity.ERROR,
                                  TlsProblem.MALFORMED,
                                  f"ClientHello after a TLS 1.3 handshake, in the record at "
                                  f"offset {message.record_offset} (TLS 1.3 has no "
                                  "renegotiation, RFC 8446 §4.1.2)"))
            return
        if self.client_hello is not None and not self._hello_retry and not self._renegotiating:
            out.append(self._diag(side, message.record_offset, Severity.WARNING,
                                  TlsProblem.MALFORMED,
                                  f"a second ClientHello in the record at offset "
                                  f"{message.record_offset} without a HelloRetryRequest"))
        if self._renegotiating or self.client_hello is None:
            self.client_hello = hello
        elif self._hello_retry:
            # RFC 8446 §4.1.2: the second ClientHello keeps the random; take its other fields.
            self.client_hello = hello

    def _server_hello(self, side: _Side, message: Message, out: list[TlsEvent]) -> None:
        hello = parse_server_hello(message.body)
        if hello.is_retry:
            # RFC 8446 §4.1.4: the client sends a new ClientHello; 0-RTT data is rejected.
            self._hello_retry = True
            self._suite_value = hello.cipher_suite
            self._drain_queue(out, rejected="the server answered with a HelloRetryRequest")
            return
        first = self.server_hello is None and not self._renegotiating
        self.server_hello = hello
        version = hello.version
        if self._renegotiating and version != self._version:
            out.append(self._diag(side, message.record_offset, Severity.ERROR,
                                  TlsProblem.MALFORMED,
                                  f"the renegotiated ServerHello selects "
                                  f"{c.version_name(version)}, the connection runs "
                                  f"{self._version_text()}"))
        self._version = version
        # RFC 8446 §5.2 (2^14 + 256) or RFC 5246 §6.2.3 (2^14 + 2048).
        self._limit = (c.MAX_TLS13_CIPHERTEXT_LENGTH if version == Version.TLS_1_3
                       else c.MAX_TLS12_CIPHERTEXT_LENGTH)
        if first and hello.alpn is not None:
            self._alpn = hello.alpn
        self._suite_value = hello.cipher_suite
        suite = suite_parameters(hello.cipher_suite)
        if suite is not None and suite.tls13 != (version == Version.TLS_1_3):
            suite = None
        self._suite = suite
        for each in self._sides.values():
            each.reader.expected_version = Version.TLS_1_2 if version >= Version.TLS_1_2 \
                else version
        problem: TlsProblem | None = None
        if version not in (Version.TLS_1_2, Version.TLS_1_3) or suite is None:
            problem = TlsProblem.UNSUPPORTED
        if version == Version.TLS_1_3:
            for each in self._sides.values():
                each.encrypted = True
                each.protection = None
                each.stopped = None
                each.pending_problem = problem
            if problem is None:
                self._handshake_keys(self._sides[SERVER], out)
                client = self._sides[CLIENT]
                if self.client_hello is not None and self.client_hello.early_data:
                    self._early_keys(client, out)
                else:
                    self._handshake_keys(client, out)
            self._drain_queue(out)
            return
        # TLS 1.2 and earlier: keys take effect at each side's ChangeCipherSpec.
        for each in self._sides.values():
            each.pending = None
            each.pending_problem = problem
        if problem is None:
            self._tls12_keys(out)
        self._drain_queue(out)

    def _tls12_keys(self, out: list[TlsEvent]) -> None:
        """Pending read states of both sides from the master secret (RFC 5246 §6.3)."""
        assert self._suite is not None and self.server_hello is not None
        if self.client_hello is None:
            for each in self._sides.values():
                each.pending_problem = TlsProblem.NO_KEY
            return
        secret = self.keys.lookup(self.client_hello.random).get(Label.CLIENT_RANDOM)
        if secret is None:
            for each in self._sides.values():
                each.pending_problem = TlsProblem.NO_KEY
            return
        if self._key_source is None:
            self._key_source = secret.source
        block = key_block(self._suite, secret.value, self.client_hello.random,
                          self.server_hello.random)
        etm = (self.server_hello.encrypt_then_mac and self.client_hello.encrypt_then_mac)
        client, server = self._sides[CLIENT], self._sides[SERVER]
        client.pending = tls12_protection(self._suite, block.client_key, block.client_iv,
                                          block.client_mac_key, encrypt_then_mac=etm)
        server.pending = tls12_protection(self._suite, block.server_key, block.server_iv,
                                          block.server_mac_key, encrypt_then_mac=etm)
        client.secret_info = server.secret_info = secret

    def _secrets(self) -> Mapping[str, Secret]:
        if self.client_hello is None:
            return {}
        return self.keys.lookup(self.client_hello.random)

    def _handshake_keys(self, side: _Side, out: list[TlsEvent]) -> None:
        """TLS 1.3: this side's handshake epoch, under [sender]_handshake_traffic_secret
        (RFC 8446 §7.1)."""
        if self._suite is None:
            return
        label = (Label.SERVER_HANDSHAKE_TRAFFIC_SECRET if side.direction is SERVER
                 else Label.CLIENT_HANDSHAKE_TRAFFIC_SECRET)
        secrets = self._secrets()
        secret = secrets.get(label)
        side.next_secret = secrets.get(Label.SERVER_TRAFFIC_SECRET_0 if side.direction is SERVER
                                       else Label.CLIENT_TRAFFIC_SECRET_0)
        if secret is None:
            side.protection = None
            side.epoch = _Epoch.HANDSHAKE
            side.pending_problem = side.pending_problem or TlsProblem.NO_KEY
            return
        self._set_tls13_key(side, secret.value, secret, _Epoch.HANDSHAKE)

    def _early_keys(self, side: _Side, out: list[TlsEvent]) -> None:
        """TLS 1.3 0-RTT: the client's records until EndOfEarlyData use
        client_early_traffic_secret (RFC 8446 §4.2.10, §7.1)."""
        secret = self._secrets().get(Label.CLIENT_EARLY_TRAFFIC_SECRET)
        if secret is None or self._suite is None:
            self._handshake_keys(side, out)
            return
        self._set_tls13_key(side, secret.value, secret, _Epoch.EARLY)

    def _set_tls13_key(self, side: _Side, secret: bytes, info: Secret | None,
                       epoch: _Epoch) -> None:
        assert self._suite is not None
        side.protection = tls13_protection(self._suite, *traffic_keys(self._suite, secret))
        side.secret = secret
        side.secret_info = info
        side.epoch = epoch
        side.seq = side.unconfirmed = 0
        side.key_ok = 0
        side.stopped = None
        if epoch is _Epoch.APPLICATION:
            side.next_secret = None
        if info is not None and self._key_source is None:
            self._key_source = info.source

    def _key_change_check(self, side: _Side, message: Message, out: list[TlsEvent]) -> None:
        """RFC 8446 §5.1: a handshake message must not span a key change."""
        if side.handshake.pending:
            out.append(self._diag(side, message.record_offset, Severity.ERROR,
                                  TlsProblem.MALFORMED,
                                  "handshake data follows the message that changes keys in "
                                  f"the record at offset {message.record_offset} "
                                  "(RFC 8446 §5.1); it is dropped"))
            side.handshake.clear()

    def _finished(self, side: _Side, message: Message, out: list[TlsEvent]) -> None:
        side.finished = True
        if self._version == Version.TLS_1_3 and self._suite is not None:
            # RFC 8446 §7.1: after its Finished, a side sends with its application traffic
            # secret 0.
            self._key_change_check(side, message, out)
            label = (Label.SERVER_TRAFFIC_SECRET_0 if side.direction is SERVER
                     else Label.CLIENT_TRAFFIC_SECRET_0)
            secret = self._secrets().get(label)
            if secret is not None:
                self._set_tls13_key(side, secret.value, secret, _Epoch.APPLICATION)
            else:
                side.protection = None
                side.epoch = _Epoch.APPLICATION
                side.pending_problem = TlsProblem.NO_KEY
        if all(each.finished for each in self._sides.values()):
            self._handshakes += 1
            self._renegotiating = False
            for each in self._sides.values():
                each.finished = False

    def _drain_queue(self, out: list[TlsEvent], *, rejected: str | None = None) -> None:
        """Read the client records held until the ServerHello. 0-RTT records that cannot
        be read (no early secret, or the server rejected them with a HelloRetryRequest)
        are listed, with one diagnostic."""
        client = self._sides[CLIENT]
        if not client.queue:
            return
        queued, client.queue = client.queue, []
        early = self.client_hello is not None and self.client_hello.early_data
        if early and client.epoch is not _Epoch.EARLY and rejected is None:
            rejected = ("no CLIENT_EARLY_TRAFFIC_SECRET for client random "
                        f"{client_random_text(self.client_hello.random)}"  # type: ignore[union-attr]
                        " in the key log(s) given")
        for record in queued:
            if early and rejected is not None:
                self._report_once(TlsProblem.EARLY_DATA, client, record.offset, out,
                                  f"0-RTT early data from offset {record.offset} is not "
                                  f"decrypted: {rejected}", Severity.WARNING)
                out.append(self._record_event(client, record, RecordStatus.ENCRYPTED))
            else:
                self._record(client, record, out)

    # -- helpers --------------------------------------------------------------------

    def _record_event(self, side: _Side, record: RawRecord, status: RecordStatus,
                      plaintext_length: int | None = None,
                      content_type: int | None = None) -> TlsRecord:
        return TlsRecord(side.direction, record.offset, len(record.body),
                         record.content_type if content_type is None else content_type,
                         record.content_type, record.version, status, plaintext_length)

    def _diag(self, side: _Side, offset: int, severity: Severity, problem: TlsProblem,
              message: str, length: int = 0, *, skipped: bool = False) -> TlsDiagnostic:
        return TlsDiagnostic(offset, severity, message, length, side.direction, problem,
                             skipped)

    def _report_once(self, problem: TlsProblem, side: _Side, offset: int,
                     out: list[TlsEvent], message: str, severity: Severity) -> None:
        """One diagnostic per connection for a problem that concerns it as a whole."""
        if problem in self._reported:
            return
        self._reported.add(problem)
        out.append(self._diag(side, offset, severity, problem, message))

    def _key_text(self, side: _Side) -> str:
        info = side.secret_info
        if info is None:
            return "the key given"
        return (f"the key for client random {client_random_text(info.client_random)} "
                f"({info.where()})")

    def _version_text(self) -> str:
        return c.version_name(self._version) if self._version is not None else "TLS"

    def _suite_text(self) -> str:
        value = self._suite_value
        return suite_name(value) if value is not None else "no cipher suite seen"

    def _unsupported_text(self) -> str:
        version = self._version
        if version is not None and version not in (Version.TLS_1_2, Version.TLS_1_3):
            return (f"{c.version_name(version)} is not decrypted (wiretool decrypts TLS 1.2 "
                    "and 1.3)")
        return (f"cipher suite {self._suite_text()} is not decrypted by wiretool (it decrypts "
                "AES-GCM, ChaCha20-Poly1305 and, in TLS 1.2, AES-CBC with HMAC)")

    def _emit_summary(self, out: list[TlsEvent]) -> None:
        if self._summary_sent:
            return
        self._summary_sent = True
        out.append(self._build_summary())

    def _build_summary(self) -> TlsSummary:
        client, server = self.client_hello, self.server_hello
        value = self._suite_value
        resumed = False
        if server is not None:
            if self._version == Version.TLS_1_3:
                resumed = server.pre_shared_key
            elif client is not None:
                resumed = bool(client.session_id) and server.session_id == client.session_id
        decrypted = self._decrypted_any and not self._wrong_key
        return TlsSummary(
            version=c.version_name(self._version) if self._version is not None else None,
            cipher_suite=suite_name(value) if value is not None else None,
            sni=client.sni if client is not None else None,
            alpn=self._alpn,
            decrypted=decrypted,
            key_source=self._key_source if decrypted else None,
            cipher_suite_value=value,
            offered_alpn=client.alpn if client is not None else (),
            client_random=client.random if client is not None else None,
            hello_retry=self._hello_retry,
            resumed=resumed,
            extended_master_secret=bool(server is not None and client is not None
                                        and server.extended_master_secret
                                        and client.extended_master_secret
                                        and self._version != Version.TLS_1_3),
            encrypt_then_mac=bool(server is not None and client is not None
                                  and server.encrypt_then_mac and client.encrypt_then_mac
                                  and self._suite is not None
                                  and self._suite.mac_name is not None),
        )
