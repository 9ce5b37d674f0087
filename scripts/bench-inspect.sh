#!/usr/bin/env bash
# Side-by-side timing of `rehearse inspect` against libpcap and tcpdump, and of the Swift reader walk
# against the C mmap walker, on a 10 M-packet synthesized OMD-D capture (../shared/bench/METHOD.md):
# the file is warmed by dropping its pages and reading it back sequentially, then the tools run
# interleaved (A B C D E, A B C D E, …) for ROUNDS rounds; medians and per-round ratios are printed,
# then the peak RSS of `rehearse inspect`.
#   scripts/bench-inspect.sh [ROUNDS] [PACKETS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
packets=${2:-10000000}
work=${BENCH_DIR:-out/bench}
capture="$work/omd-d-${packets}.pcap"
mkdir -p "$work"

for tool in tcpdump bc; do
  command -v "$tool" >/dev/null || { echo "installing $tool"; apt-get install -y -qq "$tool" >/dev/null; }
done
[ -f /usr/include/pcap/pcap.h ] || apt-get install -y -qq libpcap-dev >/dev/null
swift build -c release --static-swift-stdlib --product rehearse >/dev/null
(cd Benchmarks && swift build -c release --product reader-walk >/dev/null)
make -s -C ../shared/bench/c OUT="$PWD/$work/refbin" >/dev/null
rehearse=.build/release/rehearse
walk=Benchmarks/.build/release/reader-walk
ref="$work/refbin"

if [ ! -f "$capture" ]; then
  echo "generating $capture"
  "$rehearse" synth --output "$capture" --packets "$packets" --rate 200000 --channels 8 --seed 42 | head -2
fi
ls -l "$capture"
warm() { dd if="$capture" iflag=nocache count=0 status=none; cat "$capture" >/dev/null; }
warm
command -v fincore >/dev/null && fincore "$capture" | tail -1

# Wall time of a command in seconds (date before and after; output discarded).
seconds() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo "scale=6; ($e - $s) / 1000000000" | bc; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

declare -A t
names=(c_walk swift_walk swift_decode inspect libpcap tcpdump)
for r in $(seq 1 "$rounds"); do
  t[c_walk]+="$(seconds "$ref/pcapwalk" "$capture" mmap 1) "
  t[swift_walk]+="$(seconds "$walk" "$capture" 1) "
  t[swift_decode]+="$(seconds "$walk" "$capture" 1 decode) "
  t[inspect]+="$(seconds "$rehearse" inspect "$capture") "
  t[libpcap]+="$(seconds "$ref/pcapread" "$capture" next 1) "
  t[tcpdump]+="$(seconds tcpdump -r "$capture" -w /dev/null) "
  echo "round $r: $(for n in "${names[@]}"; do echo -n "$n=$(echo ${t[$n]} | awk '{print $NF}')s "; done)"
done

echo
echo "medians over $rounds interleaved rounds, $packets packets (whole process: start, open, walk, exit):"
for n in "${names[@]}"; do
  m=$(echo ${t[$n]} | tr ' ' '\n' | median)
  echo "  $(printf '%-11s' $n) $(printf '%8.3f' $m) s   $(echo "scale=1; $packets / $m / 1000000" | bc) M packets/s"
done
ratio() {  # median of per-round ratios a/b
  paste <(echo ${t[$1]} | tr ' ' '\n') <(echo ${t[$2]} | tr ' ' '\n') | awk 'NF==2 && $2>0 {print $1/$2}' | median
}
echo "ratios (median of per-round ratios; > 1 means the first is faster):"
echo "  swift reader walk vs C mmap walker:      $(ratio c_walk swift_walk)   (bar ≥ 0.8)"
echo "  (swift walk with full link/IP/UDP decode: $(ratio c_walk swift_decode) of the C walker, which reads fixed offsets)"
echo "  rehearse inspect vs libpcap next_ex:     $(ratio libpcap inspect)   (bar ≥ 2)"
echo "  rehearse inspect vs tcpdump -w /dev/null: $(ratio tcpdump inspect)   (bar ≥ 4)"
echo
echo "in-process walk rates (each tool's own median over 5 reps):"
"$ref/pcapwalk" "$capture" mmap 5 | grep 'Mpkt/s'
"$walk" "$capture" 5 | grep RESULT
"$walk" "$capture" 5 decode | grep RESULT
echo
warm
/usr/bin/time -v "$rehearse" inspect "$capture" 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed" | sed 's/^\s*/  rehearse inspect: /'
