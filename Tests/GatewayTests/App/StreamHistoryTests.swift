import Testing

@testable import Gateway

@Suite struct StreamHistoryTests {
    func status(_ name: String, viewers: Int = 1) -> StreamStatus {
        var status = StreamStatus(name: name, state: .live, uptimeSeconds: 1, viewers: viewers, ingestDrops: 2)
        status.input.bitrate = 3_000_000
        status.latencySeconds = 0.4567
        status.renditions = [
            StreamStatus.Rendition(
                name: "720p", width: 1280, height: 720, measuredBitrate: 2_000_000, encoderSpeed: 1.234)
        ]
        return status
    }

    @Test func keepsAWindowOfSamplesPerStream() {
        var ring = HistoryRing(intervalSeconds: 5, windowSeconds: 20)
        for tick in 0..<10 {
            ring.record([status("cam1", viewers: tick)], atMilliseconds: Int64(tick) * 5000)
        }
        let samples = ring.body.streams["cam1"] ?? []
        #expect(samples.count == 4)
        #expect(samples.map(\.viewers) == [6, 7, 8, 9])
        #expect(samples.last?.latencySeconds == 0.457)
        #expect(samples.last?.renditions["720p"] == .init(bitrate: 2_000_000, encoderSpeed: 1.23, viewers: nil))
    }

    @Test func forgetsAStreamGoneForAWholeWindow() {
        var ring = HistoryRing(intervalSeconds: 5, windowSeconds: 20)
        ring.record([status("old"), status("cam1")], atMilliseconds: 0)
        ring.record([status("cam1")], atMilliseconds: 20_000)
        #expect(ring.body.streams.keys.sorted() == ["cam1", "old"])
        ring.record([status("cam1")], atMilliseconds: 20_001)
        #expect(ring.body.streams.keys.sorted() == ["cam1"])
    }
}
