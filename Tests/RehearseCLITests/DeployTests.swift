import Foundation
import Testing
import TestSupport

/// deploy/kubernetes, offline: the manifests against the Kubernetes API's schema, and the Jobs' own
/// scripts run here as their pods would run them.
@Suite("Kubernetes Indexed Job of compare shards, then the merge")
struct DeployTests {
    func python(_ arguments: [String], environment: [String: String] = [:]) throws -> CLI.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", CLI.packageRoot + "/scripts/check-kubernetes.py"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    @Test("the manifests pass the API schema (strict); the shards' and the merge's scripts, run as the pods would, give the one-process comparison; a Job whose completions and SHARDS differ is refused")
    func indexedJob() throws {
        let dir = NSTemporaryDirectory() + "rehearse-k8s-\(UUID().uuidString)"
        let captures = dir + "/captures", results = dir + "/results", broken = dir + "/broken"
        for d in [captures, results, broken] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Lines A and B of a 40-channel feed, as the Job's volume holds them.
        let gen = Process()
        gen.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gen.arguments = ["python3", CLI.packageRoot + "/scripts/many-channels.py", "40", captures + "/line-a.pcap", captures + "/line-b.pcap", "3"]
        try gen.run()
        gen.waitUntilExit()
        #expect(gen.terminationStatus == 0)
        let r = try python(["--run", CLI.executable, captures, results])
        #expect(r.status == 0 && r.stdout.contains("valid against the Kubernetes API's schema") && r.stdout.contains("shard 3/4: exit 0"), "\(r.stdout) \(r.stderr)")
        let one = try CLI.run(["compare", captures + "/line-a.pcap", captures + "/line-b.pcap", "--json"])
        let merged = try String(contentsOfFile: results + "/compare-merged.json", encoding: .utf8)
        #expect(NSDictionary(dictionary: try json(merged)).isEqual(to: try json(one.stdout)), "the Job's merge differs from one process")
        // A copy whose completions say 3 while SHARDS says 4 is caught.
        for name in ["compare-shards.yaml", "merge.yaml"] {
            var text = try String(contentsOfFile: CLI.packageRoot + "/deploy/kubernetes/" + name, encoding: .utf8)
            if name == "compare-shards.yaml" { text = text.replacingOccurrences(of: "completions: 4", with: "completions: 3") }
            try text.write(toFile: broken + "/" + name, atomically: true, encoding: .utf8)
        }
        let bad = try python([], environment: ["REHEARSE_DEPLOY_DIR": broken])
        #expect(bad.status != 0 && bad.stderr.contains("completions 3, parallelism 4 and SHARDS 4 differ"), "\(bad.stderr)")
    }
}
