import HummingbirdTesting
import Ladder
import Logging
import NIOCore
import RTMPTestSupport
import RTMPWire
import ServiceLifecycle
import Testing

@testable import Gateway

@Suite struct OriginServerTests {
    func makeServer(port: Int = 0) -> OriginServer {
        // Plain HTTP: the initializer only throws for a bad TLS configuration.
        try! OriginServer(
            configuration: OriginServerConfiguration(host: "127.0.0.1", port: port),
            content: FakeOriginContent.sample(), statusSource: FakeStatusSource.sample())
    }

    @Test func servesOnAnEphemeralPortAndStopsGracefully() async throws {
        let server = makeServer()
        let group = ServiceGroup(configuration: .init(services: [server], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let address = try await server.listeningAddress()
            #expect(address.host == "127.0.0.1")
            #expect(address.port > 0)
            #expect(address.description == "127.0.0.1:\(address.port)")

            try await TestClient.withClient(host: address.host, port: address.port) { client in
                // Two requests on one keep-alive connection.
                let playlist = try await client.get("/live/cam1/master.m3u8")
                #expect(playlist.status == .ok)
                #expect(playlist.headers[.contentType] == "application/vnd.apple.mpegurl")
                #expect(playlist.headers[.accessControlAllowOrigin] == "*")
                #expect(playlist.headers[.date] != nil)
                #expect(playlist.body.map { String(buffer: $0) }?.hasPrefix("#EXTM3U") == true)

                let head = try await client.head("/live/cam1/720p/seg-1.m4s")
                #expect(head.status == .ok)
                #expect(head.headers[.contentLength] == "100")
                #expect((head.body?.readableBytes ?? 0) == 0)
            }
            // Asking again after binding answers at once with the same address.
            #expect(try await server.listeningAddress() == address)

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func bindFailureIsReportedToListeningAddressWaiters() async throws {
        let first = makeServer()
        let firstGroup = ServiceGroup(configuration: .init(services: [first], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await firstGroup.run() }
            let taken = try await first.listeningAddress()

            let second = makeServer(port: taken.port)
            tasks.addTask {
                await #expect(throws: (any Error).self) { try await second.run() }
            }
            await #expect(throws: (any Error).self) { try await second.listeningAddress() }

            await firstGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
