import ArgumentParser

@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Transcoding live-streaming gateway: RTMP in, adaptive HLS and DASH out.",
        subcommands: [
            ServeCommand.self, ValidateCommand.self, TranscodeCommand.self, SignCommand.self, HashPasswordCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )
}
