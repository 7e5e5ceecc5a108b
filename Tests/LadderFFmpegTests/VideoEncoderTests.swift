import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderFFmpeg

@Suite("VideoEncoder")
struct VideoEncoderTests {
    @Test func libx264WritesAnnexBParameterSetsAndForcedIDRs() throws {
        let settings = VideoEncoderSettings(
            width: 320, height: 180, frameRate: 30, bitrate: 300_000, maxrate: nil, bufsize: nil, preset: "veryfast",
            profile: "main", level: nil, keyframeInterval: 300)
        let encoder = try VideoEncoder(settings: settings)
        #expect(NALUnits.isAnnexB(encoder.extradata))
        let record = try AVCDecoderConfigurationRecord(annexB: encoder.extradata)
        #expect(record.profileIdc == 77)

        var keyframePts: [Int64] = []
        var packets = 0
        let frame = try Frame()
        for index in 0..<20 {
            try frame.allocateYUV420Picture(width: 320, height: 180)
            frame.pts = Int64(index) * 3000
            frame.setForcedKeyframe(index == 0 || index == 7)
            try encoder.encode(frame) { packet in
                packets += 1
                if packet.isKeyframe, let pts = packet.pts { keyframePts.append(pts) }
            }
        }
        try encoder.encode(nil) { packet in
            packets += 1
            if packet.isKeyframe, let pts = packet.pts { keyframePts.append(pts) }
        }
        #expect(packets == 20)
        #expect(keyframePts == [0, 21000])
    }

    @Test func unknownPresetIsAnFFmpegError() {
        let settings = VideoEncoderSettings(
            width: 320, height: 180, frameRate: 30, bitrate: 300_000, maxrate: nil, bufsize: nil, preset: "warp-speed",
            profile: nil, level: nil, keyframeInterval: 60)
        #expect(throws: FFmpegError.self) { try VideoEncoder(settings: settings) }
    }
}
