import Vocabulary
import Foundation

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

    static func run(_ arguments: [String], directory: String = packageRoot, executable program: String = executable) throws -> Result {
        let process = Process()
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
