#!/usr/bin/env python3
"""deploy/kubernetes, checked offline.

    scripts/check-kubernetes.py                         every manifest against the Kubernetes API's schema
                                                        (kubernetes-validate, strict) and the Indexed Job's rules
    scripts/check-kubernetes.py --run BIN CAPTURES RESULTS
                                                        then each Job's container script run here as its pods
                                                        would run it: the shards (JOB_COMPLETION_INDEX 0 … COUNT-1),
                                                        then the merge, with `rehearse` = BIN and the volumes at
                                                        CAPTURES and RESULTS; exits with the merge's exit code

The Indexed Job's rules: completionMode Indexed; completions, parallelism and the SHARDS variable equal;
the script takes its shard from JOB_COMPLETION_INDEX; restartPolicy Never; no failed index allowed.
"""
import os
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DEPLOY = os.environ.get("REHEARSE_DEPLOY_DIR", os.path.join(ROOT, "deploy", "kubernetes"))  # another copy, for the test
FILES = ["compare-shards.yaml", "merge.yaml"]


def load(name):
    with open(os.path.join(DEPLOY, name)) as f:
        return yaml.safe_load(f)


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
    shards = load("compare-shards.yaml")
    spec, c = shards["spec"], container(shards)
    count = int(env(c).get("SHARDS", "-1"))
    if spec.get("completionMode") != "Indexed":
        failures.append("compare-shards.yaml: completionMode is not Indexed")
    if not (spec.get("completions") == spec.get("parallelism") == count):
        failures.append(f"compare-shards.yaml: completions {spec.get('completions')}, parallelism {spec.get('parallelism')} "
                        f"and SHARDS {count} differ")
    if "$JOB_COMPLETION_INDEX/$SHARDS" not in " ".join(c["args"]):
        failures.append("compare-shards.yaml: the script does not take --shard from JOB_COMPLETION_INDEX")
    if spec.get("maxFailedIndexes") != 0:
        failures.append("compare-shards.yaml: a failed shard must fail the Job (maxFailedIndexes: 0)")
    for name in FILES:
        if load(name)["spec"]["template"]["spec"].get("restartPolicy") != "Never":
            failures.append(f"{name}: restartPolicy is not Never")
    return failures, count


def run(binary, captures, results, count):
    """Each Job's script as its pods run it, here."""
    bin_dir = tempfile.mkdtemp(prefix="rehearse-bin-")
    os.symlink(os.path.abspath(binary), os.path.join(bin_dir, "rehearse"))
    base = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"])
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


def main():
    failures, count = check()
    if failures:
        sys.exit("deploy/kubernetes:\n- " + "\n- ".join(failures))
    print(f"deploy/kubernetes: {len(FILES)} manifests valid against the Kubernetes API's schema; an Indexed Job of {count} shards, then the merge")
    if len(sys.argv) == 5 and sys.argv[1] == "--run":
        sys.exit(run(sys.argv[2], sys.argv[3], sys.argv[4], count))


if __name__ == "__main__":
    main()
