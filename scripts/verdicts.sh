#!/usr/bin/env bash
# Acceptance of the verdicts (issue 15), on loopback with the demo's simulators. Checks the verdicts, not
# timings; prints one line per run and a tally per phase.
#   false-alarms  N idle runs, then N with one core busy (yes > /dev/null): no "regressed" allowed
#   power         N runs with the new feed simulator 30 % slower (delay and service time × 1.3): "regressed"
#                 naming feed.new/old in ≥ 90 %; then N with old and new both slowed alike: no regression
#                 of new ("environment changed" expected). The simulators' delays are scaled to milliseconds
#                 (old 3 ms, new 1.5 ms median) for this phase: the built-in profiles' 30–80 µs are far below
#                 what a 2-core host running sender, receivers and four simulators adds (p50 ≈ 0.7 ms), so
#                 a 30 % change of them is not a change of the platform's latency any method could see.
#   capacity      N ramps against simulators whose capacity is 2.5× the capture's rate at ×1: knee within
#                 15 % of ×2.5, named as the target's limit, in ≥ 90 %
#   scripts/verdicts.sh [false-alarms|power|capacity|all] [N]   (needs `make build` and out/demo from `make demo`)
set -uo pipefail
phase=${1:-all}; n=${2:-10}
bin=${BIN:-.build/release/rehearse}
work=$(mktemp -d /tmp/rehearse-verdicts.XXXX)
trap 'kill $(jobs -p) 2>/dev/null; pkill -f "$(basename "$bin") sim" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
[ -f out/demo/omd-d.pcap ] || { echo "run make demo first (out/demo/omd-d.pcap)"; exit 2; }
sed -e "s#../out/runs#$work/runs#; s#../out/history.sqlite#$work/history.sqlite#; s#\.\./out/demo#$PWD/out/demo#g" scenarios/demo.yaml > "$work/demo.yaml"

sims() {  # OLDFEED, NEWFEED: extra options for the feed simulators
  pkill -f "$(basename "$bin") sim" 2>/dev/null; sleep 0.3
  "$bin" sim feed --listen 127.0.0.1:41000-41003 --publish 127.0.0.1:41100 --profile old ${OLDFEED:-} >/dev/null 2>&1 &
  "$bin" sim feed --listen 127.0.0.1:42000-42003 --publish 127.0.0.1:42100 --profile new ${NEWFEED:-} >/dev/null 2>&1 &
  "$bin" sim gateway --listen 127.0.0.1:43000 --profile old >/dev/null 2>&1 &
  "$bin" sim gateway --listen 127.0.0.1:43001 --profile new >/dev/null 2>&1 &
  sleep 0.5
}
runs() {  # label count → one line per run: exit code, verdict, regressions
  local label=$1 count=$2 regressed=0 inconclusive=0 env=0
  for i in $(seq 1 "$count"); do
    out=$("$bin" run "$work/demo.yaml" 2>&1); rc=$?
    verdict=$(grep '^verdict:' <<<"$out" | head -1 | cut -c1-150)
    regs=$(grep -E '^  \S+ regressed' <<<"$out" | grep -v '(context)' | awk '{print $1}' | tr '\n' ' ')
    grep -q 'regressed' <<<"$(grep -E '^  \S+ regressed' <<<"$out" | grep -v '(context)')" && regressed=$((regressed + 1))
    [ "$rc" = 5 ] && inconclusive=$((inconclusive + 1))
    grep -q 'environment changed' <<<"$out" && env=$((env + 1))
    echo "  $label $i: exit $rc · $verdict${regs:+ · regressed: $regs}"
  done
  echo "$label: $regressed/$count regressed · $inconclusive inconclusive · $env environment changed"
}
baseline() {  # a fresh history and runs until the window holds 5 valid ones (at most 15; BASEOLD/BASENEW simulator options)
  rm -rf "$work/runs" "$work/history.sqlite"*
  OLDFEED="${BASEOLD:-}" NEWFEED="${BASENEW:-}" sims
  local valid=0 tries=0
  while [ $valid -lt 5 ] && [ $tries -lt 15 ]; do
    "$bin" run "$work/demo.yaml" >/dev/null 2>&1; [ $? = 5 ] || valid=$((valid + 1)); tries=$((tries + 1))
  done
  echo "baseline: $valid valid runs of $tries"
}

if [ "$phase" = false-alarms ] || [ "$phase" = all ]; then
  baseline; runs idle "$n"
  yes > /dev/null & busy=$!
  runs busy "$n"; kill $busy
fi
if [ "$phase" = power ] || [ "$phase" = all ]; then
  export BASEOLD="--delay lognormal:3ms,0.45 --service-time 2500ns" BASENEW="--delay lognormal:1500us,0.3 --service-time 1000ns"
  baseline
  OLDFEED="$BASEOLD" NEWFEED="--delay lognormal:1950us,0.3 --service-time 1300ns" sims; runs new-slower "$n"
  baseline
  OLDFEED="--delay lognormal:3900us,0.45 --service-time 3250ns" NEWFEED="--delay lognormal:1950us,0.3 --service-time 1300ns" sims; runs both-slower "$n"
  unset BASEOLD BASENEW
fi
if [ "$phase" = capacity ] || [ "$phase" = all ]; then
  # line A of the demo capture carries about 139,000 msg/s at ×1 (693,689 messages in 5 s): 2.5× is 347,000 msg/s, a service time of 2.88 µs.
  OLDFEED="--service-time 2880ns" NEWFEED="--service-time 2880ns" sims
  ok=0
  for i in $(seq 1 "$n"); do
    out=$("$bin" capacity "$work/demo.yaml" --speeds 1,2,4 2>&1); rc=$?
    line=$(grep '^knee:' <<<"$out")
    knee=$(sed -n 's/^knee: ×\([0-9.]*\).*/\1/p' <<<"$line")
    if grep -q 'limited by target' <<<"$line" && [ -n "$knee" ] && awk -v k="$knee" 'BEGIN{exit !(k >= 2.125 && k <= 2.875)}'; then ok=$((ok + 1)); fi
    echo "  ramp $i: exit $rc · $line" | cut -c1-220
  done
  echo "capacity: $ok/$n knees within 15 % of ×2.5 named as the target's limit"
fi
