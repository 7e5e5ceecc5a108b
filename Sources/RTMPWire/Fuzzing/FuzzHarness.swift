import LadderMedia

/// The parsers `gateway-fuzz` exercises; each has its own seed corpus under Tests/Fuzz/corpus.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// Bytes a client sends from C0 on (RTMP spec 5.2).
    case handshake
    /// The chunk stream after the handshake (RTMP spec 5.3), then every message parser.
    case chunk
    /// An AMF0 command or data payload (AMF0 spec).
    case amf0
    /// One selector byte (bit 0: audio), then an FLV audio or video tag body (FLV spec E.4.2, E.4.3).
    case flv
}

/// A broken invariant: the fuzz entry point turns it into a crash, the corpus replay test into a failure.
package struct FuzzPropertyViolation: Error, Sendable, CustomStringConvertible {
    package var target: FuzzTarget
    package var message: String

    package var description: String { "\(target.rawValue): \(message)" }
}

/// Runs one input through a target's parsers and checks properties that hold for any input.
/// Shared by the libFuzzer entry point (GatewayFuzz) and the corpus replay tests.
package enum FuzzHarness {
    package static func run(_ target: FuzzTarget, input: [UInt8]) throws(FuzzPropertyViolation) {
        var checker = FuzzChecker(target: target)
        switch target {
        case .handshake: try HandshakeFuzzing.run(input, checker: &checker)
        case .chunk: try ChunkFuzzing.run(input, checker: &checker)
        case .amf0: try AMF0Fuzzing.run(input, checker: &checker)
        case .flv: try FLVFuzzing.run(input, checker: &checker)
        }
    }
}

/// Raises `FuzzPropertyViolation`s for one target.
package struct FuzzChecker: Sendable {
    package let target: FuzzTarget

    package func check(_ condition: Bool, _ message: @autoclosure () -> String) throws(FuzzPropertyViolation) {
        guard condition else { throw FuzzPropertyViolation(target: target, message: message()) }
    }

    package func fail(_ message: String) -> FuzzPropertyViolation {
        FuzzPropertyViolation(target: target, message: message)
    }
}

/// SplitMix64 seeded with the FNV-1a hash of the input, so split points and "random" handshake
/// bytes are a pure function of the input and a crash replays exactly.
package struct FuzzRandom: RandomNumberGenerator, Sendable {
    private var generator: SplitMix64

    package init(seed input: [UInt8]) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in input {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        generator = SplitMix64(seed: hash)
    }

    package mutating func next() -> UInt64 {
        generator.next()
    }

    /// A read size as a socket might deliver it: often tiny, sometimes a whole packet or more.
    package mutating func pieceLength() -> Int {
        switch next() % 4 {
        case 0: return Int(next() % 8) + 1
        case 1: return Int(next() % 128) + 1
        case 2: return Int(next() % 2048) + 1
        default: return Int(next() % 16384) + 1
        }
    }
}
