import Foundation
import GatewayFuzzDriver

// Linked with -sanitize=fuzzer: hand the command line to libFuzzer. Otherwise replay the files
// and folders named on the command line through the same harness (what CI runs without sanitizers).
if gateway_fuzz_driver_available() != 0 {
    guard FuzzEntry.target != nil else {
        let names = GatewayFuzzTarget.names.joined(separator: "|")
        FileHandle.standardError.write(Data("set \(FuzzEntry.environmentVariable) (\(names))\n".utf8))
        exit(2)
    }
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(gateway_fuzz_run_driver(&argc, &argv) { data, size in fuzzTestOneInput(data, size) })
}
exit(FuzzReplay.run(arguments: Array(CommandLine.arguments.dropFirst())))
