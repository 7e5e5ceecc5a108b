import ArgumentParser
import Foundation
import Ladder
import Logging

struct TranscodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcode",
        abstract: "Transcode a file or URL into a packaged VOD ladder (HLS + DASH) at full speed.",
        discussion: """
            Runs the same decode/scale/encode/package pipeline as live publishes, reading the input
            with libavformat. DIR receives master.m3u8, manifest.mpd and one folder per rendition.
            """
    )

    @Argument(help: "Input file or URL (anything libavformat reads with H.264/HEVC video and/or AAC audio).")
    var input: String

    @Option(help: "Transcoding profile (YAML).")
    var profile: String = "profiles/default.yaml"

    @Option(help: "Output folder (created if missing).")
    var output: String

    @Flag(help: "No progress line.")
    var quiet = false

    func run() throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        MallocTuning.apply()
        let loaded: Profile
        do {
            loaded = try ProfileLoader.load(path: profile)
        } catch {
            throw ValidationError("\(error)")
        }
        let name = "vod"
        // Segments go straight to DIR as they are cut (atomic writes); only manifests stay in memory.
        let store = SegmentStore(mirror: DiskMirror(root: output, streamFolders: false), segmentsOnDiskOnly: true)
        let packager = StreamPackager(
            streamName: name, config: PackagerConfig(profile: loaded, mode: .vod), store: store)
        let transcoder = OfflineTranscoder(logger: Logger(label: "transcode"))
        let quiet = quiet
        let stats = try transcoder.run(input: input, profile: loaded, sink: packager) { progress in
            guard !quiet else { return }
            let line = String(
                format: "\rframes=%d time=%.2fs speed=%.2fx", progress.frames, progress.mediaSeconds, progress.speed)
            FileHandle.standardError.write(Data(line.utf8))
        }
        if !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
        guard packager.storeFailureCount == 0 else {
            throw ValidationError("\(packager.storeFailureCount) files could not be written to \(output)")
        }
        try store.writeAll(stream: name, to: output)
        for rendition in stats.renditions {
            print("\(rendition.name): \(rendition.width)x\(rendition.height) \(rendition.framesOut) frames")
        }
        print("wrote \(output)/master.m3u8 and \(output)/manifest.mpd")
    }
}
