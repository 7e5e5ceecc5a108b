import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderFFmpeg

@Suite("VideoDecoder", .enabled(if: MediaFixtures.available, MediaFixtures.skipReason))
struct VideoDecoderTests {
    @Test func decodesLengthPrefixedUnitsWithTheRecordAsExtradata() throws {
        let samples = try MediaFixtures.ingestSamples(try MediaFixtures.noisyClip(width: 320, height: 240, seconds: 2))
        guard
            case .videoConfig(let config) = samples.first(where: { if case .videoConfig = $0 { true } else { false } })
        else {
            Issue.record("no configuration")
            return
        }
        let decoder = try VideoDecoder(codec: .h264, record: config.record)
        var pictures: [Frame] = []
        for case .video(let unit) in samples {
            try decoder.decode(try Packet(bytes: unit.data, pts: unit.pts, dts: unit.dts, isKeyframe: unit.isKeyframe))
            {
                pictures.append($0)
            }
        }
        try decoder.decode(nil) { pictures.append($0) }
        #expect(pictures.count == 60)
        #expect(pictures.allSatisfy { $0.width == 320 && $0.height == 240 && $0.isYUV420P })
        #expect(decoder.signalledFrameRate == 30)

        let scaler = try Scaler(scaling: pictures[0], width: 160, height: 90)
        let scaled = try Frame()
        try scaled.allocateYUV420Picture(width: 160, height: 90)
        try scaler.scale(pictures[0], into: scaled)
        #expect(scaled.width == 160 && scaled.height == 90)
        let reference = try pictures[0].reference()
        #expect(reference.width == 320 && reference.pts == pictures[0].pts)
    }
}
