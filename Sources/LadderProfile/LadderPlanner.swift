import LadderMedia

/// Fits a profile's ladder to a source: never upscales, keeps the display aspect, even sizes.
public enum LadderPlanner {
    public static func plan(profile: Profile, source: SourceVideo) -> LadderPlan {
        let source = sanitized(source)
        var planned: [(order: Int, rendition: PlannedRendition)] = []
        var skipped: [LadderPlan.Skipped] = []
        // Transcoded rungs that were too large, with their would-be size, for the fallback below.
        var oversized: [(order: Int, spec: RenditionSpec, size: Size)] = []

        for (order, spec) in profile.video.renditions.enumerated() {
            if spec.copy {
                planned.append((order, copyRendition(spec, source: source)))
                continue
            }
            let size = outputSize(spec, source: source)
            if size.height > source.height || Double(size.width) > source.displayWidth + 1 {
                let reason =
                    "\(size.width)x\(size.height) is larger than the source \(sourceDescription(source)) (no upscaling)"
                skipped.append(LadderPlan.Skipped(name: spec.name, reason: reason))
                oversized.append((order, spec, size))
                continue
            }
            planned.append((order, transcodedRendition(spec, size: size, profile: profile, source: source)))
        }

        // There is always a transcoded rung: when the source is smaller than every rung, the
        // smallest rung is kept, shrunk to the source size.
        let hasTranscode = planned.contains { !$0.rendition.isCopy }
        if !hasTranscode,
            let smallest = oversized.min(by: { lhs, rhs in
                (lhs.size.area, lhs.spec.bitrate ?? 0) < (rhs.size.area, rhs.spec.bitrate ?? 0)
            })
        {
            let height = max(2, source.height / 2 * 2)
            let size = Size(width: evenRounded(Double(height) * source.displayAspect), height: height)
            var rendition = transcodedRendition(smallest.spec, size: size, profile: profile, source: source)
            rendition.note = "shrunk to the source size (every rung is larger than the source)"
            planned.append((smallest.order, rendition))
            skipped.removeAll { $0.name == smallest.spec.name }
        }

        let ordered = planned.sorted { lhs, rhs in
            let left = lhs.rendition
            let right = rhs.rendition
            if left.isCopy != right.isCopy { return left.isCopy }
            if left.bitrate != right.bitrate { return (left.bitrate ?? 0) > (right.bitrate ?? 0) }
            if left.height != right.height { return left.height > right.height }
            return lhs.order < rhs.order
        }
        return LadderPlan(renditions: ordered.map(\.rendition), skipped: skipped)
    }

    // MARK: Geometry

    package struct Size: Hashable {
        package var width: Int
        package var height: Int
        package var area: Int { width * height }
    }

    /// The rung's size for this source, before the upscale check: a height or width alone keeps the
    /// display aspect; a box that does not match the aspect is fitted inside it, keeping the aspect.
    package static func outputSize(_ spec: RenditionSpec, source: SourceVideo) -> Size {
        let aspect = source.displayAspect
        switch (spec.width, spec.height) {
        case (let width?, let height?):
            let fittedHeight = Double(width) / aspect
            if fittedHeight <= Double(height) + 1e-9 {
                return Size(width: width, height: min(height, evenRounded(fittedHeight)))
            }
            return Size(width: min(width, evenRounded(Double(height) * aspect)), height: height)
        case (let width?, nil):
            return Size(width: width, height: evenRounded(Double(width) / aspect))
        case (nil, let height?):
            return Size(width: evenRounded(Double(height) * aspect), height: height)
        case (nil, nil):
            // The loader rejects this; plan it at the source size.
            return Size(width: evenRounded(source.displayWidth), height: max(2, source.height / 2 * 2))
        }
    }

    /// Nearest even integer, at least 2 (bounded, so absurd aspects cannot overflow).
    package static func evenRounded(_ value: Double) -> Int {
        guard value.isFinite else { return 2 }
        let bounded = min(max(value, 2), Double(ProfileLoader.maxDimension * 4))
        return max(2, Int((bounded / 2).rounded()) * 2)
    }

