import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct DASHManifestTests {
    static func template(
        _ timescale: Int64, pto: Int64, start: Int, timeline: [DASHManifest.TimelineEntry]
    )
        -> DASHManifest.SegmentTemplate
    {
        DASHManifest.SegmentTemplate(
            timescale: timescale, presentationTimeOffset: pto, initialization: "$RepresentationID$/init-1.mp4",
            media: "$RepresentationID$/seg-$Number$.m4s", startNumber: start, timeline: timeline)
    }

    static func sets(
        pto video: Int64, _ audio: Int64, start: Int, videoTimeline: [DASHManifest.TimelineEntry],
        audioTimeline: [DASHManifest.TimelineEntry]
    ) -> [DASHManifest.AdaptationSet] {
        [
            DASHManifest.AdaptationSet(
                id: 0, contentType: "video", mimeType: "video/mp4", segmentAlignment: true, startWithSAP: 1,
                maxWidth: 1280, maxHeight: 720, maxFrameRate: "30",
                representations: [
                    .init(
                        id: "720p", bandwidth: 3_000_000, codecs: "avc1.64001f", width: 1280, height: 720,
                        frameRate: "30",
                        sar: "1:1", segmentTemplate: template(90000, pto: video, start: start, timeline: videoTimeline)),
                    .init(
                        id: "360p", bandwidth: 800_000, codecs: "avc1.4d401e", width: 640, height: 360, frameRate: "30",
                        sar: "1:1", segmentTemplate: template(90000, pto: video, start: start, timeline: videoTimeline)),
                ]),
            DASHManifest.AdaptationSet(
                id: 1, contentType: "audio", mimeType: "audio/mp4", segmentAlignment: true, startWithSAP: 1,
                representations: [
                    .init(
                        id: "audio", bandwidth: 128_000, codecs: "mp4a.40.2", audioSamplingRate: 48000,
                        audioChannels: 2,
                        segmentTemplate: template(48000, pto: audio, start: start, timeline: audioTimeline))
                ]),
        ]
    }

    @Test func dynamicWithTwoPeriods() {
        let first = Self.sets(
            pto: 0, 0, start: 4, videoTimeline: [.init(t: 540000, d: 180000, r: 1)],
            audioTimeline: [.init(t: 288000, d: 96256, r: 0), .init(t: nil, d: 95232, r: 0)])
        let second = Self.sets(
            pto: 900000, 480000, start: 6, videoTimeline: [.init(t: 900000, d: 180000, r: 0)],
            audioTimeline: [.init(t: 480000, d: 96256, r: 0)])
        let manifest = DASHManifest(
            type: .dynamic, availabilityStartTimeMs: 1_795_255_200_000, publishTimeMs: 1_795_255_260_500,
            minimumUpdatePeriodMs: 2000, timeShiftBufferDepthMs: 12000, suggestedPresentationDelayMs: 6000,
            minBufferTimeMs: 2000,
            periods: [
                .init(id: "p0", startMs: 0, adaptationSets: first),
                .init(id: "p1", startMs: 41_500, adaptationSets: second),
            ],
            utcTimings: [.init(schemeIdUri: DASHManifest.UTCTiming.httpISOScheme, value: "/time")])
        #expect(
            manifest.render() == """
                <?xml version="1.0" encoding="UTF-8"?>
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="dynamic" availabilityStartTime="2026-11-21T10:00:00.000Z" publishTime="2026-11-21T10:01:00.500Z" minimumUpdatePeriod="PT2S" timeShiftBufferDepth="PT12S" suggestedPresentationDelay="PT6S" minBufferTime="PT2S">
                  <Period id="p0" start="PT0S">
                    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" maxWidth="1280" maxHeight="720" maxFrameRate="30">
                      <Representation id="720p" bandwidth="3000000" codecs="avc1.64001f" width="1280" height="720" frameRate="30" sar="1:1">
                        <SegmentTemplate timescale="90000" initialization="$RepresentationID$/init-1.mp4" media="$RepresentationID$/seg-$Number$.m4s" startNumber="4">
                          <SegmentTimeline>
                            <S t="540000" d="180000" r="1"/>
                          </SegmentTimeline>
                        </SegmentTemplate>
                      </Representation>
                      <Representation id="360p" bandwidth="800000" codecs="avc1.4d401e" width="640" height="360" frameRate="30" sar="1:1">
                        <SegmentTemplate timescale="90000" initialization="$RepresentationID$/init-1.mp4" media="$RepresentationID$/seg-$Number$.m4s" startNumber="4">
                          <SegmentTimeline>
                            <S t="540000" d="180000" r="1"/>
                          </SegmentTimeline>
                        </SegmentTemplate>
                      </Representation>
                    </AdaptationSet>
                    <AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1">
                      <Representation id="audio" bandwidth="128000" codecs="mp4a.40.2" audioSamplingRate="48000">
                        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>
                        <SegmentTemplate timescale="48000" initialization="$RepresentationID$/init-1.mp4" media="$RepresentationID$/seg-$Number$.m4s" startNumber="4">
                          <SegmentTimeline>
                            <S t="288000" d="96256"/>
                            <S d="95232"/>
                          </SegmentTimeline>
                        </SegmentTemplate>
                      </Representation>
                    </AdaptationSet>
                  </Period>
                  <Period id="p1" start="PT41.5S">
                    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" maxWidth="1280" maxHeight="720" maxFrameRate="30">
                      <Representation id="720p" bandwidth="3000000" codecs="avc1.64001f" width="1280" height="720" frameRate="30" sar="1:1">
                        <SegmentTemplate timescale="90000" presentationTimeOffset="900000" initialization="$RepresentationID$/init-1.mp4" media="$RepresentationID$/seg-$Number$.m4s" startNumber="6">
                          <SegmentTimeline>
                            <S t="900000" d="180000"/>
                          </SegmentTimeline>
                        </SegmentTemplate>
                      </Representation>
                      <Representation id="360p" bandwidth="800000" codecs="avc1.4d401e" width="640" height="360" frameRate="30" sar="1:1">
                        <SegmentTemplate timescale="90000" presentationTimeOffset="900000" initialization="$RepresentationID$/init-1.mp4" media="$RepresentationID$/seg-$Number$.m4s" startNumber="6">
                          <SegmentTimeline>
                            <S t="900000" d="180000"/>
                          </SegmentTimeline>
                        </SegmentTemplate>
                      </Representation>
                    </AdaptationSet>
                    <AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1">
                      <Representation id="audio" bandwidth="128000" codecs="mp4a.40.2" audioSamplingRate="48000">
                        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>
                        <SegmentTemplate timescale="48000" presentationTimeOffset="480000" initialization="$RepresentationID$/init-1.mp4" media="$RepresentationID$/seg-$Number$.m4s" startNumber="6">
                          <SegmentTimeline>
                            <S t="480000" d="96256"/>
                          </SegmentTimeline>
                        </SegmentTemplate>
                      </Representation>
                    </AdaptationSet>
                  </Period>
                  <UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="/time"/>
                </MPD>

                """)
    }

    @Test func staticAfterTheEnd() {
        let manifest = DASHManifest(
            type: .static, minBufferTimeMs: 2000, mediaPresentationDurationMs: 5_500,
            periods: [
                .init(
                    id: "p0", startMs: 0,
                    adaptationSets: [
                        DASHManifest.AdaptationSet(
                            id: 1, contentType: "audio", mimeType: "audio/mp4", segmentAlignment: true, startWithSAP: 1,
                            representations: [
                                .init(
                                    id: "audio", bandwidth: 64000, codecs: "mp4a.40.2", audioSamplingRate: 44100,
                                    audioChannels: 1,
                                    segmentTemplate: Self.template(
                                        44100, pto: 0, start: 1, timeline: [.init(t: 0, d: 88200, r: 1)]))
                            ])
                    ])
            ], utcTimings: [])
        #expect(
            manifest.render() == """
                <?xml version="1.0" encoding="UTF-8"?>
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static" mediaPresentationDuration="PT5.5S" minBufferTime="PT2S">
                  <Period id="p0" start="PT0S">
                    <AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1">
                      <Representation id="audio" bandwidth="64000" codecs="mp4a.40.2" audioSamplingRate="44100">
                        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="1"/>
                        <SegmentTemplate timescale="44100" initialization="$RepresentationID$/init-1.mp4" media="$RepresentationID$/seg-$Number$.m4s" startNumber="1">
                          <SegmentTimeline>
                            <S t="0" d="88200" r="1"/>
                          </SegmentTimeline>
                        </SegmentTemplate>
                      </Representation>
                    </AdaptationSet>
                  </Period>
                </MPD>

                """)
    }

    @Test func timelineCompaction() {
        let entries = DASHManifest.timeline([(0, 100), (100, 100), (200, 50), (260, 50), (310, 50)])
        #expect(
            entries == [
                .init(t: 0, d: 100, r: 1), .init(t: nil, d: 50, r: 0), .init(t: 260, d: 50, r: 1),
            ])
        #expect(DASHManifest.timeline([]).isEmpty)
    }

    @Test func attributeValuesAreEscaped() {
        #expect(XMLLines.escape("a&b<c>\"d'\u{1}") == "a&amp;b&lt;c&gt;&quot;d&apos;")
        let manifest = DASHManifest(
            type: .static, minBufferTimeMs: 1000, periods: [],
            utcTimings: [.init(schemeIdUri: "x", value: "/time?a=1&b=\"2\"")])
        #expect(manifest.render().contains("value=\"/time?a=1&amp;b=&quot;2&quot;\""))
    }

    @Test func frameRates() {
        #expect(DASHManifest.frameRateString(30) == "30")
        #expect(DASHManifest.frameRateString(29.97002997) == "30000/1001")
        #expect(DASHManifest.frameRateString(59.94) == "60000/1001")
        #expect(DASHManifest.frameRateString(12.5) == "25/2")
        #expect(DASHManifest.frameRateString(0) == nil)
        #expect(DASHManifest.frameRateString(.nan) == nil)
    }
}

