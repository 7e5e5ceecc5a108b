import LadderMedia

/// SegmentIndexBox `sidx` (ISO/IEC 14496-12 8.16.3), written optionally at the start of a media segment.
public enum SegmentIndexBox {
    /// One reference to a subsegment (a `moof`+`mdat` chunk or a run of them).
    public struct Reference: Sendable, Hashable {
        public var referencedSize: UInt32
        public var subsegmentDuration: UInt32
        public var startsWithSAP: Bool

        public init(referencedSize: UInt32, subsegmentDuration: UInt32, startsWithSAP: Bool) {
            self.referencedSize = referencedSize
            self.subsegmentDuration = subsegmentDuration
            self.startsWithSAP = startsWithSAP
        }
    }

    /// reference_type 0 (media), SAP_type 1 for subsegments starting with a sync sample, and
    /// first_offset 0 (the referenced material follows the `sidx`). Version 1 only when the
    /// earliest presentation time needs 64 bits.
    public static func write(
        _ writer: inout BoxWriter, referenceID: UInt32, timescale: UInt32, earliestPresentationTime: UInt64,
        references: [Reference]
    ) {
        let needs64 = earliestPresentationTime > UInt64(UInt32.max)
        writer.writeFullBox("sidx", version: needs64 ? 1 : 0, flags: 0) { box in
            box.writeUInt32(referenceID)
            box.writeUInt32(timescale)
            if needs64 {
                box.writeUInt64(earliestPresentationTime)
                box.writeUInt64(0)  // first_offset
            } else {
                box.writeUInt32(UInt32(earliestPresentationTime))
                box.writeUInt32(0)  // first_offset
            }
            box.writeUInt16(0)  // reserved
            box.writeUInt16(UInt16(clamping: references.count))
            for reference in references {
                box.writeUInt32(reference.referencedSize & 0x7FFF_FFFF)  // reference_type 0
                box.writeUInt32(reference.subsegmentDuration)
                // starts_with_SAP(1) SAP_type(3) SAP_delta_time(28)
                box.writeUInt32(reference.startsWithSAP ? 0x9000_0000 : 0)
            }
        }
    }
}
