import Foundation
import GRDB

/// A publish, as usage reports list it.
public struct PublishSession: Sendable, Equatable, Codable {
    public var id: String
    public var stream: String
    public var startedMs: Int64
    public var endedMs: Int64
    public var ingestBytes: Int64
    /// Frames dropped at ingest (queue full or late) and malformed media messages.
    public var drops: Int64
    public var errors: Int64

    public init(
        id: String, stream: String, startedMs: Int64, endedMs: Int64, ingestBytes: Int64, drops: Int64, errors: Int64
    ) {
        self.id = id
        self.stream = stream
        self.startedMs = startedMs
        self.endedMs = endedMs
        self.ingestBytes = ingestBytes
        self.drops = drops
        self.errors = errors
    }
}

/// Viewer and publish sessions in SQLite (GRDB), with versioned migrations. Every call is
/// synchronous disk I/O: callers run it on their own queue or the thread pool, never on an
/// event loop.
public final class UsageStore: Sendable {
    let database: DatabaseQueue

    /// Opens (creating) the database at `path` and brings its schema up to date.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        database = try DatabaseQueue(path: path, configuration: configuration)
        try Self.migrator.migrate(database)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE viewer_session (
                        id TEXT PRIMARY KEY, stream TEXT NOT NULL, viewer TEXT, client TEXT, user_agent TEXT,
                        player TEXT NOT NULL, via_edge INTEGER NOT NULL, started_ms INTEGER NOT NULL,
                        last_ms INTEGER NOT NULL, bytes INTEGER NOT NULL, ended INTEGER NOT NULL);
                    CREATE INDEX viewer_session_time ON viewer_session(stream, started_ms);
                    CREATE TABLE viewer_rendition (
                        session_id TEXT NOT NULL REFERENCES viewer_session(id) ON DELETE CASCADE,
                        rendition TEXT NOT NULL, seconds REAL NOT NULL, bytes INTEGER NOT NULL,
                        PRIMARY KEY (session_id, rendition));
                    CREATE TABLE publish_session (
                        id TEXT PRIMARY KEY, stream TEXT NOT NULL, started_ms INTEGER NOT NULL,
                        ended_ms INTEGER NOT NULL, ingest_bytes INTEGER NOT NULL, drops INTEGER NOT NULL,
                        errors INTEGER NOT NULL);
                    CREATE INDEX publish_session_time ON publish_session(stream, started_ms);
                    """)
        }
        return migrator
    }

    /// Writes (inserts or updates) a batch of sessions in one transaction.
    public func save(_ sessions: [ViewerSession], publishes: [PublishSession] = []) throws {
        guard !sessions.isEmpty || !publishes.isEmpty else { return }
        try database.write { db in
            for session in sessions {
                try db.execute(
                    sql: """
                        INSERT INTO viewer_session VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET last_ms = excluded.last_ms, bytes = excluded.bytes,
                            ended = excluded.ended
                        """,
                    arguments: [
                        session.id, session.stream, session.viewer, session.client, session.userAgent, session.player,
                        session.viaEdge, session.startedMs, session.lastMs, session.bytes, session.ended,
                    ])
                for (rendition, usage) in session.renditions {
                    try db.execute(
                        sql: """
                            INSERT INTO viewer_rendition VALUES (?, ?, ?, ?)
                            ON CONFLICT(session_id, rendition) DO UPDATE SET seconds = excluded.seconds,
                                bytes = excluded.bytes
                            """,
                        arguments: [session.id, rendition, usage.seconds, usage.bytes])
                }
            }
            for publish in publishes {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO publish_session VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        publish.id, publish.stream, publish.startedMs, publish.endedMs, publish.ingestBytes,
                        publish.drops, publish.errors,
                    ])
            }
        }
    }

    /// Sessions that overlap [fromMs, toMs), for one stream or all.
    public func sessions(stream: String?, fromMs: Int64, toMs: Int64) throws -> [ViewerSession] {
        try database.read { db in
            var sessions: [String: ViewerSession] = [:]
            var order: [String] = []
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT s.*, r.rendition, r.seconds AS r_seconds, r.bytes AS r_bytes
                    FROM viewer_session s LEFT JOIN viewer_rendition r ON r.session_id = s.id
                    WHERE s.last_ms >= ? AND s.started_ms < ? AND (? IS NULL OR s.stream = ?)
                    ORDER BY s.started_ms
                    """,
                arguments: [fromMs, toMs, stream, stream])
            for row in rows {
                let id: String = row["id"]
                if sessions[id] == nil {
                    order.append(id)
                    sessions[id] = ViewerSession(
                        id: id, stream: row["stream"], viewer: row["viewer"], client: row["client"],
                        userAgent: row["user_agent"], player: row["player"], viaEdge: row["via_edge"],
                        startedMs: row["started_ms"], lastMs: row["last_ms"], bytes: row["bytes"], renditions: [:],
                        ended: row["ended"])
                }
                if let rendition: String = row["rendition"] {
                    sessions[id]?.renditions[rendition] = .init(seconds: row["r_seconds"], bytes: row["r_bytes"])
                }
            }
            return order.compactMap { sessions[$0] }
        }
    }

    public func publishes(stream: String?, fromMs: Int64, toMs: Int64) throws -> [PublishSession] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM publish_session WHERE ended_ms >= ? AND started_ms < ? AND (? IS NULL OR stream = ?)
                    ORDER BY started_ms
                    """,
                arguments: [fromMs, toMs, stream, stream]
            ).map { row in
                PublishSession(
                    id: row["id"], stream: row["stream"], startedMs: row["started_ms"], endedMs: row["ended_ms"],
                    ingestBytes: row["ingest_bytes"], drops: row["drops"], errors: row["errors"])
            }
        }
    }

    /// Retention: forgets what ended before `cutoffMs`; returns the sessions removed.
    @discardableResult
    public func deleteEnded(before cutoffMs: Int64) throws -> Int {
        try database.write { db in
            try db.execute(
                sql:
                    "DELETE FROM viewer_rendition WHERE session_id IN (SELECT id FROM viewer_session WHERE last_ms < ?)",
                arguments: [cutoffMs])
            try db.execute(sql: "DELETE FROM viewer_session WHERE last_ms < ?", arguments: [cutoffMs])
            let removed = db.changesCount
            try db.execute(sql: "DELETE FROM publish_session WHERE ended_ms < ?", arguments: [cutoffMs])
            return removed
        }
    }
}
