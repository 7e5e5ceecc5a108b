import Foundation
import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

/// Synthetic ladder: two H.264 rungs at 30 fps (90 kHz) with an IDR every 2 s, plus AAC at 48 kHz.
enum SyntheticLadder {
    static let frameTicks: Int64 = 3000
    static let audioFrameTicks: Int64 = 1024
    static let rungs: [(name: String, width: Int, height: Int, idrBytes: Int, frameBytes: Int, bitrate: Int)] = [
        ("720p", 1280, 720, 3000, 600, 2_800_000),
        ("360p", 640, 360, 1200, 200, 800_000),
    ]

    static func avcC(profile: UInt8 = 0x64, level: UInt8 = 0x1F, tag: UInt8 = 0) -> [UInt8] {
        [1, profile, 0, level, 0xFF, 0xE1, 0, 5, 0x67, profile, 0, level, tag, 1, 0, 2, 0x68, 0xEE]
    }

    static func tracks(level720: UInt8 = 0x1F, audio: Bool = true) -> [TrackDescription] {
        var result = rungs.enumerated().map { index, rung in
            TrackDescription(
                name: rung.name,
                media: .video(
                    width: rung.width, height: rung.height, frameRate: 30, sampleAspectNum: 1, sampleAspectDen: 1),
                codec: .h264, codecString: index == 0 ? "avc1.64001f" : "avc1.4d401e", timescale: 90000,
                decoderConfig: avcC(level: index == 0 ? level720 : 0x1E, tag: UInt8(index)), targetBitrate: rung.bitrate
            )
        }
        if audio {
            result.append(
                TrackDescription(
                    name: "audio", media: .audio(sampleRate: 48000, channels: 2), codec: .aac, codecString: "mp4a.40.2",
                    timescale: 48000, decoderConfig: [0x11, 0x90], targetBitrate: 128_000))
        }
        return result
    }

    /// Video frame `index` of rung `rung` (pts = start + index frames); `compositionDelay` frames of
    /// B-frame reordering delay. Sync defaults to every 2 s of input time, like forced IDRs.
    static func video(
        _ index: Int, rung: Int, startTicks: Int64 = 0, compositionDelay: Int64 = 0, isSync: Bool? = nil
    ) -> EncodedSample {
        let pts = startTicks + Int64(index) * frameTicks
        let sync = isSync ?? (pts % 180000 == 0)
        let size = sync ? rungs[rung].idrBytes : rungs[rung].frameBytes
        var data: [UInt8] = [
            UInt8(size >> 24 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF),
        ]
        data.append(sync ? 0x65 : 0x41)
        data += (1..<size).map { UInt8(truncatingIfNeeded: $0 &+ index) }
        // Like a rung: every sync sample here is the first of its grid interval, so it is marked.
        return EncodedSample(
            decodeTime: pts - compositionDelay * frameTicks, presentationTime: pts, duration: 0, isSync: sync,
            data: data, segmentStart: sync ? SegmentGrid(segmentSeconds: 2).index(containing: pts / 90) : nil)
    }

    static func audio(_ index: Int, startTicks: Int64 = 0) -> EncodedSample {
        let time = startTicks + Int64(index) * audioFrameTicks
        return EncodedSample(
            decodeTime: time, presentationTime: time, duration: audioFrameTicks, isSync: true,
            data: (0..<300).map { UInt8(truncatingIfNeeded: $0 &+ index) })
    }

    /// Appends `seconds` of media on one thread in time order, starting at the given input times.
    /// `clock` (if any) follows media time so publication looks real-time.
    static func feed(
        _ sink: EncodedMediaSink, seconds: Double, videoStart: Int64 = 0, audioStart: Int64 = 0,
        firstFrame: Int = 0, firstAudioFrame: Int = 0, rungCount: Int = 2, audio: Bool = true,
        clock: ManualClock? = nil, clockBaseMs: Int64 = 0, compositionDelay: Int64 = 0,
        sync: ((Int, Int) -> Bool?)? = nil
    ) {
        let frames = Int(seconds * 30)
        let audioFrames = Int(seconds * 48000 / 1024)
        var video = 0
        var sound = 0
        while video < frames || (audio && sound < audioFrames) {
            let videoTime = Double(video) / 30
            let audioTime = Double(sound) * 1024 / 48000
            if video < frames && (!audio || sound >= audioFrames || videoTime <= audioTime) {
                clock?.set(clockBaseMs + Int64(videoTime * 1000) + 100)
                for rung in 0..<rungCount {
                    let index = firstFrame + video
                    let pts = videoStart + Int64(index) * frameTicks
                    let isSync = sync?(rung, index) ?? (video == 0 || pts % 180000 == 0)
                    sink.append(
                        Self.video(
                            index, rung: rung, startTicks: videoStart, compositionDelay: compositionDelay,
                            isSync: isSync),
                        track: rung)
                }
                video += 1
            } else {
                clock?.set(clockBaseMs + Int64(audioTime * 1000) + 100)
                sink.append(Self.audio(firstAudioFrame + sound, startTicks: audioStart), track: rungCount)
                sound += 1
            }
        }
    }
}

