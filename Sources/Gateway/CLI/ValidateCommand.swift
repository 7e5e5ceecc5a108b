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
            let source = sourceVideo ?? .nominal
            let plan = LadderPlanner.plan(profile: loaded, source: source)
            var lines = ["CODECS (RFC 6381, read from each encoder's headers; the master playlist lists them):"]
            for rung in RungEncoding.codecStrings(plan: plan, profile: loaded, source: source) {
                switch rung.result {
                case .codecs(let codecs): lines.append("  \(rung.name): \(codecs)")
                case .failed(let reason): lines.append("  \(rung.name): encoder does not open here: \(reason)")
                }
            }
            print(lines.joined(separator: "\n"))
            print(
                LatencyBudget.describe(profile: loaded, frameRate: sourceVideo?.frameRate ?? sourceFps)
                    .joined(separator: "\n"))
        }
        if !report.ok { throw ExitCode(1) }
    }
}
