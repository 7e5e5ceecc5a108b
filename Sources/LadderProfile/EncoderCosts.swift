import LadderMedia

/// What encoding costs, for `gateway validate`'s CPU estimate: CPU seconds per media second of a
/// 640x360 30 fps rung at 800 kbit/s on one thread, measured on this project's 2-core x86 build
/// server by `scripts/measure-encoder-costs.sh` (rerun it to recalibrate). Other sizes and rates
/// scale with the luma sample rate; an estimate, not a promise: content changes it too.
public enum EncoderCosts {
    static let referenceSampleRate = 640.0 * 360 * 30
    static let x264: [String: Double] = [
        "ultrafast": 0.027, "superfast": 0.061, "veryfast": 0.115, "faster": 0.191, "fast": 0.267,
        "medium": 0.402, "slow": 0.824,
    ]
    static let x265: [String: Double] = [
        "ultrafast": 0.331, "superfast": 0.581, "veryfast": 0.708, "faster": 0.715, "fast": 0.863, "medium": 0.985,
    ]
    static let vp9Realtime: [Int: Double] = [5: 0.423, 6: 0.206, 7: 0.169, 8: 0.139]
    static let vp9Good: [Int: Double] = [4: 1.347, 5: 1.440]
    static let av1Realtime: [Int: Double] = [5: 3.531, 6: 1.921, 7: 0.361, 8: 0.333]

    /// Cores a rung keeps busy; nil when the setting was not measured (or is a hardware encoder).
    public static func cores(_ rendition: PlannedRendition, sourceFrameRate: Double?) -> Double? {
        guard !rendition.isCopy, !rendition.coding.isHardware, let base = reference(rendition.coding) else {
            return nil
        }
        let rate = rendition.frameRate ?? sourceFrameRate ?? LadderPlanner.assumedFrameRate
        return base * Double(rendition.width * rendition.height) * rate / referenceSampleRate
    }

    static func reference(_ coding: VideoCoding) -> Double? {
        switch coding.codec {
        case .h264: coding.preset.flatMap { x264[$0] }
        case .hevc: coding.preset.flatMap { x265[$0] }
        case .vp9: coding.cpuUsed.flatMap { (coding.deadline == "good" ? vp9Good : vp9Realtime)[$0] }
        case .av1: coding.cpuUsed.flatMap { av1Realtime[$0] }
        }
    }

    /// Two significant decimals ("0.14", "1.2").
    public static func format(_ cores: Double) -> String {
        cores >= 1
            ? ProfileLoader.format((cores * 10).rounded() / 10) : ProfileLoader.format((cores * 100).rounded() / 100)
    }
}
