import LadderFFmpeg
import LadderMedia
import LadderProfile

/// A planned rung's encoder: its settings, and what its headers say.
package enum RungEncoding {
    package enum CodecProbe: Sendable {
        case codecs(String)
        case failed(String)
    }

    /// A planned rung's encoder settings: the planner's numbers as they are (`gateway validate`
    /// opens encoders with the same).
    package static func settings(
        _ rendition: PlannedRendition, profile: Profile, source: SourceVideo?
    ) -> VideoEncoderSettings {
        let frameRate = rendition.frameRate ?? source?.frameRate ?? LadderPlanner.assumedFrameRate
        let interval =
            rendition.keyframeIntervalFrames
            ?? LadderPlanner.keyframeInterval(frameRate: frameRate, segmentSeconds: profile.segmentSeconds)
        return VideoEncoderSettings(
            width: rendition.width, height: rendition.height, frameRate: frameRate,
            sampleAspectNum: rendition.sampleAspectNum, sampleAspectDen: rendition.sampleAspectDen,
            bitrate: rendition.bitrate ?? LadderPlanner.fallbackBitrate, maxrate: rendition.maxrate,
            bufsize: rendition.bufsize, coding: rendition.coding, keyframeInterval: interval,
            lookaheadFrames: profile.video.lookaheadFrames, bframes: profile.video.bframes)
    }

    /// Opens each transcoded rung's encoder as a publish would and reads the RFC 6381 codec
    /// string from its headers (`gateway validate`); a rung whose encoder does not open gets
    /// FFmpeg's reason instead.
    package static func codecStrings(
        plan: LadderPlan, profile: Profile, source: SourceVideo
    ) -> [(name: String, result: CodecProbe)] {
        plan.renditions.filter { !$0.isCopy }.map { rendition in
            do {
                let encoder = try VideoEncoder(settings: settings(rendition, profile: profile, source: source))
                return (rendition.name, .codecs(try encoder.sampleFormat().codecString))
            } catch {
                return (rendition.name, .failed("\(error)"))
            }
        }
    }
}
