/// The properties `gateway-fuzz` checks on `RawRequestScanner` for any input (target
/// `http-request`; the corpus replay test runs the same function). The scanner's agreement with
/// NIO's decoder is checked by the differential unit test (`RawRequestScannerTests`), which
/// needs NIO; these need nothing but the scanner.
public enum RawRequestFuzzing {
    public struct Violation: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { "http-request: \(message)" }
    }

    public static func check(_ input: [UInt8]) throws(Violation) {
        let result = input.withUnsafeBytes { RawRequestScanner.scan($0) }
        switch result {
        case .needMoreData:
            try require(input.count < RawRequestScanner.maxHeadBytes, "needMoreData at \(input.count) bytes")
        case .unsupported:
            break
        case .complete(let head):
            let crlf2: [UInt8] = [13, 10, 13, 10]
            try require(head.length >= 4 && head.length <= input.count, "length \(head.length) of \(input.count)")
            try require(Array(input[(head.length - 4)..<head.length]) == crlf2, "does not end with CRLF CRLF")
            let target = Array(head.target.utf8)
            try require(target.first == UInt8(ascii: "/"), "target \(head.target.debugDescription)")
            try require(target.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "target bytes \(target)")
            // Self-delimiting: the request alone frames the same; a shorter prefix never frames.
            let alone = input[..<head.length].withUnsafeBytes { RawRequestScanner.scan($0) }
            try require(alone == .complete(head), "the request alone scans as \(alone)")
            for cut in Set([head.length - 1, head.length - 2, head.length / 2, 1]) where cut > 0 {
                let prefix = input[..<cut].withUnsafeBytes { RawRequestScanner.scan($0) }
                try require(prefix == .needMoreData, "prefix \(cut) of \(head.length) scans as \(prefix)")
            }
            // Whatever follows never changes how this request is framed.
            var extended = Array(input[..<head.length])
            extended += Array("GET / HTTP/1.1\r\n\r\n".utf8)
            let followed = extended.withUnsafeBytes { RawRequestScanner.scan($0) }
            try require(followed == .complete(head), "with a next request it scans as \(followed)")
        }
    }

    private static func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(Violation) {
        guard condition else { throw Violation(message: message()) }
    }
}
