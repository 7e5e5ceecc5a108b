import LadderMedia
import Testing

@testable import LadderProfile

@Suite struct LadderPlannerTests {
    private func profile(_ renditions: [RenditionSpec], segmentSeconds: Double = 2) -> Profile {
        Profile(
            name: "t", segmentSeconds: segmentSeconds, windowSegments: 6,
            video: VideoLadderSpec(encoder: "libx264", preset: "veryfast", renditions: renditions),
            audio: ProfileLoader.defaultAudio)
    }

    private var heightLadder: Profile {
        profile([
            RenditionSpec(name: "1080p", height: 1080, bitrate: 5_000_000),
            RenditionSpec(name: "720p", height: 720, bitrate: 2_800_000),
            RenditionSpec(name: "480p", height: 480, bitrate: 1_400_000),
            RenditionSpec(name: "360p", height: 360, bitrate: 800_000),
            RenditionSpec(name: "240p", height: 240, bitrate: 300_000),
        ])
    }

    private func sizes(_ plan: LadderPlan) -> [String] {
        plan.renditions.map { "\($0.name)=\($0.width)x\($0.height)" }
    }

    @Test func heightAloneKeepsTheAspectWithEvenWidths() {
        let plan = LadderPlanner.plan(
            profile: heightLadder, source: SourceVideo(width: 1920, height: 1080, frameRate: 30))
        #expect(sizes(plan) == ["1080p=1920x1080", "720p=1280x720", "480p=854x480", "360p=640x360", "240p=426x240"])
        #expect(plan.skipped.isEmpty)
    }

