import Foundation
import LadderTestSupport
import Testing

@testable import Gateway

/// `playback:` and the per-stream `require_token`.
@Suite struct GatewayConfigPlaybackTests {
    @Test func loadsTheSecretsFileAndThePerStreamOverride() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("playback-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "# rotation: the first signs\nk2 new-secret-0123456789\nk1 old-secret-0123456789\n"
            .write(to: directory.appendingPathComponent("secrets.txt"), atomically: true, encoding: .utf8)
        let configPath = directory.appendingPathComponent("gateway.yaml").path
        try """
        playback: { require_token: true, secret_file: secrets.txt }
        streams:
          lobby: { require_token: false }
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try GatewayConfigLoader.load(path: configPath, checkProfiles: false)
        #expect(config.playback?.secrets.map(\.id) == ["k2", "k1"])
        #expect(config.requiresToken("cam1") && !config.requiresToken("lobby"))
        #expect(!"\(config.playback!)".contains("secret-0123"), "secrets are never printed")

        try "k1 short\n".write(to: directory.appendingPathComponent("secrets.txt"), atomically: true, encoding: .utf8)
        #expect(throws: GatewayConfigError.self) {
            try GatewayConfigLoader.load(path: configPath, checkProfiles: false)
        }
    }

    @Test func reportsMistakes() throws {
        func issues(_ yaml: String) -> [String] {
            do throws(GatewayConfigError) {
                _ = try GatewayConfigLoader.parse(yaml: yaml, file: "/g.yaml")
                return []
            } catch {
                return error.issues.map(\.message)
            }
        }
        #expect(issues("playback: { require_token: true }").first?.contains("secret_file") == true)
        #expect(issues("streams: { a: { require_token: true } }").first?.contains("no playback section") == true)
        #expect(issues("playback: { secret_file: s, colour: red }").first?.contains("colour") == true)
        #expect(try !GatewayConfigLoader.parse(yaml: "http: {}", file: "/g.yaml").requiresToken("a"))
    }
}
