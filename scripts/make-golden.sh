#!/usr/bin/env bash
# Regenerates captures/ from captures/golden.txt: each capture with `rehearse synth`, and its expected
# `rehearse inspect --json` output as captures/NAME.inspect.json and `rehearse compare --json` of its lines
# A and B as captures/NAME.compare.json (first recorded by 6a4c74c's whole-capture walk: the windowed
# compare must keep giving them). Run after an intended change to
# synth or to the inspect report, and review the diff.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product rehearse >/dev/null
bin=.build/release/rehearse
grep -v '^#' captures/golden.txt | while read -r name args; do
  [ -n "$name" ] || continue
  # shellcheck disable=SC2086
  "$bin" synth --output "captures/$name" $args >/dev/null
  "$bin" inspect --json "captures/$name" > "captures/$name.inspect.json"
  # Lines A and B compared (VLAN-tagged captures through their tags).
  vlan=""; case $name in *vlan*) vlan="vlan and ";; esac
  "$bin" compare --json "captures/$name" --a "${vlan}dst net 239.1.1.0/24" --b "${vlan}dst net 239.1.2.0/24" \
    > "captures/$name.compare.json" || true
  echo "captures/$name: $(stat -c %s "captures/$name") bytes"
done
