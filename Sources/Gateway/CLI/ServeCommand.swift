import ArgumentParser

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Accept RTMP publishes and serve the transcoded ladder over HTTP."
    )

    @Option(help: "Transcoding profile (YAML).")
    var profile: String = "profiles/default.yaml"

    @Option(help: "RTMP listen address, HOST:PORT.")
    var rtmp: String = "0.0.0.0:1935"

    @Option(help: "HTTP listen address, HOST:PORT.")
    var http: String = "0.0.0.0:8080"

    func run() async throws {
        throw ValidationError("serve is not wired yet")
    }
}
