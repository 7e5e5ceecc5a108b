import HTTPWire
import RTMPWire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A parser `gateway-fuzz` drives: one of RTMPWire's targets, or HTTPWire's request scanner.
enum GatewayFuzzTarget: Sendable {
    case rtmp(FuzzTarget)
    case httpRequest

    static let httpRequestName = "http-request"
    static let names = FuzzTarget.allCases.map(\.rawValue) + [httpRequestName]

    init?(name: String) {
        if name == Self.httpRequestName {
            self = .httpRequest
        } else if let target = FuzzTarget(rawValue: name) {
            self = .rtmp(target)
        } else {
            return nil
        }
    }

    var name: String {
        switch self {
        case .rtmp(let target): return target.rawValue
        case .httpRequest: return Self.httpRequestName
        }
    }

    /// Throws the violated property.
    func run(_ input: [UInt8]) throws {
        switch self {
        case .rtmp(let target): try FuzzHarness.run(target, input: input)
        case .httpRequest: try RawRequestFuzzing.check(input)
        }
    }
}

/// Which target libFuzzer drives, from the GATEWAY_FUZZ_TARGET environment variable.
enum FuzzEntry {
    static let environmentVariable = "GATEWAY_FUZZ_TARGET"

    static let target: GatewayFuzzTarget? = getenv(environmentVariable).flatMap {
        GatewayFuzzTarget(name: String(cString: $0))
    }
}

/// libFuzzer's per-input entry point: a broken property becomes a crash libFuzzer records.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let target = FuzzEntry.target else {
        fatalError("set \(FuzzEntry.environmentVariable) to one of \(GatewayFuzzTarget.names)")
    }
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        try target.run(input)
    } catch {
        fatalError("property violated: \(error)")
    }
    return 0
}
