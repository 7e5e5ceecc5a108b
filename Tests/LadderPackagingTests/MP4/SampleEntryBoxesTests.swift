import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct SampleEntryBoxesTests {
    static let avcC: [UInt8] = [1, 0x64, 0, 0x1F, 0xFF, 0xE1, 0, 4, 0x67, 0x64, 0, 0x1F, 1, 0, 2, 0x68, 0xEE]

    @Test func avc1CarriesSizeConfigAspectAndBitrate() throws {
        var writer = BoxWriter()
        SampleEntryBoxes.writeVisual(
            &writer, type: "avc1", visual: .init(width: 720, height: 576, pixelAspectH: 16, pixelAspectV: 15),
            configType: "avcC", config: Self.avcC,
            bitRate: .init(bufferSizeDB: 0, maxBitrate: 2_000_000, avgBitrate: 1_500_000))
        let entry = try parseTestBoxes(writer.bytes).first("avc1")
        var cursor = entry.cursor(skip: 6)
        #expect(cursor.u16() == 1)  // data_reference_index
        cursor.skip(16)
        #expect(cursor.u16() == 720)
        #expect(cursor.u16() == 576)
        #expect(cursor.u32() == 0x0048_0000)
        cursor.skip(4 + 4)
        #expect(cursor.u16() == 1)  // frame_count
        cursor.skip(32)
        #expect(cursor.u16() == 0x18)
        #expect(cursor.u16() == 0xFFFF)
        let children = try entry.containerChildren()
        #expect(children.types == ["avcC", "pasp", "btrt"])
        #expect(Array(children[0].payload) == Self.avcC)
        var pasp = children[1].cursor()
        #expect(pasp.u32() == 16)
        #expect(pasp.u32() == 15)
        var btrt = children[2].cursor()
        #expect(btrt.u32() == 0)
        #expect(btrt.u32() == 2_000_000)
        #expect(btrt.u32() == 1_500_000)
    }

    @Test func hvc1WithoutBitrate() throws {
        var writer = BoxWriter()
        SampleEntryBoxes.writeVisual(
            &writer, type: "hvc1", visual: .init(width: 1920, height: 1080, pixelAspectH: 1, pixelAspectV: 1),
            configType: "hvcC", config: [1, 2, 3], bitRate: nil)
        let entry = try parseTestBoxes(writer.bytes).first("hvc1")
        #expect(try entry.containerChildren().types == ["hvcC", "pasp"])
        #expect(try Array(entry.find("hvcC").payload) == [1, 2, 3])
    }

    @Test func mp4aCarriesEsdsWithAudioSpecificConfig() throws {
        var writer = BoxWriter()
        SampleEntryBoxes.writeMP4A(
            &writer, channels: 2, sampleRate: 48000, audioSpecificConfig: [0x11, 0x90],
            bitRate: .init(bufferSizeDB: 0, maxBitrate: 128_000, avgBitrate: 128_000))
        let entry = try parseTestBoxes(writer.bytes).first("mp4a")
        var cursor = entry.cursor(skip: 8 + 8)
        #expect(cursor.u16() == 2)
        #expect(cursor.u16() == 16)
        cursor.skip(4)
        #expect(cursor.u32() == 48000 << 16)
        #expect(try entry.containerChildren().types == ["esds", "btrt"])
        let esds = try entry.find("esds")
        #expect(esds.version == 0)
        var descriptor = esds.cursor(skip: 4)
        #expect(descriptor.u8() == 0x03)
        let esLength = Int(descriptor.u8())
        #expect(esLength == descriptor.remaining)
        #expect(descriptor.u16() == 0)  // ES_ID
        #expect(descriptor.u8() == 0)  // flags
        #expect(descriptor.u8() == 0x04)
        _ = descriptor.u8()
        #expect(descriptor.u8() == 0x40)  // Audio ISO/IEC 14496-3
        #expect(descriptor.u8() == 0x15)  // AudioStream, reserved bit
        #expect(descriptor.u24() == 0)
        #expect(descriptor.u32() == 128_000)
        #expect(descriptor.u32() == 128_000)
        #expect(descriptor.u8() == 0x05)
        #expect(descriptor.u8() == 2)
        #expect(descriptor.bytes(2) == [0x11, 0x90])
        #expect(descriptor.bytes(3) == [0x06, 0x01, 0x02])
        #expect(descriptor.remaining == 0)
    }

    @Test func highSampleRateLeavesTheFixedPointFieldZero() throws {
        var writer = BoxWriter()
        SampleEntryBoxes.writeMP4A(
            &writer, channels: 2, sampleRate: 96000, audioSpecificConfig: [0x10, 0x10], bitRate: nil)
        var cursor = try parseTestBoxes(writer.bytes).first("mp4a").cursor(skip: 8 + 8 + 8)
        #expect(cursor.u32() == 0)
    }

    @Test func descriptorSizesUseTheExpandableForm() {
        #expect(ElementaryStreamDescriptor.descriptor(tag: 5, body: [9]) == [5, 1, 9])
        let long = ElementaryStreamDescriptor.descriptor(tag: 5, body: Array(repeating: 0, count: 200))
        #expect(Array(long.prefix(3)) == [5, 0x81, 0x48])  // 200 = 1 * 128 + 72
        #expect(long.count == 203)
    }
}
