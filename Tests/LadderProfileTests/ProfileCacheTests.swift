import Foundation
import LadderMedia
import Testing

@testable import LadderProfile

@Suite struct ProfileCacheTests {
    private static func yaml(name: String, bitrate: String) -> String {
        "name: \(name)\nvideo:\n  renditions:\n    - { name: a, height: 360, bitrate: \(bitrate) }\n"
    }

    /// Writes `text` and stamps a distinct modification time, so the test never depends on the
    /// file system's timestamp granularity.
    private static func write(_ text: String, to path: String, modified: Date) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: path)
    }

    private static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("profile-cache-\(UUID().uuidString).yaml").path
    }

    @Test func picksUpAnEditAndKeepsTheLastGoodOnABrokenEdit() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cache = ProfileCache()
        let start = Date(timeIntervalSince1970: 1_700_000_000)

        try Self.write(Self.yaml(name: "first", bitrate: "800k"), to: path, modified: start)
        let first = cache.profile(path: path)
        #expect(first.profile?.name == "first")
        #expect(first.error == nil)
        #expect(first.changed)

        let unchanged = cache.profile(path: path)
        #expect(unchanged.profile?.name == "first")
        #expect(!unchanged.changed)

        try Self.write(Self.yaml(name: "second", bitrate: "900k"), to: path, modified: start + 10)
        let edited = cache.profile(path: path)
        #expect(edited.profile?.name == "second")
        #expect(edited.profile?.video.renditions.first?.bitrate == 900_000)
        #expect(edited.changed)

        try Self.write(Self.yaml(name: "third", bitrate: "-1k"), to: path, modified: start + 20)
        let broken = cache.profile(path: path)
        #expect(broken.profile?.name == "second")
        #expect(broken.isStale)
        #expect(broken.changed)
        #expect(broken.error?.issues.map(\.path) == ["video.renditions[0].bitrate"])
        #expect(broken.error?.issues.first?.line == 4)

        let stillBroken = cache.profile(path: path)
        #expect(stillBroken.profile?.name == "second")
        #expect(stillBroken.error != nil)
        #expect(!stillBroken.changed)

        try Self.write(Self.yaml(name: "fixed", bitrate: "1M"), to: path, modified: start + 30)
        let fixed = cache.profile(path: path)
        #expect(fixed.profile?.name == "fixed")
        #expect(fixed.error == nil)
        #expect(!fixed.isStale)
    }

    @Test func sameTimestampButDifferentSizeIsAnEdit() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cache = ProfileCache()
        let stamp = Date(timeIntervalSince1970: 1_700_000_000)
        try Self.write(Self.yaml(name: "a", bitrate: "800k"), to: path, modified: stamp)
        #expect(cache.profile(path: path).profile?.name == "a")
        try Self.write(Self.yaml(name: "bb", bitrate: "800k"), to: path, modified: stamp)
        #expect(cache.profile(path: path).profile?.name == "bb")
    }

    @Test func missingFileReportsAndKeepsTheLastGood() throws {
        let path = Self.temporaryPath()
        let cache = ProfileCache()

        let never = cache.profile(path: path)
        #expect(never.profile == nil)
        #expect(never.error?.description == "\(path): cannot read the profile file")
        #expect(never.changed)
        #expect(!cache.profile(path: path).changed)

        try Self.write(Self.yaml(name: "present", bitrate: "800k"), to: path, modified: Date(timeIntervalSince1970: 1))
        #expect(cache.profile(path: path).profile?.name == "present")
        try FileManager.default.removeItem(atPath: path)
        let vanished = cache.profile(path: path)
        #expect(vanished.profile?.name == "present")
        #expect(vanished.isStale)
        #expect(vanished.changed)
    }

    @Test func concurrentLookupsAgree() async throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.write(Self.yaml(name: "shared", bitrate: "800k"), to: path, modified: Date(timeIntervalSince1970: 5))
        let cache = ProfileCache()
        let names = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<16 { group.addTask { cache.profile(path: path).profile?.name } }
            var names: [String?] = []
            for await name in group { names.append(name) }
            return names
        }
        #expect(names == Array(repeating: "shared", count: 16))
    }
}
