import Ladder
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

struct MallocTuningTests {
    #if canImport(Glibc)
        @Test func glibcAcceptsBothThresholds() {
            // False when mallopt cannot be found or refuses a value (M_MMAP_THRESHOLD above 32 MiB, say).
            #expect(MallocTuning.apply())
        }
    #endif

    @Test func thresholdsCoverSegmentSizedBuffers() {
        // A 2 s segment at 8 Mb/s is 2 MiB; it must come from the arenas, not from mmap.
        #expect(MallocTuning.mmapThreshold >= 2 << 20)
        #expect(MallocTuning.trimThreshold > MallocTuning.mmapThreshold)
    }
}
