import LadderMedia

/// A multivariant (master) playlist (RFC 8216 4.3.4) as a value; `render()` gives the text.
public struct HLSMasterPlaylist: Sendable, Hashable {
    /// EXT-X-MEDIA TYPE=AUDIO (RFC 8216 4.3.4.1).
    public struct AudioRendition: Sendable, Hashable {
        public var groupID: String
        public var name: String
        public var uri: String
        public var isDefault: Bool
        public var autoselect: Bool
        public var channels: Int?

        public init(groupID: String, name: String, uri: String, isDefault: Bool, autoselect: Bool, channels: Int?) {
            self.groupID = groupID
            self.name = name
            self.uri = uri
            self.isDefault = isDefault
            self.autoselect = autoselect
            self.channels = channels
        }
    }

    /// EXT-X-STREAM-INF (RFC 8216 4.3.4.2) and the URI line after it.
    public struct Variant: Sendable, Hashable {
        public var uri: String
        /// Peak segment bit rate, bits per second.
        public var bandwidth: Int
        public var averageBandwidth: Int?
        /// RFC 6381 codec strings of every media type in the variant.
        public var codecs: [String]
        public var width: Int?
        public var height: Int?
        public var frameRate: Double?
        public var audioGroupID: String?

        public init(
            uri: String, bandwidth: Int, averageBandwidth: Int?, codecs: [String], width: Int?, height: Int?,
            frameRate: Double?, audioGroupID: String?
        ) {
            self.uri = uri
            self.bandwidth = bandwidth
            self.averageBandwidth = averageBandwidth
            self.codecs = codecs
            self.width = width
            self.height = height
            self.frameRate = frameRate
            self.audioGroupID = audioGroupID
        }
    }

    public var version: Int
    public var independentSegments: Bool
    public var audio: [AudioRendition]
    /// Rendered in the given order (the packager sorts by BANDWIDTH, highest first).
    public var variants: [Variant]

    public init(version: Int = 7, independentSegments: Bool = true, audio: [AudioRendition], variants: [Variant]) {
        self.version = version
        self.independentSegments = independentSegments
        self.audio = audio
        self.variants = variants
    }

    public func render() -> String {
        var lines = ["#EXTM3U", "#EXT-X-VERSION:\(version)"]
        if independentSegments {
            lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
        }
        for rendition in audio {
            var attributes = [
                "TYPE=AUDIO",
                "GROUP-ID=\"\(HLSText.quoted(rendition.groupID))\"",
                "NAME=\"\(HLSText.quoted(rendition.name))\"",
                "DEFAULT=\(rendition.isDefault ? "YES" : "NO")",
                "AUTOSELECT=\(rendition.autoselect ? "YES" : "NO")",
            ]
            if let channels = rendition.channels {
                attributes.append("CHANNELS=\"\(channels)\"")
            }
            attributes.append("URI=\"\(HLSText.quoted(rendition.uri))\"")
            lines.append("#EXT-X-MEDIA:" + attributes.joined(separator: ","))
        }
        for variant in variants {
            var attributes = ["BANDWIDTH=\(max(0, variant.bandwidth))"]
            if let average = variant.averageBandwidth {
                attributes.append("AVERAGE-BANDWIDTH=\(max(0, average))")
            }
            if !variant.codecs.isEmpty {
                attributes.append("CODECS=\"\(HLSText.quoted(variant.codecs.joined(separator: ",")))\"")
            }
            if let width = variant.width, let height = variant.height, width > 0, height > 0 {
                attributes.append("RESOLUTION=\(width)x\(height)")
            }
            if let frameRate = variant.frameRate, frameRate > 0 {
                attributes.append("FRAME-RATE=\(TextFormatting.fixed(frameRate, decimals: 3))")
            }
            if let group = variant.audioGroupID {
                attributes.append("AUDIO=\"\(HLSText.quoted(group))\"")
            }
            lines.append("#EXT-X-STREAM-INF:" + attributes.joined(separator: ","))
            lines.append(HLSText.line(variant.uri))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
