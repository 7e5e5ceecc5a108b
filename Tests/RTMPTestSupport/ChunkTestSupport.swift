import LadderMedia
import NIOCore
import RTMPWire

/// Bytes from hex text; spaces and newlines are ignored.
package func hexBytes(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        bytes.append(UInt8(digits[index..<next], radix: 16) ?? 0)
        index = next
    }
    return bytes
}

/// What ffmpeg 5.1 sent after the handshake when publishing to rtmp://127.0.0.1:19999/live/x:
/// one `connect` command, type 0 chunk on chunk stream 3, split at the default chunk size of 128
/// (the 0xC3 byte is the type 3 continuation header). Captured with a socket dump.
package let ffmpegConnectChunks = hexBytes(
    """
    0300000000008c1400000000020007636f6e6e656374003ff00000000000000300036170700200046c69766500047479\
    706502000a6e6f6e707269766174650008666c617368566572020024464d4c452f332e302028636f6d70617469626c65\
    3b204c61766635392e32372e313030290005746355726c02001b72746d703a2f2f3132372e302e302e313a31c3393939\
    392f6c697665000009
    """)

/// The connect payload alone (the 0xC3 continuation header removed).
package var ffmpegConnectPayload: [UInt8] {
    var bytes = Array(ffmpegConnectChunks[12...])
    bytes.remove(at: 128)
    return bytes
}

extension ChunkDecoder {
    /// Every message in `bytes`, decoding until more data would be needed.
    package mutating func decodeAll(_ bytes: [UInt8]) throws -> [RTMPMessage] {
        var buffer = ByteBuffer(bytes: bytes)
        var messages: [RTMPMessage] = []
        while let message = try next(from: &buffer) {
            messages.append(message)
        }
        return messages
    }
}

package func encodeChunks(_ messages: [RTMPMessage], chunkSize: Int = 128, compress: Bool = true) throws -> [UInt8] {
    var encoder = ChunkEncoder(compressesHeaders: compress)
    try encoder.setChunkSize(chunkSize)
    var out = ByteBuffer()
    for message in messages {
        try encoder.encode(message, into: &out)
    }
    return Array(out.readableBytesView)
}

package func payload(_ count: Int, seed: UInt8 = 0) -> ByteBuffer {
    ByteBuffer(bytes: (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) })
}

/// `connect` from GStreamer 1.22 rtmpsink (librtmp 2.4, the library OBS forked), publishing to
/// rtmp://127.0.0.1:19998/live/x. Captured with a socket dump.
package let librtmpConnectChunks = hexBytes(
    """
    0300000000005b1400000000020007636f6e6e656374003ff00000000000000300036170700200046c69766500047479\
    706502000a6e6f6e707269766174650005746355726c02001b72746d703a2f2f3132372e302e302e313a31393939382f\
    6c697665000009
    """)

/// `connect` from GStreamer 1.22 rtmp2sink, publishing to rtmp://127.0.0.1:19997/live/x.
package let gstreamerRTMP2ConnectChunks = hexBytes(
    """
    030000000000761400000000020007636f6e6e656374003ff00000000000000300036170700200046c69766500047479\
    706502000a6e6f6e707269766174650008666c61736856657202000e4c4e582031302c302c33322c31380005746355726c\
    02001b72746d703a2f2f3132372e302e302e313a31393939372f6c697665000009
    """)
