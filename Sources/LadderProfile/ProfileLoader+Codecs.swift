import LadderMedia

/// A rendition's `codec`, `encoder` and per-codec knobs (`profiles/default.yaml` documents them).
extension ProfileLoader {
    public static let codecNames = VideoCodec.allCases.map(\.rawValue)
    /// Software encoders by codec, then the hardware ones (`VideoCoding.hardwareEncoders`).
    public static let renditionEncoders =
        VideoCodec.allCases.map(VideoCoding.softwareEncoder) + VideoCoding.hardwareEncoders.keys.sorted()
    /// Encoders FFmpeg has but the ladder cannot use, with the reason.
    static let refusedEncoders: [String: String] = [
        "libsvtav1":
            "FFmpeg 5.1's libsvtav1 wrapper ignores forced key frames, so its rungs could not stay on the segment grid; use libaom-av1 (the av1 default)",
        "librav1e": "rav1e is far slower than real time at live sizes; use libaom-av1 (the av1 default)",
    ]
    static let hardwareFramesEncoders = ["h264_vaapi", "hevc_vaapi", "vp9_vaapi", "h264_qsv", "hevc_qsv", "vp9_qsv"]
    /// libx265 takes x264's preset names.
    public static let x265Presets = Array(x264Presets.dropLast())
    public static let nvencPresets = ["p1", "p2", "p3", "p4", "p5", "p6", "p7"]
    public static let vp9Deadlines = ["realtime", "good"]
    public static let cpuUsedRange = 0...8
    public static let tileColumnsRange = 0...6
    public static let threadsRange = 1...16
    package static let codecKeys: [String: [VideoCodec]] = [
        "profile": [.h264], "level": [.h264], "preset": [.h264, .hevc], "deadline": [.vp9], "row_mt": [.vp9],
        "tile_columns": [.vp9], "cpu_used": [.vp9, .av1],
    ]

    /// Reads `codec`, `encoder` and the knobs into `spec`; a knob of another codec is an error
    /// naming the codecs it belongs to.
    static func parseCoding(_ map: ConfigMapping, into spec: inout RenditionSpec, reader: inout ConfigReader) {
        let codecField = reader.choice(map, "codec", allowed: codecNames, what: "codec")
        var codec = codecField.flatMap { VideoCodec(rawValue: $0.value) }
        if let field = reader.string(map, "encoder") {
            if let reason = refusedEncoders[field.value] {
                reader.report("encoder \(field.value) is not supported: \(reason)", at: field)
            } else if hardwareFramesEncoders.contains(field.value) {
                reader.report(
                    "encoder \(field.value) needs frames uploaded to its device, which the gateway does not do; "
                        + "h264_nvenc and hevc_nvenc take ordinary frames", at: field)
            } else if let encoderCodec = encoderCodec(field.value) {
                if let codec, codec != encoderCodec {
                    reader.report(
                        "encoder \(field.value) makes \(encoderCodec.rawValue), but codec is \(codec.rawValue)",
                        at: field)
                }
                codec = codec ?? encoderCodec
                spec.encoder = field.value
            } else {
                reader.report(
                    ConfigReader.unknownChoiceMessage(field.value, what: "encoder", allowed: renditionEncoders),
                    at: field)
            }
        }
        spec.codec = codec ?? .h264
        for (key, codecs) in codecKeys.sorted(by: { $0.key < $1.key }) {
            guard let entry = map.entry(key), !codecs.contains(spec.codec) else { continue }
            let owners = codecs.map(\.rawValue).joined(separator: " and ")
            reader.report(
                "\(key) applies to \(owners) rungs, not \(spec.codec.rawValue)\(hint(for: spec.codec))",
                at: entry.value, path: map.path.key(key))
        }
        let hardware = spec.encoder.map { VideoCoding.hardwareEncoders[$0] != nil } ?? false
        if spec.codec == .h264 || spec.codec == .hevc {
            let presets = hardware ? nvencPresets : spec.codec == .h264 ? x264Presets : x265Presets
            let what = hardware ? "NVENC preset" : spec.codec == .h264 ? "x264 preset" : "x265 preset"
            spec.preset = reader.choice(map, "preset", allowed: presets, what: what)?.value
        }
        if spec.codec == .h264 {
            spec.profile = reader.choice(map, "profile", allowed: h264Profiles, what: "H.264 profile")?.value
            spec.level = reader.field(map, "level", convert: level)?.value
        }
        if spec.codec == .vp9 {
            spec.deadline = reader.choice(map, "deadline", allowed: vp9Deadlines, what: "VP9 deadline")?.value
            spec.rowMT = reader.bool(map, "row_mt")?.value
            if let tiles = reader.integer(map, "tile_columns") {
                spec.tileColumns = tiles.value
                if !tileColumnsRange.contains(tiles.value) {
                    reader.report("tile_columns (log2) must be between 0 and 6, found \(tiles.value)", at: tiles)
                }
            }
        }
        if let threads = reader.integer(map, "threads") {
            spec.threads = threads.value
            if !threadsRange.contains(threads.value) {
                reader.report("threads must be between 1 and 16, found \(threads.value)", at: threads)
            }
        }
        if spec.codec == .vp9 || spec.codec == .av1, let cpu = reader.integer(map, "cpu_used") {
            spec.cpuUsed = cpu.value
            if !cpuUsedRange.contains(cpu.value) {
                reader.report("cpu_used must be between 0 (slowest) and 8 (fastest), found \(cpu.value)", at: cpu)
            }
        }
    }

    static func encoderCodec(_ name: String) -> VideoCodec? {
        VideoCodec.allCases.first { VideoCoding.softwareEncoder(for: $0) == name } ?? VideoCoding.hardwareEncoders[name]
    }

    private static func hint(for codec: VideoCodec) -> String {
        switch codec {
        case .h264: " (h264 takes preset, profile, level)"
        case .hevc: " (hevc takes preset)"
        case .vp9: " (vp9 takes deadline, cpu_used, row_mt, tile_columns)"
        case .av1: " (av1 takes cpu_used)"
        }
    }
}
