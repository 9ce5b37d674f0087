#!/usr/bin/env python3
"""Runs every `rehearse …` example in README.md, on loopback, and checks it exits as the README says.

Each example is taken verbatim from the README's code blocks (continuation lines joined, comments and a
trailing `&` dropped) and looked up in EXAMPLES below, which says how to run it here and which exit
codes the README gives it. An example the table does not know fails the script, so a new README example
cannot go unchecked; an entry whose example left the README fails it too. Addresses that are not this
host's (10.x targets, eth1) are rewritten to loopback, multicast to 127.0.0.1 with TTL 0
(../shared/bench/METHOD.md); everything else runs as written. Where the README shows the output (`$ `
lines), every line shown must appear in the real output, in order (`…` elides; lines with timings are
skipped).

    scripts/readme-examples.py [REHEARSE=.build/debug/rehearse]   (make test runs it)
"""
import os, re, shutil, signal, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/rehearse"))
LOOPBACK_MULTICAST = ["--interface", "127.0.0.1", "--ttl", "0"]
# The captures the examples read, made here (small: the examples are checked, not benchmarked).
SETUP = [
    ["synth", "-o", "feed.pcap", "--duration", "1s", "--rate", "4000", "--channels", "4", "--seed", "7", "--fault", "B:gap@500ms:5"],
    # scripts/demo.sh's captures, as scenarios/demo.yaml and the compare example read them.
    ["synth", "--duration", "5s", "--rate", "100000", "--channels", "4", "--seed", "7", "--fault", "B:gap@2s:5", "--output", "out/demo/omd-d.pcap"],
    ["synth", "--fix", "--sessions", "4", "--orders", "1000", "--order-rate", "2000", "--seed", "7", "--output", "out/demo/fix-sessions.pcap"],
]
# Line A of feed.pcap into the groups it was captured on (239.1.1.1-4:51001-51004) and line B into its
# own (239.1.2.1-4:51001-51004), on loopback: what a watch of the two lines receives.
FEED_TO_GROUPS = ["replay", "feed.pcap", "--speed", "2"] + [
    a for line in (1, 2) for c in range(4) for a in ("--to", f"239.1.{line}.{c + 1}:{51001 + c}=239.1.{line}.{c + 1}:{51001 + c}")
] + LOOPBACK_MULTICAST
# Receivers for the replays' unicast targets: a replay to a port nothing listens on is refused (exit 4).
TARGETS = [["listen", "--on", "127.0.0.1:61000-61007,127.0.0.1:62000,127.0.0.1:51001-51002"]]
CAPTURED_TARGETS = [["listen", "--on", "127.0.0.1:51001,127.0.0.2:51001"]]
SIMS = [["sim", "feed", "--listen", "127.0.0.1:41000-41003", "--publish", "127.0.0.1:41100", "--profile", "old"],
        ["sim", "feed", "--listen", "127.0.0.1:42000-42003", "--publish", "127.0.0.1:42100", "--profile", "new"],
        ["sim", "gateway", "--listen", "127.0.0.1:43000", "--profile", "old"],
        ["sim", "gateway", "--listen", "127.0.0.1:43001", "--profile", "new"]]

