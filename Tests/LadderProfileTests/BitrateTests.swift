import LadderMedia
import Testing

@testable import LadderProfile

@Suite struct BitrateTests {
    @Test(arguments: [
        ("800000", 800_000), ("800k", 800_000), ("800K", 800_000), ("2.5M", 2_500_000), ("2M", 2_000_000),
        ("0.5M", 500_000), ("1.5k", 1_500), ("96k", 96_000), ("2_800_000", 2_800_000), ("+300k", 300_000),
        ("1000M", 1_000_000_000),
    ])
    func parsesUnits(text: String, bitsPerSecond: Int) {
        #expect(Bitrate.parse(text) == .success(bitsPerSecond))
    }

    @Test func rejectsNegative() {
        #expect(Bitrate.parse("-800k") == .failure(ConfigValueProblem("negative bitrate \"-800k\"")))
    }

    @Test func rejectsZero() {
        #expect(Bitrate.parse("0k") == .failure(ConfigValueProblem("bitrate must be positive, found \"0k\"")))
    }

    @Test(arguments: ["", "k", "fast", "800kb", "8 00k", "2.5.1M", "1e6", "800m", "0x10", ".k"])
    func rejectsMalformed(text: String) {
        guard case .failure(let problem) = Bitrate.parse(text) else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(problem.message.hasPrefix("invalid bitrate"))
    }

    @Test func rejectsFractionalBits() {
        #expect(
            Bitrate.parse("1.0005k")
                == .failure(ConfigValueProblem("bitrate \"1.0005k\" is not a whole number of bits/s")))
    }

    @Test func rejectsAbsurdlyLarge() {
        #expect(
            Bitrate.parse("1001M") == .failure(ConfigValueProblem("bitrate \"1001M\" is too large (at most 1000M)")))
        #expect(Bitrate.parse("999999999999M").isFailure)
    }

    @Test func formatsAsWritten() {
        #expect(Bitrate.format(2_800_000) == "2800k")
        #expect(Bitrate.format(2_500) == "2500")
        #expect(Bitrate.format(999) == "999")
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
