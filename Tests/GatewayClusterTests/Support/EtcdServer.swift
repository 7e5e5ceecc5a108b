import AsyncHTTPClient
import Foundation
import NIOCore

/// A real etcd (Debian's etcd-server, installed by scripts/setup.sh --test) on loopback ports
/// the OS picked, in a temporary data directory; stopped by PID.
final class EtcdServer: @unchecked Sendable {
    static let binary = "/usr/bin/etcd"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    let clientPort: Int
    let peerPort: Int
    let dataDirectory: String
    private var process: Process?

    var url: String { "http://127.0.0.1:\(clientPort)" }

    init() throws {
        clientPort = try Self.freePort()
        peerPort = try Self.freePort()
        dataDirectory = NSTemporaryDirectory() + "etcd-test-\(UUID().uuidString)"
        try start()
    }

    deinit {
        stop(signal: SIGKILL)
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = [
            "--name", "test", "--data-dir", dataDirectory,
            "--listen-client-urls", url, "--advertise-client-urls", url,
            "--listen-peer-urls", "http://127.0.0.1:\(peerPort)",
            "--initial-advertise-peer-urls", "http://127.0.0.1:\(peerPort)",
            "--initial-cluster", "test=http://127.0.0.1:\(peerPort)",
            "--log-level", "error",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    func stop(signal: Int32 = SIGTERM) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        self.process = nil
    }

    /// Waits (with a deadline) until etcd answers a range.
    func waitUntilReady(http: HTTPClient, deadline: Duration = .seconds(20)) async throws {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            var request = HTTPClientRequest(url: url + "/v3/kv/range")
            request.method = .POST
            request.body = .bytes(ByteBuffer(string: #"{"key":"AA=="}"#))
            if let response = try? await http.execute(request, timeout: .seconds(1)), response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CancellationError()
    }

    /// A port free now (bound to 0 and released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Polls `condition` until it holds or `timeout` passes (then fails the test with `what`).
func eventually(
    _ what: String, timeout: Duration = .seconds(15), _ condition: @Sendable () async -> Bool
) async -> Bool {
    let end = ContinuousClock.now + timeout
    while ContinuousClock.now < end {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return await condition()
}
