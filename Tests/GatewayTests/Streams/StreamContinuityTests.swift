import Foundation
import Ladder
import LadderTestSupport
import Logging
import Testing

@testable import Gateway

/// The stream numbering the gateway keeps for a stream's next packager: reserved ahead, written
/// crash-safely to the data directory, read back by a new process.
@Suite struct StreamContinuityTests {
    private let logger = Logger(label: "test")

    @Test func aNewProcessContinuesAboveEverythingPublished() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let first = StreamContinuity(directory: directory.path, reserve: 10, reservePeriods: 4, logger: logger)
        #expect(first.start(stream: "cam") == nil, "nothing known yet")
        var published = StreamContinuation(nextSequence: 1, discontinuitySequence: 0, nextPeriod: 0)
        first.progress(stream: "cam", published)
        for next in 2...37 {
            published.nextSequence = next
            if next == 20 {
                published.discontinuitySequence = 1
                published.nextPeriod = 1
            }
            first.progress(stream: "cam", published)
        }
        first.flush()
        #expect(directory.files() == [".state/cam.json"], "no temp file left: \(directory.files())")

        // A restart (kill -9 after the last publish): a new process reads the reservation.
        let second = StreamContinuity(directory: directory.path, reserve: 10, reservePeriods: 4, logger: logger)
        let resumed = try #require(second.start(stream: "cam"))
        #expect(resumed.nextSequence >= published.nextSequence && resumed.nextSequence <= published.nextSequence + 10)
        #expect(resumed.discontinuitySequence == 1)
        #expect(resumed.nextPeriod >= published.nextPeriod)
        #expect(second.start(stream: "other") == nil)
    }

    @Test func writesAreRareAndReportsOutOfOrderNeverLowerIt() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let continuity = StreamContinuity(directory: directory.path, reserve: 60, logger: logger)
        continuity.progress(
            stream: "cam", StreamContinuation(nextSequence: 50, discontinuitySequence: 2, nextPeriod: 3))
        continuity.progress(
            stream: "cam", StreamContinuation(nextSequence: 49, discontinuitySequence: 1, nextPeriod: 2))
        continuity.flush()
        let reserved = try #require(continuity.start(stream: "cam"))
        #expect(reserved == StreamContinuation(nextSequence: 110, discontinuitySequence: 2, nextPeriod: 11))
        let modified =
            try FileManager.default.attributesOfItem(atPath: "\(directory.path)/.state/cam.json")[
                .modificationDate] as? Date
        // Within half the reserve: nothing to write.
        continuity.progress(
            stream: "cam", StreamContinuation(nextSequence: 70, discontinuitySequence: 2, nextPeriod: 3))
        continuity.flush()
        #expect(
            try FileManager.default.attributesOfItem(atPath: "\(directory.path)/.state/cam.json")[.modificationDate]
                as? Date == modified)
        #expect(continuity.start(stream: "cam") == reserved)
    }

    @Test func aBrokenOrUnwritableStateIsLoggedAndNumberingStillWorks() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: "\(directory.path)/.state", withIntermediateDirectories: true)
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: "\(directory.path)/.state/cam.json"))
        let continuity = StreamContinuity(directory: directory.path, logger: logger)
        #expect(continuity.start(stream: "cam") == nil, "a corrupt file starts afresh, no crash")

        // A data directory that is a file: every write fails, counted; memory still continues.
        let blocked = "\(directory.path)/blocked"
        try Data().write(to: URL(fileURLWithPath: blocked))
        let failing = StreamContinuity(directory: blocked, logger: logger)
        failing.progress(stream: "cam", StreamContinuation(nextSequence: 5, discontinuitySequence: 0, nextPeriod: 0))
        failing.flush()
        #expect(failing.failureCount == 1)
        #expect(failing.start(stream: "cam")?.nextSequence == 65)
    }

    @Test func withoutADataDirectoryARetiredStreamStillContinues() {
        let continuity = StreamContinuity(directory: nil, logger: logger)
        continuity.progress(stream: "cam", StreamContinuation(nextSequence: 7, discontinuitySequence: 1, nextPeriod: 1))
        #expect(continuity.start(stream: "cam")?.nextSequence == 67)
        #expect(continuity.start(stream: "../x") == nil)
    }
}
