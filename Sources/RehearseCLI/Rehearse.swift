import Vocabulary
import ArgumentParser
import Orchestration
import Results
#if canImport(Glibc)
import Glibc
#endif

/// The `rehearse` command line.
public struct Rehearse: ParsableCommand {
    public static let version = ToolVersion.current
    public static let configuration = CommandConfiguration(
        commandName: "rehearse",
        abstract: "Replay captured exchange traffic against old and new trading platforms and measure them.",
        discussion: "Exit codes (one mapping for every command; the README lists the failures behind each): 0 ok · 1 a limit failed · 2 usage or configuration · 3 bad input · 4 target error · 130 interrupted (partial results printed).",
        version: version,
        subcommands: [Inspect.self, Synth.self, ReplayCommand.self, Listen.self, Sim.self, Bench.self, Gateway.self, Compare.self, Watch.self, Verify.self, Run.self, Capacity.self, Report.self, History.self, Merge.self]
    )

    public init() {}

    /// Parses `arguments`, runs the command and returns the process exit status (never calls exit()).
    public static func run(arguments: [String]) -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return ExitStatus.success.rawValue
        } catch let error as RehearseError {
            printError("rehearse: \(error.message)")
            return error.status.rawValue
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                return 0
            }
            printError(fullMessage(for: error))
            // ArgumentParser's usage errors (64) and our ExitCode values map onto the documented codes.
            return code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue
        }
    }

    /// Entry point of the executable.
    public static func mainExit() -> Never {
        let status = run(arguments: Array(CommandLine.arguments.dropFirst()))
        Glibc.exit(status)
    }
}

func printError(_ text: String) {
    var line = text
    if !line.hasSuffix("\n") { line += "\n" }
    writeStandardError(line)
}

/// Writes to file descriptor 2 directly (no shared C `FILE*`, so safe from any thread).
func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
        offset += n
    }
}
