/// The one mapping from a profile to packager settings, for live publishes and offline VOD.
/// It lives in the umbrella because LadderPackaging knows nothing of profiles.
extension PackagerConfig {
    public init(profile: Profile, mode: Mode) {
        switch mode {
        case .live:
            self.init(
                mode: .live, segmentSeconds: profile.segmentSeconds, windowSegments: profile.windowSegments,
                partSeconds: profile.partSeconds,
                dvrSegments: Int((profile.dvrSeconds / max(0.1, profile.segmentSeconds)).rounded(.up)))
        case .vod: self = .vod(segmentSeconds: profile.segmentSeconds)
        }
    }
}
