#!/usr/bin/env bash
# Offline compare of a long day in flat memory: lines A and B of one synthesized 8-channel feed (a gap
# and a duplicate burst on B), PACKETS packets in all (72 M: about 100 M messages a line), split into two
# captures that end together; compared once with peak RSS and an RSS curve sampled every 0.5 s.
#   scripts/bench-compare-day.sh [PACKETS] [BINARY]
# Prints the time, messages read per second (both sides; bar ≥ 20 M/s on one core), the core's clock
# before and after (scripts/core-clock.c) with the cycles per message read, peak RSS (bar ≤ 256 MB) and
# the RSS curve (s, MB anon, MB file).
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-72000000}
R=${2:-.build/release/rehearse}
work=${BENCH_DIR:-out/bench}
mkdir -p "$work"
command -v tcpdump >/dev/null || apt-get install -y -qq tcpdump >/dev/null
command -v jq >/dev/null || apt-get install -y -qq jq >/dev/null
a="$work/day-a-$packets.pcap"; b="$work/day-b-$packets.pcap"
if [ ! -f "$a" ] || [ ! -f "$b" ]; then
  ab="$work/day-ab-$packets.pcap"
  "$R" synth -o "$ab" --packets "$packets" --rate 400000 --channels 8 --seed 21 \
    --fault B2:gap@10s:5 --fault B3:dup@20s:3 | tail -1
  tcpdump -q --time-stamp-precision=nano -r "$ab" -w "$a" 'dst net 239.1.1.0/24' 2>/dev/null
  tcpdump -q --time-stamp-precision=nano -r "$ab" -w "$b" 'dst net 239.1.2.0/24' 2>/dev/null
  rm -f "$ab"
fi
ls -l "$a" "$b" | awk '{printf "  %s: %.1f GB\n", $9, $5 / 1e9}'
curve="$work/compare-day.rss"
cc -O2 -o "$work/core-clock" scripts/core-clock.c
clock_before=$("$work/core-clock")
s=$(date +%s%N)
"$R" compare "$a" "$b" --json > "$work/compare-day.json" 2>/dev/null &
pid=$!
: > "$curve"
while kill -0 $pid 2>/dev/null; do
  t=$(( ($(date +%s%N) - s) / 1000000 ))
  awk -v t="$t" '/RssAnon/ {a=$2} /RssFile/ {f=$2} END {if (a != "") printf "%.1f %.0f %.0f\n", t / 1000, a / 1024, f / 1024}' /proc/$pid/status 2>/dev/null >> "$curve" || true
  sleep 0.5
done
wait $pid || true
e=$(date +%s%N)
secs=$(echo "scale=3; ($e - $s) / 1000000000" | bc)
msgs=$(jq -r '[.channels[] | .messagesA + .messagesB] | add' "$work/compare-day.json")
clock_after=$("$work/core-clock")
rate=$(echo "scale=0; $msgs / $secs" | bc)
echo "  $secs s, $msgs messages read, $rate messages/s"
cycles=$(echo "$clock_before $clock_after $rate" | awk '$1 != "unknown" && $3 > 0 {printf "%.0f", ($1 + $2) / 2 * 1e9 / $3}')
echo "  core clock $clock_before GHz before, $clock_after GHz after: ${cycles:-unknown} cycles per message read"
awk '{ if ($2 + $3 > p) p = $2 + $3; if ($2 > pa) pa = $2 } END {printf "  peak RSS %.0f MB (anonymous %.0f MB)\n", p, pa}' "$curve"
echo "  RSS curve (s, MB anonymous, MB file-backed), every 10th sample:"
awk 'NR % 10 == 1' "$curve" | sed 's/^/    /'
jq -c '[.channels[] | {ch: .channel, both: .onBoth, missingOnB, missingOnA, mismatches}]' "$work/compare-day.json"