# README example → how it runs here. `exit`: the codes the README's exit-code list allows for what the
# example does (replays and benches may end 5 when this shared host cannot hold the pace: README "Exit
# codes"). `rewrite`: (old, new) replacements. `append`: extra arguments. `during`: a command run while
# the example runs in the background (it is then stopped by --duration). `needs`: background processes.
EXAMPLES = {
    "rehearse inspect captures/omd-d-faults.pcapng": dict(exit={0}),
    "rehearse synth -o out/feed.pcap --duration 5s --rate 200000 --channels 4 --seed 7 --fault B:gap@2s:5": dict(exit={0}),
    "rehearse replay feed.pcap --to 239.1.1.1:51001=10.1.0.5:51001 --to 239.1.1.2:51002=10.1.0.5:51002 --drop-unmapped":
        dict(exit={0, 5}, rewrite=[("10.1.0.5", "127.0.0.1")], needs=TARGETS),
    "rehearse replay feed.pcap --to '*=127.0.0.1:61000'": dict(exit={0, 5}, needs=TARGETS),
    "rehearse replay feed.pcap --to each=127.0.0.1:61000 --speed 3": dict(exit={0, 5}, needs=TARGETS),
    "rehearse replay feed.pcap --to '*=127.0.0.1:61000,127.0.0.1:62000'": dict(exit={0, 5}, needs=TARGETS),
    "rehearse replay feed.pcap --to '*=239.9.1.1:51001' --interface 10.1.0.9 --ttl 2":
        dict(exit={0, 5}, rewrite=[("--interface 10.1.0.9 --ttl 2", "--interface 127.0.0.1 --ttl 0")]),
    "rehearse sim feed --listen 127.0.0.1:41000-41003 --publish 127.0.0.1:41100 --profile old": dict(background=True),
    "rehearse sim feed --listen 127.0.0.1:42000-42003 --publish 127.0.0.1:42100 --profile new": dict(background=True),
    # The bench of line A into the two simulators started by the two lines above it.
    "rehearse bench feed.pcap --filter 'dst net 239.1.1.0/24' --old 127.0.0.1:41000 --old-from 127.0.0.1:41100 "
    "--new 127.0.0.1:42000 --new-from 127.0.0.1:42100 --speed 1": dict(exit={0, 5}),
    # Two bench shards into the new simulator, then their merge (judged as one bench).
    "rehearse bench feed.pcap --filter 'dst net 239.1.1.0/24' --new 127.0.0.1:42000 --new-from 127.0.0.1:42100 --speed 1 --shard 0/2 --json > b0.json":
        dict(exit={0, 5}, needs=[SIMS[1]]),
    "rehearse bench feed.pcap --filter 'dst net 239.1.1.0/24' --new 127.0.0.1:42000 --new-from 127.0.0.1:42100 --speed 1 --shard 1/2 --json > b1.json":
        dict(exit={0, 5}, needs=[SIMS[1]]),
    "rehearse merge b0.json b1.json": dict(exit={0, 5}),
    # The demo's capture: line B lost 5 packets, so B missed messages A carried (exit 1, README compare).
    "rehearse compare out/demo/omd-d.pcap --a 'dst net 239.1.1.0/24' --b 'dst net 239.1.2.0/24'": dict(exit={1}),
    "rehearse synth -o day.pcap --channels 2 --duration 6s --fault reset@2s --fault dr@3s:1s "
    "--fault B:burst@4500ms:50 --fault B:pause@1s:600ms": dict(exit={0}),
    # The failover day: B paused and re-sent a burst, both lines reset and went through DR, but B missed
    # nothing A carried (exit 0; the findings name each event).
    "rehearse compare day.pcap --a 'dst net 239.1.1.0/24' --b 'dst net 239.1.2.0/24' --stall 500ms": dict(exit={0}),
    "rehearse compare day.pcap --a 'dst net 239.1.1.0/24' --b 'dst net 239.1.2.0/24' --stall 500ms --shard 0/2 --json > shard-0.json":
        dict(exit={0}, json=True),
    "rehearse compare day.pcap --a 'dst net 239.1.1.0/24' --b 'dst net 239.1.2.0/24' --stall 500ms --shard 1/2 --json > shard-1.json":
        dict(exit={0}, json=True),
    "rehearse merge shard-0.json shard-1.json": dict(exit={0}),
    # Both lines of feed.pcap replayed into the watched groups: B's gap is a standby loss (exit 1).
    "rehearse watch --primary 239.1.1.1-4:51001-51004 --standby 239.1.2.1-4:51001-51004 --interface eth1 "
    "--max-lag 5ms --metrics 127.0.0.1:9464 --alert-command 'logger -t rehearse \"$REHEARSE_ALERT_MESSAGE\"'":
        dict(exit={1}, rewrite=[("--interface eth1", "--interface 127.0.0.1"), ("logger -t rehearse", "echo")],
             append=["--duration", "5s", "--horizon", "500ms"], during=FEED_TO_GROUPS),
    # Channel 0 of each line, unicast, read by a live capture on lo: line B's channel 0 lost 5 packets (exit 1).
    "rehearse watch --primary 10.1.0.5:51001 --standby 10.2.0.5:51001 --interface eth1 --capture":
        dict(exit={1}, rewrite=[("10.1.0.5", "127.0.0.1"), ("10.2.0.5", "127.0.0.2"), ("--interface eth1", "--interface lo")],
             append=["--duration", "5s", "--horizon", "500ms"], needs=CAPTURED_TARGETS,
             during=["replay", "feed.pcap", "--speed", "2", "--drop-unmapped",
                     "--to", "239.1.1.1:51001=127.0.0.1:51001", "--to", "239.1.2.1:51001=127.0.0.2:51001"]),
    # The recovery drill: line A of feed.pcap into a simulator that drops 1 % and serves retransmission
    # on two endpoints, the first down; every gap recovered from the second (exit 0).
    "rehearse sim feed --listen 127.0.0.1:44000-44003 --publish 127.0.0.1:44100 --profile new --drop 0.01 "
    "--rts 127.0.0.1:44200 --rts 127.0.0.1:44201 --rts-fault down@0": dict(background=True),
    "rehearse listen --on 127.0.0.1:44100-44103 --recover 127.0.0.1:44200,127.0.0.1:44201 --idle 2s":
        dict(exit={0}, during=["replay", "feed.pcap", "--filter", "dst net 239.1.1.0/24", "--to", "each=127.0.0.1:44000", "--speed", "1"]),
    # The scenario against the demo's simulators: 0 pass, 1 a limit broke or a figure regressed, 5
    # inconclusive (a shared host) — README `run` exit codes; never 2, 3 or 4 here.
    "rehearse run scenarios/demo.yaml": dict(exit={0, 1, 5}, needs=SIMS),
    "rehearse run scenarios/demo.yaml --json": dict(exit={0, 1, 5}, needs=SIMS, json=True),
}
VOLATILE = re.compile(r"generated in ")


