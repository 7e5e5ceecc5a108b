import LadderMedia
import Testing

@testable import LadderProfile

@Suite struct ConfigReaderTests {
    private func scalar(_ text: String, _ kind: ConfigScalar.Kind) -> ConfigNode {
        ConfigNode(content: .scalar(ConfigScalar(text: text, kind: kind)), line: 1, column: 1)
    }

    @Test func suggestsPlausibleTypos() {
        let keys = ["name", "segment_seconds", "window_segments", "video", "audio"]
        #expect(ConfigReader.closest(to: "segment-seconds", in: keys) == "segment_seconds")
        #expect(ConfigReader.closest(to: "Window_Segment", in: keys) == "window_segments")
        #expect(ConfigReader.closest(to: "vidoe", in: keys) == "video")
        #expect(ConfigReader.closest(to: "framerate", in: keys) == nil)
        #expect(ConfigReader.closest(to: "", in: []) == nil)
    }

    @Test func editDistance() {
        #expect(ConfigReader.editDistance(Array("kitten"), Array("sitting")) == 3)
        #expect(ConfigReader.editDistance(Array(""), Array("abc")) == 3)
        #expect(ConfigReader.editDistance(Array("same"), Array("same")) == 0)
    }

    @Test func integerForms() {
        #expect(ConfigValue.integer(scalar("1280", .int)) == .success(1280))
        #expect(ConfigValue.integer(scalar("1_000", .int)) == .success(1000))
        #expect(ConfigValue.integer(scalar("0x10", .int)) == .success(16))
        #expect(ConfigValue.integer(scalar("-4", .int)) == .success(-4))
        #expect(ConfigValue.integer(scalar("720", .string)) == .success(720))
        #expect(
            ConfigValue.integer(scalar("12.5", .float))
                == .failure(ConfigValueProblem("expected a whole number, found 12.5")))
        #expect(
            ConfigValue.integer(scalar("true", .bool))
                == .failure(ConfigValueProblem("expected a whole number, found true")))
        #expect(
            ConfigValue.integer(scalar("99999999999999999999", .int))
                == .failure(ConfigValueProblem("expected a whole number, found 99999999999999999999")))
    }

    @Test func numbersAndBools() {
        #expect(ConfigValue.number(scalar("0.5", .float)) == .success(0.5))
        #expect(ConfigValue.number(scalar(".inf", .float)).isFailure)
        #expect(
            ConfigValue.number(scalar("~", .null)) == .failure(ConfigValueProblem("expected a number, found nothing")))
        #expect(ConfigValue.bool(scalar("yes", .bool)) == .success(true))
        #expect(ConfigValue.bool(scalar("Off", .bool)) == .success(false))
        #expect(ConfigValue.bool(scalar("1", .int)).isFailure)
    }

    @Test func quotedScalarsAreStrings() throws {
        guard case .document(let root) = ConfigYAML.compose(yaml: "a: \"12\"\nb: 12\nc: ~\nd: 'yes'\n", file: "f")
        else {
            Issue.record("did not compose")
            return
        }
        guard case .mapping(let entries) = root.content else {
            Issue.record("not a mapping")
            return
        }
        #expect(entries.map(\.value.scalar?.kind) == [.string, .int, .null, .string])
        #expect(entries.map(\.keyLine) == [1, 2, 3, 4])
    }

    @Test func issueDescriptionWithoutPosition() {
        let issue = ConfigIssue(file: "p.yaml", line: 0, column: 0, path: "", message: "no such file")
        #expect(issue.description == "p.yaml: no such file")
        let located = ConfigIssue(file: "p.yaml", line: 3, column: 0, path: "video", message: "x")
        #expect(located.description == "p.yaml:3: video: x")
    }
}
