#!/usr/bin/env bash
# Recovery's two performance figures (issue: OMD recovery services), on loopback, release builds:
#  1. What `watch --recover` adds per message while no gap occurs: the live comparator's per-message work
#     at BASE (before the recovery work) against now with gap collection on, interleaved (median
#     ns/packet of each run and the difference per message), and in instructions with callgrind when
#     valgrind is there (not moved by this host's noise).
#  2. Time to recover 1,000-message gaps from `sim feed`'s RTS: a simulator that loses >= 1,000
#     messages per channel every 250 ms (--gap), `listen --recover`, the capture replayed at speed 1;
#     the recovery report's time-to-recover p50 / p99 / max per run and their medians.
#   scripts/bench-recovery.sh [RUNS=3] [BASE=fe8e749]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
base=${2:-fe8e749}
swift build -c release --product rehearse >/dev/null
(cd Benchmarks && swift build -c release --product live-compare >/dev/null)
R=.build/release/rehearse
L=Benchmarks/.build/release/live-compare
bdir=.build-instr/$(git rev-parse --short "$base")
[ -d "$bdir" ] || git worktree add -f --detach "$bdir" "$base" >/dev/null
(cd "$bdir/Benchmarks" && swift build -c release --product live-compare >/dev/null)
LB=$bdir/Benchmarks/.build/release/live-compare
work=$(mktemp -d)
trap 'rm -rf "$work"; kill $(jobs -p) 2>/dev/null || true' EXIT
cap="$work/ab.pcap"
"$R" synth -o "$cap" --packets 400000 --rate 200000 --channels 8 --seed 42 >/dev/null
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "1. watch's per-message work at $base and now with --recover's gap collection (no gap in the capture), $runs interleaved runs of 5 reps"
off=(); on=()
for i in $(seq "$runs"); do
  off+=("$("$LB" "$cap" 5 | sed -E 's/.*median ([0-9.]+) ns.*/\1/')")
  on+=("$("$L" "$cap" 5 recover | sed -E 's/.*median ([0-9.]+) ns.*/\1/')")
done
mo=$(median "${off[@]}"); mn=$(median "${on[@]}")
msgs=$("$L" "$cap" 1 | sed -E 's/.* ([0-9]+) messages on both.*/\1/')
pk=$("$L" "$cap" 1 | sed -E 's/RESULT live-compare ([0-9]+) packets.*/\1/')
echo "  $base: ${off[*]} ns/packet (median $mo)"
echo "  now, recover: ${on[*]} ns/packet (median $mn)"
awk -v a="$mo" -v b="$mn" -v p="$pk" -v m="$msgs" 'BEGIN { d = (b - a) * p / (2 * m); printf "  added: %.2f ns/packet, %.2f ns per message (%d packets, %d messages per line); ratio %.4f (budget: 50 ns per message)\n", b - a, d, p, m, b / a }'
if command -v valgrind >/dev/null; then
  cp "$L" "$work/lc"; strip -g "$work/lc"; cp "$LB" "$work/lcb"; strip -g "$work/lcb"
  small="$work/small.pcap"; "$R" synth -o "$small" --packets 100000 --rate 200000 --channels 8 --seed 42 >/dev/null
  ir() { valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$@" >/dev/null 2>&1
         callgrind_annotate --inclusive=yes "$work/cg" | grep -E 'LiveComparator.*process' | head -1 | awk '{gsub(",","",$1); print $1}'; }
  a=$(ir "$work/lcb" "$small" 1); b=$(ir "$work/lc" "$small" 1 recover)
  m=$("$L" "$small" 1 | sed -E 's/.* ([0-9]+) messages on both.*/\1/')
  awk -v a="$a" -v b="$b" -v m="$m" -v base="$base" 'BEGIN { printf "  instructions in LiveComparator.process (100k packets): %s %d, now with recover %d, ratio %.4f, %+.2f per message\n", base, a, b, b / a, (b - a) / (2 * m) }'
fi

echo "2. time to recover 1,000-message gaps from sim feed's RTS, $runs runs"
gcap="$work/a.pcap"
"$R" synth -o "$gcap" --lines A --channels 2 --duration 4s --rate 20000 --seed 5 >/dev/null
p50=(); p99=(); mx=()
for i in $(seq "$runs"); do
  port=$((30000 + RANDOM % 20000))
  "$R" sim feed --listen "127.0.0.1:$port-$((port + 1))" --publish "127.0.0.1:$((port + 2))" --profile new --gap 1000@250ms \
      --rts "127.0.0.1:$((port + 5))" --duration 12s >/dev/null 2>&1 &
  sim=$!
  sleep 0.3
  "$R" listen --on "127.0.0.1:$((port + 2))-$((port + 3))" --recover "127.0.0.1:$((port + 5))" --idle 1s --json > "$work/listen.json" &
  listener=$!
  sleep 0.3
  "$R" replay "$gcap" --to "each=127.0.0.1:$port" --speed 1 >/dev/null || true
  wait "$listener" || true
  kill -INT "$sim" 2>/dev/null || true; wait "$sim" 2>/dev/null || true
  line=$(python3 - "$work/listen.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["recovery"]
t = r.get("timeToRecover") or {}
sizes = sorted(g["last"] - g["first"] + 1 for g in r["gapList"])
print(t.get("p50", 0) / 1e6, t.get("p99", 0) / 1e6, t.get("max", 0) / 1e6, r["gaps"], r["gapsRecovered"], r["recovered"], r["missing"],
      sizes[0] if sizes else 0, sizes[-1] if sizes else 0)
PY
)
  read -r a b c g gr rec miss smin smax <<<"$line"
  echo "  run $i: $gr of $g gaps recovered ($rec of $miss messages; gap sizes $smin–$smax), time to recover p50 ${a} ms, p99 ${b} ms, max ${c} ms"
  p50+=("$a"); p99+=("$b"); mx+=("$c")
done
echo "  median over runs: p50 $(median "${p50[@]}") ms, p99 $(median "${p99[@]}") ms, max $(median "${mx[@]}") ms (target: p99 <= 5 ms)"
