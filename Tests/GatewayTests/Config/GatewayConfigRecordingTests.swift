import Foundation
import Ladder
import LadderTestSupport
import Testing

@testable import Gateway

/// `recording:`, `admin:`, `reconnect_grace_seconds` and `record: true`.
@Suite struct GatewayConfigRecordingTests {
    func parse(_ yaml: String) throws(GatewayConfigError) -> GatewayConfig {
        try GatewayConfigLoader.parse(yaml: yaml, file: "/etc/gateway/gateway.yaml")
    }

    func issues(_ yaml: String) -> [ReportedIssue] {
        do throws(GatewayConfigError) {
            _ = try parse(yaml)
            return []
        } catch {
            return error.issues.map(ReportedIssue.init)
        }
    }

    @Test func parsesRecordingAdminAndGrace() throws {
        let config = try parse(
            """
            recording: { dir: rec, streams: [a, b], keep_days: 7, max_gigabytes: 1.5, max_backlog_megabytes: 32 }
            admin: { token: 0123456789abcdef-x }
            reconnect_grace_seconds: 0
            streams:
              c: { record: true }
            """)
        let policy = try #require(config.recording)
        #expect(policy.directory == "/etc/gateway/rec")
        #expect(policy.streams == .named(["a", "b", "c"]))
        #expect(abs((policy.keepSeconds ?? 0) - 7 * 86400) < 1e-6)
        #expect(policy.maxBytes == 1_500_000_000)
        #expect(policy.maxBacklogBytes == 32 << 20)
        #expect(config.adminToken == "0123456789abcdef-x")
        #expect(config.reconnectGraceSeconds == 0)
        #expect(!config.description.contains("0123456789abcdef"), "the token is never printed")
    }

    @Test func parsesAdminUsersAndRefusesPlainPasswords() throws {
        let hash = "$2b$12$" + String(repeating: "a", count: 53)
        let config = try parse("admin:\n  users:\n    alice: \"\(hash)\"\n  session_hours: 2\n")
        #expect(config.adminUsers == ["alice": hash] && config.adminToken == nil && config.adminSessionHours == 2)
        #expect(!config.description.contains(hash))
        #expect(
            issues("admin:\n  users:\n    bob: hunter2\n") == [
                ReportedIssue(
                    3, 10, "admin.users.bob",
                    "expected a bcrypt hash such as $2b$12$... (make one with: gateway hash-password); the value is not shown, in case it is a password"
                )
            ])
        #expect(issues("admin:\n  users:\n    \"a b\": \"\(hash)\"\n").map(\.path) == ["admin.users.a b"])
    }

    @Test func defaultsRecordEveryStreamUnlessSomeAreMarked() throws {
        #expect(try parse("recording: { dir: /r }").recording?.streams == .all)
        #expect(try parse("recording: { dir: /r, streams: all }").recording?.streams == .all)
        let marked = try parse("recording: { dir: /r }\nstreams: { a: { record: true }, b: {} }")
        #expect(marked.recording?.streams == .named(["a"]))
        #expect(try parse("http: {}").reconnectGraceSeconds == 10)
        #expect(try parse("http: {}").recording == nil)
    }

    @Test func aSlatePictureMustExist() throws {
        let config = try GatewayConfigLoader.parse(
            yaml: "slate: pictures/slate.png", file: "/etc/gateway/gateway.yaml", fileExists: { _ in true })
        #expect(config.slatePath == "/etc/gateway/pictures/slate.png" && !config.slateOff)
        let off = try GatewayConfigLoader.parse(yaml: "slate: off", file: "/g.yaml", fileExists: { _ in false })
        #expect(off.slateOff && off.slatePath == nil)
        do throws(GatewayConfigError) {
            _ = try GatewayConfigLoader.parse(yaml: "\nslate: gone.png", file: "/g.yaml", fileExists: { _ in false })
            Issue.record("a missing slate picture is an error")
        } catch {
            #expect(error.issues.map(ReportedIssue.init) == [ReportedIssue(2, 8, "slate", "cannot read /gone.png")])
        }
    }

    @Test func reportsMistakesWithTheirLines() {
        #expect(
            issues("recording: { keep_days: 2 }").map(\.message) == ["recording needs a dir"])
        #expect(
            issues("recording: { dir: /r, streams: [ok, \"bad name\"] }").first?.message.contains("stream name") == true
        )
        #expect(issues("recording: { dir: /r, keep_days: -1 }").first?.message.contains("keep_days") == true)
        #expect(issues("recording: { dir: /r, colour: red }").first?.message.contains("colour") == true)
        #expect(issues("admin: { token: short }").first?.message.contains("admin.token") == true)
        #expect(issues("reconnect_grace_seconds: 7200").first?.message.contains("reconnect_grace_seconds") == true)
        let unmarked = issues("streams:\n  a: { record: true }")
        #expect(unmarked.first?.line == 2)
        #expect(unmarked.first?.message.contains("no recording section") == true)
    }
}
