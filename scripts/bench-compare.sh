#!/usr/bin/env bash
# Offline compare throughput: two 10 M-packet line captures — lines A and B of one synthesized feed
# (8 channels, a gap and a duplicate burst on B), split into two files by tcpdump — warmed as METHOD.md
# says, compared ROUNDS times;
# prints messages read per second (both sides), messages compared per second and peak RSS, and the
# clock the core ran at (scripts/core-clock.c, before and after) with the cycles per message read:
# these machines change their clock with the host's load, and a rate means nothing without it.
#   scripts/bench-compare.sh [ROUNDS] [PACKETS]     (REHEARSE=BINARY: that build, none made)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
packets=${2:-10000000}
work=${BENCH_DIR:-out/bench}
mkdir -p "$work"
command -v jq >/dev/null || apt-get install -y -qq jq >/dev/null
if [ -n "${REHEARSE:-}" ]; then R=$REHEARSE; else
  swift build -c release --static-swift-stdlib --product rehearse >/dev/null
  R=.build/release/rehearse
fi
cc -O2 -o "$work/core-clock" scripts/core-clock.c
clock_before=$("$work/core-clock")
command -v tcpdump >/dev/null || apt-get install -y -qq tcpdump >/dev/null
ab="$work/lines-ab-$packets.pcap"; a="$work/line-a-$packets.pcap"; b="$work/line-b-$packets.pcap"
# Line B is packetised differently (more, smaller packets): generate enough for 10 M on line A.
[ -f "$ab" ] || "$R" synth -o "$ab" --packets $((packets * 2 + packets / 4)) --rate 400000 --channels 8 --seed 21 \
  --fault B2:gap@10s:5 --fault B3:dup@20s:3 | tail -1
[ -f "$a" ] || tcpdump -q --time-stamp-precision=nano -r "$ab" -w "$a" -c "$packets" 'dst net 239.1.1.0/24' 2>/dev/null
[ -f "$b" ] || tcpdump -q --time-stamp-precision=nano -r "$ab" -w "$b" 'dst net 239.1.2.0/24' 2>/dev/null
for f in "$a" "$b"; do dd if="$f" iflag=nocache count=0 status=none; cat "$f" > /dev/null; done
rates=(); compared=()
for r in $(seq 1 "$rounds"); do
  s=$(date +%s%N)
  # Exit 1 is the verdict (line B misses the gap's messages), not a fault.
  /usr/bin/time -f "%M" -o "$work/compare.rss" "$R" compare "$a" "$b" --json > "$work/compare.json" 2> /dev/null || [ $? = 1 ]
  e=$(date +%s%N)
  secs=$(echo "scale=4; ($e - $s) / 1000000000" | bc)
  read msgs both <<< "$(jq -r '"\([.channels[] | .messagesA + .messagesB] | add) \(.messagesCompared)"' "$work/compare.json")"
  rates+=("$(echo "scale=0; $msgs / $secs" | bc)"); compared+=("$(echo "scale=0; $both / $secs" | bc)")
  echo "  round $r: $secs s, $msgs messages read, $both compared, peak RSS $(tail -1 "$work/compare.rss") KB"
done
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
clock_after=$("$work/core-clock")
rate=$(printf '%s\n' "${rates[@]}" | median)
echo "medians: $rate messages read/s (both sides; bar ≥ 20 M/s on one core), $(printf '%s\n' "${compared[@]}" | median) messages compared/s"
cycles=$(echo "$clock_before $clock_after $rate" | awk '$1 != "unknown" && $3 > 0 {printf "%.0f", ($1 + $2) / 2 * 1e9 / $3}')
echo "core clock $clock_before GHz before, $clock_after GHz after: ${cycles:-unknown} cycles per message read"
jq -c '[.channels[] | {ch: .channel, missingOnB, missingOnA, mismatches, dupB: .lineB.duplicateMessages}]' "$work/compare.json"