@Suite struct DASHNumberedTemplateTests {
    @Test func durationTemplateHasNoTimeline() {
        let template = DASHManifest.SegmentTemplate(
            timescale: 90000, presentationTimeOffset: 45000, initialization: "$RepresentationID$/init-1.mp4",
            media: "$RepresentationID$/seg-$Number$.m4s", startNumber: 12, duration: 180000, timeline: [])
        let manifest = DASHManifest(
            type: .dynamic, availabilityStartTimeMs: 0, publishTimeMs: 2000, minimumUpdatePeriodMs: 2000,
            timeShiftBufferDepthMs: 12000, suggestedPresentationDelayMs: 6000, minBufferTimeMs: 2000,
            periods: [
                .init(
                    id: "p3", startMs: 30000,
                    adaptationSets: [
                        .init(
                            id: 0, contentType: "video", mimeType: "video/mp4", segmentAlignment: true, startWithSAP: 1,
                            representations: [
                                .init(id: "v", bandwidth: 1, codecs: "avc1.64001f", segmentTemplate: template)
                            ])
                    ])
            ], utcTimings: [])
        #expect(
            manifest.render() == """
                <?xml version="1.0" encoding="UTF-8"?>
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="dynamic" availabilityStartTime="1970-01-01T00:00:00.000Z" publishTime="1970-01-01T00:00:02.000Z" minimumUpdatePeriod="PT2S" timeShiftBufferDepth="PT12S" suggestedPresentationDelay="PT6S" minBufferTime="PT2S">
                  <Period id="p3" start="PT30S">
                    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1">
                      <Representation id="v" bandwidth="1" codecs="avc1.64001f">
                        <SegmentTemplate timescale="90000" presentationTimeOffset="45000" duration="180000" initialization="$RepresentationID$/init-1.mp4" media="$RepresentationID$/seg-$Number$.m4s" startNumber="12"/>
                      </Representation>
                    </AdaptationSet>
                  </Period>
                </MPD>

                """)
    }
}

