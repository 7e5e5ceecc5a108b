import LadderFFmpeg
import LadderMedia
import LadderProfile

/// Turns demuxed container packets into `IngestSample`s (what RTMP ingest delivers): avcC/hvcC
/// records with length-prefixed NAL units, raw AAC frames with an AudioSpecificConfig.
package struct VideoIngestConverter {
    package let codec: VideoCodec
    /// Container time base.
    package let timeBase: (num: Int64, den: Int64)
    private var config: VideoDecoderConfig?
    /// True when the container carries Annex B (MPEG-TS, raw .h264/.hevc).
    private let annexB: Bool
    private var parameterSets: [UInt8: [UInt8]] = [:]
    private var lastDts: Int64?
    private let frameDuration: Int64

    package init(codec: VideoCodec, extradata: [UInt8], timeBase: (num: Int, den: Int), frameRate: Double?) {
        self.codec = codec
        self.timeBase = (Int64(max(1, timeBase.num)), Int64(max(1, timeBase.den)))
        frameDuration = Int64((1000 / max(1, frameRate ?? 25)).rounded())
        if !extradata.isEmpty && !NALUnits.isAnnexB(extradata) {
            annexB = false
            config = VideoDecoderConfig(codec: codec, record: extradata)
        } else {
            annexB = true
            for unit in NALUnits.splitAnnexB(extradata) { rememberParameterSet(unit) }
        }
    }

    private var parameterSetTypes: [UInt8] {
        codec == .h264 ? [H264NALType.sps, H264NALType.pps] : [HEVCNALType.vps, HEVCNALType.sps, HEVCNALType.pps]
    }

    private func type(of unit: ArraySlice<UInt8>) -> UInt8? {
        codec == .h264 ? NALUnits.h264Type(unit) : NALUnits.hevcType(unit)
    }

    private mutating func rememberParameterSet(_ unit: ArraySlice<UInt8>) {
        // One of each kind (the common case); a new one replaces the old.
        if let type = type(of: unit), parameterSetTypes.contains(type) { parameterSets[type] = Array(unit) }
    }

    private func buildRecord() -> [UInt8]? {
        switch codec {
        case .h264:
            guard let sps = parameterSets[H264NALType.sps], let pps = parameterSets[H264NALType.pps] else { return nil }
            return try? AVCDecoderConfigurationRecord(sequenceParameterSets: [sps], pictureParameterSets: [pps]).bytes
        case .hevc:
            guard let vps = parameterSets[HEVCNALType.vps], let sps = parameterSets[HEVCNALType.sps],
                let pps = parameterSets[HEVCNALType.pps]
            else { return nil }
            return try? HEVCDecoderConfigurationRecord(vps: [vps], sps: [sps], pps: [pps]).bytes
        case .vp9, .av1:
            return nil  // not NAL units: the demuxer does not hand these over (`Demuxer`)
        }
    }

    package static func milliseconds(_ value: Int64, _ timeBase: (num: Int64, den: Int64)) -> Int64 {
        (Double(value) * Double(timeBase.num) * 1000 / Double(timeBase.den)).rounded().clampedToInt64
    }

    /// The samples for one packet: a configuration first when it is new, then the access unit.
    package mutating func convert(_ packet: DemuxedPacket) -> [IngestSample] {
        var samples: [IngestSample] = []
        var data = packet.data
        if annexB {
            let units = NALUnits.splitAnnexB(packet.data)
            for unit in units { rememberParameterSet(unit) }
            if let record = buildRecord(), record != config?.record {
                config = VideoDecoderConfig(codec: codec, record: record)
                samples.append(.videoConfig(VideoDecoderConfig(codec: codec, record: record)))
            }
            let dropped =
                parameterSetTypes + [codec == .h264 ? H264NALType.accessUnitDelimiter : HEVCNALType.accessUnitDelimiter]
            data = NALUnits.lengthPrefixed(
                units.filter { unit in type(of: unit).map { !dropped.contains($0) } ?? false })
        } else if lastDts == nil, let config {
            samples.append(.videoConfig(config))
        }
        guard config != nil, !data.isEmpty else { return samples }
        let dtsValue = packet.dts ?? packet.pts
        let ptsValue = packet.pts ?? packet.dts
        let dts = dtsValue.map { Self.milliseconds($0, timeBase) } ?? ((lastDts ?? -frameDuration) + frameDuration)
        let pts = ptsValue.map { Self.milliseconds($0, timeBase) } ?? dts
        lastDts = dts
        let offset = Int32(clamping: pts - dts)
        samples.append(
            .video(VideoAccessUnit(dts: dts, compositionOffset: offset, isKeyframe: packet.isKeyframe, data: data)))
        return samples
    }
}

/// AAC packets from MP4 (raw + AudioSpecificConfig) or ADTS (MPEG-TS, .aac) to ingest samples.
package struct AudioIngestConverter {
    package let timeBase: (num: Int64, den: Int64)
    private var config: AudioDecoderConfig?
    private var sentConfig = false
    private var nextMilliseconds: Double?

    package init(extradata: [UInt8], timeBase: (num: Int, den: Int)) {
        self.timeBase = (Int64(max(1, timeBase.num)), Int64(max(1, timeBase.den)))
        if !extradata.isEmpty { config = AudioDecoderConfig(codec: .aac, audioSpecificConfig: extradata) }
    }

    package mutating func convert(_ packet: DemuxedPacket) -> [IngestSample] {
        var samples: [IngestSample] = []
        let start = (packet.pts ?? packet.dts).map { Double(VideoIngestConverter.milliseconds($0, timeBase)) }
        guard let start = start ?? nextMilliseconds else { return [] }
        let isADTS = packet.data.count >= 2 && packet.data[0] == 0xFF && packet.data[1] & 0xF0 == 0xF0
        if isADTS, let frames = try? ADTSHeader.frames(in: packet.data) {
            var time = start
            for frame in frames {
                if let bytes = frame.config.bytes, bytes != config?.audioSpecificConfig || !sentConfig {
                    let newConfig = AudioDecoderConfig(codec: .aac, audioSpecificConfig: bytes)
                    config = newConfig
                    sentConfig = true
                    samples.append(.audioConfig(newConfig))
                }
                guard sentConfig else { continue }
                samples.append(.audio(AudioAccessUnit(pts: Int64(time.rounded()), data: frame.payload)))
                time += 1024 * 1000 / Double(frame.config.sampleRate)
            }
            nextMilliseconds = time
            return samples
        }
        guard let config else { return [] }
        if !sentConfig {
            sentConfig = true
            samples.append(.audioConfig(config))
        }
        samples.append(.audio(AudioAccessUnit(pts: Int64(start.rounded()), data: packet.data)))
        return samples
    }
}

extension Double {
    /// Rounds into Int64, saturating at the bounds (NaN -> 0).
    package var clampedToInt64: Int64 {
        guard isFinite else { return self.isNaN ? 0 : (self > 0 ? .max : .min) }
        if self >= 9.2e18 { return .max }
        if self <= -9.2e18 { return .min }
        return Int64(self)
    }
}
