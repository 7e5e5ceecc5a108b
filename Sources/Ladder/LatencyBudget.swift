/// Where the milliseconds go between a publisher's frame and a player showing it, as far as the
/// profile decides them (`gateway validate` prints it). The encoder's share is also measured
/// live, per rung: `/api/streams` `encoder_delay_ms`.
public enum LatencyBudget {
    public static func describe(profile: Profile, frameRate: Double) -> [String] {
        let rate = frameRate > 0 ? frameRate : LadderPlanner.assumedFrameRate
        let frameMs = 1000 / rate
        var lines = ["latency budget (a \(ProfileLoader.format(rate)) fps source):"]
        var encoderMs = 0.0
        // The slowest rung sets the pace: every rung's segment must exist before it is listed.
        let delays = profile.video.renditions.filter { !$0.copy }.compactMap { spec in
            profile.video.encoderDelay(of: LadderPlanner.coding(spec, profile: profile)).map {
                (spec.name, $0.lookahead, $0.bframes)
            }
        }
        if let (name, lookahead, bframes) = delays.max(by: { $0.1 + $0.2 < $1.1 + $1.2 }) {
            let frames = lookahead + bframes
            encoderMs = Double(frames) * frameMs
            let others = delays.count > 1 ? "; rung \(name) waits longest, the others as long or less" : ""
            lines.append(
                "  encoder: lookahead \(lookahead) + B-frames \(bframes) = \(frames) frames = \(Int(encoderMs.rounded())) ms"
                    + " (VP9 and AV1 rungs hold none\(others))")
        }
        lines.append("  packager: the newest frame waits one frame for its duration = \(Int(frameMs.rounded())) ms")
        let config = PackagerConfig(profile: profile, mode: .live)
        let serverSeconds = (encoderMs + frameMs) / 1000
        if config.hasParts {
            let holdBack = 3 * config.partTargetSeconds
            lines.append(
                "  LL-HLS: parts of \(ProfileLoader.format(config.partSeconds)) s (PART-TARGET "
                    + "\(ProfileLoader.format(config.partTargetSeconds)) s); players stay PART-HOLD-BACK "
                    + "\(ProfileLoader.format(holdBack)) s behind the newest part")
            let total = serverSeconds + config.partSeconds + holdBack
            lines.append(
                "  expected behind the publisher: about \(format(total)) s, plus the player's own margin"
                    + " (hls.js: 0.3-0.8 s); LL-DASH keeps about \(format(config.segmentSeconds)) s")
        } else {
            let total = serverSeconds + config.segmentSeconds * 4
            lines.append(
                "  standard HLS: players start 3 segments behind the newest one; expected about "
                    + "\(format(total)) s (set part_seconds for LL-HLS)")
        }
        return lines
    }

    private static func format(_ seconds: Double) -> String {
        ProfileLoader.format((seconds * 100).rounded() / 100)
    }
}
