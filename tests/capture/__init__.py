"""Tests of wiretool.capture: pcap/pcapng reading, link decoding, TCP reassembly."""
