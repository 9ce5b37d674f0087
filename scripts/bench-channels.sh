#!/usr/bin/env bash
# compare's cost per channel: lines A and B of an OMD feed with N channels (scripts/many-channels.py:
# destination ports 1..N, two one-message packets per channel, B 20 µs behind), compared ROUNDS
# times for each N; prints the median wall and user seconds, µs per channel and peak RSS. With
# BASE=path/to/rehearse (a build of an earlier revision) both binaries run interleaved and the
# ratio base ÷ now is printed.
#   scripts/bench-channels.sh [ROUNDS=3] ["2000 8000 65535"]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
counts=${2:-"2000 8000 65535"}
work=${BENCH_DIR:-out/bench}
mkdir -p "$work"
swift build -c release --product rehearse >/dev/null
now=.build/release/rehearse
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
run() { # binary a b → "wall user rss"
  /usr/bin/time -f "%e %U %M" -o "$work/channels.time" "$1" compare "$2" "$3" > /dev/null || true
  cat "$work/channels.time"
}
printf "%-8s %-6s %10s %10s %14s %10s\n" channels build "wall s" "user s" "µs/channel" "RSS MB"
for n in $counts; do
  a="$work/channels-$n-a.pcap"; b="$work/channels-$n-b.pcap"
  [ -f "$a" ] || python3 scripts/many-channels.py "$n" "$a" "$b"
  : > "$work/now.txt"; : > "$work/base.txt"
  for r in $(seq 1 "$rounds"); do
    run "$now" "$a" "$b" >> "$work/now.txt"
    if [ -n "${BASE:-}" ]; then run "$BASE" "$a" "$b" >> "$work/base.txt"; fi
  done
  for which in now base; do
    f="$work/$which.txt"; [ -s "$f" ] || continue
    wall=$(cut -d' ' -f1 "$f" | median); user=$(cut -d' ' -f2 "$f" | median); rss=$(cut -d' ' -f3 "$f" | median)
    printf "%-8s %-6s %10s %10s %14.1f %10.0f\n" "$n" "$which" "$wall" "$user" "$(echo "$wall * 1000000 / $n" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
    eval "${which}_wall=$wall"
  done
  if [ -n "${BASE:-}" ]; then echo "         base ÷ now (wall): $(echo "scale=1; $base_wall / $now_wall" | bc -l)"; fi
done
