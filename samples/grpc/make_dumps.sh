#!/bin/sh
# Regenerate the one-direction raw dumps of the real grpcio connection in demo.pcap
# (run on Debian: apt-get install tshark). demo.pcap is made by make_capture.py.
#
#   demo.client.bin  bytes the grpcio client sent on TCP stream 0 (starts with the preface)
#   demo.server.bin  bytes the grpcio server sent on it
#
# tshark, not wiretool, reassembles them (`-z follow,tcp,raw,0`: node 0 opened the
# connection; the server's lines are tab-indented), so the tests that read these dumps
# with `wiretool h2-frames` do not check wiretool against itself. The expected frames
# and headers are tshark's dissection of the same stream in demo.tshark.json
# (tshark_expect.py). The tests read only the committed files, never tshark.
set -eu
cd "$(dirname "$0")"
tshark -r demo.pcap -q -z follow,tcp,raw,0 | python3 -c '
import sys
client, server = bytearray(), bytearray()
for line in sys.stdin:
    text = line.rstrip("\n")
    if not text.strip() or text.startswith(("=", "Follow:", "Filter:", "Node ")):
        continue
    (server if text.startswith("\t") else client).extend(bytes.fromhex(text.strip()))
open("demo.client.bin", "wb").write(client)
open("demo.server.bin", "wb").write(server)
'
