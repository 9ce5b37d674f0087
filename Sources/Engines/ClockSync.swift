import Foundation
import Vocabulary

/// Reads the clock offset from chrony or ptp4l where one runs here, so results of processes started
/// together on several hosts (`--start-at`) can be set against a common time. Nothing is assumed when
/// neither answers within a second: the reading is absent, never 0.
public enum ClockSync {
    public static func read(timeout: TimeInterval = 1) -> ClockSyncReading? {
        if let out = run(["chronyc", "-c", "tracking"], timeout: timeout), let r = chrony(out) { return r }
        if let out = run(["pmc", "-u", "-b", "0", "GET TIME_STATUS_NP"], timeout: timeout), let r = ptp(out) { return r }
        return nil
    }

    /// `chronyc -c tracking`: comma-separated, the fifth field the system time's offset in seconds.
    public static func chrony(_ text: String) -> ClockSyncReading? {
        let fields = text.split(separator: "\n").first?.split(separator: ",", omittingEmptySubsequences: false) ?? []
        guard fields.count >= 5, let seconds = Double(fields[4].trimmingCharacters(in: .whitespaces)), seconds.isFinite, abs(seconds) < 1e6 else {
            return nil
        }
        return ClockSyncReading(source: "chrony", offsetNs: Int64((seconds * 1e9).rounded()))
    }

    /// `pmc -u -b 0 'GET TIME_STATUS_NP'`: the line `master_offset N` (ns).
    public static func ptp(_ text: String) -> ClockSyncReading? {
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.count >= 2, words[0] == "master_offset", let n = Int64(words[1]) { return ClockSyncReading(source: "ptp4l", offsetNs: n) }
        }
        return nil
    }

    /// A command's standard output when it exits 0 within `timeout`; nil otherwise (not installed, no daemon).
    static func run(_ command: [String], timeout: TimeInterval) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = command
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
            return nil
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}
