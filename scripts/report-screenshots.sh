#!/usr/bin/env bash
# Screenshots of report.html for docs/ and the README, each checked by scripts/check-report.sh (every
# plot present with data) on the way: a passing run (docs/report-pass.png), a run where new regressed
# against its baseline (docs/report-regression.png: three baseline runs, then the new feed simulator ten
# times slower) and a capacity ramp (docs/report-capacity.png). Loopback only, the demo's simulators and
# captures, its own history in out/screens/.
#   scripts/report-screenshots.sh [BIN=.build/release/rehearse]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/rehearse}
work=out/screens
rm -rf "$work" && mkdir -p "$work" out/demo
[ -f out/demo/omd-d.pcap ] || "$bin" synth --duration 5s --rate 100000 --channels 4 --seed 7 --fault B:gap@2s:5 --output out/demo/omd-d.pcap >/dev/null
[ -f out/demo/fix-sessions.pcap ] || "$bin" synth --fix --sessions 4 --orders 1000 --order-rate 2000 --seed 7 --output out/demo/fix-sessions.pcap >/dev/null
# The demo scenario with its own outputs (paths stay relative to the file: out/screens/../demo).
sed -e 's|\.\./out/demo/|../demo/|g' -e 's|directory: \.\./out/runs|directory: runs|' -e 's|history: \.\./out/history.sqlite|history: history.sqlite|' \
  scenarios/demo.yaml > "$work/demo.yaml"
pids=()
sims() {  # NEW_DELAY: the new feed simulator's delay distribution (default: its profile's)
  "$bin" sim feed --listen 127.0.0.1:41000-41003 --publish 127.0.0.1:41100 --profile old >/dev/null & pids+=($!)
  "$bin" sim feed --listen 127.0.0.1:42000-42003 --publish 127.0.0.1:42100 --profile new ${NEW_DELAY:+--delay "$NEW_DELAY"} >/dev/null & pids+=($!)
  "$bin" sim gateway --listen 127.0.0.1:43000 --profile old >/dev/null & pids+=($!)
  "$bin" sim gateway --listen 127.0.0.1:43001 --profile new >/dev/null & pids+=($!)
  sleep 0.5
}
stop() { kill -INT "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; pids=(); }
trap stop EXIT
latest() { ls -d "$work"/runs/run-* | sort -t- -k2 -n | tail -1; }
sims
"$bin" run "$work/demo.yaml" | grep "in one line" || true
./scripts/check-report.sh "$(latest)/report.html" docs/report-pass.png 5
for _ in 1 2; do "$bin" run "$work/demo.yaml" | grep "in one line" || true; done
stop
NEW_DELAY=lognormal:300us,0.3 sims
"$bin" run "$work/demo.yaml" | grep -E "in one line|regressed" || true
./scripts/check-report.sh "$(latest)/report.html" docs/report-regression.png 5
stop
sims
"$bin" capacity "$work/demo.yaml" | tail -3 || true
./scripts/check-report.sh "$(latest)/report.html" docs/report-capacity.png 4
