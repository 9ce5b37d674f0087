#!/usr/bin/env bash
# `rehearse inspect` on every capture under DIR, one line each, for anyone holding a directory of
# captures (public suites, a venue's files, a day's hourly captures):
#   exit  format  packets  streams by feed protocol (omd, moldudp64, …, or unknown)  gaps  warnings/error  path
# Files are found by name (.pcap, .pcapng, .cap, .dmp, optionally .gz). Prints a tally at the end:
# files read whole, read with warnings, refused (exit 3, the reason in the line). Needs jq.
#   scripts/sweep-captures.sh DIR [REHEARSE=.build/release/rehearse]
set -uo pipefail
dir=${1:?usage: scripts/sweep-captures.sh DIR [REHEARSE]}
bin=${2:-$(dirname "$0")/../.build/release/rehearse}
command -v jq >/dev/null || { echo "sweep-captures: needs jq (apt-get install jq)" >&2; exit 2; }
[ -x "$bin" ] || { echo "sweep-captures: $bin: no rehearse binary (make build, or pass one)" >&2; exit 2; }
whole=0 warned=0 refused=0
printf '%-4s  %-8s  %10s  %-28s  %6s  %s\n' exit format packets "streams (feed protocol)" gaps "warnings · path"
while IFS= read -r -d '' f; do
  json=$("$bin" inspect --json --streams 0 "$f" 2>/dev/null); code=$?
  line=$(jq -r --arg code "$code" '.files[0] as $r |
    ($r.streams // []) as $s |
    ([$s[] | select(.feedProtocol != null) | .feedProtocol] | group_by(.) | map("\(length) \(.[0])") | join(", ")) as $protocols |
    [$code, ($r.format // "-"), ($r.packets | tostring),
     "\($s | length) streams: \(if $protocols == "" then "none UDP" else $protocols end)",
     ((($r.omdTotals.gaps // 0) + ([$s[] | .feed.gaps // 0] | add // 0)) | tostring),
     ((([$r.warnings[]?.kind] | unique | join(",")) as $w | if $w == "" then "-" else $w end)
       + (if $r.error then " · ERROR " + $r.error.message else "" end))] | @tsv' <<< "$json" 2>/dev/null)
  if [ -z "$line" ]; then line=$(printf '%s\t-\t-\t-\t-\tno JSON from inspect' "$code"); fi
  IFS=$'\t' read -r c fmt packets streams gaps notes <<< "$line"
  printf '%-4s  %-8s  %10s  %-28s  %6s  %s · %s\n' "$c" "$fmt" "$packets" "$streams" "$gaps" "$notes" "$f"
  if [ "$c" != 0 ]; then refused=$((refused + 1)); elif [ "$notes" != "-" ]; then warned=$((warned + 1)); else whole=$((whole + 1)); fi
done < <(find "$dir" -type f \( -iname '*.pcap' -o -iname '*.pcapng' -o -iname '*.cap' -o -iname '*.dmp' -o -iname '*.pcap.gz' -o -iname '*.pcapng.gz' \) -print0 | sort -z)
echo "sweep: $((whole + warned + refused)) files: $whole read whole, $warned with warnings, $refused refused"
