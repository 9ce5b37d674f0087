#!/usr/bin/env python3
"""Writes two captures (lines A and B) of one OMD feed with CHANNELS channels — destination
239.1.1.1, ports 1..CHANNELS (up to 65,535) — each carrying PACKETS one-message packets numbered
from 1, line B 20 µs behind line A. For compare's per-channel cost (issue 19):
    scripts/many-channels.py 65535 a.pcap b.pcap [PACKETS=2]"""
import struct, sys

def packets(channels, per_channel, lag_ns):
    t0 = 1_700_000_000 * 10**9
    for k in range(per_channel):
        for port in range(1, channels + 1):
            seq = k + 1
            body = struct.pack('<IIq', port, seq, 1000 + seq)             # any 16 bytes
            msg = struct.pack('<HH', 4 + len(body), 50) + body            # MsgSize, MsgType (Trade)
            send = t0 + (k * channels + port) * 1000
            omd = struct.pack('<HBBIQ', 16 + len(msg), 1, 0, seq, send) + msg
            udp = struct.pack('!HHHH', 50000, port, 8 + len(omd), 0) + omd
            ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 1, 17, 0,
                             bytes([10, 0, 0, 1]), bytes([239, 1, 1, 1])) + udp
            eth = b'\x01\x00\x5e\x01\x01\x01' + b'\x02\x00\x00\x00\x00\x01' + b'\x08\x00' + ip
            yield send + lag_ns, eth

def write(path, channels, per_channel, lag_ns):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))
        for t, frame in packets(channels, per_channel, lag_ns):
            f.write(struct.pack('<IIII', t // 10**9, t % 10**9, len(frame), len(frame)) + frame)

if __name__ == '__main__':
    n = int(sys.argv[1]); per = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    write(sys.argv[2], n, per, 0)
    write(sys.argv[3], n, per, 20_000)
