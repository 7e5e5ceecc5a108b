import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderProfile

typealias Reported = ReportedIssue

/// The issues `yaml` (as profiles/x.yaml) is refused with; records a test issue if it parses.
func issues(_ yaml: String) -> [Reported] {
    do throws(ProfileError) {
        let profile = try ProfileLoader.parse(yaml: yaml, file: "profiles/x.yaml")
        Issue.record("expected issues, parsed \(profile)")
        return []
    } catch {
        #expect(error.issues.allSatisfy { $0.file == "profiles/x.yaml" })
        return error.issues.map(Reported.init)
    }
}

@Suite struct ProfileLoaderTests {
    @Test func parsesTheDesignExample() throws {
        let yaml = """
            name: default
            segment_seconds: 2
            window_segments: 6
            video:
              encoder: libx264
              preset: veryfast
              renditions:
                - { name: 720p, width: 1280, height: 720, bitrate: 2800k, maxrate: 3000k, profile: high }
                - { name: 480p, height: 480, bitrate: 1400k, profile: main, fps: 30 }
                - { name: source, copy: true }
            audio: { codec: aac, bitrate: 128k, channels: 2, sample_rate: 48000 }
            """
        let profile = try ProfileLoader.parse(yaml: yaml, file: "default.yaml")
        #expect(profile.name == "default")
        #expect(profile.segmentSeconds == 2)
        #expect(profile.windowSegments == 6)
        #expect(profile.video.encoder == "libx264")
        #expect(profile.video.preset == "veryfast")
        #expect(
            profile.video.renditions == [
                RenditionSpec(
                    name: "720p", width: 1280, height: 720, bitrate: 2_800_000, maxrate: 3_000_000, profile: "high"),
                RenditionSpec(name: "480p", height: 480, bitrate: 1_400_000, profile: "main", fps: 30),
                RenditionSpec(name: "source", copy: true),
            ])
        #expect(profile.audio == AudioSpec(codec: .aac, bitrate: 128_000, channels: 2, sampleRate: 48000))
    }

    @Test func appliesDefaults() throws {
        let yaml = """
            video:
              renditions:
                - name: 360p
                  height: 360
                  bitrate: 800000
            """
        let profile = try ProfileLoader.parse(yaml: yaml, file: "profiles/small.yaml")
        #expect(profile.name == "small")
        #expect(profile.segmentSeconds == 2)
        #expect(profile.windowSegments == 6)
        #expect(profile.video.encoder == "libx264")
        #expect(profile.video.preset == "veryfast")
        #expect(profile.video.renditions == [RenditionSpec(name: "360p", height: 360, bitrate: 800_000)])
        #expect(profile.audio == ProfileLoader.defaultAudio)
    }

    @Test func readsEveryRenditionKey() throws {
        let yaml = """
            segment_seconds: 0.5
            video:
              renditions:
                - name: hi_res-1
                  width: 1280
                  height: 720
                  bitrate: 2.5M
                  maxrate: 3M
                  bufsize: 4500k
                  profile: baseline
                  level: 4
                  preset: slow
                  fps: 30000/1001
            audio: { bitrate: 64k, channels: 1, sample_rate: 44100, audio_only_variant: true }
            """
        let profile = try ProfileLoader.parse(yaml: yaml, file: "p.yaml")
        #expect(profile.segmentSeconds == 0.5)
        let rendition = try #require(profile.video.renditions.first)
        #expect(rendition.name == "hi_res-1")
        #expect(rendition.bitrate == 2_500_000)
        #expect(rendition.maxrate == 3_000_000)
        #expect(rendition.bufsize == 4_500_000)
        #expect(rendition.profile == "baseline")
        #expect(rendition.level == "4.0")
        #expect(rendition.preset == "slow")
        #expect(abs((rendition.fps ?? 0) - 29.97) < 0.001)
        #expect(
            profile.audio
                == AudioSpec(codec: .aac, bitrate: 64_000, channels: 1, sampleRate: 44100, audioOnlyVariant: true))
    }

    @Test(arguments: ["none", "false"])
    func audioCanBeDropped(value: String) throws {
        let yaml = """
            video:
              renditions: [{ name: a, height: 360, bitrate: 800k }]
            audio: \(value)
            """
        #expect(try ProfileLoader.parse(yaml: yaml, file: "p.yaml").audio == nil)
    }

    @Test func levelsAreNormalized() throws {
        let yaml = """
            video:
              renditions:
                - { name: a, height: 360, bitrate: 800k, level: 3.1 }
                - { name: b, height: 360, bitrate: 800k, level: "4.0" }
                - { name: c, height: 360, bitrate: 800k, level: 1b }
            """
        let levels = try ProfileLoader.parse(yaml: yaml, file: "p.yaml").video.renditions.map(\.level)
        #expect(levels == ["3.1", "4.0", "1b"])
    }

    // MARK: Line-accurate errors, one kind at a time

    @Test func negativeBitrate() {
        let yaml = """
            name: x
            video:
              renditions:
                - name: 720p
                  height: 720
                  bitrate: -800k
            """
        #expect(issues(yaml) == [Reported(6, 16, "video.renditions[0].bitrate", "negative bitrate \"-800k\"")])
    }

    @Test func issueDescriptionIsOneCompilerStyleLine() throws {
        let yaml = """
            video:
              renditions:
                - { name: 720p, height: 720, bitrate: 2800k }
                - { name: 480p, height: 480, bitrate: -800k }
            """
        let error = try #require(throws: ProfileError.self) {
            try ProfileLoader.parse(yaml: yaml, file: "profiles/x.yaml")
        }
        #expect(
            error.description == "profiles/x.yaml:4:43: video.renditions[1].bitrate: negative bitrate \"-800k\"")
    }

    @Test func zeroBitrate() {
        let yaml = """
            video:
              renditions:
                - { name: a, height: 360, bitrate: 0 }
            """
        #expect(
            issues(yaml) == [Reported(3, 40, "video.renditions[0].bitrate", "bitrate must be positive, found \"0\"")])
    }

    @Test func unknownKeySuggestsTheClosest() {
        let yaml = """
            name: x
            segment_second: 2
            video:
              renditions:
                - name: a
                  height: 360
                  bitrat: 800k
            """
        #expect(
            issues(yaml) == [
                Reported(2, 1, "segment_second", "unknown key \"segment_second\" (did you mean \"segment_seconds\"?)"),
                Reported(5, 7, "video.renditions[0].bitrate", "required key is missing"),
                Reported(
                    7, 7, "video.renditions[0].bitrat", "unknown key \"bitrat\" (did you mean \"bitrate\"?)"),
            ])
    }

    @Test func unknownKeyWithoutCloseMatchListsTheKnownKeys() {
        let yaml = """
            video:
              renditions: [{ name: a, height: 360, bitrate: 800k }]
            audio: { codec: aac, loudness: -23 }
            """
        #expect(
            issues(yaml) == [
                Reported(
                    3, 22, "audio.loudness",
                    "unknown key \"loudness\" (known keys: codec, bitrate, channels, sample_rate, audio_only_variant)")
            ])
    }

    @Test func wrongTypes() {
        let yaml = """
            window_segments: six
            video:
              renditions:
                - name: a
                  height: [360]
                  bitrate: 800k
                  copy: maybe
              preset: { fast: true }
            audio: stereo
            """
        #expect(
            issues(yaml) == [
                Reported(1, 18, "window_segments", "expected a whole number, found \"six\""),
                Reported(5, 15, "video.renditions[0].height", "expected a whole number, found a list"),
                Reported(7, 13, "video.renditions[0].copy", "expected true or false, found \"maybe\""),
                Reported(8, 11, "video.preset", "expected a text value, found a mapping"),
                Reported(9, 8, "audio", "expected an audio mapping, or none to drop the audio, found \"stereo\""),
            ])
    }

    @Test func profileNameMustBePrintable() {
        let yaml = "name: \"a\\nb\"\nvideo: { renditions: [{ name: a, height: 360, bitrate: 800k }] }\n"
        #expect(issues(yaml) == [Reported(1, 7, "name", "name must be 1 to 64 printable characters")])
    }

    @Test func topLevelMustBeAMapping() {
        #expect(
            issues("- a\n- b\n") == [Reported(1, 1, "", "expected a mapping of keys, found a list")])
    }

    @Test func oddAndTooSmallDimensions() {
        let yaml = """
            video:
              renditions:
                - { name: a, width: 853, height: 480, bitrate: 1400k }
                - { name: b, height: 0, bitrate: 300k }
                - { name: c, height: 9000, bitrate: 300k }
            """
        #expect(
            issues(yaml) == [
                Reported(
                    3, 25, "video.renditions[0].width", "odd width 853 (H.264 4:2:0 video needs even dimensions)"),
                Reported(4, 26, "video.renditions[1].height", "height must be at least 2, found 0"),
                Reported(5, 26, "video.renditions[2].height", "height 9000 is above the maximum 8192"),
            ])
    }

    @Test func unknownPresetProfileLevelEncoder() {
        let yaml = """
            video:
              encoder: libx265
              preset: veryfastt
              renditions:
                - { name: a, height: 360, bitrate: 800k, profile: high10, level: 7 }
                - { name: b, height: 240, bitrate: 300k, preset: turbo }
            """
        let presets = "ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow, placebo"
        let levels = "1, 1b, 1.1, 1.2, 1.3, 2, 2.1, 2.2, 3, 3.1, 3.2, 4, 4.1, 4.2, 5, 5.1, 5.2, 6, 6.1, 6.2"
        #expect(
            issues(yaml) == [
                Reported(
                    2, 12, "video.encoder", "unknown encoder \"libx265\" (did you mean \"libx264\"? one of: libx264)"),
                Reported(
                    3, 11, "video.preset",
                    "unknown x264 preset \"veryfastt\" (did you mean \"veryfast\"? one of: \(presets))"),
                Reported(
                    5, 55, "video.renditions[0].profile",
                    "unknown H.264 profile \"high10\" (did you mean \"high\"? one of: baseline, main, high)"),
                Reported(5, 70, "video.renditions[0].level", "unknown H.264 level 7 (one of: \(levels))"),
                Reported(6, 54, "video.renditions[1].preset", "unknown x264 preset \"turbo\" (one of: \(presets))"),
            ])
    }

    @Test func duplicateRenditionNames() {
        let yaml = """
            video:
              renditions:
                - name: 720p
                  height: 720
                  bitrate: 2800k
                - name: 720p
                  height: 480
                  bitrate: 1400k
            """
        #expect(
            issues(yaml) == [
                Reported(6, 13, "video.renditions[1].name", "duplicate rendition name \"720p\" (first used at line 3)")
            ])
    }

    @Test func renditionNamesMustBeURLSafe() {
        let yaml = """
            video:
              renditions:
                - { name: "7 20p", height: 720, bitrate: 2800k }
                - { name: audio, height: 480, bitrate: 1400k }
            """
        #expect(
            issues(yaml) == [
                Reported(
                    3, 15, "video.renditions[0].name",
                    "rendition name \"7 20p\" must be 1 to 64 characters of A-Z, a-z, 0-9, _ or - (it is used in URLs)"),
                Reported(
                    4, 15, "video.renditions[1].name", "rendition name \"audio\" is reserved for the audio rendition"),
            ])
    }

    @Test func segmentAndWindowRanges() {
        let yaml = """
            segment_seconds: 45
            window_segments: 1
            video:
              renditions: [{ name: a, height: 360, bitrate: 800k }]
            """
        #expect(
            issues(yaml) == [
                Reported(1, 18, "segment_seconds", "segment_seconds must be between 0.5 and 30, found 45"),
                Reported(2, 18, "window_segments", "window_segments must be at least 2, found 1"),
            ])
        #expect(
            issues("segment_seconds: 0.25\nvideo: { renditions: [{ name: a, height: 360, bitrate: 800k }] }")
                == [Reported(1, 18, "segment_seconds", "segment_seconds must be between 0.5 and 30, found 0.25")])
    }

    @Test func lowLatencyKeys() throws {
        let profile = try ProfileLoader.parse(
            yaml: """
                part_seconds: 0.2
                video:
                  lookahead_frames: 5
                  bframes: 1
                  renditions: [{ name: a, height: 360, bitrate: 800k }]
                """, file: "profiles/x.yaml")
        #expect(profile.partSeconds == 0.2)
        #expect(profile.video.lookaheadFrames == 5 && profile.video.bframes == 1)
        #expect(profile.video.encoderDelayFrames(preset: "veryfast") == 6)
        let defaults = try ProfileLoader.parse(
            yaml: "video: { renditions: [{ name: a, height: 360, bitrate: 800k }] }", file: "profiles/x.yaml")
        #expect(defaults.partSeconds == 0 && defaults.video.lookaheadFrames == nil)
        #expect(defaults.video.encoderDelayFrames(preset: "veryfast") == 13, "x264 veryfast: lookahead 10, 3 B-frames")
    }

    @Test func lowLatencyRanges() {
        let yaml = """
            segment_seconds: 2
            part_seconds: 1.5
            video:
              lookahead_frames: 61
              bframes: -1
              renditions: [{ name: a, height: 360, bitrate: 800k }]
            """
        #expect(
            issues(yaml) == [
                Reported(
                    2, 15, "part_seconds",
                    "part_seconds must be 0 (off) or between 0.1 and 2 and at most half of segment_seconds, found 1.5"),
                Reported(4, 21, "video.lookahead_frames", "lookahead_frames must be between 0 and 60, found 61"),
                Reported(5, 12, "video.bframes", "bframes must be between 0 and 16, found -1"),
            ])
    }

    @Test func noRenditions() {
        #expect(
            issues("video:\n  renditions: []\n")
                == [Reported(2, 15, "video.renditions", "no renditions: list at least one")])
        #expect(
            issues("name: x\nvideo:\n  preset: fast\n")
                == [Reported(3, 3, "video.renditions", "no renditions: list at least one under video.renditions")])
        #expect(issues("name: x\n") == [Reported(1, 1, "video", "required key is missing")])
    }

    @Test func audioChecks() {
        let yaml = """
            video:
              renditions: [{ name: a, height: 360, bitrate: 800k }]
            audio:
              codec: opus
              bitrate: 2M
              channels: 6
              sample_rate: 44000
            """
        let rates = "7350, 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000"
        #expect(
            issues(yaml) == [
                Reported(4, 10, "audio.codec", "unknown audio codec \"opus\" (one of: aac)"),
                Reported(5, 12, "audio.bitrate", "AAC bitrate 2000k is outside 8k to 512k"),
                Reported(6, 13, "audio.channels", "channels must be 1 (mono) or 2 (stereo), found 6"),
                Reported(
                    7, 16, "audio.sample_rate", "sample_rate 44000 is not an AAC sampling rate (one of: \(rates))"),
            ])
    }

    @Test func frameRateMustBePositive() {
        let yaml = """
            video:
              renditions:
                - { name: a, height: 360, bitrate: 800k, fps: 0 }
                - { name: b, height: 240, bitrate: 300k, fps: -30 }
                - { name: c, height: 240, bitrate: 300k, fps: 30/0 }
            """
        #expect(
            issues(yaml) == [
                Reported(3, 51, "video.renditions[0].fps", "fps must be positive, found 0"),
                Reported(4, 51, "video.renditions[1].fps", "fps must be positive, found -30"),
                Reported(
                    5, 51, "video.renditions[2].fps", "expected a frame rate like 30 or 30000/1001, found \"30/0\""),
            ])
    }

    @Test func copyRenditionTakesOnlyAName() {
        let yaml = """
            video:
              renditions:
                - name: source
                  copy: true
                  height: 720
                  bitrate: 3M
                - { name: again, copy: yes }
            """
        #expect(
            issues(yaml) == [
                Reported(
                    5, 15, "video.renditions[0].height",
                    "a copy rendition passes the source through unchanged and takes no height"),
                Reported(
                    6, 16, "video.renditions[0].bitrate",
                    "a copy rendition passes the source through unchanged and takes no bitrate"),
                Reported(7, 7, "video.renditions[1]", "only one copy rendition is allowed (the first is at line 3)"),
            ])
    }

    @Test func transcodedRenditionNeedsASize() {
        let yaml = """
            video:
              renditions:
                - name: a
                  bitrate: 800k
            """
        #expect(
            issues(yaml) == [
                Reported(
                    3, 7, "video.renditions[0]",
                    "a transcoded rendition needs a height and/or width (or copy: true to pass the source through)")
            ])
    }

    @Test func maxrateBelowBitrate() {
        let yaml = """
            video:
              renditions:
                - { name: a, height: 360, bitrate: 800k, maxrate: 700k }
            """
        #expect(
            issues(yaml) == [Reported(3, 55, "video.renditions[0].maxrate", "maxrate 700k is below bitrate 800k")])
    }

    @Test func malformedYAMLReportsTheParserLine() {
        let yaml = """
            name: x
            video:
              renditions:
                - { name: a, height: 360, bitrate: 800k
                - { name: b }
            """
        let reported = issues(yaml)
        #expect(reported.count == 1)
        #expect(reported.first?.line == 5)
        #expect(reported.first?.path == "")
        #expect(reported.first?.message.hasPrefix("invalid YAML:") == true)
    }

    @Test func badIndentationIsASyntaxError() {
        let yaml = "video:\n  renditions:\n    - name: a\n   height: 360\n"
        let reported = issues(yaml)
        #expect(reported.map(\.line) == [4])
        #expect(reported.first?.message.hasPrefix("invalid YAML:") == true)
    }

    @Test func duplicateYAMLKey() {
        let yaml = "name: a\nname: b\nvideo: { renditions: [{ name: a, height: 360, bitrate: 800k }] }\n"
        let reported = issues(yaml)
        #expect(reported.map(\.message) == ["duplicate key \"name\" (a key may appear only once in a mapping)"])
        #expect(reported.first?.line == 1)
    }

    @Test func emptyFile() {
        #expect(issues("# only a comment\n") == [Reported(1, 1, "", "the profile is empty")])
    }

    @Test func reportsEveryIssueInFileOrder() {
        let yaml = """
            name: x
            segment_seconds: 0
            window_segments: 1
            video:
              encoder: nvenc
              renditions:
                - { name: 720p, width: 1281, height: 720, bitrate: 2800k }
                - { name: 720p, height: 480, bitrate: -1400k }
            audio: { channels: 3 }
            """
        let reported = issues(yaml)
        #expect(reported.map(\.line) == [2, 3, 5, 7, 8, 8, 9])
        #expect(
            reported.map(\.path) == [
                "segment_seconds", "window_segments", "video.encoder", "video.renditions[0].width",
                "video.renditions[1].name", "video.renditions[1].bitrate", "audio.channels",
            ])
    }

    @Test func aliasBombIsBounded() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1..<9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            yaml += "a\(level): &a\(level) [\(refs)]\n"
        }
        let reported = issues(yaml)
        #expect(reported.count == 1)
        #expect(reported.first?.message.hasPrefix("document too large") == true)
    }

    @Test func deepNestingIsBounded() {
        let yaml = "video: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "\n"
        let reported = issues(yaml)
        #expect(reported.count == 1)
        #expect(reported.first?.message.hasPrefix("nested more than") == true)
    }

    @Test func missingFile() throws {
        let error = try #require(throws: ProfileError.self) {
            try ProfileLoader.load(path: "/nonexistent/profile.yaml")
        }
        #expect(error.description == "/nonexistent/profile.yaml: no such file")
    }
}
