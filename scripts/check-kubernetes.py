#!/usr/bin/env python3
"""deploy/kubernetes, checked offline.

    scripts/check-kubernetes.py                         every manifest against the Kubernetes API's schema
                                                        (kubernetes-validate, strict) and the Indexed Job's rules
    scripts/check-kubernetes.py --run BIN CAPTURES RESULTS
                                                        then the compare Jobs' container scripts run here as
                                                        their pods would run them: the shards
                                                        (JOB_COMPLETION_INDEX 0 … COUNT-1), then the merge, with
                                                        `rehearse` = BIN and the volumes at CAPTURES and RESULTS;
                                                        exits with the merge's exit code
    scripts/check-kubernetes.py --run-load BIN SCENARIOS RESULTS [JOB]
                                                        the same for a load Job (run-shards.yaml, or
                                                        capacity-shards.yaml, then run-merge.yaml): every shard
                                                        at once, as the pods start, with START_AT a few seconds
                                                        ahead and the scenario ConfigMap at SCENARIOS

The Indexed Jobs' rules: completionMode Indexed; completions, parallelism and the SHARDS variable equal;
the script takes its shard from JOB_COMPLETION_INDEX; restartPolicy Never; no failed index allowed; the
load shards also start at START_AT and sit one to a node.
"""
import datetime
import os
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DEPLOY = os.environ.get("REHEARSE_DEPLOY_DIR", os.path.join(ROOT, "deploy", "kubernetes"))  # another copy, for the test
FILES = ["compare-shards.yaml", "merge.yaml", "run-shards.yaml", "capacity-shards.yaml", "run-merge.yaml"]
# The Indexed Jobs of shards, and the merge each is followed by.
SHARDED = {"compare-shards.yaml": "merge.yaml", "run-shards.yaml": "run-merge.yaml", "capacity-shards.yaml": "run-merge.yaml"}
# The load Jobs (one START_AT, one pod per node), and the KIND their merge is given.
LOAD = {"run-shards.yaml": "run", "capacity-shards.yaml": "capacity"}


def load(name):
    """The file's Job (a file may also hold the Service its pods are named by)."""
    with open(os.path.join(DEPLOY, name)) as f:
        return next(d for d in yaml.safe_load_all(f) if d and d.get("kind") == "Job")


def container(job):
    return job["spec"]["template"]["spec"]["containers"][0]


def env(c):
    return {e["name"]: e["value"] for e in c.get("env", [])}


def check():
    failures = []
    r = subprocess.run([sys.executable, "-m", "kubernetes_validate", "--strict"] + [os.path.join(DEPLOY, f) for f in FILES],
                       capture_output=True, text=True)
    if r.returncode != 0:
        failures.append("kubernetes-validate: " + (r.stdout + r.stderr).strip())
    counts = {}
    for name in SHARDED:
        shards = load(name)
        spec, c = shards["spec"], container(shards)
        count = counts[name] = int(env(c).get("SHARDS", "-1"))
        if spec.get("completionMode") != "Indexed":
            failures.append(f"{name}: completionMode is not Indexed")
        if not (spec.get("completions") == spec.get("parallelism") == count):
            failures.append(f"{name}: completions {spec.get('completions')}, parallelism {spec.get('parallelism')} "
                            f"and SHARDS {count} differ")
        if "$JOB_COMPLETION_INDEX/$SHARDS" not in " ".join(c["args"]):
            failures.append(f"{name}: the script does not take --shard from JOB_COMPLETION_INDEX")
        if spec.get("maxFailedIndexes") != 0:
            failures.append(f"{name}: a failed shard must fail the Job (maxFailedIndexes: 0)")
    for name in LOAD:
        load_spec = load(name)["spec"]["template"]["spec"]
        script = " ".join(container(load(name))["args"])
        if '--start-at "$START_AT"' not in script:
            failures.append(f"{name}: the shards do not start at START_AT")
        anti = load_spec.get("affinity", {}).get("podAntiAffinity", {}).get("requiredDuringSchedulingIgnoredDuringExecution", [])
        if not any(t.get("topologyKey") == "kubernetes.io/hostname" for t in anti):
            failures.append(f"{name}: load shards may share a node (no required pod anti-affinity on kubernetes.io/hostname)")
    if '--rendezvous "$RESULTS/' not in " ".join(container(load("capacity-shards.yaml"))["args"]):
        failures.append("capacity-shards.yaml: the shards do not meet on the shared results volume (--rendezvous)")
    for name in FILES:
        if load(name)["spec"]["template"]["spec"].get("restartPolicy") != "Never":
            failures.append(f"{name}: restartPolicy is not Never")
    return failures, counts


