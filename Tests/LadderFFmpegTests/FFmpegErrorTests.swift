import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderFFmpeg

@Suite("FFmpegError")
struct FFmpegErrorTests {
    @Test func carriesFFmpegsMessageAndTheCall() {
        let error = FFmpegError(call: "avcodec_open2(test)", code: FFmpegStatus.invalidArgument)
        #expect(error.message == "Invalid argument")
        #expect(error.description.contains("avcodec_open2(test)"))
    }
}
