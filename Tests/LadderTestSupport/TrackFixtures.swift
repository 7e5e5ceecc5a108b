import LadderMedia

/// Track descriptions of a typical ladder's top rung and audio, for tests that need only the
/// descriptions (manifests, recordings), not media.
package enum TrackFixtures {
    package static let video720 = TrackDescription(
        name: "720p", media: .video(width: 1280, height: 720, frameRate: 30, sampleAspectNum: 1, sampleAspectDen: 1),
        codec: .h264, codecString: "avc1.64001f", timescale: 90000, decoderConfig: [], targetBitrate: nil)
    package static let stereoAAC = TrackDescription(
        name: "audio", media: .audio(sampleRate: 48000, channels: 2), codec: .aac, codecString: "mp4a.40.2",
        timescale: 48000, decoderConfig: [], targetBitrate: nil)
}