/// Wall clock under test control.
final class ManualClock: Sendable {
    private let milliseconds: Locked<Int64>

    init(_ start: Int64 = 1_795_255_200_000) {
        milliseconds = Locked(start)
    }

    var base: Int64 { 1_795_255_200_000 }

    func set(_ value: Int64) {
        milliseconds.withLock { $0 = value }
    }

    func advance(_ delta: Int64) {
        milliseconds.withLock { $0 += delta }
    }

    var now: Date { Date(timeIntervalSince1970: Double(milliseconds.withLock { $0 }) / 1000) }
    var nowMs: Int64 { milliseconds.withLock { $0 } }
}

/// Reads a stream back from the store the way a player would.
struct StoredStream {
    let store: SegmentStore
    let name: String

    func text(_ path: String) -> String? {
        store.get(stream: name, path: path).map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// Segment URIs of a media playlist (relative to the rendition directory).
    func segmentURIs(_ rendition: String) -> [String] {
        (text("\(rendition)/index.m3u8") ?? "").split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
    }

    func durations(_ rendition: String) -> [Double] {
        (text("\(rendition)/index.m3u8") ?? "").split(separator: "\n").compactMap { line in
            line.hasPrefix("#EXTINF:") ? Double(line.dropFirst(8).dropLast()) : nil
        }
    }

    func tagValue(_ rendition: String, _ tag: String) -> String? {
        (text("\(rendition)/index.m3u8") ?? "").split(separator: "\n").first { $0.hasPrefix(tag + ":") }
            .map { String($0.dropFirst(tag.count + 1)) }
    }

    /// The first fragment of a listed segment, decoded.
    func fragment(_ rendition: String, _ uri: String, video: Bool) throws -> TestFragment {
        let file = try #require(store.get(stream: name, path: "\(rendition)/\(uri)"))
        let defaults = video ? SampleFlags.nonSync.rawValue : SampleFlags.sync.rawValue
        return try #require(parseTestSegment(file.bytes, trexDefaultFlags: defaults).first)
    }

    /// Every URI advertised by the master and media playlists (and the MPD's init/segments).
    func advertisedPaths() -> [String] {
        guard let master = text("master.m3u8") else { return [] }
        var paths: [String] = []
        var renditions: [String] = []
        for line in master.split(separator: "\n") {
            if !line.hasPrefix("#") {
                renditions.append(String(line.split(separator: "/")[0]))
            } else if let range = line.range(of: "URI=\"") {
                renditions.append(String(line[range.upperBound...].split(separator: "/")[0]))
            }
        }
        for rendition in renditions {
            paths.append("\(rendition)/index.m3u8")
            for line in (text("\(rendition)/index.m3u8") ?? "").split(separator: "\n") {
                if !line.hasPrefix("#") { paths.append("\(rendition)/\(line)") }
                if let range = line.range(of: "#EXT-X-MAP:URI=\"") {
                    paths.append("\(rendition)/\(line[range.upperBound...].dropLast())")
                }
            }
        }
        return paths
    }
}

/// Tiny regex-free attribute reader for MPD assertions.
func attribute(_ name: String, in element: Substring) -> String? {
    guard let range = element.range(of: " \(name)=\"") else { return nil }
    return String(element[range.upperBound...].prefix { $0 != "\"" })
}

/// `<S t= d= r=/>` entries of each SegmentTimeline in the MPD, expanded to (t, d) per segment.
func expandedTimelines(_ mpd: String) -> [[(t: Int64, d: Int64)]] {
    var result: [[(Int64, Int64)]] = []
    for block in mpd.components(separatedBy: "<SegmentTimeline>").dropFirst() {
        var entries: [(Int64, Int64)] = []
        var next: Int64 = 0
        let body = block.components(separatedBy: "</SegmentTimeline>")[0]
        for element in body.components(separatedBy: "<S ").dropFirst() {
            let line = Substring(" " + element)
            let d = Int64(attribute("d", in: line) ?? "0") ?? 0
            let r = Int(attribute("r", in: line) ?? "0") ?? 0
            var t = Int64(attribute("t", in: line) ?? "") ?? next
            for _ in 0...r {
                entries.append((t, d))
                t += d
            }
            next = t
        }
        result.append(entries)
    }
    return result
}

/// Half an AAC frame at 48 kHz (the most the nearest-frame audio cut may miss a video cut by).
let halfAudioFrame: Double = 1024.0 / 48000 / 2 + 1e-9

/// Seconds between an audio fragment's first sample and a video instant given in 90 kHz ticks.
func audioOffset(_ audio: TestFragment, videoTicks: UInt64) -> Double {
    let audioSeconds = Double(audio.decodeTime) / 48000
    let videoSeconds = Double(videoTicks) / 90000
    return abs(audioSeconds - videoSeconds)
}
