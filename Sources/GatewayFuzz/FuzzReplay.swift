import Foundation
import RTMPWire

/// `gateway-fuzz [TARGET] PATH...` without libFuzzer: runs every file (folders: every file in
/// them) through `FuzzHarness`. TARGET may instead come from GATEWAY_FUZZ_TARGET.
enum FuzzReplay {
    static func run(arguments: [String]) -> Int32 {
        var paths = arguments
        let target: GatewayFuzzTarget
        if let first = paths.first, let named = GatewayFuzzTarget(name: first) {
            target = named
            paths.removeFirst()
        } else if let fromEnvironment = FuzzEntry.target {
            target = fromEnvironment
        } else {
            print("usage: gateway-fuzz [\(GatewayFuzzTarget.names.joined(separator: "|"))] PATH...")
            return 2
        }
        var replayed = 0
        var violations = 0
        for file in paths.flatMap(files(at:)) {
            guard let data = FileManager.default.contents(atPath: file) else {
                print("cannot read \(file)")
                return 2
            }
            replayed += 1
            do {
                try target.run(Array(data))
            } catch {
                violations += 1
                print("\(file): \(error)")
            }
        }
        print("\(target.name): replayed \(replayed) inputs, \(violations) property violations")
        return violations == 0 ? 0 : 1
    }

    private static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [path] }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { "\(path)/\($0)" }.filter { file in
            var nested: ObjCBool = false
            return FileManager.default.fileExists(atPath: file, isDirectory: &nested) && !nested.boolValue
        }
    }
}
