import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct HLSMasterPlaylistTests {
    @Test func ladderWithAudioGroup() {
        let playlist = HLSMasterPlaylist(
            audio: [
                .init(
                    groupID: "audio", name: "audio", uri: "audio/index.m3u8", isDefault: true, autoselect: true,
                    channels: 2)
            ],
            variants: [
                .init(
                    uri: "720p/index.m3u8", bandwidth: 3_128_000, averageBandwidth: 2_900_000,
                    codecs: ["avc1.64001f", "mp4a.40.2"], width: 1280, height: 720, frameRate: 30, audioGroupID: "audio"
                ),
                .init(
                    uri: "360p/index.m3u8", bandwidth: 928_000, averageBandwidth: nil,
                    codecs: ["avc1.4d401e", "mp4a.40.2"],
                    width: 640, height: 360, frameRate: 29.97, audioGroupID: "audio"),
            ])
        #expect(
            playlist.render() == """
                #EXTM3U
                #EXT-X-VERSION:7
                #EXT-X-INDEPENDENT-SEGMENTS
                #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"
                #EXT-X-STREAM-INF:BANDWIDTH=3128000,AVERAGE-BANDWIDTH=2900000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO="audio"
                720p/index.m3u8
                #EXT-X-STREAM-INF:BANDWIDTH=928000,CODECS="avc1.4d401e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=29.970,AUDIO="audio"
                360p/index.m3u8

                """)
    }

    @Test func audioOnlyVariant() {
        let playlist = HLSMasterPlaylist(
            audio: [],
            variants: [
                .init(
                    uri: "audio/index.m3u8", bandwidth: 132_000, averageBandwidth: 130_000, codecs: ["mp4a.40.2"],
                    width: nil, height: nil, frameRate: nil, audioGroupID: nil)
            ])
        #expect(
            playlist.render() == """
                #EXTM3U
                #EXT-X-VERSION:7
                #EXT-X-INDEPENDENT-SEGMENTS
                #EXT-X-STREAM-INF:BANDWIDTH=132000,AVERAGE-BANDWIDTH=130000,CODECS="mp4a.40.2"
                audio/index.m3u8

                """)
    }
}