@Suite("DASH video AdaptationSets per codec")
struct DASHVideoAdaptationSetsTests {
    private func representation(_ id: String, _ codecs: String, height: Int) -> DASHManifest.Representation {
        DASHManifest.Representation(
            id: id, bandwidth: 1000, codecs: codecs, width: height * 16 / 9, height: height,
            segmentTemplate: DASHManifest.SegmentTemplate(
                timescale: 90000, presentationTimeOffset: 0, initialization: "i", media: "m", startNumber: 1,
                duration: 90000, timeline: []))
    }

    @Test func oneSetPerCodecInLadderOrderWithTheirOwnMaxima() {
        let sets = DASHManifest.videoAdaptationSets([
            (representation("720p", "avc1.64001f", height: 720), 30),
            (representation("720p-hevc", "hvc1.1.6.L93.90", height: 720), 30),
            (representation("360p", "avc1.4d401e", height: 360), 30),
            (representation("360p-av1", "av01.0.04M.08", height: 360), 25),
        ])
        #expect(sets.map(\.id) == [0, 2, 3], "0 stays the first video set; audio keeps 1")
        #expect(sets.map { $0.representations.map(\.id) } == [["720p", "360p"], ["720p-hevc"], ["360p-av1"]])
        #expect(sets.map(\.maxHeight) == [720, 720, 360])
        #expect(sets.map(\.maxFrameRate) == ["30", "30", "25"])
    }
}
