import Foundation
import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

/// DASH availability arithmetic on long-running streams: every listed segment must be announced
/// as available at or after the moment it was really published (players must never 404), and
/// not much later (or players fall behind the live edge).
@Suite struct PackagerManifestsTests {
    struct ListedSegment {
        var representation: String
        var number: Int
        var availableMs: Double
        var periodStartMs: Double
    }

    static func milliseconds(_ iso: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: iso).map { $0.timeIntervalSince1970 * 1000 }
    }

    static func seconds(_ duration: String) -> Double {
        Double(duration.dropFirst(2).dropLast()) ?? -1
    }

    /// Announced availability of every window segment (ISO/IEC 23009-1 5.3.9.5.3):
    /// timeline: AST + Period@start + (t - PTO + d) / timescale;
    /// numbered: AST + Period@start + (N - startNumber + 1) * duration / timescale, where N
    /// belongs to the last Period whose startNumber is not above it.
    static func listedSegments(_ mpd: String, window: [Int]) throws -> [ListedSegment] {
        let header = try #require(mpd.components(separatedBy: "<Period").first)
        let ast = try #require(attribute("availabilityStartTime", in: Substring(header)).flatMap(milliseconds))
        var result: [ListedSegment] = []
        var numbered: [(representation: String, startMs: Double, startNumber: Int, slotMs: Double)] = []
        for period in mpd.components(separatedBy: "<Period").dropFirst() {
            let periodTag = Substring(period.prefix { $0 != ">" })
            let start = seconds(try #require(attribute("start", in: periodTag))) * 1000
            for representation in period.components(separatedBy: "<Representation").dropFirst() {
                let id = try #require(attribute("id", in: Substring(representation.prefix { $0 != ">" })))
                let templateTag = Substring(
                    try #require(representation.components(separatedBy: "<SegmentTemplate").last))
                let timescale = Double(try #require(attribute("timescale", in: templateTag))) ?? 1
                let offset = Double(attribute("presentationTimeOffset", in: templateTag) ?? "0") ?? 0
                var number = Int(try #require(attribute("startNumber", in: templateTag))) ?? 0
                if let duration = attribute("duration", in: templateTag).flatMap(Double.init) {
                    numbered.append((id, start, number, duration / timescale * 1000))
                    continue
                }
                for entry in expandedTimelines(representation).first ?? [] {
                    let end = (Double(entry.t + entry.d) - offset) / timescale * 1000
                    result.append(
                        ListedSegment(
                            representation: id, number: number, availableMs: ast + start + end, periodStartMs: start))
                    number += 1
                }
            }
        }
        for number in window {
            for id in Set(numbered.map(\.representation)).sorted() {
                guard let period = numbered.last(where: { $0.representation == id && $0.startNumber <= number }) else {
                    continue
                }
                let end = Double(number - period.startNumber + 1) * period.slotMs
                result.append(
                    ListedSegment(
                        representation: id, number: number, availableMs: ast + period.startMs + end,
                        periodStartMs: period.startMs))
            }
        }
        return result
    }

    static func window(_ store: SegmentStore) -> [Int] {
        StoredStream(store: store, name: "old").segmentURIs("720p").compactMap {
            Int($0.dropFirst(4).dropLast(4))
        }
    }

    /// Feeds `seconds` of the synthetic ladder; the clock runs `speed` times slower than media
    /// (1 = real time). Returns each segment number's real publication time.
    static func run(
        _ packager: StreamPackager, store: SegmentStore, clock: ManualClock, seconds: Int, speed: Double
    )
        -> [Int: Int64]
    {
        var published: [Int: Int64] = [:]
        var next = 1
        let frames = seconds * 30
        let audioFrames = seconds * 48000 / 1024
        var video = 0
        var sound = 0
        while video < frames || sound < audioFrames {
            let videoTime = Double(video) / 30
            let audioTime = Double(sound) * 1024 / 48000
            let now = min(videoTime, audioTime)
            clock.set(clock.base + Int64(now * 1000 * speed) + 150)
            if videoTime <= audioTime {
                for rung in 0..<2 {
                    packager.append(SyntheticLadder.video(video, rung: rung), track: rung)
                }
                video += 1
            } else {
                packager.append(SyntheticLadder.audio(sound), track: 2)
                sound += 1
            }
            while store.get(stream: "old", path: "audio/seg-\(next).m4s") != nil {
                published[next] = clock.nowMs
                next += 1
            }
        }
        return published
    }

    @Test(arguments: [PackagerConfig.DASHAddressing.numbered, .timeline])
    func oldStreamAnnouncesSegmentsWhenTheyWerePublished(addressing: PackagerConfig.DASHAddressing) throws {
        let store = SegmentStore()
        let clock = ManualClock()
        let config = PackagerConfig(segmentSeconds: 2, windowSegments: 6, dashAddressing: addressing)
        let packager = StreamPackager(streamName: "old", config: config, store: store, clock: { clock.now })
        packager.begin(tracks: SyntheticLadder.tracks())
        let published = Self.run(packager, store: store, clock: clock, seconds: 240, speed: 1)
        let mpd = try #require(store.get(stream: "old", path: "manifest.mpd")).bytes
        let listed = try Self.listedSegments(String(decoding: mpd, as: UTF8.self), window: Self.window(store))
        #expect(Set(listed.map(\.number)) == Set(114...119))
        #expect(listed.count == 6 * 3)
        for segment in listed {
            let publishedMs = Double(try #require(published[segment.number]))
            #expect(segment.availableMs >= publishedMs, "\(segment.representation) #\(segment.number) announced early")
            #expect(
                segment.availableMs - publishedMs <= 600, "\(segment.representation) #\(segment.number) announced late")
        }
        #expect(packager.statistics().periodResyncs == 0)
        #expect(mpd.count < 8000)
    }

    @Test(arguments: [PackagerConfig.DASHAddressing.numbered, .timeline])
    func slowPipelineOpensPeriodsInsteadOfAnnouncingEarly(addressing: PackagerConfig.DASHAddressing) throws {
        let store = SegmentStore()
        let clock = ManualClock()
        let config = PackagerConfig(segmentSeconds: 2, windowSegments: 6, dashAddressing: addressing)
        let packager = StreamPackager(streamName: "old", config: config, store: store, clock: { clock.now })
        packager.begin(tracks: SyntheticLadder.tracks())
        let published = Self.run(packager, store: store, clock: clock, seconds: 120, speed: 1.25)
        let mpd = String(decoding: try #require(store.get(stream: "old", path: "manifest.mpd")).bytes, as: UTF8.self)
        let listed = try Self.listedSegments(mpd, window: Self.window(store))
        #expect(listed.count == 6 * 3)
        for segment in listed {
            let publishedMs = Double(try #require(published[segment.number]))
            #expect(segment.availableMs >= publishedMs, "\(segment.representation) #\(segment.number) announced early")
        }
        #expect(packager.statistics().periodResyncs > 5)
        #expect(packager.statistics().discontinuities == 0)
        // Periods follow each other without overlap.
        let starts = listed.filter { $0.representation == "720p" }.map(\.periodStartMs)
        #expect(starts == starts.sorted())
        #expect(
            !(store.get(stream: "old", path: "720p/index.m3u8").map { String(decoding: $0.bytes, as: UTF8.self) } ?? "")
                .contains("DISCONTINUITY\n"))
    }
}
