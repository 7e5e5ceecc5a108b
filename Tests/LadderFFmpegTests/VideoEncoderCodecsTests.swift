import LadderMedia
import Testing

@testable import LadderFFmpeg

/// libx265, libvpx-vp9 and libaom-av1 as the rungs use them: key frames exactly where forced,
/// the configuration read from the encoder's own headers, samples in each binding's form.
@Suite("VideoEncoder codecs")
struct VideoEncoderCodecsTests {
    static func settings(_ codec: VideoCodec, width: Int = 320, height: Int = 180) -> VideoEncoderSettings {
        VideoEncoderSettings(
            width: width, height: height, frameRate: 30, bitrate: 300_000, coding: VideoCoding(codec: codec),
            keyframeInterval: 300)
    }

    /// Encodes 20 moving pictures forcing key frames at 0 and 7; returns the key frames' pts and
    /// every packet as a sample.
    static func encode(
        _ codec: VideoCodec
    ) throws -> (keyframes: [Int64], samples: [[UInt8]], format: VideoSampleFormat) {
        let encoder = try VideoEncoder(settings: settings(codec))
        let format = try encoder.sampleFormat()
        var keyframes: [Int64] = []
        var samples: [[UInt8]] = []
        let collect: (Packet) throws -> Void = { packet in
            if packet.isKeyframe, let pts = packet.pts { keyframes.append(pts) }
            samples.append(try format.sample(fromPacket: packet.bytes, isKeyframe: packet.isKeyframe))
        }
        let frame = try Frame()
        for index in 0..<20 {
            try frame.allocateYUV420Picture(width: 320, height: 180)
            try frame.fillGrey()
            frame.pts = Int64(index) * 3000
            frame.setForcedKeyframe(index == 0 || index == 7)
            try encoder.encode(frame, collect)
        }
        try encoder.encode(nil, collect)
        return (keyframes, samples, format)
    }

    @Test(arguments: [VideoCodec.hevc, .vp9, .av1])
    func keyFramesComeExactlyWhereForced(codec: VideoCodec) throws {
        let result = try Self.encode(codec)
        #expect(result.samples.count == 20)
        #expect(result.keyframes == [0, 21000], "\(codec)")
    }

    @Test func hevcSamplesAreLengthPrefixedWithParameterSetsOnlyInHvcC() throws {
        let result = try Self.encode(.hevc)
        #expect(result.format.codecString.hasPrefix("hvc1.1.6.L"))
        let record = try HEVCDecoderConfigurationRecord(bytes: result.format.decoderConfig)
        #expect(record.arrays.map(\.type) == [32, 33, 34])
        for sample in result.samples {
            let types = try NALUnits.splitLengthPrefixed(sample).compactMap { NALUnits.hevcType($0) }
            #expect(!types.isEmpty && !types.contains { (32...35).contains($0) }, "\(types)")
        }
    }

    @Test func vp9AndAV1HeadersGiveTheirCodecStrings() throws {
        let vp9 = try Self.encode(.vp9)
        #expect(vp9.format.codecString == "vp09.00.11.08")  // 320x180x30: level 1.1
        #expect(try VP9KeyFrameHeader(frame: vp9.samples[0]).width == 320)
        let av1 = try Self.encode(.av1)
        #expect(av1.format.codecString.hasPrefix("av01.0.") && av1.format.codecString.hasSuffix("M.08"))
        // Samples carry no temporal delimiter; the key frames keep their sequence header.
        for sample in av1.samples {
            #expect(try AV1OBUs.split(sample).first?.type != AV1OBUs.temporalDelimiter)
        }
        #expect(try AV1OBUs.split(av1.samples[0]).contains { $0.type == AV1OBUs.sequenceHeader })
    }

    /// Threads must not add delay: x264 gets sliced threads, so with no lookahead and no
    /// B-frames a picture still comes out at once (frame threads would hold one per thread).
    @Test func moreThreadsAddNoFrameDelay() throws {
        for threads in [1, 4] {
            let settings = VideoEncoderSettings(
                width: 640, height: 360, frameRate: 30, bitrate: 600_000,
                coding: VideoCoding(codec: .h264, preset: "veryfast", threads: threads), keyframeInterval: 300,
                lookaheadFrames: 0, bframes: 0)
            let encoder = try VideoEncoder(settings: settings)
            let frame = try Frame()
            var firstOut: Int?
            for index in 0..<10 where firstOut == nil {
                try frame.allocateYUV420Picture(width: 640, height: 360)
                try frame.fillGrey()
                frame.pts = Int64(index) * 3000
                try encoder.encode(frame) { _ in firstOut = firstOut ?? index }
            }
            #expect((firstOut ?? 99) <= 1, "\(threads) threads: first packet after picture \(firstOut ?? -1)")
        }
    }

    @Test func aHardwareEncoderWithoutItsDeviceIsAnFFmpegError() {
        var settings = Self.settings(.h264)
        settings.coding = VideoCoding(codec: .h264, encoder: "h264_nvenc")
        // No NVIDIA device here: opening fails with FFmpeg's reason (the rung then falls back).
        #expect(throws: FFmpegError.self) { try VideoEncoder(settings: settings) }
    }
}