def path_with(binary):
    """The environment with `rehearse` = BINARY first on the PATH, as the image has it."""
    bin_dir = tempfile.mkdtemp(prefix="rehearse-bin-")
    os.symlink(os.path.abspath(binary), os.path.join(bin_dir, "rehearse"))
    return dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"])


def run(binary, captures, results, count):
    """The compare Jobs' scripts as their pods run them, here."""
    base = path_with(binary)
    c = container(load("compare-shards.yaml"))
    for i in range(count):
        e = {**base, **env(c), "CAPTURES": captures, "RESULTS": results, "JOB_COMPLETION_INDEX": str(i)}
        r = subprocess.run(c["command"] + c["args"], env=e, capture_output=True, text=True)
        print(f"shard {i}/{count}: exit {r.returncode}")
        if r.returncode != 0:
            sys.exit(f"shard {i}: {r.stderr.strip()}")
    m = container(load("merge.yaml"))
    r = subprocess.run(m["command"] + m["args"], env={**base, **env(m), "RESULTS": results}, capture_output=True, text=True)
    print(r.stdout, end="")
    print(f"merge: exit {r.returncode}")
    return r.returncode


def run_load(binary, scenarios, results, count, lead=4, job="run-shards.yaml"):
    """A load Job's script as its pods run it, here: every shard at once, START_AT `lead` seconds ahead
    (as the operator sets it when applying), then the merge given the Job's KIND."""
    base = path_with(binary)
    c = container(load(job))
    start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=lead)
    shared = {**base, **env(c), "SCENARIOS": scenarios, "RESULTS": results, "START_AT": start.strftime("%Y-%m-%dT%H:%M:%SZ")}
    pods = [subprocess.Popen(c["command"] + c["args"], env={**shared, "JOB_COMPLETION_INDEX": str(i)},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(count)]
    failed = []
    for i, p in enumerate(pods):
        _, err = p.communicate()
        print(f"load shard {i}/{count}: exit {p.returncode}")
        if p.returncode != 0:
            failed.append(f"load shard {i}: {err.strip()}")
    if failed:
        sys.exit("\n".join(failed))
    m = container(load("run-merge.yaml"))
    r = subprocess.run(m["command"] + m["args"], env={**base, **env(m), "SCENARIOS": scenarios, "RESULTS": results, "KIND": LOAD[job]},
                       capture_output=True, text=True)
    print(r.stdout, end="")
    print(r.stderr, end="", file=sys.stderr)
    print(f"run merge: exit {r.returncode}")
    return r.returncode


def main():
    failures, counts = check()
    if failures:
        sys.exit("deploy/kubernetes:\n- " + "\n- ".join(failures))
    print(f"deploy/kubernetes: {len(FILES)} manifests valid against the Kubernetes API's schema; Indexed Jobs of "
          f"{counts['compare-shards.yaml']} compare shards, {counts['run-shards.yaml']} run shards and "
          f"{counts['capacity-shards.yaml']} capacity shards, each then its merge")
    if len(sys.argv) == 5 and sys.argv[1] == "--run":
        sys.exit(run(sys.argv[2], sys.argv[3], sys.argv[4], counts["compare-shards.yaml"]))
    if len(sys.argv) in (5, 6) and sys.argv[1] == "--run-load":
        lead = float(os.environ.get("REHEARSE_LOAD_LEAD", "4"))  # negative in the test: a START_AT already past
        job = sys.argv[5] if len(sys.argv) == 6 else "run-shards.yaml"
        sys.exit(run_load(sys.argv[2], sys.argv[3], sys.argv[4], counts[job], lead, job))


if __name__ == "__main__":
    main()
