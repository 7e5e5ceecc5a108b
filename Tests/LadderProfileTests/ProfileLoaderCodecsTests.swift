import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderProfile

@Suite struct ProfileLoaderCodecsTests {
    @Test func readsEachCodecWithItsKnobs() throws {
        let yaml = """
            video:
              preset: faster
              renditions:
                - { name: a, height: 720, bitrate: 2M }
                - { name: b, codec: hevc, height: 720, bitrate: 1M, preset: superfast, threads: 2 }
                - { name: c, codec: vp9, height: 360, bitrate: 500k, deadline: good, cpu_used: 5, row_mt: false, tile_columns: 1 }
                - { name: d, codec: av1, height: 360, bitrate: 400k, cpu_used: 7 }
                - { name: e, encoder: hevc_nvenc, height: 360, bitrate: 400k, preset: p5 }
            """
        let profile = try ProfileLoader.parse(yaml: yaml, file: "profiles/x.yaml")
        let specs = profile.video.renditions
        #expect(specs.map(\.codec) == [.h264, .hevc, .vp9, .av1, .hevc])
        #expect(specs[1].preset == "superfast" && specs[1].threads == 2)
        #expect(specs[2].deadline == "good" && specs[2].cpuUsed == 5 && specs[2].rowMT == false)
        #expect(specs[2].tileColumns == 1 && specs[3].cpuUsed == 7 && specs[4].encoder == "hevc_nvenc")

        // The planner resolves each rung's encoder and defaults; H.264 takes the ladder's preset.
        let plan = LadderPlanner.plan(profile: profile, source: SourceVideo(width: 1280, height: 720, frameRate: 30))
        let coding = Dictionary(uniqueKeysWithValues: plan.renditions.map { ($0.name, $0.coding) })
        #expect(coding["a"]?.encoder == "libx264" && coding["a"]?.preset == "faster")
        #expect(coding["b"]?.encoder == "libx265" && coding["b"]?.preset == "superfast")
        #expect(coding["c"]?.encoder == "libvpx-vp9" && coding["c"]?.deadline == "good")
        #expect(coding["d"]?.encoder == "libaom-av1" && coding["d"]?.cpuUsed == 7)
        #expect(coding["e"]?.encoder == "hevc_nvenc" && coding["e"]?.isHardware == true)
    }

    @Test func defaultsKeepEveryCodecFast() throws {
        let yaml = """
            video:
              renditions:
                - { name: b, codec: hevc, height: 360, bitrate: 1M }
                - { name: c, codec: vp9, height: 360, bitrate: 500k }
                - { name: d, codec: av1, height: 360, bitrate: 400k }
            """
        let profile = try ProfileLoader.parse(yaml: yaml, file: "profiles/x.yaml")
        let plan = LadderPlanner.plan(profile: profile, source: SourceVideo(width: 640, height: 360, frameRate: 30))
        let coding = plan.renditions.map(\.coding)
        #expect(coding[0].preset == "ultrafast")
        #expect(coding[1].deadline == "realtime" && coding[1].cpuUsed == 8 && coding[1].rowMT == true)
        #expect(coding[2].cpuUsed == 8)
        // Each default runs a 360p rung within one core (the measured table).
        for rendition in plan.renditions {
            let cores = try #require(EncoderCosts.cores(rendition, sourceFrameRate: 30))
            #expect(cores < 0.5, "\(rendition.name): \(cores)")
        }
    }

    @Test func wrongCodecsEncodersAndKnobsAreErrorsWithTheirLines() {
        let yaml = """
            video:
              renditions:
                - { name: a, codec: h266, height: 360, bitrate: 1M }
                - { name: b, encoder: libsvtav1, height: 360, bitrate: 1M }
                - { name: c, codec: vp9, encoder: libx265, height: 360, bitrate: 1M }
                - { name: d, codec: av1, height: 360, bitrate: 1M, preset: fast }
                - { name: e, codec: vp9, height: 360, bitrate: 1M, cpu_used: 12, tile_columns: 9 }
                - { name: f, encoder: h264_vaapi, height: 360, bitrate: 1M, threads: 0 }
                - { name: g, codec: hevc, height: 360, bitrate: 1M, profile: main }
            """
        let found = issues(yaml)
        let byPath = Dictionary(grouping: found, by: \.path)
        #expect(byPath["video.renditions[0].codec"]?.first?.message.contains("unknown codec \"h266\"") == true)
        #expect(byPath["video.renditions[0].codec"]?.first?.line == 3)
        #expect(byPath["video.renditions[1].encoder"]?.first?.message.contains("ignores forced key frames") == true)
        #expect(byPath["video.renditions[2].encoder"]?.first?.message == "encoder libx265 makes hevc, but codec is vp9")
        #expect(
            byPath["video.renditions[3].preset"]?.first?.message
                == "preset applies to h264 and hevc rungs, not av1 (av1 takes cpu_used)")
        #expect(byPath["video.renditions[4].cpu_used"]?.first?.message.contains("between 0 (slowest) and 8") == true)
        #expect(byPath["video.renditions[4].tile_columns"]?.first?.line == 7)
        #expect(byPath["video.renditions[5].encoder"]?.first?.message.contains("needs frames uploaded") == true)
        #expect(byPath["video.renditions[5].threads"]?.first?.message == "threads must be between 1 and 16, found 0")
        #expect(
            byPath["video.renditions[6].profile"]?.first?.message.hasPrefix("profile applies to h264 rungs") == true)
        #expect(found.count == 9, "\(found)")
    }

    @Test func validateShowsCodecEncoderAndCPU() throws {
        let yaml = """
            video:
              renditions:
                - { name: 1080p-hevc, codec: hevc, height: 1080, bitrate: 4M }
                - { name: 360p, height: 360, bitrate: 800k }
            """
        let profile = try ProfileLoader.parse(yaml: yaml, file: "profiles/x.yaml")
        let source = SourceVideo(width: 1920, height: 1080, frameRate: 30)
        let text = LadderPlanner.plan(profile: profile, source: source).describe(profile: profile, source: source)
        #expect(text.contains("1080p-hevc  1920x1080  4000k"))
        #expect(text.contains("hevc   libx265  ultrafast  -        -      1"), "\(text)")
        #expect(text.contains("warning: 1080p-hevc: about 3 cores of work on 1 thread"), "\(text)")
        #expect(text.contains("cpu: about 3.1 cores to encode"), "\(text)")
    }
}
