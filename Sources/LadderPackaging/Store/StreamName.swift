/// The one rule for stream names, shared by RTMP publish/play, the HTTP origin, the config and
/// the segment store: `NAME` in `rtmp://HOST/live/NAME?key=SECRET` and `/live/NAME/...`.
public enum StreamName {
    public static let maxLength = 128

    /// 1...128 bytes of letters, digits, `_`, `-` and `.`, not starting with `.`: safe as one URL
    /// path segment (RFC 3986 2.3 unreserved characters) and as a folder name (never `.`, `..` or hidden).
    public static func isValid(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let first = bytes.first, first != UInt8(ascii: "."), bytes.count <= maxLength else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
                return true
            default:
                return false
            }
        }
    }
}
