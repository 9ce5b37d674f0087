#!/usr/bin/env python3
"""The layering check (docs/ARCHITECTURE.md), run by `make test`.

Reads Package.swift (each target's declared dependencies) and every `import` line under Sources/, and
fails when a module imports one of a higher layer, imports a project module it does not declare, uses
an external product outside the layers allowed to, or is not placed in a layer at all.

  scripts/check-layers.py              check the tree this script is in; exit 1 naming every violation
  scripts/check-layers.py --graph      print the module import graph (Markdown) for docs/ARCHITECTURE.md
  scripts/check-layers.py --self-test  prove the check fails on a deliberate bad import (temporary copy)
  scripts/check-layers.py --root DIR   check another tree
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Lowest first. A module may import modules of its own layer or of a lower one, never of a higher one.
LAYERS = [
    ("C shims", ["CShims", "CPcap"]),
    ("vocabulary", ["Vocabulary"]),
    ("codecs", ["Capture", "MarketData", "OrderEntry", "Synth", "Scenario"]),
    ("analysis", ["Measure"]),
    ("results", ["Results", "Reporting"]),
    ("engines", ["Transport", "Engines", "Replay", "Simulators"]),
    ("orchestration", ["Orchestration"]),
    ("CLI", ["RehearseCLI"]),
    ("executables", ["rehearse", "FeedBenchExample"]),
]
# External products and the lowest layer that may use them.
EXTERNAL = {
    "Histogram": "vocabulary",
    "Yams": "codecs",
    "GRDB": "results",
    # SwiftNIO: the metrics endpoint's HTTP server, an engine (I/O).
    "NIOCore": "engines",
    "NIOPosix": "engines",
    "NIOHTTP1": "engines",
    "ArgumentParser": "CLI",
}
# System modules, allowed everywhere.
SYSTEM = {"Glibc", "Darwin", "Foundation", "FoundationEssentials", "Dispatch", "Synchronization", "Testing",
          "XCTest", "_Concurrency", "Swift"}

LAYER_OF = {m: i for i, (_, mods) in enumerate(LAYERS) for m in mods}
LAYER_INDEX = {name: i for i, (name, _) in enumerate(LAYERS)}


def targets(package_text):
    """(name, kind, declared dependencies) of every target in Package.swift."""
    out = []
    pattern = re.compile(r'\.(target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*"([^"]+)"(.*?)\)\s*,\s*(?=\.(?:target|executableTarget|testTarget|systemLibrary)\(|\]\s*\)\s*$|//)',
                         re.S)
    for m in pattern.finditer(package_text):
        kind, name, rest = m.group(1), m.group(2), m.group(3)
        deps = set()
        d = re.search(r'dependencies:\s*\[(.*?)\]\s*(?:,\s*(?:path|swiftSettings|linkerSettings|exclude|resources)|\)?$)', rest, re.S)
        if d:
            body = d.group(1)
            deps |= set(re.findall(r'\.product\(name:\s*"([^"]+)"', body))
            body = re.sub(r'\.product\([^)]*\)', '', body)
            deps |= set(re.findall(r'"([^"]+)"', body))
        path = re.search(r'path:\s*"([^"]+)"', rest)
        out.append((name, kind, deps, path.group(1) if path else None))
    return out


IMPORT = re.compile(r'^\s*(?:@\w+(?:\([^)]*\))?\s+)*import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)', re.M)


def imports(directory):
    """(file, line number, module) of every import under `directory`."""
    found = []
    for root, _, files in os.walk(directory):
        for f in sorted(files):
            if not f.endswith(".swift"):
                continue
            path = os.path.join(root, f)
            with open(path, encoding="utf-8") as h:
                for number, line in enumerate(h, 1):
                    m = IMPORT.match(line)
                    if m:
                        found.append((path, number, m.group(1)))
    return found


def check(root):
    with open(os.path.join(root, "Package.swift"), encoding="utf-8") as h:
        package = h.read()
    problems = []
    edges = {}
    listed = {name: (kind, deps, path) for name, kind, deps, path in targets(package)}
    for name, (kind, deps, path) in sorted(listed.items()):
        if kind == "testTarget" or (path or "").startswith("Tests/"):
            continue  # tests and their shared support may import anything
        if name not in LAYER_OF:
            problems.append(f"Package.swift: target {name} is in no layer: add it to LAYERS in scripts/check-layers.py and to docs/ARCHITECTURE.md")
            continue
        layer = LAYER_OF[name]
        directory = os.path.join(root, path or os.path.join("Sources", name))
        for dep in sorted(deps):
            if dep in LAYER_OF and LAYER_OF[dep] > layer:
                problems.append(f"Package.swift: {name} ({LAYERS[layer][0]}) depends on {dep} ({LAYERS[LAYER_OF[dep]][0]}), a higher layer")
        if kind == "systemLibrary":
            continue
        for path_, number, module in imports(directory):
            where = f"{os.path.relpath(path_, root)}:{number}"
            if module in SYSTEM or module == name:
                continue
            if module in EXTERNAL:
                lowest = LAYER_INDEX[EXTERNAL[module]]
                if layer < lowest:
                    problems.append(f"{where}: {name} ({LAYERS[layer][0]}) imports {module}, allowed from the {EXTERNAL[module]} layer up")
                continue
            if module not in LAYER_OF:
                problems.append(f"{where}: {name} imports {module}, which is neither a project module in a layer nor an allowed external or system module")
                continue
            edges.setdefault(name, set()).add(module)
            if LAYER_OF[module] > layer:
                problems.append(f"{where}: {name} ({LAYERS[layer][0]}) imports {module} ({LAYERS[LAYER_OF[module]][0]}): imports must point downwards")
            if module not in deps:
                problems.append(f"{where}: {name} imports {module} without declaring it in Package.swift")
    return problems, edges


def graph(edges):
    lines = ["| layer | module | imports |", "|---|---|---|"]
    for layer, modules in LAYERS:
        for m in modules:
            if m in edges or m in LAYER_OF:
                deps = sorted(edges.get(m, []), key=lambda d: (LAYER_OF.get(d, 99), d))
                lines.append(f"| {layer} | `{m}` | {', '.join('`' + d + '`' for d in deps) or '—'} |")
    return "\n".join(lines)


def self_test():
    """Copies Package.swift and Sources/ to a temporary tree, adds `import Transport` to the analysis
    layer and `import Replay` to Results, and checks that both are reported."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(os.path.join(here, "Package.swift"), tmp)
        shutil.copytree(os.path.join(here, "Sources"), os.path.join(tmp, "Sources"))
        clean, _ = check(tmp)
        if clean:
            print("self-test: the tree itself has violations:\n" + "\n".join(clean))
            return 1
        with open(os.path.join(tmp, "Sources", "Measure", "ZZBadImport.swift"), "w") as h:
            h.write("import Transport\n")
        with open(os.path.join(tmp, "Sources", "Results", "ZZBadImport.swift"), "w") as h:
            h.write("@testable import Replay\n")
        bad, _ = check(tmp)
        wanted = ["Measure (analysis) imports Transport (engines)", "Results (results) imports Replay (engines)"]
        missing = [w for w in wanted if not any(w in p for p in bad)]
        if missing:
            print("self-test: the check did not report: " + "; ".join(missing))
            return 1
        print(f"self-test: deliberate bad imports reported ({len(bad)} problems), e.g.\n  " + "\n  ".join(bad[:2]))
    return 0


def main(argv):
    if "--self-test" in argv:
        return self_test()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if "--root" in argv:
        root = argv[argv.index("--root") + 1]
    problems, edges = check(root)
    if "--graph" in argv:
        print(graph(edges))
        return 0
    if problems:
        print("layering check failed (docs/ARCHITECTURE.md):")
        for p in problems:
            print("  " + p)
        return 1
    print(f"layering check: {sum(len(v) for v in edges.values())} imports between {len(edges)} modules, all pointing downwards")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
