import Foundation
import LadderMedia

extension LadderPlan {
    /// A human-readable summary of `profile` planned for `source` (this plan): segment timing, the
    /// ladder as a table, the skipped rungs and the audio. Used by `gateway validate`.
    public func describe(profile: Profile, source: SourceVideo) -> String {
        var lines: [String] = []
        lines.append("profile \"\(profile.name)\"")
        let seconds = ProfileLoader.format(profile.segmentSeconds)
        let window = ProfileLoader.format(profile.segmentSeconds * Double(profile.windowSegments))
        lines.append(
            "segments: \(seconds) s, live window \(profile.windowSegments) segments (\(window) s)")
        if profile.partSeconds > 0 {
            lines.append("low latency: LL-HLS parts of \(ProfileLoader.format(profile.partSeconds)) s")
        }
        lines.append(
            "video: H.264 rungs use \(profile.video.encoder), preset \(profile.video.preset) unless they set their own")
        var sourceText = LadderPlanner.sourceDescription(source)
        if let rate = source.frameRate { sourceText += " @ \(ProfileLoader.format(rate)) fps" }
        lines.append("ladder for a \(sourceText) source:")

        var rows = [
            [
                "name", "size", "bitrate", "maxrate", "bufsize", "codec", "encoder", "speed", "profile", "level",
                "threads", "fps", "keyint", "cpu",
            ]
        ]
        let costs = renditions.map { EncoderCosts.cores($0, sourceFrameRate: source.frameRate) }
        for (rendition, cost) in zip(renditions, costs) {
            let fps = rendition.frameRate.map(ProfileLoader.format) ?? "source"
            if rendition.isCopy {
                let size = "\(rendition.width)x\(rendition.height)"
                rows.append([rendition.name, size, "copy", "-", "-", "source", "-", "-", "-", "-", "-", fps, "-", "-"])
                continue
            }
            let coding = rendition.coding
            let h264 = coding.codec == .h264
            rows.append([
                rendition.name, "\(rendition.width)x\(rendition.height)", rendition.bitrate.map(Bitrate.format) ?? "-",
                rendition.maxrate.map(Bitrate.format) ?? "-", rendition.bufsize.map(Bitrate.format) ?? "-",
                coding.codec.rawValue, coding.encoder, Self.speed(coding), h264 ? coding.profile ?? "high" : "-",
                h264 ? coding.level ?? "auto" : "-", "\(coding.threads ?? 1)", fps,
                rendition.keyframeIntervalFrames.map(String.init) ?? "-", cost.map(EncoderCosts.format) ?? "?",
            ])
        }
        lines += Self.table(rows).map { "  " + $0 }
        for (rendition, cost) in zip(renditions, costs) {
            if let note = rendition.note { lines.append("  note: \(rendition.name): \(note)") }
            let threads = Double(rendition.coding.threads ?? 1)
            if let cost, cost > 0.8 * threads {
                lines.append(
                    "  warning: \(rendition.name): about \(EncoderCosts.format(cost)) cores of work on "
                        + "\(Int(threads)) thread\(threads == 1 ? "" : "s"): it may not keep up in real time "
                        + "(set threads:, a faster setting, or a smaller size)")
            }
        }
        for skip in skipped {
            lines.append("  skipped: \(skip.name): \(skip.reason)")
        }
        let cores = costs.compactMap { $0 }.reduce(0, +)
        if cores > 0 {
            lines.append(
                "  cpu: about \(EncoderCosts.format(cores)) cores to encode (cores per rung, estimated from "
                    + "scripts/measure-encoder-costs.sh on a 2-core x86 server; a hardware encoder is not counted)")
        }
        if let audio = profile.audio {
            let layout = audio.channels == 1 ? "mono" : audio.channels == 2 ? "stereo" : "\(audio.channels) channels"
            var text = "audio: \(audio.codec.rawValue.uppercased()) \(Bitrate.format(audio.bitrate)), \(layout), "
            text += "\(audio.sampleRate) Hz"
            if audio.audioOnlyVariant { text += ", plus an audio-only variant" }
            lines.append(text)
        } else {
            lines.append("audio: none (dropped)")
        }
        return lines.joined(separator: "\n")
    }

    /// One word for the encoder's speed knob: the x264/x265/NVENC preset, VP9's deadline and
    /// cpu-used ("realtime/8"), AV1's cpu-used ("cpu-used/8").
    static func speed(_ coding: VideoCoding) -> String {
        if let preset = coding.preset { return preset }
        if let deadline = coding.deadline { return "\(deadline)/\(coding.cpuUsed ?? 0)" }
        if let cpuUsed = coding.cpuUsed { return "cpu-used/\(cpuUsed)" }
        return "default"
    }

    /// Left-aligned columns separated by two spaces.
    package static func table(_ rows: [[String]]) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated()
                .map { index, cell in
                    index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                }
                .joined(separator: "  ")
        }
    }
}

/// What `gateway validate PROFILE.yaml [--source WxH]` prints.
public enum ProfileValidation {
    /// Loads and checks the profile at `path`; on success the output is the planned ladder for
    /// `source` (a nominal 1920x1080 when nil), otherwise one line per issue.
    public static func report(path: String, source: SourceVideo? = nil) -> (output: String, ok: Bool) {
        do throws(ProfileError) {
            let profile = try ProfileLoader.load(path: path)
            let source = source ?? .nominal
            let plan = LadderPlanner.plan(profile: profile, source: source)
            return ("\(path): OK\n" + plan.describe(profile: profile, source: source), true)
        } catch {
            let count = error.issues.count
            let summary = "\(path): \(count) problem\(count == 1 ? "" : "s") found"
            return (error.description + "\n" + summary, false)
        }
    }
}
