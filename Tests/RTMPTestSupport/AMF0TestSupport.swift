import LadderMedia
import NIOCore
import RTMPWire

/// Raw AMF0 byte builders for tests, written from the AMF0 spec independently of `AMF0Encoder`.
package enum AMF0Bytes {
    package static func utf8(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        return [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
    }

    package static func string(_ text: String) -> [UInt8] { [0x02] + utf8(text) }

    package static func number(_ value: Double) -> [UInt8] {
        [0x00] + (0..<8).map { UInt8(truncatingIfNeeded: value.bitPattern >> (56 - 8 * $0)) }
    }

    package static func boolean(_ value: Bool) -> [UInt8] { [0x01, value ? 1 : 0] }

    package static let null: [UInt8] = [0x05]
    package static let objectEnd: [UInt8] = [0x00, 0x00, 0x09]

    package static func object(_ properties: [(String, [UInt8])]) -> [UInt8] {
        [0x03] + properties.flatMap { utf8($0.0) + $0.1 } + objectEnd
    }

    package static func ecmaArray(_ properties: [(String, [UInt8])]) -> [UInt8] {
        let count = UInt32(properties.count)
        return [0x08] + (0..<4).map { UInt8(truncatingIfNeeded: count >> (24 - 8 * $0)) }
            + properties.flatMap { utf8($0.0) + $0.1 } + objectEnd
    }

    package static func strictArray(_ elements: [[UInt8]]) -> [UInt8] {
        let count = UInt32(elements.count)
        return [0x0A] + (0..<4).map { UInt8(truncatingIfNeeded: count >> (24 - 8 * $0)) } + elements.flatMap { $0 }
    }

    /// OBS 30 `connect` as documented (FMLE flashVer, tcUrl == swfUrl) plus the E-RTMP fourCcList
    /// OBS 29.1+ sends; transaction 1.
    package static var obsConnect: [UInt8] {
        string("connect") + number(1)
            + object([
                ("app", string("live")),
                ("type", string("nonprivate")),
                ("flashVer", string("FMLE/3.0 (compatible; FMSc/1.0)")),
                ("swfUrl", string("rtmp://127.0.0.1:1935/live")),
                ("tcUrl", string("rtmp://127.0.0.1:1935/live")),
                ("fourCcList", strictArray([string("av01"), string("vp09"), string("hvc1")])),
            ])
    }
}
