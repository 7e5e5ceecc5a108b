import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderFFmpeg

@Suite("Demuxer", .enabled(if: MediaFixtures.available, MediaFixtures.skipReason))
struct DemuxerTests {
    @Test func readsStreamsAndPacketsOfAnMP4() throws {
        let path = try MediaFixtures.noisyClip(width: 320, height: 240, seconds: 2)
        let demuxer = try Demuxer(url: path)
        #expect(demuxer.streams.map(\.kind) == [.video(.h264), .audio(.aac)])
        #expect(demuxer.streams[0].width == 320)
        #expect(demuxer.streams[1].sampleRate == 44100)
        #expect(!NALUnits.isAnnexB(demuxer.streams[0].extradata))
        var videoPackets = 0
        while let packet = try demuxer.readPacket() {
            if packet.streamIndex == 0 { videoPackets += 1 }
        }
        #expect(videoPackets > 0)
    }

    @Test func missingFilesAreFFmpegErrors() {
        #expect(throws: FFmpegError.self) { try Demuxer(url: "/nonexistent/ladder-test.mp4") }
    }
}