    @Test func neverUpscales() {
        let plan = LadderPlanner.plan(
            profile: heightLadder, source: SourceVideo(width: 1280, height: 720, frameRate: 30))
        #expect(sizes(plan) == ["720p=1280x720", "480p=854x480", "360p=640x360", "240p=426x240"])
        #expect(
            plan.skipped == [
                LadderPlan.Skipped(name: "1080p", reason: "1920x1080 is larger than the source 1280x720 (no upscaling)")
            ])
    }

    @Test func widthAloneKeepsTheAspect() {
        let plan = LadderPlanner.plan(
            profile: profile([RenditionSpec(name: "w", width: 640, bitrate: 800_000)]),
            source: SourceVideo(width: 1920, height: 1080, frameRate: nil))
        #expect(sizes(plan) == ["w=640x360"])
    }

    @Test func boxWithAnotherAspectIsFittedInside() {
        let ladder = profile([
            RenditionSpec(name: "720p", width: 1280, height: 720, bitrate: 2_800_000),
            RenditionSpec(name: "480p", width: 854, height: 480, bitrate: 1_400_000),
        ])
        // 4:3 source: pillarbox-free 960x720 and 640x480.
        let fourByThree = LadderPlanner.plan(
            profile: ladder, source: SourceVideo(width: 1440, height: 1080, frameRate: 30))
        #expect(sizes(fourByThree) == ["720p=960x720", "480p=640x480"])
        // 2.39:1 source: the width is the limit.
        let scope = LadderPlanner.plan(profile: ladder, source: SourceVideo(width: 1920, height: 804, frameRate: 24))
        #expect(sizes(scope) == ["720p=1280x536", "480p=854x358"])
        // Same aspect: exactly the box.
        let wide = LadderPlanner.plan(profile: ladder, source: SourceVideo(width: 1920, height: 1080, frameRate: 30))
        #expect(sizes(wide) == ["720p=1280x720", "480p=854x480"])
    }

    @Test func anamorphicSourceUsesTheDisplayAspect() {
        // PAL 4:3 DVD: 720x576 with 16:15 pixels displays as 768x576.
        let pal = SourceVideo(width: 720, height: 576, frameRate: 25, sampleAspectNum: 16, sampleAspectDen: 15)
        let ladder = profile([
            RenditionSpec(name: "576p", height: 576, bitrate: 1_800_000),
            RenditionSpec(name: "480p", height: 480, bitrate: 1_400_000),
            RenditionSpec(name: "360p", height: 360, bitrate: 800_000),
        ])
        let plan = LadderPlanner.plan(profile: ladder, source: pal)
        #expect(sizes(plan) == ["576p=768x576", "480p=640x480", "360p=480x360"])
        #expect(plan.renditions.allSatisfy { $0.sampleAspectNum == 1 && $0.sampleAspectDen == 1 })

        // HDV: 1440x1080 with 4:3 pixels is a 16:9 picture; a 1080p rung is not an upscale.
        let hdv = SourceVideo(width: 1440, height: 1080, frameRate: 25, sampleAspectNum: 4, sampleAspectDen: 3)
        let hdvPlan = LadderPlanner.plan(profile: heightLadder, source: hdv)
        #expect(sizes(hdvPlan).prefix(2) == ["1080p=1920x1080", "720p=1280x720"])
        #expect(hdvPlan.skipped.isEmpty)
    }

    @Test func frameRateCapAndKeyframeInterval() {
        let ladder = profile(
            [
                RenditionSpec(name: "capped", height: 720, bitrate: 2_800_000, fps: 30),
                RenditionSpec(name: "free", height: 360, bitrate: 800_000),
            ], segmentSeconds: 2)
        let sixty = LadderPlanner.plan(profile: ladder, source: SourceVideo(width: 1920, height: 1080, frameRate: 60))
        #expect(sixty.renditions.map(\.frameRate) == [30, 60])
        #expect(sixty.renditions.map(\.maxFrameRate) == [30, nil])
        // Two segments of frames: what x264 gets (IDRs are forced at every segment start).
        #expect(sixty.renditions.map(\.keyframeIntervalFrames) == [120, 240])

        let twentyFive = LadderPlanner.plan(
            profile: ladder, source: SourceVideo(width: 1920, height: 1080, frameRate: 25))
        #expect(twentyFive.renditions.map(\.frameRate) == [25, 25])
        #expect(twentyFive.renditions.map(\.keyframeIntervalFrames) == [100, 100])

        let unknown = LadderPlanner.plan(
            profile: ladder, source: SourceVideo(width: 1920, height: 1080, frameRate: nil))
        #expect(unknown.renditions.map(\.frameRate) == [30, nil])
        // An unknown rate is assumed to be 30 fps, as the encoder is told.
        #expect(unknown.renditions.map(\.keyframeIntervalFrames) == [120, 120])
    }

    @Test func copyKeepsTheSourceAndComesFirst() {
        let ladder = profile([
            RenditionSpec(name: "360p", height: 360, bitrate: 800_000),
            RenditionSpec(name: "source", copy: true),
        ])
        let source = SourceVideo(width: 1440, height: 1080, frameRate: 30, sampleAspectNum: 4, sampleAspectDen: 3)
        let plan = LadderPlanner.plan(profile: ladder, source: source)
        #expect(sizes(plan) == ["source=1440x1080", "360p=640x360"])
        let copy = plan.renditions[0]
        #expect(copy.isCopy)
        #expect(copy.bitrate == nil)
        #expect(copy.keyframeIntervalFrames == nil)
        #expect(copy.frameRate == 30)
        #expect((copy.sampleAspectNum, copy.sampleAspectDen) == (4, 3))
    }

    @Test func smallSourceKeepsTheSmallestRungAtTheSourceSize() {
        let ladder = profile([
            RenditionSpec(name: "720p", height: 720, bitrate: 2_800_000),
            RenditionSpec(name: "360p", height: 360, bitrate: 800_000),
            RenditionSpec(name: "480p", height: 480, bitrate: 1_400_000),
        ])
        let plan = LadderPlanner.plan(profile: ladder, source: SourceVideo(width: 320, height: 180, frameRate: 30))
        #expect(sizes(plan) == ["360p=320x180"])
        #expect(plan.renditions[0].bitrate == 800_000)
        #expect(plan.renditions[0].note != nil)
        #expect(plan.skipped.map(\.name) == ["720p", "480p"])

        // Odd source sizes round down to even.
        let odd = LadderPlanner.plan(profile: ladder, source: SourceVideo(width: 321, height: 181, frameRate: 30))
        #expect(sizes(odd) == ["360p=320x180"])
    }

    @Test func sortedByBitrateDescending() {
        let ladder = profile([
            RenditionSpec(name: "low", height: 240, bitrate: 300_000),
            RenditionSpec(name: "high", height: 720, bitrate: 2_800_000),
            RenditionSpec(name: "mid", height: 480, bitrate: 1_400_000),
        ])
        let plan = LadderPlanner.plan(profile: ladder, source: SourceVideo(width: 1920, height: 1080, frameRate: 30))
        #expect(plan.renditions.map(\.name) == ["high", "mid", "low"])
    }

    @Test func rateControlDefaults() {
        let ladder = profile([
            RenditionSpec(name: "a", height: 720, bitrate: 2_800_000, maxrate: 3_000_000),
            RenditionSpec(name: "b", height: 480, bitrate: 1_400_000),
            RenditionSpec(name: "c", height: 360, bitrate: 800_000, bufsize: 1_000_000, preset: "fast"),
        ])
        let plan = LadderPlanner.plan(profile: ladder, source: SourceVideo(width: 1920, height: 1080, frameRate: 30))
        #expect(plan.renditions.map(\.maxrate) == [3_000_000, 1_400_000, 800_000])
        #expect(plan.renditions.map(\.bufsize) == [6_000_000, 2_800_000, 1_000_000])
        #expect(plan.renditions.map(\.preset) == ["veryfast", "veryfast", "fast"])
    }

    @Test func everyTranscodedDimensionIsEvenAndPositive() {
        let sources = [
            SourceVideo(width: 1279, height: 719, frameRate: 30), SourceVideo(width: 2, height: 2, frameRate: 30),
            SourceVideo(width: 0, height: -5, frameRate: .nan), SourceVideo(width: 3840, height: 100, frameRate: 30),
            SourceVideo(width: 100, height: 3840, frameRate: 30, sampleAspectNum: 0, sampleAspectDen: 0),
            SourceVideo(width: 1920, height: 1080, frameRate: 30, sampleAspectNum: Int.max, sampleAspectDen: 1),
        ]
        for source in sources {
            let plan = LadderPlanner.plan(profile: heightLadder, source: source)
            #expect(!plan.renditions.isEmpty)
            for rendition in plan.renditions {
                #expect(rendition.width >= 2 && rendition.width % 2 == 0, "\(source): \(rendition)")
                #expect(rendition.height >= 2 && rendition.height % 2 == 0, "\(source): \(rendition)")
            }
        }
    }

    @Test func parsesSourceArgument() {
        #expect(SourceVideo(parsing: "1280x720") == SourceVideo(width: 1280, height: 720, frameRate: nil))
        #expect(SourceVideo(parsing: "640X360@29.97") == SourceVideo(width: 640, height: 360, frameRate: 29.97))
        #expect(SourceVideo(parsing: "1280") == nil)
        #expect(SourceVideo(parsing: "0x720") == nil)
        #expect(SourceVideo(parsing: "1280x720@0") == nil)
    }
}
