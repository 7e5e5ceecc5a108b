import Ladder
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

@Suite("StatusReporter")
struct StatusReporterTests {
    @Test func progressLineShowsLateDropsOnlyWhenThereAreSome() {
        var stream = StreamStatus(name: "cam", state: .live, uptimeSeconds: 62, segmentsProduced: 30, ingestDrops: 7)
        #expect(StatusReporter.progressLine(stream).contains("segs=30 drops=7 errors=0"))
        stream.ingestDropsLate = 5
        #expect(StatusReporter.progressLine(stream).contains("drops=7 (late=5) errors=0"))
    }

    @Test func dropLineGivesEachReason() {
        #expect(
            StatusReporter.dropLine(12, late: 9)
                == "dropped 12 frames at ingest to the next keyframe (9 video waited longer than the ingest "
                + "latency bound; 3 arrived while the ingest queue was full): the ladder encodes slower than real time")
        #expect(StatusReporter.dropLine(4, late: 0).contains("(4 arrived while the ingest queue was full)"))
    }
}
