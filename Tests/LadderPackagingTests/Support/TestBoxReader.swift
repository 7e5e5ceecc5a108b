import LadderMedia
import LadderTestSupport

@testable import LadderPackaging

/// Minimal ISO BMFF reader for tests: parses what the packager writes and checks that box sizes
/// add up exactly.
struct TestBoxError: Error, CustomStringConvertible {
    var description: String
}

struct TestBox {
    var type: String
    /// Offset of the box header in the buffer it was parsed from.
    var offset: Int
    var size: Int
    var headerSize: Int
    var payload: ArraySlice<UInt8>

    /// FullBox version and flags.
    var version: UInt8 { payload[payload.startIndex] }
    var flags: UInt32 {
        let start = payload.startIndex
        return UInt32(payload[start + 1]) << 16 | UInt32(payload[start + 2]) << 8 | UInt32(payload[start + 3])
    }

    /// Child boxes after `skip` bytes of this box's own fields.
    func children(skip: Int = 0) throws -> [TestBox] {
        try parseTestBoxes(payload.dropFirst(skip))
    }

    /// Child boxes for the container types the packager writes.
    func containerChildren() throws -> [TestBox] {
        switch type {
        case "stsd": return try children(skip: 8)
        case "dref": return try children(skip: 8)
        case "avc1", "hvc1", "vp09", "av01": return try children(skip: 78)
        case "mp4a": return try children(skip: 28)
        default: return try children()
        }
    }

    /// Descends by type, e.g. `find("moov", "trak", "tkhd")` from a top-level list.
    func find(_ path: String...) throws -> TestBox {
        try find(path)
    }

    func find(_ path: [String]) throws -> TestBox {
        guard let first = path.first else { return self }
        guard let child = try containerChildren().first(where: { $0.type == first }) else {
            throw TestBoxError(description: "no \(first) in \(type)")
        }
        return try child.find(Array(path.dropFirst()))
    }

    func cursor(skip: Int = 0) -> TestCursor {
        TestCursor(bytes: payload.dropFirst(skip))
    }
}

func parseTestBoxes(_ bytes: ArraySlice<UInt8>) throws -> [TestBox] {
    var boxes: [TestBox] = []
    var position = bytes.startIndex
    while position < bytes.endIndex {
        guard bytes.endIndex - position >= 8 else { throw TestBoxError(description: "truncated header at \(position)") }
        var cursor = TestCursor(bytes: bytes[position...])
        var size = Int(cursor.u32())
        let type = String(decoding: cursor.bytes(4), as: UTF8.self)
        var headerSize = 8
        if size == 1 {
            size = Int(cursor.u64())
            headerSize = 16
        }
        guard size >= headerSize, position + size <= bytes.endIndex else {
            throw TestBoxError(description: "box \(type) size \(size) overruns at \(position)")
        }
        boxes.append(
            TestBox(
                type: type, offset: position, size: size, headerSize: headerSize,
                payload: bytes[(position + headerSize)..<(position + size)]))
        position += size
    }
    return boxes
}

func parseTestBoxes(_ bytes: [UInt8]) throws -> [TestBox] {
    try parseTestBoxes(bytes[...])
}

extension Array where Element == TestBox {
    func first(_ type: String) throws -> TestBox {
        guard let box = first(where: { $0.type == type }) else { throw TestBoxError(description: "no \(type)") }
        return box
    }

    var types: [String] { map(\.type) }
}

struct TestCursor {
    var bytes: ArraySlice<UInt8>

    var remaining: Int { bytes.count }

    mutating func u8() -> UInt8 {
        guard let value = bytes.first else { return 0 }
        bytes = bytes.dropFirst()
        return value
    }

    mutating func u16() -> UInt16 { UInt16(u8()) << 8 | UInt16(u8()) }
    mutating func u24() -> UInt32 { UInt32(u8()) << 16 | UInt32(u8()) << 8 | UInt32(u8()) }
    mutating func u32() -> UInt32 { UInt32(u16()) << 16 | UInt32(u16()) }
    mutating func u64() -> UInt64 { UInt64(u32()) << 32 | UInt64(u32()) }
    mutating func i32() -> Int32 { Int32(bitPattern: u32()) }

    mutating func bytes(_ count: Int) -> [UInt8] {
        let taken = Array(bytes.prefix(count))
        bytes = bytes.dropFirst(count)
        return taken
    }

    mutating func skip(_ count: Int) {
        bytes = bytes.dropFirst(count)
    }
}