    /// A rung's bitrate when its spec has none (the loader requires one; API callers may not).
    public static let fallbackBitrate = 1_000_000
    /// Frame rate assumed for the keyframe interval when neither the source nor the cap gives one.
    public static let assumedFrameRate = 30.0

    /// x264's keyint: two segments of frames (at least 2). IDRs are forced at every segment start
    /// (`SegmentBoundaryTracker`), so x264 never has to place one of its own in between.
    public static func keyframeInterval(frameRate: Double?, segmentSeconds: Double) -> Int {
        let rate = frameRate.flatMap { $0.isFinite && $0 > 0 ? $0 : nil } ?? assumedFrameRate
        return max(2, Int(min(2 * segmentSeconds * rate, 100_000).rounded(.up)))
    }

    // MARK: Rungs

    private static func copyRendition(_ spec: RenditionSpec, source: SourceVideo) -> PlannedRendition {
        PlannedRendition(
            name: spec.name, isCopy: true, width: source.width, height: source.height, bitrate: nil, maxrate: nil,
            bufsize: nil, coding: VideoCoding(codec: source.codec, encoder: "copy"), maxFrameRate: nil,
            frameRate: source.frameRate,
            keyframeIntervalFrames: nil, sampleAspectNum: source.sampleAspectNum,
            sampleAspectDen: source.sampleAspectDen)
    }

    private static func transcodedRendition(
        _ spec: RenditionSpec, size: Size, profile: Profile, source: SourceVideo
    ) -> PlannedRendition {
        let bitrate = spec.bitrate ?? Self.fallbackBitrate
        let maxrate = spec.maxrate ?? bitrate
        let bufsize = spec.bufsize ?? 2 * maxrate
        let frameRate: Double?
        switch (source.frameRate, spec.fps) {
        case (let sourceRate?, let cap?): frameRate = min(sourceRate, cap)
        case (let sourceRate?, nil): frameRate = sourceRate
        case (nil, let cap?): frameRate = cap
        case (nil, nil): frameRate = nil
        }
        let keyframeInterval = keyframeInterval(frameRate: frameRate, segmentSeconds: profile.segmentSeconds)
        return PlannedRendition(
            name: spec.name, isCopy: false, width: size.width, height: size.height, bitrate: bitrate,
            maxrate: maxrate, bufsize: bufsize, coding: coding(spec, profile: profile), maxFrameRate: spec.fps,
            frameRate: frameRate, keyframeIntervalFrames: keyframeInterval)
    }

    /// The rung's codec and encoder knobs, each unset one at its default: an H.264 rung takes
    /// the ladder's encoder and preset.
    public static func coding(_ spec: RenditionSpec, profile: Profile) -> VideoCoding {
        let h264 = spec.codec == .h264
        return VideoCoding(
            codec: spec.codec, encoder: spec.encoder ?? (h264 ? profile.video.encoder : nil),
            preset: spec.preset ?? (h264 && spec.encoder == nil ? profile.video.preset : nil), profile: spec.profile,
            level: spec.level, deadline: spec.deadline, cpuUsed: spec.cpuUsed, rowMT: spec.rowMT,
            tileColumns: spec.tileColumns, threads: spec.threads
        )
        .resolved
    }

    /// Guards the geometry against nonsensical numbers (never from a valid stream).
    private static func sanitized(_ source: SourceVideo) -> SourceVideo {
        var source = source
        source.width = min(max(source.width, 2), ProfileLoader.maxDimension * 4)
        source.height = min(max(source.height, 2), ProfileLoader.maxDimension * 4)
        if let rate = source.frameRate, !(rate.isFinite && rate > 0) { source.frameRate = nil }
        return source
    }

    package static func sourceDescription(_ source: SourceVideo) -> String {
        var text = "\(source.width)x\(source.height)"
        if source.sampleAspect != 1 { text += " (SAR \(source.sampleAspectNum):\(source.sampleAspectDen))" }
        return text
    }
}
