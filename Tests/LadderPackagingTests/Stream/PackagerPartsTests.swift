import Foundation
import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

/// LL parts: chunks written as samples arrive, listed in the media playlists, equal to their
/// segment once concatenated (RFC 8216bis 4.4.4.9, 4.4.5.3, 4.4.5.4, 6.2.5).
@Suite struct PackagerPartsTests {
    static let config = PackagerConfig(mode: .live, segmentSeconds: 2, windowSegments: 10, partSeconds: 0.5)

    struct Setup {
        let store = SegmentStore()
        let clock = ManualClock()
        let packager: StreamPackager
        var stream: StoredStream { StoredStream(store: store, name: "cam") }

        init(config: PackagerConfig = PackagerPartsTests.config, seconds: Double = 7) {
            let clock = self.clock
            packager = StreamPackager(streamName: "cam", config: config, store: store, clock: { clock.now })
            packager.begin(tracks: SyntheticLadder.tracks())
            SyntheticLadder.feed(packager, seconds: seconds, clock: clock, clockBaseMs: clock.base)
        }
    }

    /// (duration, uri, independent) of every EXT-X-PART line of a playlist, in order.
    static func parts(_ text: String) -> [(duration: Double, uri: String, independent: Bool)] {
        text.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-PART:") }.map { line in
            let duration = Double(line.split(separator: ",")[0].dropFirst("#EXT-X-PART:DURATION=".count)) ?? -1
            let uri = line.split(separator: "\"")[1]
            return (duration, String(uri), line.hasSuffix("INDEPENDENT=YES"))
        }
    }

    /// Part URIs listed before each EXTINF, by segment URI.
    static func partsBySegment(_ text: String) -> [String: [String]] {
        var result: [String: [String]] = [:]
        var pending: [String] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("#EXT-X-PART:") {
                pending.append(String(line.split(separator: "\"")[1]))
            } else if !line.hasPrefix("#") {
                result[String(line)] = pending
                pending = []
            }
        }
        return result
    }

    @Test func aSegmentIsItsPartsConcatenatedOnEveryTrack() throws {
        let setup = Setup()
        for rendition in StreamPackagerTests.renditions {
            let text = try #require(setup.stream.text("\(rendition)/index.m3u8"))
            let bySegment = Self.partsBySegment(text).filter { !$0.value.isEmpty }
            #expect(bySegment.count == 3, "\(rendition): parts listed for the newest three segments")
            for (segment, parts) in bySegment {
                let whole = try #require(setup.store.get(stream: "cam", path: "\(rendition)/\(segment)")).bytes
                let joined = try parts.flatMap {
                    try #require(setup.store.get(stream: "cam", path: "\(rendition)/\($0)")).bytes
                }
                #expect(joined == whole, "\(rendition)/\(segment)")
                let first = try #require(setup.store.get(stream: "cam", path: "\(rendition)/\(parts[0])")).bytes
                #expect(Array(first[4..<8]) == Array("styp".utf8), "part 0 carries the segment's styp")
                #expect(parts.count == 4, "2 s segments, 0.5 s parts")
            }
        }
    }

    @Test func videoPartsAreWholeFramesOnTheGridAndOnlyTheIDRPartIsIndependent() throws {
        let setup = Setup()
        let text = try #require(setup.stream.text("720p/index.m3u8"))
        let parts = Self.parts(text)
        #expect(parts.count >= 12)
        for (position, part) in parts.enumerated() {
            #expect(abs(part.duration - 0.5) < 1e-9, "part \(position): \(part.duration)")
            #expect(part.independent == part.uri.hasSuffix(".0.m4s"), "\(part.uri)")
        }
        let audio = Self.parts(try #require(setup.stream.text("audio/index.m3u8")))
        // AAC frames (21.3 ms) do not divide 0.5 s: each part ends at the frame boundary nearest
        // the grid, so it is within a frame of 0.5 s, and all audio parts are independent.
        for part in audio {
            #expect(abs(part.duration - 0.5) <= 1024.0 / 48000 + 1e-9, "\(part.uri): \(part.duration)")
            #expect(part.independent)
            #expect(part.duration <= Self.config.partTargetSeconds)
        }
    }

    @Test func theLiveEdgeHasPendingPartsAPreloadHintAndRenditionReports() throws {
        let setup = Setup()
        let text = try #require(setup.stream.text("720p/index.m3u8"))
        let lines = text.split(separator: "\n").map(String.init)
        let lastSegment = try #require(lines.lastIndex { !$0.hasPrefix("#") })
        let pending = lines[(lastSegment + 1)...].filter { $0.hasPrefix("#EXT-X-PART:") }
        #expect(!pending.isEmpty, "parts of the segment in progress follow the last EXTINF")
        let hint = try #require(lines.first { $0.hasPrefix("#EXT-X-PRELOAD-HINT:") })
        let lastPart = try #require(pending.last?.split(separator: "\"")[1])
        let pieces = lastPart.dropFirst("part-".count).dropLast(".m4s".count).split(separator: ".")
        let next = "part-\(pieces[0]).\(Int(pieces[1])! + 1).m4s"
        #expect(hint == "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"\(next)\"")
        #expect(setup.store.get(stream: "cam", path: "720p/\(next)") == nil, "the hinted part is not written yet")
        let reports = lines.filter { $0.hasPrefix("#EXT-X-RENDITION-REPORT:") }
        #expect(reports.count == 2)
        for report in reports {
            let uri = String(report.split(separator: "\"")[1])
            let other = try #require(setup.stream.text(String(uri.dropFirst(3))))
            let msn = Int(report.components(separatedBy: "LAST-MSN=")[1].split(separator: ",")[0])!
            let part = Int(report.components(separatedBy: "LAST-PART=")[1])!
            let sequence = Int(other.components(separatedBy: "#EXT-X-MEDIA-SEQUENCE:")[1].split(separator: "\n")[0])!
            let segments = other.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
            #expect(msn == sequence + segments, "\(uri): the report names the segment in progress")
            #expect(
                Self.parts(other).suffix(part + 1).first?.uri.hasSuffix(".0.m4s") == true, "\(uri): its part \(part)")
        }
        let progress = try #require(setup.store.get(stream: "cam", path: "720p/index.m3u8")?.progress)
        #expect(progress.pendingParts == pending.count)
        #expect(progress.answer(msn: progress.lastCompleteSequence + 1, part: pending.count - 1) == .ready)
        #expect(progress.answer(msn: progress.lastCompleteSequence + 1, part: pending.count) == .wait)
    }

    @Test func partTargetAndHoldBackNeverChangeAndEndedPlaylistsDropTheLowLatencyTags() throws {
        let setup = Setup(seconds: 3)
        var seen: Set<String> = []
        for _ in 0..<5 {
            let text = try #require(setup.stream.text("360p/index.m3u8"))
            seen.formUnion(
                text.split(separator: "\n").filter {
                    $0.hasPrefix("#EXT-X-PART-INF") || $0.hasPrefix("#EXT-X-SERVER-CONTROL")
                }.map(String.init))
            SyntheticLadder.feed(setup.packager, seconds: 1, firstFrame: 90, firstAudioFrame: 140)
        }
        #expect(
            seen == [
                "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12.000,PART-HOLD-BACK=1.572",
                "#EXT-X-PART-INF:PART-TARGET=0.524",
            ])
        setup.packager.end()
        let ended = try #require(setup.stream.text("360p/index.m3u8"))
        #expect(!ended.contains("#EXT-X-PART"), "an ended playlist lists whole segments only")
        #expect(!ended.contains("PRELOAD-HINT") && ended.hasSuffix("#EXT-X-ENDLIST\n"))
        #expect(setup.store.get(stream: "cam", path: "360p/index.m3u8")?.progress == nil)
    }

    @Test func aLongFrameStartsTheNextPartSoNoPartOutgrowsPartTarget() throws {
        // 0.25 s parts at 30 fps are 7 or 8 frames (0.233 s, 0.267 s); PART-TARGET is 0.274 s.
        let config = PackagerConfig(mode: .live, segmentSeconds: 2, windowSegments: 10, partSeconds: 0.25)
        let setup = Setup(config: config, seconds: 1.95)
        // A 10 ms timestamp gap after frame 57, in the segment's last (8-frame) part: a
        // publisher hiccup, or a looped clip. That part would last 0.277 s.
        SyntheticLadder.feed(
            setup.packager, seconds: 3, videoStart: 900, firstFrame: 58, firstAudioFrame: 92,
            sync: { _, index in index % 60 == 0 })
        let parts = Self.parts(try #require(setup.stream.text("720p/index.m3u8")))
        #expect(parts.contains { $0.duration > 0.268 || $0.duration < 0.232 }, "the gap is in a listed part")
        for part in parts {
            #expect(part.duration <= config.partTargetSeconds, "\(part.uri): \(part.duration)")
        }
    }

    @Test func oldPartsLeaveThePlaylistsAndTheStore() throws {
        let setup = Setup(seconds: 15)
        let text = try #require(setup.stream.text("720p/index.m3u8"))
        let listed = Set(Self.parts(text).map(\.uri))
        let stored = setup.store.paths(stream: "cam").filter { $0.hasPrefix("720p/part-") }
        #expect(listed.count < stored.count, "parts stay downloadable a little after they are listed")
        #expect(stored.count <= (PackagerCore.keptPartSegments + 1) * 4)
        #expect(listed.allSatisfy { stored.contains("720p/\($0)") })
    }

    @Test func theLiveMPDOffersTheChunksEarlyAndDescribesItsLatency() throws {
        let setup = Setup()
        let mpd = try #require(setup.stream.text("manifest.mpd"))
        let templates = mpd.split(separator: "\n").filter { $0.contains("<SegmentTemplate") }
        #expect(templates.count == 3)
        for template in templates {
            #expect(template.contains(#"availabilityTimeOffset="1.500" availabilityTimeComplete="false""#))
        }
        #expect(mpd.contains(#"<Latency referenceId="0" target="2000" max="4000" min="1000"/>"#))
        #expect(mpd.contains(#"<PlaybackRate max="1.04" min="0.96"/>"#))
        let progress = try #require(setup.store.get(stream: "cam", path: "720p/index.m3u8")?.progress)
        #expect(progress.pendingSegmentURI == "seg-\(progress.lastCompleteSequence + 1).m4s")
        #expect(progress.pendingPartURIs.count == progress.pendingParts)
        setup.packager.end()
        let ended = try #require(setup.stream.text("manifest.mpd"))
        #expect(!ended.contains("availabilityTimeOffset") && !ended.contains("ServiceDescription"))
    }

    @Test func theDiskMirrorKeepsWholeSegmentsNotParts() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let store = SegmentStore(mirror: DiskMirror(root: directory.path))
        let packager = StreamPackager(streamName: "cam", config: Self.config, store: store)
        packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(packager, seconds: 5)
        #expect(store.paths(stream: "cam").contains { $0.hasPrefix("720p/part-") }, "parts are served from memory")
        packager.end()
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/cam/720p")
        #expect(files.contains("seg-1.m4s") && files.contains("index.m3u8"))
        #expect(!files.contains { $0.hasPrefix("part-") }, "\(files)")
    }

    @Test func withoutPartSecondsNothingChanges() throws {
        let setup = Setup(config: .live(segmentSeconds: 2, windowSegments: 10))
        let text = try #require(setup.stream.text("720p/index.m3u8"))
        #expect(!text.contains("#EXT-X-PART") && !text.contains("SERVER-CONTROL"))
        #expect(setup.stream.text("manifest.mpd")?.contains("availabilityTimeOffset") == false)
        #expect(setup.store.paths(stream: "cam").allSatisfy { !$0.contains("part-") })
    }
}
