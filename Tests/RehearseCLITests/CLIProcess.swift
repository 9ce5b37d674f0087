import Vocabulary
import Foundation
import TestSupport

/// Runs the real `rehearse` executable (built by `swift build --build-tests`) as a child process.
struct CLI {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let executable: String = {
        let candidates = [".build/debug/rehearse", ".build/x86_64-unknown-linux-gnu/debug/rehearse", ".build/release/rehearse"]
        return candidates.map { packageRoot + "/" + $0 }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    struct Result {
        let status: Int32
        /// A replay that sent everything: exit 0, or 5 when a loaded host could not hold the pacing
        /// (the packets were all sent, late; tests that do not measure timing accept both).
        var replayed: Bool { status == 0 || (status == 5 && stderr.contains("did not hold the schedule")) }
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String], directory: String = packageRoot, executable program: String = executable,
                    environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// An HdrHistogram interval log read by HdrHistogram's Python implementation (`hdrh`, installed by
/// `make deps`): per tag, the lines, the total count, and the max and p99 of the merged intervals (ns).
func hdrhRead(_ path: String) throws -> [String: [String: Int]] {
    let script = """
    import json, sys
    from hdrh.histogram import HdrHistogram
    out = {}
    for line in open(sys.argv[1]):
        if not line.startswith('Tag='):
            continue
        tag, rest = line[4:].split(',', 1)
        start, length, peak, payload = rest.strip().split(',', 3)
        h = HdrHistogram.decode(payload)
        s = out.setdefault(tag, {'lines': 0, 'h': None})
        s['lines'] += 1
        if s['h'] is None:
            s['h'] = h
        else:
            s['h'].add(h)
    print(json.dumps({t: {'lines': s['lines'], 'count': s['h'].get_total_count(), 'max': s['h'].get_max_value(),
                          'p99': s['h'].get_value_at_percentile(99)} for t, s in out.items()}))
    """
    let (status, output, problem) = try runPython(script, [path])
    guard status == 0 else {
        throw HdrhError(description: "python3 hdrh could not read \(path) (make deps installs hdrhistogram): \(problem)")
    }
    return try JSONDecoder().decode([String: [String: Int]].self, from: Data(output.utf8))
}

struct HdrhError: Error, CustomStringConvertible { let description: String }
