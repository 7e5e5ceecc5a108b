import Foundation
import LadderMedia
import RTMPTestSupport
import Testing

@testable import RTMPWire

/// Replays the libFuzzer seed corpus (Tests/Fuzz/corpus) and every crash found so far
/// (Tests/Fuzz/regressions) through the harness `gateway-fuzz` runs, without sanitizers.
@Suite struct FuzzCorpusReplayTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func inputs(in folder: String, for target: FuzzTarget) -> [URL] {
        let directory = fuzzDirectory.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
    }

    static func replay(_ files: [URL], target: FuzzTarget) throws {
        for file in files {
            let input = Array(try Data(contentsOf: file))
            do {
                try FuzzHarness.run(target, input: input)
            } catch {
                Issue.record("\(file.lastPathComponent): \(error)")
            }
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seedCorpusKeepsEveryProperty(target: FuzzTarget) throws {
        let files = Self.inputs(in: "corpus", for: target)
        #expect(!files.isEmpty, "no seeds in Tests/Fuzz/corpus/\(target.rawValue)")
        try Self.replay(files, target: target)
    }

    @Test(arguments: FuzzTarget.allCases)
    func crashRegressionsKeepEveryProperty(target: FuzzTarget) throws {
        try Self.replay(Self.inputs(in: "regressions", for: target), target: target)
    }

    /// The first piece of each captured publish carries the whole command flow and the sequence
    /// headers, so the chunk target reaches every message parser from the start.
    @Test func capturedChunkStreamsDecodeToAPublish() throws {
        let firstPieces = Self.inputs(in: "corpus", for: .chunk).filter { $0.lastPathComponent.contains("piece0") }
        #expect(firstPieces.count >= 2)
        for file in firstPieces {
            let outcome = ChunkFuzzing.decode(Array(try Data(contentsOf: file))) { remaining in remaining }
            #expect(outcome.error == nil, "\(file.lastPathComponent)")
            let commands = outcome.messages.compactMap { try? RTMPCommand(decoding: $0) }
            #expect(commands.contains { if case .publish = $0 { true } else { false } }, "\(file.lastPathComponent)")
            #expect(outcome.messages.contains { $0.type == .video }, "\(file.lastPathComponent)")
            #expect(outcome.messages.contains { $0.type == .audio }, "\(file.lastPathComponent)")
        }
    }
}
