#!/usr/bin/env bash
# The embedded default, on loopback only: synthesize an OMD-D capture, inspect it, start the reference
# platforms `sim feed` old and new, replay the capture's line A into both at once with `bench`, and
# print the side-by-side comparison; then the gateway leg: FIX sessions from `synth --fix` replayed into
# `sim gateway` old and new; and the standby check: line A against line B with `compare`. Everything
# stays on 127.0.0.1.
#   scripts/demo.sh [BIN] [DIR]
set -euo pipefail
bin=${1:-.build/release/rehearse}
dir=${2:-out/demo}
mkdir -p "$dir"
capture="$dir/omd-d.pcap"

echo "== synth: 5 s of OMD-D, 4 channels, lines A and B, a 5-message gap on line B at 2 s"
"$bin" synth --duration 5s --rate 100000 --channels 4 --seed 7 --fault B:gap@2s:5 --output "$capture"
echo
echo "== inspect"
"$bin" inspect "$capture"
echo
echo "== sim feed old and new (reference platforms on loopback)"
"$bin" sim feed --listen 127.0.0.1:41000-41003 --publish 127.0.0.1:41100 --profile old --json > "$dir/sim-old.json" &
old=$!
"$bin" sim feed --listen 127.0.0.1:42000-42003 --publish 127.0.0.1:42100 --profile new --json > "$dir/sim-new.json" &
new=$!
trap 'kill -INT $old $new 2>/dev/null || true' EXIT
sleep 0.5
echo
echo "== bench: line A replayed at recorded speed into old and new at the same deadlines"
status=0
"$bin" bench "$capture" --filter "dst net 239.1.1.0/24" \
  --old 127.0.0.1:41000 --old-from 127.0.0.1:41100 \
  --new 127.0.0.1:42000 --new-from 127.0.0.1:42100 --speed 1 | tee "$dir/bench.txt" || status=$?
"$bin" bench "$capture" --filter "dst net 239.1.1.0/24" --until 1s \
  --old 127.0.0.1:41000 --old-from 127.0.0.1:41100 \
  --new 127.0.0.1:42000 --new-from 127.0.0.1:42100 --speed 1 --json > "$dir/bench.json" || true
kill -INT $old $new 2>/dev/null || true
wait $old $new 2>/dev/null || true
trap - EXIT

echo
echo "== compare: line A (primary) against line B (standby), message by message: the injected gap is found"
"$bin" compare "$capture" --a "dst net 239.1.1.0/24" --b "dst net 239.1.2.0/24" | tee "$dir/compare.txt"

echo
echo "== gateway leg: synth --fix (4 FIX sessions as TCP), sim gateway old and new, replay the sessions into both"
fix="$dir/fix-sessions.pcap"
"$bin" synth --fix --sessions 4 --orders 1000 --order-rate 2000 --seed 7 --output "$fix"
"$bin" sim gateway --listen 127.0.0.1:43000 --profile old --json > "$dir/gateway-old.json" &
gold=$!
"$bin" sim gateway --listen 127.0.0.1:43001 --profile new --json > "$dir/gateway-new.json" &
gnew=$!
trap 'kill -INT $gold $gnew 2>/dev/null || true' EXIT
sleep 0.5
"$bin" gateway "$fix" --old 127.0.0.1:43000 --new 127.0.0.1:43001 --speed 1 | tee "$dir/gateway.txt" || status=$?
kill -INT $gold $gnew 2>/dev/null || true
wait $gold $gnew 2>/dev/null || true
trap - EXIT
echo
echo "feed capture: $capture · bench: $dir/bench.txt, $dir/bench.json (rehearse.bench/1) · compare: $dir/compare.txt · gateway: $dir/gateway.txt · simulators: $dir/sim-*.json, $dir/gateway-*.json"
exit $status
