import LadderMedia

/// Why a track description cannot be packaged.
public enum CMAFTrackError: Error, Hashable, Sendable {
    /// The codec does not match the media kind (e.g. AAC declared as video).
    case codecDoesNotMatchMedia(TrackCodec)
    case emptyDecoderConfig
    case invalidDimensions(width: Int, height: Int)
    case invalidTimescale(Int)
    case invalidAudioFormat(sampleRate: Int, channels: Int)
}

/// CMAF header (ISO/IEC 23000-19 7.3.1): `ftyp` + `moov` with one track and `mvex`.
public enum CMAFInitSegment {
    /// Brands of the init segment: CMAF track (`cmfc`) plus ISO BMFF brands that cover
    /// `tfdt`/`trun` version 1 (`iso6`).
    public static let majorBrand: FourCC = "cmfc"
    public static let compatibleBrands: [FourCC] = ["cmfc", "iso6", "isom", "mp41"]

    /// Sample flags most samples of the track carry, used as `trex` defaults (ISO/IEC 14496-12 8.8.3).
    public static func defaultSampleFlags(for track: TrackDescription) -> SampleFlags {
        track.isVideo ? .nonSync : .sync
    }

    public static func make(for track: TrackDescription, trackID: UInt32 = 1) throws(CMAFTrackError) -> [UInt8] {
        guard track.timescale > 0, track.timescale <= Int(UInt32.max) else {
            throw .invalidTimescale(track.timescale)
        }
        guard !track.decoderConfig.isEmpty else { throw .emptyDecoderConfig }
        let timescale = UInt32(track.timescale)
        // btrt / esds (ISO/IEC 14496-12 8.5.2.2): the configured average and peak (VBV maxrate).
        let bitRate = track.targetBitrate.flatMap { rate -> SampleEntryBoxes.BitRate? in
            guard rate > 0 else { return nil }
            let peak = max(rate, track.peakBitrate ?? rate)
            return SampleEntryBoxes.BitRate(
                bufferSizeDB: 0, maxBitrate: UInt32(clamping: peak), avgBitrate: UInt32(clamping: rate))
        }

        let header: MovieBoxes.TrackHeader
        let sampleEntry: (inout BoxWriter) -> Void
        switch track.media {
        case .video(let width, let height, _, let aspectNum, let aspectDen):
            guard width > 0, height > 0, width <= Int(UInt16.max), height <= Int(UInt16.max) else {
                throw .invalidDimensions(width: width, height: height)
            }
            let (aspectH, aspectV) = normalizedAspect(aspectNum, aspectDen)
            let visual = SampleEntryBoxes.Visual(
                width: UInt16(width), height: UInt16(height), pixelAspectH: aspectH, pixelAspectV: aspectV)
            header = MovieBoxes.TrackHeader(
                trackID: trackID, handler: .video, timescale: timescale,
                displayWidth: Double(width) * Double(aspectH) / Double(aspectV), displayHeight: Double(height))
            guard let boxes = SampleEntryBoxes.videoBoxes(track.codec) else {
                throw .codecDoesNotMatchMedia(track.codec)
            }
            sampleEntry = {
                SampleEntryBoxes.writeVisual(
                    &$0, type: boxes.entry, visual: visual, configType: boxes.config, config: track.decoderConfig,
                    bitRate: bitRate)
            }
        case .audio(let sampleRate, let channels):
            guard track.codec == .aac else { throw .codecDoesNotMatchMedia(track.codec) }
            guard sampleRate > 0, sampleRate <= Int(UInt32.max), channels > 0, channels <= Int(UInt16.max) else {
                throw .invalidAudioFormat(sampleRate: sampleRate, channels: channels)
            }
            header = MovieBoxes.TrackHeader(
                trackID: trackID, handler: .audio, timescale: timescale, displayWidth: 0, displayHeight: 0)
            sampleEntry = {
                SampleEntryBoxes.writeMP4A(
                    &$0, channels: UInt16(channels), sampleRate: UInt32(sampleRate),
                    audioSpecificConfig: track.decoderConfig, bitRate: bitRate)
            }
        }

        var writer = BoxWriter(capacity: 1024)
        FileTypeBoxes.writeFileType(
            &writer, majorBrand: majorBrand, minorVersion: 0, compatibleBrands: compatibleBrands)
        MovieBoxes.writeMovie(&writer, track: header, sampleEntry: sampleEntry) { moov in
            MovieExtendsBoxes.writeMovieExtends(
                &moov, fragmentDuration: nil, trackID: trackID, defaultSampleDuration: 0,
                defaultSampleFlags: defaultSampleFlags(for: track))
        }
        return writer.bytes
    }

    /// A positive pixel aspect ratio; anything else means square pixels.
    static func normalizedAspect(_ num: Int, _ den: Int) -> (UInt32, UInt32) {
        guard num > 0, den > 0, num <= Int(UInt32.max), den <= Int(UInt32.max) else { return (1, 1) }
        var (a, b) = (num, den)
        while b != 0 { (a, b) = (b, a % b) }
        return (UInt32(num / a), UInt32(den / a))
    }
}
