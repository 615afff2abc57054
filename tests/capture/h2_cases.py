"""The captures whose HTTP/2 and gRPC ``h2-frames`` compares with tshark's, and how
tshark is told to read each (``h2_tshark.json`` holds what it showed).

Every capture of ``../shared/captures`` is here (copied under ``data/`` with its
source's LICENSE and README; the large ones gzip-compressed, which both tools read)
except ``tracepcap/teams.pcap``: 700 KB of TLS 1.2 without keys, like ``discord.pcap``,
in which neither tool sees any HTTP/2. Then the loopback captures of
``data/loopback/make_captures.py`` (real peers, real captures cut with editcap/tshark).

The options are tshark's "right ports": ``-d tcp.port==N,http2`` for the connections
that speak HTTP/2 from their first byte on a port tshark does not know, none for h2c
upgrades and CONNECT tunnels (tshark follows those itself, and ``-d`` on their port
would make it read the HTTP/1.1 head as frames).
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def _d(*ports: int) -> list[str]:
    out: list[str] = []
    for port in ports:
        out += ["-d", f"tcp.port=={port},http2"]
    return out


H2_CAPTURES: dict[str, list[str]] = {
    "grpcdump/grpc.pcap": _d(50051),
    "packt/Bidi_Streaming.pcapng": _d(50051),
    "packt/Client_Streaming.pcapng": _d(50051),
    "packt/Server_Streaming.pcapng": _d(50051),
    "packt/Unary.pcapng.gz": _d(50051),
    "suricata-verify/bug-5929-02__http2_multiple_headers.pcap": _d(80),
    "suricata-verify/dns-over-http2-limit__input.pcap.gz": _d(8080),
    "suricata-verify/dns-over-http2-post__dns_over_https_POST.pcap": _d(80),
    "suricata-verify/dns-over-http2__dns_over_https.pcap": _d(80),
    "suricata-verify/drop-protocol-change__input.pcap": [],
    "suricata-verify/http2-authority-mismatch__authority_and_host_2.pcap": _d(80),
    "suricata-verify/http2-bugfixes__input.pcap": _d(443),
    "suricata-verify/http2-compression-bug__input.pcap": _d(443),
    "suricata-verify/http2-continuation__input.pcap": _d(8080),
    "suricata-verify/http2-deflate-case__input.pcap": [],
    "suricata-verify/http2-deflate__http2_deflate.pcap": [],
    "suricata-verify/http2-errorcode__input.pcap": _d(6233),
    "suricata-verify/http2-keywords2__input.pcap": [],
    "suricata-verify/http2-keywords__input.pcap.gz": _d(3000),
    "suricata-verify/http2-long-frame__input.pcap.gz": _d(8443),
    "suricata-verify/http2-range__http2-range.pcap": [],
    "suricata-verify/http2-userinfo-authority__http2_userinfo_in_authority_1.pcap": _d(80),
    "suricata-verify/transform-base64-7296__input.pcap": [],
    "tracepcap/discord.pcap.gz": [],
    "tracepcap/free5gc.pcap.gz": _d(*range(29502, 29519)),
    "tunnels/common__decapsulate_erspan1.pcap": [],
    "tunnels/common__ip6-vxlan.pcap": [],
    "tunnels/common__ipip.pcap": [],
    "loopback/connect-h2c.pcap": _d(31281),
    "loopback/connect-grpc.pcap": _d(31282),
    "loopback/connect-tls.pcap": [],
    "loopback/connect-declined.pcap": [],
    "loopback/h2c-no-request.pcap": [],
    "loopback/h2c-no-101.pcap": [],
    "loopback/h2c-server-only.pcap": [],
    "loopback/grpc-server-side.pcapng": _d(50051),
    "loopback/grpc-client-side.pcapng": _d(50051),
    "loopback/grpc-server-side-late.pcapng": _d(50051),
    "loopback/client-streaming-lost-pings.pcapng": _d(50051),
}
