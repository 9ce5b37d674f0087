import Vocabulary
import Measure
import Foundation
import GRDB

/// One stored run, as listed by `rehearse history`.
public struct HistoryEntry: Sendable, Equatable {
    public var id: Int64
    public var scenario: String
    public var started: String
    public var passed: Bool
    public var partial: Bool
    public var summary: String
}

/// Why the history could not be used: the file and SQLite's reason (locked, corrupt, unwritable).
public struct HistoryError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "history \(path): \(reason)" }
}

/// Every run in SQLite (GRDB): a `runs` row with the whole result as JSON, and a `metrics` row per
/// figure for trends and baselines. A run is stored in one transaction: all of it or nothing.
public final class HistoryStore: Sendable {
    public let path: String
    private let queue: DatabaseQueue

    /// Opens (creating) the history at `path`; waits up to `busyTimeout` seconds for a lock held by another run.
    public init(path: String, busyTimeout: TimeInterval = 5) throws(HistoryError) {
        self.path = path
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            // Processes opening a new history at once (shards of one job on one host) would both find it
            // unmigrated and both create its tables: the migration is held under an exclusive flock on
            // the file (SQLite's own locks are fcntl locks, which flock leaves alone).
            let lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            if lock >= 0 {
                // Up to the busy timeout, as SQLite waits for its own locks; then on (SQLite says what it finds).
                let deadline = Date().addingTimeInterval(busyTimeout)
                while flock(lock, LOCK_EX | LOCK_NB) != 0 && Date() < deadline { usleep(5_000) }
            }
            defer { if lock >= 0 { _ = flock(lock, LOCK_UN); close(lock) } }
            var configuration = Configuration()
            configuration.busyMode = .timeout(busyTimeout)
            queue = try DatabaseQueue(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.create(table: "runs") { t in
                    t.autoIncrementedPrimaryKey("id")
                    t.column("scenario", .text).notNull().indexed()
                    t.column("scenarioHash", .text).notNull()
                    t.column("started", .text).notNull()
                    t.column("passed", .boolean).notNull()
                    t.column("partial", .boolean).notNull()
                    t.column("summary", .text).notNull()
                    t.column("result", .text).notNull()
                }
                try db.create(table: "metrics") { t in
                    t.column("run", .integer).notNull().references("runs", onDelete: .cascade).indexed()
                    t.column("key", .text).notNull().indexed()
                    t.column("value", .double).notNull()
                    t.column("samples", .integer).notNull()
                    t.column("lowerIsBetter", .boolean).notNull()
                }
            }
            // v2: validity per run (baselines are windows of valid runs) and per-interval samples per figure.
            migrator.registerMigration("v2") { db in
                try db.alter(table: "runs") { t in t.add(column: "valid", .boolean).notNull().defaults(to: true) }
                try db.alter(table: "metrics") { t in t.add(column: "intervals", .text) }
            }
            migrator.registerMigration("v3") { db in
                // A run whose figures changed against its baseline: regressed, or the environment changed.
                try db.alter(table: "runs") { t in t.add(column: "changed", .boolean).notNull().defaults(to: false) }
            }
            try migrator.migrate(queue)
        } catch {
            throw HistoryError(path: path, reason: Self.reason(error))
        }
    }

    static func reason(_ error: any Error) -> String {
        if let e = error as? DatabaseError {
            // `String` annotations: in a file that imports GRDB, `??` inside an interpolation can resolve to
            // GRDB's SQL IFNULL operator and print "SQL(elements: …)".
            func message(_ fallback: String) -> String { e.message.map { $0 } ?? fallback }
            let described: String = "\(e)"
            switch e.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED: return "locked by another process (" + message("busy") + ")"
            case .SQLITE_NOTADB, .SQLITE_CORRUPT: return "not a Rehearse history or corrupt (" + message("corrupt") + ")"
            case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM: return "cannot be written (" + message("read-only") + ")"
            default: return message(described)
            }
        }
        return "\(error)"
    }

    /// Stores a run (result JSON and metrics) in one transaction; returns its id.
    public func record(_ result: RunResult, metrics: [Metric]) throws(HistoryError) -> Int64 {
        do {
            return try queue.write { db in
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                let json = String(decoding: try encoder.encode(result), as: UTF8.self)
                let valid = result.verdict?.status != .inconclusive && (result.validity ?? [:]).values.allSatisfy(\.valid)
                let changed = !(result.verdict?.regressions.isEmpty ?? true) || !(result.verdict?.environment.isEmpty ?? true)
                try db.execute(sql: "INSERT INTO runs (scenario, scenarioHash, started, passed, partial, summary, result, valid, changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               arguments: [result.scenario, result.environment.scenarioHash, result.started.utc, result.verdict?.passed ?? false,
                                           result.partial, result.verdict?.summary ?? "", json, valid, changed])
                let id = db.lastInsertedRowID
                for m in metrics {
                    let intervals = m.intervals.map { $0.map { String($0) }.joined(separator: ",") }
                    try db.execute(sql: "INSERT INTO metrics (run, key, value, samples, lowerIsBetter, intervals) VALUES (?, ?, ?, ?, ?, ?)",
                                   arguments: [id, m.key, m.value, Int64(clamping: m.samples), m.lowerIsBetter, intervals])
                }
                return id
            }
        } catch {
            throw HistoryError(path: path, reason: Self.reason(error))
        }
    }

    /// The baseline for `scenario`: run `id` alone when given, else the last `window` valid, complete
    /// runs that changed nothing against their own baseline, newest first. Passing or not (a run that
    /// broke a limit is in): a window of what the platforms did cannot ratchet on one lucky run, and its
    /// run-to-run band keeps noise from regressing. A run that regressed, or in which old and new moved
    /// together (the environment changed), stays out: a real regression keeps failing run after run
    /// instead of becoming the baseline, and a run that missed one cannot widen the band for the next
    /// (measured: one such run let the next two pass); accept a new level by naming a baseline run.
    public func baseline(scenario: String, id: Int64?, window: Int = 5) throws(HistoryError) -> [(id: Int64, metrics: [Metric])] {
        do {
            return try queue.read { db in
                let runs: [Int64]
                if let id {
                    runs = try Int64.fetchAll(db, sql: "SELECT id FROM runs WHERE id = ?", arguments: [id])
                } else {
                    runs = try Int64.fetchAll(db, sql: "SELECT id FROM runs WHERE scenario = ? AND valid AND NOT partial AND NOT changed ORDER BY id DESC LIMIT ?",
                                              arguments: [scenario, max(1, window)])
                }
                return try runs.map { run in
                    (run, try Self.metrics(db, run: run))
                }
            }
        } catch {
            throw HistoryError(path: path, reason: Self.reason(error))
        }
    }

    static func metrics(_ db: Database, run: Int64) throws -> [Metric] {
        let rows = try Row.fetchAll(db, sql: "SELECT key, value, samples, lowerIsBetter, intervals FROM metrics WHERE run = ?", arguments: [run])
        return rows.map { row in
            let text: String? = row["intervals"]
            let intervals = text.map { $0.split(separator: ",").compactMap { Double($0) } }
            return Metric(key: row["key"], value: row["value"], samples: UInt64(max(0, row["samples"] as Int64)),
                          lowerIsBetter: row["lowerIsBetter"], intervals: intervals)
        }
    }

    /// Every figure name stored for `scenario` (or for every scenario), sorted.
    public func metricNames(scenario: String? = nil) throws(HistoryError) -> [String] {
        do {
            return try queue.read { db in
                try String.fetchAll(db, sql: "SELECT DISTINCT metrics.key FROM metrics JOIN runs ON runs.id = metrics.run"
                                    + (scenario == nil ? "" : " WHERE runs.scenario = ?") + " ORDER BY metrics.key",
                                    arguments: scenario.map { [$0] } ?? [])
            }
        } catch {
            throw HistoryError(path: path, reason: Self.reason(error))
        }
    }

    /// Runs, newest first (optionally of one scenario).
    public func runs(scenario: String? = nil, limit: Int = 50) throws(HistoryError) -> [HistoryEntry] {
        do {
            return try queue.read { db in
                let rows = try Row.fetchAll(db, sql: "SELECT id, scenario, started, passed, partial, summary FROM runs"
                                            + (scenario == nil ? "" : " WHERE scenario = ?") + " ORDER BY id DESC LIMIT ?",
                                            arguments: scenario.map { [$0, limit] } ?? [limit])
                return rows.map { HistoryEntry(id: $0["id"], scenario: $0["scenario"], started: $0["started"], passed: $0["passed"],
                                               partial: $0["partial"], summary: $0["summary"]) }
            }
        } catch {
            throw HistoryError(path: path, reason: Self.reason(error))
        }
    }

    /// One metric across runs, oldest first: (run id, started, value, samples).
    public func trend(metric: String, scenario: String? = nil, limit: Int = 50) throws(HistoryError) -> [(Int64, String, Double, UInt64)] {
        do {
            return try queue.read { db in
                let rows = try Row.fetchAll(db, sql: """
                    SELECT runs.id AS id, runs.started AS started, metrics.value AS value, metrics.samples AS samples
                    FROM metrics JOIN runs ON runs.id = metrics.run WHERE metrics.key = ?
                    """ + (scenario == nil ? "" : " AND runs.scenario = ?") + " ORDER BY runs.id DESC LIMIT ?",
                    arguments: scenario.map { [metric, $0, limit] } ?? [metric, limit])
                return rows.reversed().map { ($0["id"], $0["started"], $0["value"], UInt64(max(0, $0["samples"] as Int64))) }
            }
        } catch {
            throw HistoryError(path: path, reason: Self.reason(error))
        }
    }

    /// The stored result of run `id`.
    public func result(_ id: Int64) throws(HistoryError) -> RunResult? {
        do {
            return try queue.read { db in
                guard let json = try String.fetchOne(db, sql: "SELECT result FROM runs WHERE id = ?", arguments: [id]) else { return nil }
                var r = try JSONDecoder().decode(RunResult.self, from: Data(json.utf8))
                r.id = id
                return r
            }
        } catch {
            throw HistoryError(path: path, reason: Self.reason(error))
        }
    }
}
