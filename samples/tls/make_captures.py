"""Make the TLS sample captures: real TLS stacks on loopback, captured with tcpdump, and
the key logs they wrote.

Run as root (tcpdump on lo), from the repository root, with nghttpd, h2load, curl,
openssl, tcpdump and editcap installed (Debian: nghttp2-server nghttp2-client curl
openssl tcpdump wireshark-common), in the project's venv (the ``h2`` library)::

    python samples/tls/make_captures.py                  # every capture
    python samples/tls/make_captures.py keyupdate ccm    # some of them
    python samples/tls/tshark_expect.py                  # then the tshark expectations

The gRPC capture needs grpclib, which wiretool does not depend on: the script runs
``samples/tls/grpc_tls.py`` with the interpreter in ``$GRPCLIB_PYTHON`` (a throwaway
venv: ``python -m venv /tmp/g && /tmp/g/bin/pip install grpclib protobuf grpcio-tools``).

Each capture ``NAME.pcap`` (tcpdump on lo, a port filter) comes with ``NAME.keys`` (the
NSS key log its client wrote through ``SSLKEYLOGFILE`` or ``-keylogfile``):

====================  =====================================================================
``curl-h2``           curl --http2 (OpenSSL 3.0) -> nghttpd, TLS 1.3, two requests on one
                      connection; nghttpd prefers a group curl did not key-share, so the
                      handshake has a HelloRetryRequest. ``curl-h2.dsb.pcapng`` is the same
                      capture with its keys inside (``editcap --inject-secrets``).
``tls13-suites``      three curl connections, one per TLS 1.3 suite (``--tls13-ciphers``)
``tls12-suites``      curl --tls-max 1.2 -> nghttpd with an ECDSA and an RSA certificate:
                      ECDHE-ECDSA AES-128-GCM, ECDHE-ECDSA ChaCha20, ECDHE-RSA AES-256-GCM,
                      ECDHE-RSA ChaCha20, DHE-RSA AES-128-GCM
``tls12-cbc``         curl -> h2_tls_server.py (nghttpd refuses these for h2): AES-128-CBC
                      HMAC-SHA1 and AES-256-CBC HMAC-SHA384 with encrypt-then-MAC,
                      AES-128-CBC HMAC-SHA256 and RSA AES-256-CBC HMAC-SHA1 MAC-then-
                      encrypt, RSA key exchange AES-128-GCM
``h2load``            h2load -n 40 -c 2 -m 4 -> nghttpd (SSLKEYLOGFILE)
``missing-key``       two curl connections; ``missing-key.keys`` keeps only the first one's
``http11``            curl --http1.1 -> Python's https server: ALPN http/1.1
``keyupdate``         openssl s_client -> nghttpd carrying HTTP/2 written by this script,
                      with ``k`` (KeyUpdate) and ``K`` (KeyUpdate, update_requested: the
                      server updates too) between requests
``renegotiation``     openssl s_client -> s_server, TLS 1.2, ``R``: a renegotiation
``ccm``               openssl, TLS 1.3 TLS_AES_128_CCM_SHA256 (a suite wiretool names but
                      does not decrypt)
``handshake-failure`` curl offering only a suite the server lacks: a fatal alert in clear
``early-data``        openssl s_client resuming with 0-RTT early data -> s_server
``grpc-tls``          grpclib client and server over TLS (``grpc_tls.py``; what each side
                      sent is in ``grpc-tls.sent.json``)
====================  =====================================================================
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PORTS = {
    "curl-h2": [47306], "tls13-suites": [47301], "tls12-suites": [47302, 47303],
    "tls12-cbc": [47304, 47305], "h2load": [47307], "missing-key": [47309],
    "http11": [47310], "keyupdate": [47311], "renegotiation": [47312], "ccm": [47313],
    "handshake-failure": [47315], "early-data": [47314], "grpc-tls": [47308],
}
WORK = Path(tempfile.mkdtemp(prefix="wiretool-tls-"))
HOST = "wiretool.test"
"""The name every client asks for (SNI), resolved to 127.0.0.1 by --resolve."""


def run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(args), check=True, capture_output=True, **kwargs)  # type: ignore[call-overload,no-any-return]


def make_certificates() -> None:
    """A self-signed RSA-2048 and ECDSA P-256 certificate for HOST, and DH parameters."""
    for name, key in (("rsa", ["-newkey", "rsa:2048"]),
                      ("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])):
        run("openssl", "req", "-x509", *key, "-nodes", "-days", "3650", "-subj", f"/CN={HOST}",
            "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", str(WORK / f"{name}.key"),
            "-out", str(WORK / f"{name}.crt"))
    run("openssl", "dhparam", "-out", str(WORK / "dh.pem"), "2048")
    docs = WORK / "htdocs"
    docs.mkdir()
    (docs / "index.html").write_text("<html><body>wiretool TLS sample</body></html>\n")
    # 19.5 KB: a response over two DATA frames and several TLS records.
    (docs / "big.txt").write_text("".join(f"line {i:05d} of the wiretool TLS sample\n"
                                          for i in range(500)))


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


@contextlib.contextmanager
def server(*args: str, port: int, **kwargs: object) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(list(args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            **kwargs)  # type: ignore[call-overload]
    try:
        wait_port(port)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def tcpdump(name: str) -> Iterator[Path]:
    out = HERE / f"{name}.pcap"
    port_filter = " or ".join(f"tcp port {port}" for port in PORTS[name])
    # --immediate-mode: libpcap hands each packet over at once; otherwise the last ones
    # can still sit in the kernel ring buffer when tcpdump is stopped.
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-s", "0", "-U", "--immediate-mode",
                             "-w", str(out), port_filter], stderr=subprocess.PIPE)
    assert dump.stderr is not None
    dump.stderr.readline()  # "listening on lo, ...": the capture is running
    time.sleep(0.5)
    try:
        yield out
    finally:
        time.sleep(1.0)
        dump.send_signal(signal.SIGINT)
        dump.wait()
        print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size} bytes)")


def keylog(name: str) -> Path:
    path = HERE / f"{name}.keys"
    path.unlink(missing_ok=True)
    return path


def nghttpd(port: int, cert: str = "rsa", *extra: str) -> contextlib.AbstractContextManager[
        subprocess.Popen[bytes]]:
    return server("nghttpd", "--htdocs", str(WORK / "htdocs"), *extra, str(port),
                  str(WORK / f"{cert}.key"), str(WORK / f"{cert}.crt"), port=port)


def curl(port: int, keys: Path, *args: str, paths: tuple[str, ...] = ("/index.html",)) -> None:
    urls = [f"https://{HOST}:{port}{path}" for path in paths]
    run("curl", "-s", "-k", "--resolve", f"{HOST}:{port}:127.0.0.1", *args,
        *[item for url in urls for item in ("-o", "/dev/null", url)],
        env={**os.environ, "SSLKEYLOGFILE": str(keys)})


# -- the captures -----------------------------------------------------------------------


def curl_h2() -> None:
    name, port = "curl-h2", PORTS["curl-h2"][0]
    keys = keylog(name)
    with nghttpd(port), tcpdump(name):
        curl(port, keys, "--http2", paths=("/index.html", "/big.txt"))
    dsb = HERE / f"{name}.dsb.pcapng"
    run("editcap", "--inject-secrets", f"tls,{keys}", str(HERE / f"{name}.pcap"), str(dsb))
    print(f"wrote {dsb.relative_to(ROOT)} ({dsb.stat().st_size} bytes)")


def tls13_suites() -> None:
    name, port = "tls13-suites", PORTS["tls13-suites"][0]
    keys = keylog(name)
    with nghttpd(port), tcpdump(name):
        for index, suite in enumerate(("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                       "TLS_CHACHA20_POLY1305_SHA256")):
            curl(port, keys, "--http2", "--tlsv1.3", "--tls13-ciphers", suite,
                 paths=("/index.html", "/big.txt") if index == 0 else ("/index.html",))


def tls12_suites() -> None:
    name = "tls12-suites"
    rsa_port, ec_port = PORTS[name]
    keys = keylog(name)
    with nghttpd(rsa_port, "rsa", "--dh-param-file", str(WORK / "dh.pem")), \
            nghttpd(ec_port, "ec"), tcpdump(name):
        for index, (port, cipher) in enumerate((
                (ec_port, "ECDHE-ECDSA-AES128-GCM-SHA256"),
                (ec_port, "ECDHE-ECDSA-CHACHA20-POLY1305"),
                (rsa_port, "ECDHE-RSA-AES256-GCM-SHA384"),
                (rsa_port, "ECDHE-RSA-CHACHA20-POLY1305"),
                (rsa_port, "DHE-RSA-AES128-GCM-SHA256"))):
            curl(port, keys, "--http2", "--tlsv1.2", "--tls-max", "1.2", "--ciphers", cipher,
                 paths=("/index.html", "/big.txt") if index == 0 else ("/index.html",))


def tls12_cbc() -> None:
    name = "tls12-cbc"
    etm_port, mte_port = PORTS[name]
    keys = keylog(name)
    script = str(HERE / "h2_tls_server.py")
    ciphers = ("ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256:"
               "AES256-SHA:AES128-GCM-SHA256")
    cert, key = str(WORK / "rsa.crt"), str(WORK / "rsa.key")
    with server(sys.executable, script, str(etm_port), cert, key, ciphers, port=etm_port), \
            server(sys.executable, script, str(mte_port), cert, key, ciphers, "--no-etm",
                   port=mte_port), tcpdump(name):
        for port, cipher in ((etm_port, "ECDHE-RSA-AES128-SHA"),
                             (etm_port, "ECDHE-RSA-AES256-SHA384"),
                             (mte_port, "ECDHE-RSA-AES128-SHA256"),
                             (mte_port, "AES256-SHA"),
                             (etm_port, "AES128-GCM-SHA256")):
            curl(port, keys, "--http2", "--tlsv1.2", "--tls-max", "1.2", "--ciphers", cipher,
                 paths=("/a", "/b"))


def h2load() -> None:
    name, port = "h2load", PORTS["h2load"][0]
    keys = keylog(name)
    with nghttpd(port), tcpdump(name):
        run("h2load", "-n", "40", "-c", "2", "-m", "4", f"https://127.0.0.1:{port}/index.html",
            env={**os.environ, "SSLKEYLOGFILE": str(keys)})


def missing_key() -> None:
    name, port = "missing-key", PORTS["missing-key"][0]
    keys = keylog(name)
    other = WORK / "second.keys"
    with nghttpd(port), tcpdump(name):
        curl(port, keys, "--http2")
        curl(port, other, "--http2", paths=("/big.txt",))  # its keys are not committed


def http11() -> None:
    name, port = "http11", PORTS["http11"][0]
    keys = keylog(name)
    code = (
        "import http.server, ssl, sys\n"
        "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
        "ctx.load_cert_chain(sys.argv[2], sys.argv[3])\n"
        "ctx.set_alpn_protocols(['http/1.1'])\n"
        "httpd = http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])),\n"
        "    http.server.SimpleHTTPRequestHandler)\n"
        "httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)\n"
        "httpd.serve_forever()\n"
    )
    with server(sys.executable, "-c", code, str(port), str(WORK / "rsa.crt"),
                str(WORK / "rsa.key"), port=port, cwd=str(WORK / "htdocs")), tcpdump(name):
        curl(port, keys, "--http1.1", paths=("/index.html", "/big.txt"))


def _h2_request(stream_id: int, path: str, encoder: object) -> bytes:
    """A HEADERS frame (END_STREAM | END_HEADERS) for GET ``path`` (RFC 9113 §6.2)."""
    block = encoder.encode([(":method", "GET"), (":scheme", "https"),  # type: ignore[attr-defined]
                            (":authority", HOST), (":path", path),
                            ("user-agent", "openssl-s_client-keyupdate")])
    return len(block).to_bytes(3, "big") + bytes([0x1, 0x5]) + stream_id.to_bytes(4, "big") + block


def keyupdate() -> None:
    """openssl s_client as the TLS layer of a hand-written HTTP/2 client.

    s_client sends what it reads from stdin; a read that starts with ``k`` or ``K`` is a
    command instead (SSL_key_update, without or with update_requested). Each write below
    is separated by a pause so that s_client reads it alone. The HTTP/2 bytes never
    start with k, K, Q or R (a frame starts with its length)."""
    import hpack  # the project's dependency

    name, port = "keyupdate", PORTS["keyupdate"][0]
    keys = keylog(name)
    encoder = hpack.Encoder()
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    settings = bytes(3) + b"\x04\x00" + bytes(4)
    settings_ack = bytes(3) + b"\x04\x01" + bytes(4)
    with nghttpd(port), tcpdump(name):
        client = subprocess.Popen(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", HOST,
             "-alpn", "h2", "-tls1_3", "-keylogfile", str(keys), "-no_ign_eof"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert client.stdin is not None
        steps: list[bytes] = [preface + settings + settings_ack
                              + _h2_request(1, "/index.html", encoder),
                              b"k\n", _h2_request(3, "/big.txt", encoder),
                              b"K\n", _h2_request(5, "/index.html", encoder),
                              b"k\n", _h2_request(7, "/index.html", encoder)]
        time.sleep(0.5)
        for step in steps:
            client.stdin.write(step)
            client.stdin.flush()
            time.sleep(0.4)
        goaway = bytes([0, 0, 8, 0x7, 0]) + bytes(4) + bytes(4) + bytes(4)
        client.stdin.write(goaway)
        client.stdin.flush()
        time.sleep(0.4)
        client.stdin.close()
        client.wait(10)


def renegotiation() -> None:
    name, port = "renegotiation", PORTS["renegotiation"][0]
    keys = keylog(name)
    with server("openssl", "s_server", "-accept", str(port), "-cert", str(WORK / "rsa.crt"),
                "-key", str(WORK / "rsa.key"), "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256",
                "-client_renegotiation", port=port, stdin=subprocess.PIPE), tcpdump(name):
        s_client("-connect", f"127.0.0.1:{port}", "-servername", HOST, "-tls1_2",
                 "-keylogfile", str(keys),
                 lines=(b"before the renegotiation\n", b"R\n", b"after the renegotiation\n"))


def s_client(*args: str, lines: tuple[bytes, ...], pause: float = 0.5) -> None:
    """openssl s_client with ``lines`` written to it one by one, ``pause`` seconds apart,
    stdin left open a moment at the end so that late messages (NewSessionTicket) arrive."""
    client = subprocess.Popen(["openssl", "s_client", *args, "-no_ign_eof"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    assert client.stdin is not None
    for line in lines:
        time.sleep(pause)
        client.stdin.write(line)
        client.stdin.flush()
    time.sleep(pause)
    client.stdin.close()
    client.wait(10)


def ccm() -> None:
    name, port = "ccm", PORTS["ccm"][0]
    keys = keylog(name)
    suite = "TLS_AES_128_CCM_SHA256"
    with server("openssl", "s_server", "-accept", str(port), "-cert", str(WORK / "rsa.crt"),
                "-key", str(WORK / "rsa.key"), "-tls1_3", "-ciphersuites", suite,
                port=port, stdin=subprocess.PIPE), tcpdump(name):
        s_client("-connect", f"127.0.0.1:{port}", "-servername", HOST, "-tls1_3",
                 "-ciphersuites", suite, "-keylogfile", str(keys),
                 lines=(b"hello over AES-128-CCM\n",))


def handshake_failure() -> None:
    name, port = "handshake-failure", PORTS["handshake-failure"][0]
    keys = keylog(name)
    with nghttpd(port), tcpdump(name), contextlib.suppress(subprocess.CalledProcessError):
        curl(port, keys, "--http2", "--tlsv1.2", "--tls-max", "1.2", "--ciphers",
             "ECDHE-ECDSA-AES128-GCM-SHA256")  # nghttpd has an RSA certificate only


def early_data() -> None:
    """TLS 1.3 0-RTT: a first connection saves the session, the second resumes it and sends
    early data (RFC 8446 §4.2.10); s_server accepts up to 16 KB of it."""
    name, port = "early-data", PORTS["early-data"][0]
    keys = keylog(name)
    session = WORK / "session.pem"
    early = WORK / "early.txt"
    early.write_bytes(b"early data: sent before the handshake completes\n")
    with server("openssl", "s_server", "-accept", str(port), "-cert", str(WORK / "rsa.crt"),
                "-key", str(WORK / "rsa.key"), "-tls1_3", "-early_data",
                "-max_early_data", "16384", port=port, stdin=subprocess.PIPE), tcpdump(name):
        s_client("-connect", f"127.0.0.1:{port}", "-servername", HOST, "-tls1_3",
                 "-sess_out", str(session), "-keylogfile", str(keys),
                 lines=(b"first connection\n",))
        s_client("-connect", f"127.0.0.1:{port}", "-servername", HOST, "-tls1_3",
                 "-sess_in", str(session), "-early_data", str(early), "-keylogfile", str(keys),
                 lines=(b"after the handshake\n",))


def grpc_tls() -> None:
    name, port = "grpc-tls", PORTS["grpc-tls"][0]
    keys = keylog(name)
    python = os.environ.get("GRPCLIB_PYTHON")
    if not python:
        raise SystemExit("set GRPCLIB_PYTHON to a python with grpclib (see the docstring)")
    with tcpdump(name):
        run(python, str(HERE / "grpc_tls.py"), str(port), str(WORK / "rsa.crt"),
            str(WORK / "rsa.key"), str(keys), str(HERE / f"{name}.sent.json"))


CAPTURES = {
    "curl-h2": curl_h2, "tls13-suites": tls13_suites, "tls12-suites": tls12_suites,
    "tls12-cbc": tls12_cbc, "h2load": h2load, "missing-key": missing_key, "http11": http11,
    "keyupdate": keyupdate, "renegotiation": renegotiation, "ccm": ccm,
    "handshake-failure": handshake_failure, "early-data": early_data, "grpc-tls": grpc_tls,
}


def main() -> None:
    names = sys.argv[1:] or list(CAPTURES)
    unknown = [name for name in names if name not in CAPTURES]
    if unknown:
        raise SystemExit(f"unknown capture(s) {unknown}; choose from {list(CAPTURES)}")
    make_certificates()
    for name in names:
        CAPTURES[name]()
    if "missing-key" in names:
        print("missing-key.keys holds the first connection's secrets only")


if __name__ == "__main__":
    main()
