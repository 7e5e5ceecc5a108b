import LadderMedia

extension DASHManifest {
    /// The MPD as XML (ISO/IEC 23009-1 5.3 element and attribute order; attribute values escaped).
    public func render() -> String {
        var xml = XMLLines()
        xml.line(0, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        var attributes: [(String, String?)] = [
            ("xmlns", "urn:mpeg:dash:schema:mpd:2011"),
            ("profiles", profiles),
            ("type", type.rawValue),
            (
                "availabilityStartTime",
                availabilityStartTimeMs.map { TextFormatting.iso8601(millisecondsSince1970: $0) }
            ),
            ("publishTime", publishTimeMs.map { TextFormatting.iso8601(millisecondsSince1970: $0) }),
            ("mediaPresentationDuration", mediaPresentationDurationMs.map(TextFormatting.xsDuration)),
            ("minimumUpdatePeriod", minimumUpdatePeriodMs.map(TextFormatting.xsDuration)),
            ("timeShiftBufferDepth", timeShiftBufferDepthMs.map(TextFormatting.xsDuration)),
            ("suggestedPresentationDelay", suggestedPresentationDelayMs.map(TextFormatting.xsDuration)),
        ]
        attributes.append(("minBufferTime", TextFormatting.xsDuration(milliseconds: minBufferTimeMs)))
        xml.open(0, "MPD", attributes)
        if let service = serviceDescription {
            xml.open(1, "ServiceDescription", [("id", "0")])
            xml.empty(
                2, "Latency",
                [
                    ("referenceId", "0"), ("target", "\(service.targetLatencyMs)"), ("max", "\(service.maxLatencyMs)"),
                    ("min", "\(service.minLatencyMs)"),
                ])
            xml.empty(
                2, "PlaybackRate",
                [
                    ("max", TextFormatting.fixed(service.maxPlaybackRate, decimals: 2)),
                    ("min", TextFormatting.fixed(service.minPlaybackRate, decimals: 2)),
                ])
            xml.close(1, "ServiceDescription")
        }
        for period in periods {
            xml.open(
                1, "Period", [("id", period.id), ("start", TextFormatting.xsDuration(milliseconds: period.startMs))])
            for set in period.adaptationSets {
                render(set, into: &xml)
            }
            xml.close(1, "Period")
        }
        for timing in utcTimings {
            xml.empty(1, "UTCTiming", [("schemeIdUri", timing.schemeIdUri), ("value", timing.value)])
        }
        xml.close(0, "MPD")
        return xml.text
    }

    private func render(_ set: AdaptationSet, into xml: inout XMLLines) {
        xml.open(
            2, "AdaptationSet",
            [
                ("id", "\(set.id)"),
                ("contentType", set.contentType),
                ("mimeType", set.mimeType),
                ("segmentAlignment", set.segmentAlignment ? "true" : nil),
                ("startWithSAP", set.startWithSAP.map { "\($0)" }),
                ("maxWidth", set.maxWidth.map { "\($0)" }),
                ("maxHeight", set.maxHeight.map { "\($0)" }),
                ("maxFrameRate", set.maxFrameRate),
            ])
        for representation in set.representations {
            xml.open(
                3, "Representation",
                [
                    ("id", representation.id),
                    ("bandwidth", "\(max(0, representation.bandwidth))"),
                    ("codecs", representation.codecs),
                    ("width", representation.width.map { "\($0)" }),
                    ("height", representation.height.map { "\($0)" }),
                    ("frameRate", representation.frameRate),
                    ("sar", representation.sar),
                    ("audioSamplingRate", representation.audioSamplingRate.map { "\($0)" }),
                ])
            if let channels = representation.audioChannels {
                xml.empty(
                    4, "AudioChannelConfiguration",
                    [("schemeIdUri", DASHManifest.channelConfigurationScheme), ("value", "\(channels)")])
            }
            let template = representation.segmentTemplate
            let attributes: [(String, String?)] = [
                ("timescale", "\(template.timescale)"),
                (
                    "presentationTimeOffset",
                    template.presentationTimeOffset != 0 ? "\(template.presentationTimeOffset)" : nil
                ),
                ("duration", template.duration.map { "\($0)" }),
                ("initialization", template.initialization),
                ("media", template.media),
                ("startNumber", "\(template.startNumber)"),
                (
                    "availabilityTimeOffset",
                    template.availabilityTimeOffset.map { TextFormatting.fixed($0, decimals: 3) }
                ),
                ("availabilityTimeComplete", template.availabilityTimeOffset == nil ? nil : "false"),
            ]
            guard !template.timeline.isEmpty else {
                xml.empty(4, "SegmentTemplate", attributes)
                xml.close(3, "Representation")
                continue
            }
            xml.open(4, "SegmentTemplate", attributes)
            xml.open(5, "SegmentTimeline", [])
            for entry in template.timeline {
                xml.empty(
                    6, "S",
                    [("t", entry.t.map { "\($0)" }), ("d", "\(entry.d)"), ("r", entry.r > 0 ? "\(entry.r)" : nil)])
            }
            xml.close(5, "SegmentTimeline")
            xml.close(4, "SegmentTemplate")
            xml.close(3, "Representation")
        }
        xml.close(2, "AdaptationSet")
    }
}

/// Indented XML lines with escaped attribute values (XML 1.0 2.4, 3.3.3).
struct XMLLines {
    private(set) var text = ""

    mutating func line(_ depth: Int, _ content: String) {
        text += String(repeating: "  ", count: depth) + content + "\n"
    }

    mutating func open(_ depth: Int, _ name: String, _ attributes: [(String, String?)]) {
        line(depth, "<\(name)\(Self.attributes(attributes))>")
    }

    mutating func empty(_ depth: Int, _ name: String, _ attributes: [(String, String?)]) {
        line(depth, "<\(name)\(Self.attributes(attributes))/>")
    }

    mutating func close(_ depth: Int, _ name: String) {
        line(depth, "</\(name)>")
    }

    static func attributes(_ attributes: [(String, String?)]) -> String {
        attributes.compactMap { name, value in value.map { " \(name)=\"\(escape($0))\"" } }.joined()
    }

    static func escape(_ value: String) -> String {
        var result = ""
        result.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\n": result += "&#10;"
            case "\r": result += "&#13;"
            case "\t": result += "&#9;"
            default:
                // Other control characters are not allowed in XML 1.0 at all.
                if scalar.value >= 0x20 { result.unicodeScalars.append(scalar) }
            }
        }
        return result
    }
}
