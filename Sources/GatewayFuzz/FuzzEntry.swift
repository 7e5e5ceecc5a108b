import RTMPWire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which `FuzzTarget` libFuzzer drives, from the GATEWAY_FUZZ_TARGET environment variable.
enum FuzzEntry {
    static let environmentVariable = "GATEWAY_FUZZ_TARGET"

    static let target: FuzzTarget? = getenv(environmentVariable).flatMap { FuzzTarget(rawValue: String(cString: $0)) }
}

/// libFuzzer's per-input entry point: a broken property becomes a crash libFuzzer records.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let target = FuzzEntry.target else {
        fatalError("set \(FuzzEntry.environmentVariable) to one of \(FuzzTarget.allCases.map(\.rawValue))")
    }
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        try FuzzHarness.run(target, input: input)
    } catch {
        fatalError("property violated: \(error)")
    }
    return 0
}
