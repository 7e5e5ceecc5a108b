import Foundation
import LadderTestSupport
import Testing

@testable import LadderFFmpeg

/// A slate picture: any image libavformat reads, decoded and scaled to YUV 4:2:0.
@Suite(.enabled(if: MediaFixtures.available, MediaFixtures.skipReason))
struct StillImageTests {
    @Test(arguments: ["png", "jpg"])
    func decodesAndScalesAnImage(format: String) throws {
        let path = try MediaFixtures.make(
            "slate-160x90.\(format)", ["-f", "lavfi", "-i", "color=c=red:size=160x90", "-frames:v", "1"])
        let native = try StillImage.load(path: path)
        #expect(native.width == 160 && native.height == 90 && native.isYUV420P)
        let scaled = try StillImage.load(path: path, width: 640, height: 360)
        #expect(scaled.width == 640 && scaled.height == 360 && scaled.isYUV420P)
    }

    @Test func aFileThatIsNoPictureIsAnErrorWithFFmpegsMessage() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let path = "\(directory.path)/broken.png"
        try Data("not a picture at all".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: FFmpegError.self) { try StillImage.load(path: path) }
        #expect(throws: FFmpegError.self) { try StillImage.load(path: "\(directory.path)/missing.png") }
        do {
            _ = try StillImage.load(path: path)
        } catch {
            #expect("\(error)".contains("broken.png"), "the message names the file: \(error)")
        }
    }
}
