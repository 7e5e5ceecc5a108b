import Foundation
import LadderFFmpeg
import Testing

@Suite struct JPEGEncoderTests {
    @Test func encodesSuccessivePicturesAsJPEGsOfTheThumbnailSize() throws {
        let size = JPEGEncoder.size(sourceWidth: 1280, sourceHeight: 720, maxWidth: 640)
        #expect(size.width == 640 && size.height == 360)
        let encoder = try JPEGEncoder(width: size.width, height: size.height)
        let frame = try Frame()
        var jpegs: [[UInt8]] = []
        // Several pictures in a row: the encoder's timestamps must keep increasing.
        for _ in 0..<3 {
            try frame.allocateYUV420Picture(width: 1280, height: 720)
            jpegs.append(try encoder.encode(frame))
        }
        for jpeg in jpegs {
            #expect(jpeg.prefix(2) == [0xFF, 0xD8] && jpeg.suffix(2) == [0xFF, 0xD9], "SOI ... EOI")
        }
        let path = NSTemporaryDirectory() + "thumbnail-\(UUID().uuidString).jpg"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(jpegs[2]).write(to: URL(fileURLWithPath: path))
        let decoded = try StillImage.load(path: path)
        #expect(decoded.width == 640 && decoded.height == 360)
    }

    @Test func sizesKeepTheAspectAndNeverUpscale() {
        #expect(JPEGEncoder.size(sourceWidth: 426, sourceHeight: 240, maxWidth: 640) == (426, 240))
        #expect(JPEGEncoder.size(sourceWidth: 1920, sourceHeight: 1080, maxWidth: 320) == (320, 180))
        #expect(JPEGEncoder.size(sourceWidth: 720, sourceHeight: 1280, maxWidth: 360) == (360, 640))
    }
}
