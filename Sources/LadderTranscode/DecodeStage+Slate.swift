import Foundation
import LadderFFmpeg
import LadderMedia

/// The slate: while a vanished publisher may come back, every transcoded rung keeps encoding
/// the last picture (with silence) in real time, so players keep receiving segments.
extension DecodeStage {
    /// Repeats the last picture on the publish's timeline until the slate's deadline or stop.
    func runSlate() {
        guard let (last, firstPts) = lastForwarded, epoch != nil else { return }
        var frame = last
        if let path = options.slateImagePath {
            do {
                frame = try StillImage.load(path: path, width: last.width, height: last.height)
            } catch {
                logger.warning("slate image unusable; the last picture is shown", metadata: ["error": "\(error)"])
            }
        }
        let rate = epoch?.source?.frameRate.flatMap { $0.isFinite && $0 >= 1 ? $0 : nil } ?? 30
        let frameMilliseconds = 1000 / min(rate, 120)
        let start = ContinuousClock.now
        logger.info(
            "slate: \(frame === last ? "the last picture" : "the slate image"), with silence, until the publisher returns"
        )
        var count = 0
        var announced = false
        while let deadline = control.slateDeadline, ContinuousClock.now < deadline {
            let due = start + .milliseconds(Int64((Double(count + 1) * frameMilliseconds).rounded()))
            guard wait(until: min(due, deadline)) else { break }
            count += 1
            let pts = firstPts + Int64((Double(count) * frameMilliseconds).rounded())
            if let mark = forward(frame, pts: pts), !announced {
                // From this segment on, everything is slate (the one before ends the real media).
                sink.slateBegins(atSegment: mark)
                announced = true
            }
            lastPictureMilliseconds = pts
            if let audio = epoch?.audio, epoch?.audioAlive == true {
                _ = audio.push(.payload(.silence(untilMilliseconds: pts)))
            }
        }
        let seconds = Double(count) * frameMilliseconds / 1000
        stats.update { $0.slateSeconds += seconds }
        logger.info("slate ended", metadata: ["seconds": "\(String(format: "%.1f", seconds))"])
    }

    /// Sleeps until `instant` in short steps; false when the slate was stopped meanwhile.
    private func wait(until instant: ContinuousClock.Instant) -> Bool {
        while ContinuousClock.now < instant {
            guard control.slateDeadline != nil else { return false }
            Thread.sleep(forTimeInterval: min(0.01, ContinuousClock.now.duration(to: instant) / .seconds(1)))
        }
        return control.slateDeadline != nil
    }
}

/// The configured slate picture, checked before it is needed (at start-up).
public enum SlateImage {
    /// Why the image at `path` cannot be a slate (FFmpeg's message), or nil when it decodes.
    public static func problem(path: String) -> String? {
        do {
            _ = try StillImage.load(path: path, width: 64, height: 36)
            return nil
        } catch {
            return "\(error)"
        }
    }
}
