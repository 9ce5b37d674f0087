#!/usr/bin/env bash
# Gateway replay measurements on loopback, ROUNDS rounds each (../shared/bench/METHOD.md):
#  1. FIX framing + field access on one core (Benchmarks' fix-parse probe), bar ≥ 3 M messages/s;
#  2. sustained orders/s across 8 sessions to `sim gateway` (no throttle, no added delay) with
#     --max-in-flight 64, every request answered, bar ≥ 50 k/s;
#  3. original timing at 10 k messages/s (8 sessions × 1,250/s): send lateness p50/p99, bar p99 ≤ 50 µs.
#   scripts/bench-gateway.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
work=${BENCH_DIR:-out/bench}
mkdir -p "$work"
command -v jq >/dev/null || apt-get install -y -qq jq >/dev/null
swift build -c release --static-swift-stdlib --product rehearse >/dev/null
(cd Benchmarks && swift build -c release --product fix-parse >/dev/null)
R=.build/release/rehearse
capture="$work/fix-8x20000.pcap"
[ -f "$capture" ] || "$R" synth --fix -o "$capture" --sessions 8 --orders 20000 --order-rate 1250 --seed 2 | tail -1
port=43090
"$R" sim gateway --listen 127.0.0.1:$port --profile new --throttle 0 --delay fixed:0us --service-time 0us --json > "$work/gateway-sim.json" &
sim=$!
trap 'kill -INT $sim 2>/dev/null || true' EXIT
sleep 0.5
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "== 1. FIX parse + field access"
Benchmarks/.build/release/fix-parse 1000000 7

echo
echo "== 2 and 3, interleaved: --max-in-flight 64 (orders/s, answered) · --speed 1 (lateness p50 / p99 µs)"
max=(); p50=(); p99=()
for r in $(seq 1 "$rounds"); do
  a=$("$R" gateway "$capture" --new 127.0.0.1:$port --max-in-flight 64 --json | jq -r '.new | "\(.requestsPerSecond) \(.byType | map(.answered) | add) \(.requests)"')
  b=$("$R" gateway "$capture" --new 127.0.0.1:$port --speed 1 --json | jq -r '.new | "\(.lateness.p50 / 1000) \(.lateness.p99 / 1000) \(.byType | map(.answered) | add)"')
  echo "  round $r: max-in-flight $a (orders/s answered sent) · speed 1 $b (p50 µs, p99 µs, answered)"
  max+=("$(echo $a | cut -d' ' -f1)"); p50+=("$(echo $b | cut -d' ' -f1)"); p99+=("$(echo $b | cut -d' ' -f2)")
done
echo "  medians: $(printf '%s\n' "${max[@]}" | median) orders/s (bar ≥ 50000) · lateness p50 $(printf '%s\n' "${p50[@]}" | median) µs, p99 $(printf '%s\n' "${p99[@]}" | median) µs (bar p99 ≤ 50)"
