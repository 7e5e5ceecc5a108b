import Ladder
import NIOConcurrencyHelpers
import NIOCore
import RTMPTestSupport
import RTMPWire

@testable import Gateway

/// In-memory `OriginContent` for the origin's tests.
final class FakeOriginContent: OriginContent {
    private let files: NIOLockedValueBox<[String: [String: OriginFile]]>

    init(_ files: [String: [String: OriginFile]] = [:]) {
        self.files = NIOLockedValueBox(files)
    }

    func file(stream: String, path: String) -> OriginFile? {
        files.withLockedValue { $0[stream]?[path] }
    }

    func streamExists(_ stream: String) -> Bool {
        files.withLockedValue { $0[stream] != nil }
    }

    func liveStreams() -> [String] {
        files.withLockedValue { Array($0.keys) }
    }

    /// One stream "cam1" with a master playlist, an MPD, video and audio init and media segments,
    /// each typed by the store's `StoredFileKind` as `StoreOriginContent` types them.
    static func sample() -> FakeOriginContent {
        func file(_ bytes: [UInt8], _ kind: StoredFileKind, _ cache: CachePolicy) -> OriginFile {
            OriginFile(bytes: bytes, contentType: kind.contentType, cache: cache)
        }
        return FakeOriginContent([
            "cam1": [
                "master.m3u8": file(
                    Array("#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n".utf8), .hlsPlaylist, .liveManifest(maxAgeSeconds: 1)),
                "manifest.mpd": file(
                    Array("<?xml version=\"1.0\"?><MPD/>".utf8), .dashManifest, .liveManifest(maxAgeSeconds: 0)),
                "720p/index.m3u8": file(Array("#EXTM3U\n#EXT-X-ENDLIST\n".utf8), .hlsPlaylist, .endedManifest),
                "720p/init.mp4": file([0, 0, 0, 8, 0x66, 0x74, 0x79, 0x70], .initSegment(.video), .immutable),
                "720p/seg-1.m4s": file(Array(0..<100), .mediaSegment(.video), .immutable),
                "audio/init-1.mp4": file([0, 0, 0, 8, 0x66, 0x74, 0x79, 0x70], .initSegment(.audio), .immutable),
                "audio/seg-1.m4s": file(Array(0..<10), .mediaSegment(.audio), .immutable),
                "thumb.bin": OriginFile(bytes: [1, 2, 3], contentType: "application/x-custom", cache: .immutable),
                "untyped.m4s": OriginFile(bytes: [1], contentType: "", cache: .immutable),
            ]
        ])
    }
}

/// `StatusSource` returning fixed statuses.
struct FakeStatusSource: StatusSource {
    var statuses: [StreamStatus]

    func streams() -> [StreamStatus] { statuses }

    static func sample() -> FakeStatusSource {
        FakeStatusSource(statuses: [
            StreamStatus(
                name: "cam1", state: .live, uptimeSeconds: 12.5, publisherAddress: "10.0.0.2:50000", profile: "default",
                input: .init(
                    videoCodec: "h264", width: 1920, height: 1080, fps: 30, bitrate: 6_000_000, audioCodec: "aac"),
                renditions: [
                    .init(
                        name: "720p", codec: "avc1.64001f", width: 1280, height: 720, targetBitrate: 2_800_000,
                        measuredBitrate: 2_750_000, fps: 30, encoderSpeed: 1.4, droppedFrames: 2, lateFrames: 1)
                ],
                audio: .init(codec: "mp4a.40.2", sampleRate: 48000, channels: 2, bitrate: 128_000, passthrough: true),
                segmentsProduced: 6, ingestDrops: 3, decodeErrors: 0, discontinuities: 1),
            StreamStatus(name: "old", state: .ended, uptimeSeconds: 99),
        ])
    }
}

extension OriginResponder {
    static func fixture(
        content: any OriginContent = FakeOriginContent.sample(),
        statusSource: any StatusSource = FakeStatusSource.sample(),
        viewers: ViewerTracker = ViewerTracker(), settings: OriginSettings = OriginSettings()
    ) -> OriginResponder {
        OriginResponder(content: content, statusSource: statusSource, viewers: viewers, settings: settings)
    }
}