/// A decoded `trun` (ISO/IEC 14496-12 8.8.8).
struct TestTrackRun {
    struct Sample: Equatable {
        var duration: UInt32?
        var size: UInt32?
        var flags: UInt32?
        var compositionOffset: Int32?
    }

    var version: UInt8
    var flags: UInt32
    var dataOffset: Int32?
    var firstSampleFlags: UInt32?
    var samples: [Sample]

    init(_ box: TestBox) {
        version = box.version
        let flags = box.flags
        self.flags = flags
        var cursor = box.cursor(skip: 4)
        let count = Int(cursor.u32())
        dataOffset = flags & 0x1 != 0 ? cursor.i32() : nil
        firstSampleFlags = flags & 0x4 != 0 ? cursor.u32() : nil
        samples = (0..<count).map { _ in
            Sample(
                duration: flags & 0x100 != 0 ? cursor.u32() : nil,
                size: flags & 0x200 != 0 ? cursor.u32() : nil,
                flags: flags & 0x400 != 0 ? cursor.u32() : nil,
                compositionOffset: flags & 0x800 != 0 ? cursor.i32() : nil)
        }
    }

    /// Effective flags of sample `index`, given the tfhd/trex default.
    func sampleFlags(_ index: Int, default defaultFlags: UInt32) -> UInt32 {
        if let flags = samples[index].flags { return flags }
        if index == 0, let firstSampleFlags { return firstSampleFlags }
        return defaultFlags
    }
}

/// `tfdt` baseMediaDecodeTime (ISO/IEC 14496-12 8.8.12).
func testDecodeTime(_ box: TestBox) -> UInt64 {
    var cursor = box.cursor(skip: 4)
    return box.version == 1 ? cursor.u64() : UInt64(cursor.u32())
}

/// One moof+mdat chunk of a media segment, decoded.
struct TestFragment {
    var sequenceNumber: UInt32
    var decodeTime: UInt64
    var tfdtVersion: UInt8
    var run: TestTrackRun
    var trexDefaultFlags: UInt32
    /// Sample payloads located through data_offset (relative to the moof, default-base-is-moof).
    var payloads: [[UInt8]]

    var durations: [UInt32] { run.samples.map { $0.duration ?? 0 } }
    var totalDuration: UInt64 { durations.reduce(0) { $0 + UInt64($1) } }
    func isSync(_ index: Int) -> Bool { run.sampleFlags(index, default: trexDefaultFlags) >> 16 & 1 == 0 }
}

/// Parses `styp` [`sidx`] (`moof` `mdat`)+ and resolves every sample through data_offset.
func parseTestSegment(_ bytes: [UInt8], trexDefaultFlags: UInt32) throws -> [TestFragment] {
    let boxes = try parseTestBoxes(bytes)
    guard boxes.first?.type == "styp" else { throw TestBoxError(description: "segment does not start with styp") }
    var fragments: [TestFragment] = []
    for (position, box) in boxes.enumerated() where box.type == "moof" {
        guard position + 1 < boxes.count, boxes[position + 1].type == "mdat" else {
            throw TestBoxError(description: "moof without mdat")
        }
        let mdat = boxes[position + 1]
        let mfhd = try box.find("mfhd")
        var mfhdCursor = mfhd.cursor(skip: 4)
        let tfhd = try box.find("traf", "tfhd")
        guard tfhd.flags & 0x020000 != 0 else { throw TestBoxError(description: "tfhd without default-base-is-moof") }
        let tfdt = try box.find("traf", "tfdt")
        let run = TestTrackRun(try box.find("traf", "trun"))
        var payloads: [[UInt8]] = []
        var offset = box.offset + Int(run.dataOffset ?? 0)
        guard offset == mdat.offset + mdat.headerSize else {
            throw TestBoxError(description: "data_offset does not point at the mdat payload")
        }
        for sample in run.samples {
            let size = Int(sample.size ?? 0)
            guard offset + size <= mdat.offset + mdat.size else { throw TestBoxError(description: "sample past mdat") }
            payloads.append(Array(bytes[offset..<(offset + size)]))
            offset += size
        }
        guard offset == mdat.offset + mdat.size else { throw TestBoxError(description: "mdat has unreferenced bytes") }
        fragments.append(
            TestFragment(
                sequenceNumber: mfhdCursor.u32(), decodeTime: testDecodeTime(tfdt), tfdtVersion: tfdt.version,
                run: run, trexDefaultFlags: trexDefaultFlags, payloads: payloads))
    }
    return fragments
}
