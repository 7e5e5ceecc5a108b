import Foundation
import LadderMedia
import Testing

@testable import LadderProfile

/// The example profiles shipped in the repository's profiles/ folder.
private let profilesDirectory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent()  // LadderProfileTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // repository
    .appendingPathComponent("profiles")

private func shippedProfiles() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: profilesDirectory.path)) ?? []
    return names.filter { $0.hasSuffix(".yaml") }.sorted().map { profilesDirectory.appendingPathComponent($0).path }
}

@Suite struct ProfileValidationTests {
    @Test func theExpectedProfilesShip() {
        let names = shippedProfiles().map { URL(fileURLWithPath: $0).lastPathComponent }
        for expected in ["1080p.yaml", "default.yaml", "low-cpu.yaml", "test-small.yaml"] {
            #expect(names.contains(expected))
        }
    }

    @Test(arguments: shippedProfiles())
    func shippedProfileLoadsAndValidates(path: String) throws {
        let profile = try ProfileLoader.load(path: path)
        #expect(profile.name == URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
        let plan = LadderPlanner.plan(profile: profile, source: .nominal)
        #expect(!plan.renditions.isEmpty)
        let report = ProfileValidation.report(path: path)
        #expect(report.ok)
    }

    @Test func defaultProfileMatchesItsDocumentation() throws {
        let profile = try ProfileLoader.load(path: profilesDirectory.appendingPathComponent("default.yaml").path)
        #expect(profile.segmentSeconds == 1)
        #expect(profile.windowSegments == 12)
        #expect(profile.partSeconds == 0.2)
        #expect(profile.video.preset == "veryfast")
        #expect(profile.video.lookaheadFrames == 2 && profile.video.bframes == 1)
        #expect(profile.video.encoderDelayFrames(preset: "veryfast") == 3, "100 ms at 30 fps, as documented")
        let plan = LadderPlanner.plan(profile: profile, source: SourceVideo(width: 1920, height: 1080, frameRate: 30))
        #expect(
            plan.renditions.map { "\($0.width)x\($0.height)@\($0.bitrate ?? 0)" } == [
                "1280x720@2800000", "854x480@1400000", "640x360@800000",
            ])
        #expect(plan.renditions.map(\.profile) == ["high", "main", "main"])
        #expect(plan.renditions.first?.maxrate == 3_000_000)
        #expect(profile.audio == AudioSpec(codec: .aac, bitrate: 128_000, channels: 2, sampleRate: 48000))
    }

    @Test func lowLatencyProfileMatchesItsDocumentation() throws {
        let profile = try ProfileLoader.load(path: profilesDirectory.appendingPathComponent("low-latency.yaml").path)
        let defaults = try ProfileLoader.load(path: profilesDirectory.appendingPathComponent("default.yaml").path)
        #expect(profile.partSeconds == 0.15 && profile.segmentSeconds == 1)
        #expect(profile.video.encoderDelayFrames(preset: profile.video.preset) == 0, "no encoder delay")
        #expect(profile.video.renditions == defaults.video.renditions, "the default ladder")
        #expect(profile.audio == defaults.audio)
    }

    @Test func profilesForOtherSourcesPlanAsDocumented() throws {
        let fullHD = try ProfileLoader.load(path: profilesDirectory.appendingPathComponent("1080p.yaml").path)
        let plan720 = LadderPlanner.plan(profile: fullHD, source: SourceVideo(width: 1280, height: 720, frameRate: 30))
        #expect(plan720.renditions.map(\.name) == ["720p", "480p", "360p"])
        #expect(plan720.skipped.map(\.name) == ["1080p"])

        let lowCPU = try ProfileLoader.load(path: profilesDirectory.appendingPathComponent("low-cpu.yaml").path)
        #expect(lowCPU.video.preset == "superfast")
        let lowPlan = LadderPlanner.plan(profile: lowCPU, source: SourceVideo(width: 1280, height: 720, frameRate: 60))
        #expect(lowPlan.renditions.map(\.isCopy) == [true, false])
        #expect(lowPlan.renditions.last?.frameRate == 30)

        let small = try ProfileLoader.load(path: profilesDirectory.appendingPathComponent("test-small.yaml").path)
        let smallPlan = LadderPlanner.plan(profile: small, source: SourceVideo(width: 640, height: 360, frameRate: 30))
        #expect(smallPlan.renditions.map { "\($0.width)x\($0.height)" } == ["640x360", "426x240"])
        #expect(small.audio?.bitrate == 96_000)
        #expect(small.video.preset == "ultrafast")
    }

    @Test func reportShowsTheLadderTable() throws {
        let path = profilesDirectory.appendingPathComponent("1080p.yaml").path
        let report = ProfileValidation.report(path: path, source: SourceVideo(width: 1280, height: 720, frameRate: 30))
        #expect(report.ok)
        let lines = report.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "\(path): OK")
        #expect(lines.contains("segments: 2 s, live window 6 segments (12 s)"))
        #expect(lines.contains("ladder for a 1280x720 @ 30 fps source:"))
        #expect(lines.contains { $0.hasPrefix("  720p ") && $0.contains("1280x720") && $0.contains("2800k") })
        #expect(lines.contains { $0.hasPrefix("  480p ") && $0.contains("854x480") && $0.contains("1400k") })
        #expect(lines.contains("  skipped: 1080p: 1920x1080 is larger than the source 1280x720 (no upscaling)"))
        #expect(lines.last == "audio: AAC 128k, stereo, 48000 Hz")
    }

    @Test func reportListsEveryIssue() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("validate-\(UUID().uuidString).yaml")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let yaml = "name: broken\nvideo:\n  preset: quick\n  renditions:\n    - { name: a, height: 361, bitrate: 1k }\n"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let report = ProfileValidation.report(path: path)
        #expect(!report.ok)
        #expect(
            report.output.split(separator: "\n").map(String.init) == [
                "\(path):3:11: video.preset: unknown x264 preset \"quick\" (one of: ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow, placebo)",
                "\(path):5:26: video.renditions[0].height: odd height 361 (H.264 4:2:0 video needs even dimensions)",
                "\(path): 2 problems found",
            ])
    }
}
