#!/bin/sh
# Make the tshark follow outputs of tests/inputs/test_follow.py, with tshark 4.0:
#   curl-h2.tls.follow    follow,tls,raw of samples/tls/curl-h2.pcap decrypted with its keys
#                         (tshark lists the server's decrypted SETTINGS first, as node 0)
#   basic.tcp-hex.follow  follow,tcp,hex of samples/h2/basic.pcap
#   demo.http2.follow     follow,http2,raw of samples/grpc/demo.pcap, stream 1 (refused)
#   basic.tcp-ascii.follow follow,tcp,ascii of samples/h2/basic.pcap (refused)
# Run from the repository root: sh tests/inputs/data/make_follow.sh
set -eu
OUT=tests/inputs/data
tshark -r samples/tls/curl-h2.pcap -o tls.keylog_file:samples/tls/curl-h2.keys -q \
    -z follow,tls,raw,0 > "$OUT/curl-h2.tls.follow"
tshark -r samples/h2/basic.pcap -q -z follow,tcp,hex,0 > "$OUT/basic.tcp-hex.follow"
tshark -r samples/grpc/demo.pcap -d tcp.port==47113,http2 -q -z follow,http2,raw,0,1 \
    > "$OUT/demo.http2.follow"
tshark -r samples/h2/basic.pcap -q -z follow,tcp,ascii,0 > "$OUT/basic.tcp-ascii.follow"
