#!/bin/sh
# Make samples/capture/nghttp2-h2c.pcap: a real HTTP/2 cleartext exchange on loopback.
#
# Debian packages: nghttp2-server (nghttpd), nghttp2-client (nghttp), tcpdump.
# Run as root (tcpdump on lo):  sh samples/capture/make_nghttp2_h2c.sh
# Two connections on an unusual port (28417), so nothing port-based helps:
#   1. prior knowledge: client preface, GET /hello.txt and /data.bin (20000 bytes,
#      so DATA spans several frames), with padding (-b) asked of the server;
#   2. HTTP/1.1 Upgrade: h2c: curl --http2 against h2c_upgrade_server.py (python h2;
#      nghttpd --no-tls does not answer upgrades) on port 28418.
# PYTHON must have the h2 package (default: /work/venv/bin/python).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="${1:-$HERE/nghttp2-h2c.pcap}"
PORT=28417
WORK=$(mktemp -d)
trap 'kill "$SRV" "$DUMP" 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir "$WORK/www"
printf 'hello from nghttpd\n' > "$WORK/www/hello.txt"
python3 -c "import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(20000)))" \
    > "$WORK/www/data.bin"
nghttpd --no-tls -d "$WORK/www" -b 16 "$PORT" > "$WORK/nghttpd.log" 2>&1 &
SRV=$!
sleep 0.5
# -s 0: full packets; -U: write each packet at once; pcap with microsecond stamps.
tcpdump -i lo -s 0 -U -w "$OUT" "tcp port $PORT or tcp port $((PORT + 1))" > "$WORK/tcpdump.log" 2>&1 &
DUMP=$!
sleep 1
nghttp -n "http://127.0.0.1:$PORT/hello.txt" "http://127.0.0.1:$PORT/data.bin"
sleep 0.2
PYTHON="${PYTHON:-/work/venv/bin/python}"
"$PYTHON" "$HERE/h2c_upgrade_server.py" "$((PORT + 1))" &
UPG=$!
sleep 0.5
curl -sS --http2 "http://127.0.0.1:$((PORT + 1))/hello.txt"
wait "$UPG"
sleep 1
kill "$DUMP"; wait "$DUMP" 2>/dev/null || true
kill "$SRV"
echo "wrote $OUT"
# The same packets as pcapng, written by Wireshark's own writer (editcap, from
# wireshark-common), and tshark's reassembly of every stream as the test oracle.
editcap -F pcapng "$OUT" "${OUT%.pcap}.pcapng"
"$PYTHON" "$HERE/tshark_oracle.py" "$OUT" > "${OUT%.pcap}.expected.json"
