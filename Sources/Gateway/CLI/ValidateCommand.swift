import ArgumentParser
import Ladder

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a transcoding profile and print the ladder it plans.",
        discussion: "Exit status 0 when the profile is valid, 1 with one line per problem (file:line:column) otherwise."
    )

    @Argument(help: "Profile file (YAML).")
    var profile: String

    @Option(help: "Plan for this source size, WIDTHxHEIGHT (default 1920x1080).")
    var source: String?

    @Option(help: "Source frame rate used for the plan.")
    var sourceFps: Double = 30

    func run() throws {
        var sourceVideo: SourceVideo?
        if let source {
            let parts = source.lowercased().split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts[0] > 0, parts[1] > 0 else {
                throw ValidationError("--source must look like 1280x720")
            }
            sourceVideo = SourceVideo(width: parts[0], height: parts[1], frameRate: sourceFps)
        }
        let report = ProfileValidation.report(path: profile, source: sourceVideo)
        print(report.output, terminator: report.output.hasSuffix("\n") ? "" : "\n")
        if report.ok, let loaded = try? ProfileLoader.load(path: profile) {
            print(
                LatencyBudget.describe(profile: loaded, frameRate: sourceVideo?.frameRate ?? sourceFps)
                    .joined(separator: "\n"))
        }
        if !report.ok { throw ExitCode(1) }
    }
}
