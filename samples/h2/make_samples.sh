#!/bin/sh
# Regenerate the real HTTP/2 samples in this directory (run as root on Debian:
# apt-get install nghttp2-client nghttp2-server tshark tcpdump).
#
# Each scenario runs Debian's nghttpd (h2c, no TLS) and nghttp on loopback while
# tcpdump records lo. For each scenario NAME we keep:
#   NAME.follow     tshark -q -z follow,tcp,raw,0   (both directions; server lines tab-indented)
#   NAME.client.bin raw bytes the client sent   (starts with the connection preface)
#   NAME.server.bin raw bytes the server sent
#   NAME.tshark.tsv expectations from tshark, one line per HTTP/2 frame:
#                   direction, stream id, type, flags, length, header names, header values
#   NAME.pcap       the capture itself (tcpdump -i lo), read by `wiretool h2-frames NAME.pcap`
# All of a scenario's files come from the same capture, so the pcap, the follow dump and
# the raw dumps must give the same frames. The tests read only these files, never tshark.
set -eu
cd "$(dirname "$0")"
PORT=${PORT:-18080}
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/htdocs/push"
printf 'hello from nghttpd\n' > "$WORK/htdocs/index.html"
printf 'body { color: teal }\n' > "$WORK/htdocs/push/style.css"
printf 'console.log(1)\n' > "$WORK/htdocs/app.js"

run() {  # run NAME SERVER_OPTS CLIENT_ARGS...
    name=$1; shift
    sopts=$1; shift
    # shellcheck disable=SC2086
    nghttpd --no-tls $sopts -d "$WORK/htdocs" "$PORT" >/dev/null 2>&1 &
    SERVER=$!
    sleep 0.5
    tcpdump -i lo -w "$WORK/$name.pcap" -U "tcp port $PORT" >/dev/null 2>&1 &
    DUMP=$!
    sleep 1.5
    nghttp -n "$@" >/dev/null 2>&1 || true
    sleep 0.5
    kill "$DUMP"; wait "$DUMP" 2>/dev/null || true
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
    cat "$WORK/$name.pcap" > "$name.pcap"
    tshark -r "$WORK/$name.pcap" -q -z follow,tcp,raw,0 > "$name.follow"
    python3 - "$name" <<'PY'
import sys
name = sys.argv[1]
client, server = bytearray(), bytearray()
for line in open(f"{name}.follow"):
    text = line.rstrip("\n")
    if not text.strip() or text.startswith(("=", "Follow:", "Filter:", "Node ")):
        continue
    (server if text.startswith("\t") else client).extend(bytes.fromhex(text.strip()))
open(f"{name}.client.bin", "wb").write(client)
open(f"{name}.server.bin", "wb").write(server)
PY
    tshark -r "$WORK/$name.pcap" -d "tcp.port==$PORT,http2" -Y http2 -T fields \
        -E separator=/t -E aggregator='|' -E occurrence=a \
        -e tcp.dstport -e http2.streamid -e http2.type -e http2.flags -e http2.length \
        -e http2.header.name -e http2.header.value \
        | awk -v port="$PORT" 'BEGIN{FS=OFS="\t"} {$1 = ($1 == port) ? "client" : "server"; print}' \
        > "$name.tshark.tsv"
}

URL="http://127.0.0.1:$PORT"
# Several requests on one connection: the dynamic table carries over between them.
run basic "" "$URL/index.html" "$URL/app.js" "$URL/index.html" -H "x-trace: abc123"
# Padding on both sides (nghttpd -b, nghttp -b), priority weights on the requests.
run padding_priority "-b 17" -b 9 -p 32 -p 200 "$URL/index.html" "$URL/app.js"
# Server push: PUSH_PROMISE frames on the request stream, pushed stream 2.
run push "-p /index.html=/push/style.css" "$URL/index.html"
# nghttp --continuation adds six 4 KiB headers: HEADERS + CONTINUATION frames.
run continuation "" --continuation "$URL/index.html"
