/// The Opus identification header, "OpusHead" (RFC 7845 5.1): what an E-RTMP `Opus` sequence
/// start carries and libavcodec's Opus decoder takes as extradata.
public struct OpusIdentificationHeader: Sendable, Hashable {
    public var channels: Int
    /// Samples (at 48 kHz) the decoder discards at the start: the encoder's priming.
    public var preSkip: Int
    /// The rate the encoder was given (informational: Opus always decodes at 48 kHz).
    public var inputSampleRate: Int
    /// 0: mono/stereo, no mapping table; 1 and 255: a channel mapping table follows.
    public var mappingFamily: Int

    public init(bytes: [UInt8]) throws(BitstreamError) {
        guard bytes.count >= 19 else { throw .truncated("OpusHead (\(bytes.count) of 19 bytes)") }
        guard bytes.prefix(8).elementsEqual("OpusHead".utf8) else { throw .invalid("no OpusHead magic") }
        // version: the major part (upper nibble) must be 0 (RFC 7845 5.1, item 2).
        guard bytes[8] >> 4 == 0 else { throw .invalid("OpusHead version \(bytes[8])") }
        channels = Int(bytes[9])
        guard channels > 0 else { throw .invalid("OpusHead with 0 channels") }
        preSkip = Int(bytes[10]) | Int(bytes[11]) << 8
        inputSampleRate = (0..<4).reduce(0) { $0 | Int(bytes[12 + $1]) << (8 * $1) }
        mappingFamily = Int(bytes[18])
        if mappingFamily == 0 {
            guard channels <= 2 else { throw .invalid("OpusHead family 0 with \(channels) channels") }
        } else {
            // Stream count, coupled count and one mapping byte per channel (5.1.1).
            guard bytes.count >= 21 + channels else { throw .truncated("OpusHead channel mapping table") }
        }
    }
}
