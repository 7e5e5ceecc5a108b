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

    /// Frames in before the first packet comes out: the encoder's delay (lookahead + B-frames).
    private func framesBeforeFirstPacket(lookahead: Int?, bframes: Int?) throws -> Int {
        let settings = VideoEncoderSettings(
            width: 320, height: 180, frameRate: 30, bitrate: 300_000, preset: "veryfast", keyframeInterval: 300,
            lookaheadFrames: lookahead, bframes: bframes)
        let encoder = try VideoEncoder(settings: settings)
        let frame = try Frame()
        for index in 0..<40 {
            try frame.allocateYUV420Picture(width: 320, height: 180)
            frame.pts = Int64(index) * 3000
            var out = false
            try encoder.encode(frame) { _ in out = true }
            if out { return index }
        }
        return -1
    }

    @Test func lookaheadAndBFramesSetTheEncoderDelay() throws {
        let none = try framesBeforeFirstPacket(lookahead: 0, bframes: 0)
        let knobs = try framesBeforeFirstPacket(lookahead: 5, bframes: 1)
        let preset = try framesBeforeFirstPacket(lookahead: nil, bframes: nil)
        // x264 keeps one picture even with neither (measured here: 0 + 0 -> 1 frame).
        #expect(none <= 1, "0 + 0 waits \(none) frames")
        #expect(none < knobs && knobs < preset, "0 + 0: \(none), 5 + 1: \(knobs), veryfast's own: \(preset)")
        #expect(knobs <= 7 && preset <= 14, "at most lookahead + B-frames + 1")
    }

    @Test func unknownPresetIsAnFFmpegError() {
        let settings = VideoEncoderSettings(
            width: 320, height: 180, frameRate: 30, bitrate: 300_000, maxrate: nil, bufsize: nil, preset: "warp-speed",
            profile: nil, level: nil, keyframeInterval: 60)
        #expect(throws: FFmpegError.self) { try VideoEncoder(settings: settings) }
    }
}
