import Foundation
import Testing

@testable import GatewayUsage

/// A real SQLite file: written, reopened (the restart), reported, pruned.
@Suite struct UsageStoreTests {
    func session(
        _ id: String, stream: String = "cam1", start: Int64, last: Int64, viewer: String? = nil
    ) -> ViewerSession {
        ViewerSession(
            id: id, stream: stream, viewer: viewer, client: "198.51.100.7", userAgent: "VLC/3", player: "vlc",
            viaEdge: false, startedMs: start, lastMs: last, bytes: 5000,
            renditions: ["720p": .init(seconds: Double(last - start) / 1000, bytes: 5000)])
    }

    @Test func sessionsSurviveAReopenAndReportPerBucket() throws {
        let path = NSTemporaryDirectory() + "usage-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let hour: Int64 = 3_600_000
        do {
            let store = try UsageStore(path: path)
            try store.save(
                [session("s1", start: 0, last: 60_000, viewer: "v1"), session("s2", start: 30_000, last: 90_000)],
                publishes: [
                    PublishSession(
                        id: "p1", stream: "cam1", startedMs: 0, endedMs: 120_000, ingestBytes: 9, drops: 2, errors: 1)
                ])
            var longer = session("s2", start: 30_000, last: 150_000)
            longer.ended = true
            try store.save([longer, session("s3", stream: "cam2", start: hour + 5, last: hour + 60_005)])
        }
        let reopened = try UsageStore(path: path)  // the migration runs again: nothing to do
        let all = try reopened.sessions(stream: nil, fromMs: 0, toMs: 2 * hour)
        #expect(all.map(\.id) == ["s1", "s2", "s3"])
        #expect(all[1].lastMs == 150_000 && all[1].ended && all[1].renditions["720p"]?.seconds == 120)

        let report = UsageReport(
            sessions: all, publishes: try reopened.publishes(stream: nil, fromMs: 0, toMs: 2 * hour), fromMs: 0,
            toMs: 2 * hour, group: .hour, stream: nil, time: { "t\($0)" })
        #expect(report.buckets.map(\.stream) == ["cam1", "cam2"])
        let first = report.buckets[0]
        #expect(first.start == "t0" && first.sessions == 2 && first.uniqueViewers == 2 && first.peakConcurrency == 2)
        #expect(abs(first.viewerMinutes - 3) < 1e-9 && first.bytesByRendition == ["720p": 10_000])
        #expect(report.buckets[1].start == "t\(hour)" && report.buckets[1].peakConcurrency == 1)
        #expect(report.publishes.first?.durationSeconds == 120 && report.publishes.first?.drops == 2)
        let lines = report.csv.split(separator: "\r\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("start,stream,viewer_minutes"))
        #expect(lines[1].split(separator: ",").count == lines[0].split(separator: ",").count)

        #expect(try reopened.deleteEnded(before: hour) == 2)
        #expect(try reopened.sessions(stream: nil, fromMs: 0, toMs: 2 * hour).map(\.id) == ["s3"])
        #expect(try reopened.sessions(stream: "cam1", fromMs: 0, toMs: 2 * hour).isEmpty)
    }

    @Test func aSessionSpanningHoursIsSplitByTime() {
        let hour: Int64 = 3_600_000
        // 10:50 to 12:30: 10, 60 and 30 minutes in three hourly buckets.
        let long = session("long", start: 10 * hour + 50 * 60_000, last: 12 * hour + 30 * 60_000)
        let report = UsageReport(
            sessions: [long], publishes: [], fromMs: 10 * hour, toMs: 13 * hour, group: .hour, stream: nil,
            time: { "\($0 / hour)h" })
        #expect(report.buckets.map(\.start) == ["10h", "11h", "12h"])
        let minutes = report.buckets.map { ($0.viewerMinutes * 1000).rounded() / 1000 }
        #expect(minutes == [10, 60, 30], "\(minutes)")
        #expect(report.buckets.allSatisfy { $0.peakConcurrency == 1 && $0.uniqueViewers == 1 })
        // Asked for 11:00-12:00 only: that hour's share.
        let middle = UsageReport(
            sessions: [long], publishes: [], fromMs: 11 * hour, toMs: 12 * hour, group: .hour, stream: nil,
            time: { "\($0 / hour)h" })
        #expect(middle.buckets.count == 1 && abs(middle.buckets[0].viewerMinutes - 60) < 1e-6)
    }

    @Test func csvFieldsAreQuoted() {
        #expect(UsageReport.field("a,b") == "\"a,b\"" && UsageReport.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(UsageReport.field("plain") == "plain")
    }

    @Test func theRecorderKeepsWhatAFailedWriteLeft() throws {
        let directory = NSTemporaryDirectory() + "usage-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try UsageStore(path: directory + "/u.sqlite")
        let recorder = UsageRecorder(store: store, keepDays: 1, logger: .init(label: "test"), idPrefix: "r")
        recorder.record(
            ViewerRequest(
                stream: "cam1", sessionKey: "k", viewer: nil, client: nil, userAgent: nil, viaEdge: true,
                rendition: "720p", isMedia: true, bytes: 10, atMs: 1000))
        recorder.flush(nowMs: 2000)
        #expect(try store.sessions(stream: "cam1", fromMs: 0, toMs: 10_000).map(\.viaEdge) == [true])
        recorder.stop()
        #expect(try store.sessions(stream: "cam1", fromMs: 0, toMs: 10_000).first?.ended == true)
        #expect(recorder.writeFailures == 0)
    }
}
