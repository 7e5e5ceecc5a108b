import Foundation
import LadderFFmpeg
import LadderMedia
import LadderProfile
import LadderTranscode

/// A fresh directory under the system temp dir, removed by `remove()`.
package struct TestDirectory {
    package let path: String

    package init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ladder-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    package func read(_ relative: String) -> [UInt8]? {
        FileManager.default.contents(atPath: "\(path)/\(relative)").map { Array($0) }
    }

    package func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: "\(path)/\(relative)")
    }

    /// Every regular file below the directory, relative paths, sorted.
    package func files() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return [] }
        var result: [String] = []
        while let next = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(path)/\(next)", isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                result.append(next)
            }
        }
        return result.sorted()
    }

    package func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