def readme_examples():
    """(command, shown output lines or None) per example, in README order."""
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    examples = []
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M):
        lines = block.split("\n")
        i = 0
        while i < len(lines):
            line = lines[i]
            shown = line.startswith("$ rehearse ")
            if not (shown or line.startswith("rehearse ")):
                i += 1
                continue
            command = line[2:] if shown else line
            while command.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                command = command.rstrip()[:-1].rstrip() + " " + lines[i].strip()
            command = re.sub(r"\s+#[^'\"]*$", "", command).strip()
            command = command[:-1].strip() if command.endswith("&") else command
            output = None
            if shown:
                output = []
                while i + 1 < len(lines) and lines[i + 1] and not lines[i + 1].startswith(("$ ", "rehearse ")):
                    i += 1
                    output.append(lines[i])
            examples.append((command, output))
            i += 1
    return examples


def argv(command, spec):
    for old, new in spec.get("rewrite", []):
        assert old in command, f"rewrite {old!r} no longer matches {command!r}"
        command = command.replace(old, new)
    import shlex
    words = shlex.split(command)
    assert words[0] == "rehearse"
    if ">" in words:  # `… > FILE`: the output goes to FILE (see `redirect`)
        words = words[:words.index(">")]
    return [BIN] + words[1:] + spec.get("append", [])


def redirect(command):
    """FILE for an example ending in `> FILE`, else None."""
    import shlex
    words = shlex.split(command)
    return words[words.index(">") + 1] if ">" in words else None


def shown_lines_appear(shown, actual):
    """The README's lines appear in `actual` in order ('…' and volatile lines skipped)."""
    lines = actual.split("\n")
    at = 0
    for want in shown:
        if want.strip() == "…" or VOLATILE.search(want):
            continue
        want = want.rstrip()
        while at < len(lines) and lines[at].rstrip() != want:
            at += 1
        if at == len(lines):
            return want
        at += 1
    return None


def main():
    work = tempfile.mkdtemp(prefix="rehearse-readme-")
    os.symlink(os.path.join(ROOT, "captures"), os.path.join(work, "captures"))
    os.symlink(os.path.join(ROOT, "scenarios"), os.path.join(work, "scenarios"))
    os.makedirs(os.path.join(work, "out/demo"))
    failures, background, started = [], [], {}

    def run(args, timeout=300):
        return subprocess.run(args, cwd=work, capture_output=True, text=True, timeout=timeout)

    def stop(p):
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()

    def start(args):
        return subprocess.Popen(args, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    try:
        for s in SETUP:
            r = run([BIN] + s)
            if r.returncode != 0:
                sys.exit(f"setup {' '.join(s)} exited {r.returncode}: {r.stderr}")
        examples = readme_examples()
        known = {c for c, _ in examples}
        for gone in set(EXAMPLES) - known:
            failures.append(f"no longer in the README (remove it here): {gone}")
        for command, shown in examples:
            spec = EXAMPLES.get(command)
            if spec is None:
                failures.append(f"not covered by scripts/readme-examples.py: {command}")
                continue
            args = argv(command, spec)
            if spec.get("background"):
                background.append(start(args))
                time.sleep(0.5)
                continue
            wanted = {" ".join(n) for n in spec.get("needs", [])}
            for key in [k for k in started if k not in wanted]:
                stop(started.pop(key))
            for need in spec.get("needs", []):
                key = " ".join(need)
                if key not in started or started[key].poll() is not None:
                    started[key] = start([BIN] + need)
            if spec.get("needs"):
                time.sleep(0.5)
            t = time.time()
            if "during" in spec:
                p = subprocess.Popen(args, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                time.sleep(1.0)
                helper = run([BIN] + spec["during"])
                if helper.returncode not in (0, 5):
                    failures.append(f"{command}: its traffic ({' '.join(spec['during'])}) exited {helper.returncode}: {helper.stderr[-300:]}")
                out, err = p.communicate(timeout=120)
                code = p.returncode
            else:
                r = run(args)
                out, err, code = r.stdout, r.stderr, r.returncode
                if redirect(command):
                    with open(os.path.join(work, redirect(command)), "w") as f:
                        f.write(out)
            verdict = "ok"
            if code not in spec["exit"]:
                verdict = f"exited {code}, README says {sorted(spec['exit'])}"
                failures.append(f"{command}: {verdict}\n    {err.strip()[-600:]}")
            elif shown:
                missing = shown_lines_appear(shown, out)
                if missing is not None:
                    verdict = f"the README shows {missing!r}, not in the output"
                    failures.append(f"{command}: {verdict}\n{out}")
            if spec.get("json") and code in spec["exit"]:
                import json
                try:
                    json.loads(out)
                except ValueError as e:
                    failures.append(f"{command}: --json printed no JSON: {e}")
            print(f"{verdict:>4}  exit {code}  {time.time() - t:5.1f} s  {command[:110]}")
            for b in background:
                stop(b)
            background.clear()
    finally:
        for p in background + list(started.values()):
            stop(p)
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("\nREADME examples that do not run as written:\n- " + "\n- ".join(failures))
        sys.exit(1)
    print(f"every README example ran as the README says ({len(EXAMPLES)} examples)")


if __name__ == "__main__":
    main()
