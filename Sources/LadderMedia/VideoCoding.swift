/// How one rung is encoded: the codec, the encoder library that makes it, and that encoder's
/// speed/quality knobs. Decided once by the profile (`RenditionSpec`, the planner) and handed
/// unchanged to the encoder, `gateway validate` and the status.
public struct VideoCoding: Sendable, Hashable {
    public var codec: VideoCodec
    /// libavcodec encoder name: libx264, libx265, libvpx-vp9, libaom-av1, or a hardware encoder.
    public var encoder: String
    /// x264/x265 preset ("veryfast"); NVENC preset ("p4"). nil: the codec's default.
    public var preset: String?
    /// H.264 profile and level (x264); nil: x264's choice.
    public var profile: String?
    public var level: String?
    /// libvpx-vp9 deadline: "realtime" or "good".
    public var deadline: String?
    /// libvpx-vp9 and libaom-av1 speed (cpu-used), higher is faster.
    public var cpuUsed: Int?
    /// libvpx-vp9 row-based multithreading.
    public var rowMT: Bool?
    /// libvpx-vp9 tile columns, log2 (0: one column).
    public var tileColumns: Int?
    /// Threads inside the encoder library (x265's pool, libvpx's and libaom's workers). 1 (the
    /// default): the rung's own thread does all the work. More lets one large rung keep up;
    /// none of them adds frame delay (x265 frame threads stay at 1).
    public var threads: Int?

    public init(
        codec: VideoCodec, encoder: String? = nil, preset: String? = nil, profile: String? = nil,
        level: String? = nil, deadline: String? = nil, cpuUsed: Int? = nil, rowMT: Bool? = nil,
        tileColumns: Int? = nil, threads: Int? = nil
    ) {
        self.threads = threads
        self.codec = codec
        self.encoder = encoder ?? Self.softwareEncoder(for: codec)
        self.preset = preset
        self.profile = profile
        self.level = level
        self.deadline = deadline
        self.cpuUsed = cpuUsed
        self.rowMT = rowMT
        self.tileColumns = tileColumns
    }

    /// The software encoder each codec falls back to. AV1 uses libaom: FFmpeg 5.1's libsvtav1
    /// wrapper ignores forced key frames, so its rungs could not keep the segment grid.
    public static func softwareEncoder(for codec: VideoCodec) -> String {
        switch codec {
        case .h264: "libx264"
        case .hevc: "libx265"
        case .vp9: "libvpx-vp9"
        case .av1: "libaom-av1"
        }
    }

    /// Hardware encoders the profile may name, with their codec. They take system-memory
    /// YUV 4:2:0 frames; whether the device opens is known only at publish time.
    public static let hardwareEncoders: [String: VideoCodec] = ["h264_nvenc": .h264, "hevc_nvenc": .hevc]

    public var isHardware: Bool { Self.hardwareEncoders[encoder] != nil }

    /// Defaults that keep a 640x360 rung in real time on one core of a 2020s x86 server
    /// (`scripts/measure-encoder-costs.sh` measures each).
    public static let defaultPresets: [VideoCodec: String] = [.h264: "veryfast", .hevc: "ultrafast"]
    public static let defaultVP9Deadline = "realtime"
    public static let defaultCPUUsed: [VideoCodec: Int] = [.vp9: 8, .av1: 8]

    /// This coding with every unset knob at its codec's default (what the encoder really gets).
    public var resolved: VideoCoding {
        var coding = self
        if isHardware { return coding }
        coding.preset = preset ?? Self.defaultPresets[codec]
        if codec == .vp9 {
            coding.deadline = deadline ?? Self.defaultVP9Deadline
            coding.rowMT = rowMT ?? true
        }
        coding.cpuUsed = cpuUsed ?? Self.defaultCPUUsed[codec]
        return coding
    }
}
