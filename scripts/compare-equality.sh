#!/usr/bin/env bash
# The same comparisons by two builds of rehearse, JSON against JSON: the golden captures and synth
# captures with every fault kind (gaps, duplicates, reorders, pauses, lag, bursts, resets, DR, a
# line cut short), other venues' protocols, --match keys, one side shifted by an hour, and message
# bytes changed on one line (mismatches).
#   scripts/compare-equality.sh OLD_BINARY NEW_BINARY
# Prints one line per case (same / DIFFERS) and exits 1 when any differs.
set -uo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2
work=${WORK:-out/equality}
mkdir -p "$work"
A='dst net 239.1.1.0/24' B='dst net 239.1.2.0/24'
synth() { local name=$1; shift; [ -f "$work/$name" ] || "$new" synth -o "$work/$name" "$@" > /dev/null; }
synth gaps.pcap --seed 3 --channels 4 --duration 3s --rate 20000 --fault B:gap@1s:5 --fault A2:gap@2s:40 --fault B1:dup@1500ms:4
synth reorder.pcap --seed 4 --channels 3 --duration 2s --rate 20000 --fault A0:reorder@500ms:3 --fault B1:reorder@1s:7 --fault A:pause@1200ms:300ms
synth lag.pcap --seed 5 --channels 2 --duration 3s --rate 10000 --fault B:lag@1s:2ms --fault B0:burst@2s:300
synth reset.pcap --seed 6 --channels 3 --duration 3s --rate 15000 --fault reset@1500ms --fault dr@2s:400ms
synth reset1.pcap --seed 7 --channels 3 --duration 3s --rate 15000 --fault reset1@1s --fault B:gap@1400ms:1000000
synth cut.pcap --seed 8 --channels 2 --duration 2s --rate 8000 --fault A:gap@600ms:1000000
synth pitch.pcap --seed 9 --channels 3 --packets 30000 --protocol cboe-pitch
synth pitch-gap.pcap --seed 9 --channels 3 --packets 30000 --protocol cboe-pitch --fault A:gap@100ms:3
synth cme.pcap --seed 10 --channels 2 --packets 20000 --protocol cme-mdp3
synth cme-gap.pcap --seed 10 --channels 2 --packets 20000 --protocol cme-mdp3 --fault A:gap@100ms:3
synth eobi.pcap --seed 11 --channels 2 --packets 20000 --protocol eurex-eobi
synth eobi-gap.pcap --seed 11 --channels 2 --packets 20000 --protocol eurex-eobi --fault A:gap@100ms:3
synth mold.pcap --seed 12 --channels 2 --packets 20000 --protocol moldudp64
synth mold-gap.pcap --seed 12 --channels 2 --packets 20000 --protocol moldudp64 --fault A:gap@50ms:3
synth big.pcap --seed 13 --channels 2 --packets 400000 --rate 200000 --fault B:gap@1s:3 --fault B1:dup@1500ms:2
# Line B an hour after line A: the same messages, paired across the hour.
if [ ! -f "$work/late-b.pcap" ]; then
  tcpdump -q --time-stamp-precision=nano -r "$work/gaps.pcap" -w "$work/gaps-a.pcap" "$A" 2>/dev/null
  tcpdump -q --time-stamp-precision=nano -r "$work/gaps.pcap" -w "$work/gaps-b.pcap" "$B" 2>/dev/null
  editcap -t 3600 "$work/gaps-b.pcap" "$work/late-b.pcap" 2>/dev/null
fi
if [ ! -f "$work/flipped-b.pcap" ]; then
  # Line B with one byte changed in the first message of every 997th packet: mismatches to find.
  python3 - "$work/gaps-b.pcap" "$work/flipped-b.pcap" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
off, n = 24, 0
while off + 16 <= len(d):
    incl = struct.unpack_from('<I', d, off + 8)[0]
    n += 1
    if n % 997 == 0 and incl >= 42 + 16 + 12:
        d[off + 16 + 42 + 16 + 10] ^= 0x5A
    off += 16 + incl
open(sys.argv[2], 'wb').write(d)
PY
fi
status=0
run() {  # NAME ARGS…
  local name=$1; shift
  "$old" compare "$@" --json > "$work/$name.old.json" 2> /dev/null; local ro=$?
  "$new" compare "$@" --json > "$work/$name.new.json" 2> /dev/null; local rn=$?
  if [ $ro = $rn ] && cmp -s "$work/$name.old.json" "$work/$name.new.json"; then
    echo "same     $name (exit $rn)"
  else
    echo "DIFFERS  $name (exit $ro → $rn)"; status=1
  fi
}
run golden-ab captures/omd-d-ab.pcap --a "$A" --b "$B"
run golden-faults captures/omd-d-faults.pcapng --a "$A" --b "$B"
run golden-vlan captures/omd-d-compressed-vlan.pcapng.gz --a "vlan and $A" --b "vlan and $B"
run golden-ab-keys captures/omd-d-ab.pcap --a "$A" --b "$B" --match keys
for c in gaps reorder lag reset reset1 cut big; do run "$c" "$work/$c.pcap" --a "$A" --b "$B"; done
run gaps-stall "$work/gaps.pcap" --a "$A" --b "$B" --stall 100ms
run gaps-keys "$work/gaps.pcap" --a "$A" --b "$B" --match keys
run two-files "$work/gaps-a.pcap" "$work/gaps-b.pcap"
run hour-apart "$work/gaps-a.pcap" "$work/late-b.pcap"
run mismatches "$work/gaps-a.pcap" "$work/flipped-b.pcap"
run itself "$work/reorder.pcap" "$work/reorder.pcap"
for p in pitch cme eobi mold; do run "$p" "$work/$p.pcap" "$work/$p-gap.pcap"; done
exit $status
