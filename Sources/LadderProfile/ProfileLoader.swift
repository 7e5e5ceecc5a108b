import Foundation
import LadderMedia

/// Reads and validates operator-edited profile YAML (the schema is documented in
/// `profiles/default.yaml`). Every problem in a file is reported, each with its line and field.
public enum ProfileLoader {
    public static let maxFileBytes = 256 * 1024
    public static let maxRenditions = 16
    public static let maxDimension = 8192
    public static let maxFrameRate = 240.0
    public static let maxNameLength = 64
    public static let segmentSecondsRange: ClosedRange<Double> = 0.5...30
    public static let windowSegmentsRange: ClosedRange<Int> = 2...1000
    /// AAC bitrates accepted for the single audio rendition.
    public static let audioBitrateRange: ClosedRange<Int> = 8_000...512_000

    /// `video.encoder`: the H.264 rungs' encoder (a rendition's `encoder` may name others).
    public static let encoders = ["libx264"]
    /// x264 presets, fastest first.
    public static let x264Presets = [
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo",
    ]
    public static let h264Profiles = ["baseline", "main", "high"]
    /// ITU-T H.264 Table A-1.
    public static let h264Levels = [
        "1", "1b", "1.1", "1.2", "1.3", "2", "2.1", "2.2", "3", "3.1", "3.2", "4", "4.1", "4.2", "5", "5.1", "5.2", "6",
        "6.1", "6.2",
    ]
    /// ISO/IEC 14496-3 1.6.3.4, samplingFrequencyIndex table.
    public static let aacSampleRates = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ]

    public static let defaultSegmentSeconds = 2.0
    public static let defaultWindowSegments = 6
    public static let defaultPreset = "veryfast"
    public static let defaultAudio = AudioSpec(codec: .aac, bitrate: 128_000, channels: 2, sampleRate: 48000)

    package static let topKeys = [
        "name", "segment_seconds", "part_seconds", "window_segments", "dvr_seconds", "video", "audio",
    ]
    /// Longest `dvr_seconds`: a day of rewind.
    public static let maxDVRSeconds = 86400.0
    /// `part_seconds`: 0 (off) or this range, and at most half a segment.
    public static let partSecondsRange: ClosedRange<Double> = 0.1...2
    package static let videoKeys = ["encoder", "preset", "lookahead_frames", "bframes", "renditions"]
    public static let lookaheadRange = 0...60
    public static let bframesRange = 0...16
    package static let renditionKeys = [
        "name", "copy", "width", "height", "bitrate", "maxrate", "bufsize", "fps", "codec", "encoder", "profile",
        "level", "preset", "deadline", "cpu_used", "row_mt", "tile_columns", "threads",
    ]
    package static let transcodeOnlyKeys = Array(renditionKeys.dropFirst(2))
    package static let audioKeys = ["codec", "bitrate", "channels", "sample_rate", "audio_only_variant"]

    /// Reads `path` and parses it; issues name `path` as given.
    public static func load(path: String) throws(ProfileError) -> Profile {
        switch ConfigFile.readText(path: path, maxBytes: maxFileBytes) {
        case .success(let text): return try parse(yaml: text, file: path)
        case .failure(let issue): throw ProfileError(issues: [issue])
        }
    }

    /// Parses profile YAML; `file` is only used in issues (and as the default profile name).
    public static func parse(yaml: String, file: String) throws(ProfileError) -> Profile {
        let root: ConfigNode
        switch ConfigYAML.compose(yaml: yaml, file: file) {
        case .malformed(let issues):
            throw ProfileError(issues: issues)
        case .empty:
            throw ProfileError(issues: [
                ConfigIssue(file: file, line: 1, column: 1, path: "", message: "the profile is empty")
            ])
        case .document(let node):
            root = node
        }
        var reader = ConfigReader(file: file)
        let profile = parseProfile(root, file: file, reader: &reader)
        if let profile, reader.issues.isEmpty { return profile }
        throw ProfileError(issues: reader.sortedIssues)
    }

    // MARK: Sections

    private static func parseProfile(_ root: ConfigNode, file: String, reader: inout ConfigReader) -> Profile? {
        guard let top = reader.mapping(root, path: .root, knownKeys: topKeys) else { return nil }

        var name = defaultName(file: file)
        if let field = reader.string(top, "name") {
            let printable = !field.value.unicodeScalars.contains { $0.properties.generalCategory == .control }
            if field.value.isEmpty || field.value.count > maxNameLength || !printable {
                reader.report("name must be 1 to \(maxNameLength) printable characters", at: field)
            }
            name = field.value
        }

        var segmentSeconds = defaultSegmentSeconds
        if let field = reader.number(top, "segment_seconds") {
            segmentSeconds = field.value
            if !segmentSecondsRange.contains(field.value) {
                reader.report(
                    "segment_seconds must be between 0.5 and 30, found \(format(field.value))", at: field)
            }
        }

        var partSeconds = 0.0
        if let field = reader.number(top, "part_seconds") {
            partSeconds = field.value
            if field.value != 0
                && (!partSecondsRange.contains(field.value) || field.value > segmentSeconds / 2)
            {
                reader.report(
                    "part_seconds must be 0 (off) or between 0.1 and 2 and at most half of segment_seconds, found \(format(field.value))",
                    at: field)
            }
        }

        var windowSegments = defaultWindowSegments
        if let field = reader.integer(top, "window_segments") {
            windowSegments = field.value
            if field.value < windowSegmentsRange.lowerBound {
                reader.report("window_segments must be at least 2, found \(field.value)", at: field)
            } else if field.value > windowSegmentsRange.upperBound {
                reader.report(
                    "window_segments must be at most \(windowSegmentsRange.upperBound), found \(field.value)",
                    at: field)
            }
        }

        var dvrSeconds = 0.0
        if let field = reader.number(top, "dvr_seconds") {
            if (0...maxDVRSeconds).contains(field.value) {
                dvrSeconds = field.value
            } else {
                reader.report(
                    "dvr_seconds must be between 0 (off) and \(Int(maxDVRSeconds)), found \(format(field.value))",
                    at: field)
            }
        }

        let video = parseVideo(top, reader: &reader)
        let audio = parseAudio(top, reader: &reader)
        guard let video else { return nil }
        let audioSpec: AudioSpec?
        switch audio {
        case .encode(let spec): audioSpec = spec
        case .dropped: audioSpec = nil
        case .invalid: return nil
        }
        return Profile(
            name: name, segmentSeconds: segmentSeconds, windowSegments: windowSegments, video: video,
            audio: audioSpec, partSeconds: partSeconds, dvrSeconds: dvrSeconds)
    }

    private static func parseVideo(_ top: ConfigMapping, reader: inout ConfigReader) -> VideoLadderSpec? {
        guard let video = reader.mapping(top, "video", knownKeys: videoKeys, required: true) else { return nil }
        let encoder = reader.choice(video, "encoder", allowed: encoders, what: "encoder")?.value ?? encoders[0]
        let preset = reader.choice(video, "preset", allowed: x264Presets, what: "x264 preset")?.value ?? defaultPreset
        let lookahead = reader.integer(video, "lookahead_frames")
        if let lookahead, !lookaheadRange.contains(lookahead.value) {
            reader.report("lookahead_frames must be between 0 and 60, found \(lookahead.value)", at: lookahead)
        }
        let bframes = reader.integer(video, "bframes")
        if let bframes, !bframesRange.contains(bframes.value) {
            reader.report("bframes must be between 0 and 16, found \(bframes.value)", at: bframes)
        }

        guard video.contains("renditions") else {
            reader.report(
                "no renditions: list at least one under video.renditions", at: video.node,
                path: video.path.key("renditions"))
            return nil
        }
        guard let list = reader.sequence(video, "renditions") else { return nil }
        if list.value.isEmpty {
            reader.report("no renditions: list at least one", at: list)
            return nil
        }
        if list.value.count > maxRenditions {
            reader.report("too many renditions (\(list.value.count)); at most \(maxRenditions)", at: list)
        }

        var renditions: [RenditionSpec] = []
        var firstLineByName: [String: Int] = [:]
        var firstCopyLine: Int?
        for (index, item) in list.value.prefix(maxRenditions).enumerated() {
            let path = list.path.index(index)
            guard let parsed = parseRendition(item, path: path, reader: &reader) else { continue }
            if let nameField = parsed.nameField {
                if let firstLine = firstLineByName[nameField.value] {
                    reader.report(
                        "duplicate rendition name \"\(nameField.value)\" (first used at line \(firstLine))",
                        at: nameField)
                } else {
                    firstLineByName[nameField.value] = nameField.node.line
                }
            }
            if parsed.spec.copy {
                if let firstCopyLine {
                    reader.report(
                        "only one copy rendition is allowed (the first is at line \(firstCopyLine))", at: item,
                        path: path)
                } else {
                    firstCopyLine = item.line
                }
            }
            renditions.append(parsed.spec)
        }
        return VideoLadderSpec(
            encoder: encoder, preset: preset, renditions: renditions, lookaheadFrames: lookahead?.value,
            bframes: bframes?.value)
    }

    private static func parseRendition(
        _ node: ConfigNode, path: ConfigPath, reader: inout ConfigReader
    )
        -> (spec: RenditionSpec, nameField: ConfigField<String>?)?
    {
        guard let map = reader.mapping(node, path: path, knownKeys: renditionKeys) else { return nil }
        let nameField = reader.field(map, "name", required: true, convert: renditionName)
        var spec = RenditionSpec(name: nameField?.value ?? "")

        if let copy = reader.bool(map, "copy"), copy.value {
            spec.copy = true
            for key in transcodeOnlyKeys {
                guard let entry = map.entry(key) else { continue }
                reader.report(
                    "a copy rendition passes the source through unchanged and takes no \(key)", at: entry.value,
                    path: path.key(key))
            }
            return (spec, nameField)
        }

        spec.width = reader.field(map, "width") { dimension($0, key: "width") }?.value
        spec.height = reader.field(map, "height") { dimension($0, key: "height") }?.value
        if !map.contains("width"), !map.contains("height") {
            reader.report(
                "a transcoded rendition needs a height and/or width (or copy: true to pass the source through)",
                at: node, path: path)
        }

        let bitrate = reader.field(map, "bitrate", required: true, convert: Bitrate.parse)
        let maxrate = reader.field(map, "maxrate", convert: Bitrate.parse)
        spec.bitrate = bitrate?.value
        spec.maxrate = maxrate?.value
        if let bitrate, let maxrate, maxrate.value < bitrate.value {
            reader.report(
                "maxrate \(Bitrate.format(maxrate.value)) is below bitrate \(Bitrate.format(bitrate.value))",
                at: maxrate)
        }
        spec.bufsize = reader.field(map, "bufsize", convert: Bitrate.parse)?.value
        parseCoding(map, into: &spec, reader: &reader)
        spec.fps = reader.field(map, "fps", convert: frameRate)?.value
        return (spec, nameField)
    }

    private enum AudioSection {
        case encode(AudioSpec)
        case dropped
        case invalid
    }

    private static func parseAudio(_ top: ConfigMapping, reader: inout ConfigReader) -> AudioSection {
        guard let entry = top.entry("audio") else { return .encode(defaultAudio) }
        let path = top.path.key("audio")
        if let scalar = entry.value.scalar {
            let text = scalar.text.lowercased()
            if (scalar.kind == .string && text == "none")
                || (scalar.kind == .bool && !["true", "yes", "on"].contains(text))
            {
                return .dropped
            }
            reader.report(
                "expected an audio mapping, or none to drop the audio, found \(entry.value.summary)", at: entry.value,
                path: path)
            return .invalid
        }
        guard let audio = reader.mapping(entry.value, path: path, knownKeys: audioKeys) else { return .invalid }
        var spec = defaultAudio
        if reader.choice(audio, "codec", allowed: [AudioCodec.aac.rawValue], what: "audio codec") != nil {
            spec.codec = .aac
        }
        if let bitrate = reader.field(audio, "bitrate", convert: Bitrate.parse) {
            spec.bitrate = bitrate.value
            if !audioBitrateRange.contains(bitrate.value) {
                reader.report("AAC bitrate \(Bitrate.format(bitrate.value)) is outside 8k to 512k", at: bitrate)
            }
        }
        if let channels = reader.integer(audio, "channels") {
            spec.channels = channels.value
            if channels.value != 1, channels.value != 2 {
                reader.report("channels must be 1 (mono) or 2 (stereo), found \(channels.value)", at: channels)
            }
        }
        if let sampleRate = reader.integer(audio, "sample_rate") {
            spec.sampleRate = sampleRate.value
            if !aacSampleRates.contains(sampleRate.value) {
                let rates = aacSampleRates.sorted().map(String.init).joined(separator: ", ")
                reader.report(
                    "sample_rate \(sampleRate.value) is not an AAC sampling rate (one of: \(rates))", at: sampleRate)
            }
        }
        if let variant = reader.bool(audio, "audio_only_variant") {
            spec.audioOnlyVariant = variant.value
        }
        return .encode(spec)
    }

    // MARK: Values

    private static func renditionName(_ node: ConfigNode) -> Result<String, ConfigValueProblem> {
        ConfigValue.string(node).flatMap { name in
            let urlSafe = name.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "_" || scalar == "-")
            }
            if name.isEmpty || name.count > maxNameLength || !urlSafe {
                return .failure(
                    ConfigValueProblem(
                        "rendition name \(node.summary) must be 1 to \(maxNameLength) characters of A-Z, a-z, 0-9, _ or - (it is used in URLs)"
                    ))
            }
            if name == "audio" {
                return .failure(ConfigValueProblem("rendition name \"audio\" is reserved for the audio rendition"))
            }
            if name == "t" {
                // /live/NAME/t/TOKEN/... is a signed playback URL (the gateway's PlaybackTokenPath).
                return .failure(ConfigValueProblem("rendition name \"t\" is reserved for signed playback URLs"))
            }
            return .success(name)
        }
    }

    private static func dimension(_ node: ConfigNode, key: String) -> Result<Int, ConfigValueProblem> {
        ConfigValue.integer(node).flatMap { value in
            if value < 2 { return .failure(ConfigValueProblem("\(key) must be at least 2, found \(value)")) }
            if value > maxDimension {
                return .failure(ConfigValueProblem("\(key) \(value) is above the maximum \(maxDimension)"))
            }
            if value % 2 != 0 {
                return .failure(ConfigValueProblem("odd \(key) \(value) (H.264 4:2:0 video needs even dimensions)"))
            }
            return .success(value)
        }
    }

    /// "3.1", "4" / "4.0" (stored as "4.0"), "1b".
    static func level(_ node: ConfigNode) -> Result<String, ConfigValueProblem> {
        ConfigValue.string(node).flatMap { text in
            var level = text.lowercased()
            if level.hasSuffix(".0") { level.removeLast(2) }
            guard h264Levels.contains(level) else {
                return .failure(
                    ConfigValueProblem(
                        "unknown H.264 level \(node.summary) (one of: \(h264Levels.joined(separator: ", ")))"))
            }
            return .success(level.contains(".") || level == "1b" ? level : level + ".0")
        }
    }

    /// A number (`30`, `29.97`) or a fraction (`30000/1001`).
    private static func frameRate(_ node: ConfigNode) -> Result<Double, ConfigValueProblem> {
        let value: Double
        if let scalar = node.scalar, scalar.kind == .string, scalar.text.contains("/") {
            let parts = scalar.text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let numerator = Double(parts[0].trimmingCharacters(in: .whitespaces)),
                let denominator = Double(parts[1].trimmingCharacters(in: .whitespaces)), denominator != 0,
                numerator.isFinite, denominator.isFinite
            else {
                return .failure(
                    ConfigValueProblem("expected a frame rate like 30 or 30000/1001, found \(node.summary)"))
            }
            value = numerator / denominator
        } else {
            switch ConfigValue.number(node) {
            case .success(let number): value = number
            case .failure:
                return .failure(
                    ConfigValueProblem("expected a frame rate like 30 or 30000/1001, found \(node.summary)"))
            }
        }
        if value <= 0 { return .failure(ConfigValueProblem("fps must be positive, found \(node.summary)")) }
        if value > maxFrameRate {
            return .failure(ConfigValueProblem("fps \(format(value)) is above the maximum \(format(maxFrameRate))"))
        }
        return .success(value)
    }

    private static func defaultName(file: String) -> String {
        let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        return stem.isEmpty ? "profile" : String(stem.prefix(maxNameLength))
    }

    /// 2 -> "2", 0.5 -> "0.5", 29.97 -> "29.97".
    package static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(format: "%g", value)
    }
}
