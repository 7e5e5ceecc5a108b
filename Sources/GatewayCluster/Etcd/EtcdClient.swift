import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// What went wrong talking to etcd, with enough words for a log line.
public enum EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No endpoint answered (connection refused, timeout...): the message of the last failure.
    case unavailable(String)
    /// etcd answered with an error status (`message` from its error body).
    case rejected(status: Int, message: String)
    /// The answer was not the JSON expected.
    case malformed(String)

    public var description: String {
        switch self {
        case .unavailable(let why): return "etcd unavailable: \(why)"
        case .rejected(let status, let message): return "etcd refused (\(status)): \(message)"
        case .malformed(let why): return "etcd answer malformed: \(why)"
        }
    }
}

/// etcd's v3 API through its JSON gateway (`POST /v3/kv/range`, `/v3/kv/put`, `/v3/kv/txn`,
/// `/v3/lease/grant`, `/v3/lease/keepalive`, `/v3/lease/revoke`, `/v3/watch`), over
/// AsyncHTTPClient. Several endpoints: a failed call moves on to the next one.
public final class EtcdClient: Sendable {
    public let endpoints: [String]
    let http: HTTPClient
    let requestTimeout: TimeAmount
    private let current = NIOLockedValueBox(0)

    public init(endpoints: [String], http: HTTPClient, requestTimeout: TimeAmount = .seconds(2)) {
        precondition(!endpoints.isEmpty, "at least one etcd endpoint")
        self.endpoints = endpoints.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.http = http
        self.requestTimeout = requestTimeout
    }

    // MARK: Calls

    public func range(prefix: String) async throws(EtcdError) -> EtcdRangeResponse {
        let key = EtcdBytes(prefix)
        return try await call("/v3/kv/range", EtcdRangeRequest(key: key, rangeEnd: key.prefixEnd))
    }

    public func get(_ key: String) async throws(EtcdError) -> EtcdKeyValue? {
        let answer: EtcdRangeResponse = try await call("/v3/kv/range", EtcdRangeRequest(key: EtcdBytes(key)))
        return answer.kvs?.first
    }

    /// Returns the revision of the write.
    @discardableResult
    public func put(_ key: String, value: [UInt8], lease: Int64? = nil) async throws(EtcdError) -> Int64 {
        let answer: EtcdRangeResponse = try await call(
            "/v3/kv/put", EtcdPutRequest(key: EtcdBytes(key), value: EtcdBytes(value), lease: lease.map { EtcdInt($0) })
        )
        return answer.header?.revision?.value ?? 0
    }

    public func txn(_ request: EtcdTxnRequest) async throws(EtcdError) -> EtcdTxnResponse {
        try await call("/v3/kv/txn", request)
    }

    /// A new lease of `seconds`; returns its ID.
    public func grantLease(seconds: Int) async throws(EtcdError) -> Int64 {
        let answer: EtcdLeaseGrantResponse = try await call(
            "/v3/lease/grant", EtcdLeaseGrantRequest(ttl: EtcdInt(Int64(seconds))))
        guard let id = answer.id?.value, id != 0 else {
            throw .malformed("lease grant without an ID: \(answer.error ?? "")")
        }
        return id
    }

    /// Renews a lease once; returns its remaining TTL, 0 when it has already expired.
    public func keepAlive(lease: Int64) async throws(EtcdError) -> Int64 {
        let answer: EtcdKeepAliveResponse = try await call(
            "/v3/lease/keepalive", EtcdLeaseIDRequest(id: EtcdInt(lease)))
        return answer.result?.ttl?.value ?? 0
    }

    public func revoke(lease: Int64) async throws(EtcdError) {
        let _: EtcdRangeResponse = try await call("/v3/lease/revoke", EtcdLeaseIDRequest(id: EtcdInt(lease)))
    }

    /// Every change under `prefix` from `revision` on, as etcd sends them, until the
    /// connection ends (the stream then finishes or throws) or the task is cancelled.
    public func watch(prefix: String, fromRevision revision: Int64) -> AsyncThrowingStream<EtcdWatchMessage, any Error>
    {
        let key = EtcdBytes(prefix)
        let create = EtcdWatchCreateRequest(
            createRequest: .init(key: key, rangeEnd: key.prefixEnd, startRevision: EtcdInt(revision)))
        let endpoint = endpoints[current.withLockedValue { $0 } % endpoints.count]
        let http = self.http
        return AsyncThrowingStream(bufferingPolicy: .bufferingOldest(1024)) { continuation in
            let task = Task {
                do {
                    var request = HTTPClientRequest(url: endpoint + "/v3/watch")
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(create)))
                    let response = try await http.execute(request, timeout: .hours(24 * 365))
                    guard response.status == .ok else {
                        throw EtcdError.rejected(status: Int(response.status.code), message: "watch")
                    }
                    var framer = JSONLineFramer()
                    let decoder = JSONDecoder()
                    for try await chunk in response.body {
                        framer.append(chunk.readableBytesView)
                        while case .line(let line) = try framer.next() {
                            let message = try decoder.decode(EtcdWatchMessage.self, from: Data(line))
                            if case .dropped = continuation.yield(message) {
                                // The reader fell behind: the caller ranges again instead of
                                // missing an event.
                                throw EtcdError.unavailable("watch events arrived faster than they were applied")
                            }
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: Transport

    private func call<Request: Encodable, Answer: Decodable>(
        _ path: String, _ body: Request
    ) async throws(EtcdError) -> Answer {
        let payload: ByteBuffer
        do {
            payload = ByteBuffer(bytes: try JSONEncoder().encode(body))
        } catch {
            throw .malformed("cannot encode the request: \(error)")
        }
        var lastFailure = EtcdError.unavailable("no endpoint")
        let first = current.withLockedValue { $0 }
        for attempt in 0..<endpoints.count {
            let index = (first + attempt) % endpoints.count
            var request = HTTPClientRequest(url: endpoints[index] + path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(payload)
            let bytes: ByteBuffer
            let status: Int
            do {
                let response = try await http.execute(request, timeout: requestTimeout)
                status = Int(response.status.code)
                bytes = try await response.body.collect(upTo: 16 << 20)
            } catch {
                lastFailure = .unavailable("\(endpoints[index]): \(error)")
                continue
            }
            current.withLockedValue { $0 = index }
            let data = Data(bytes.readableBytesView)
            guard (200..<300).contains(status) else {
                let message =
                    (try? JSONDecoder().decode(EtcdErrorBody.self, from: data))
                    .flatMap { $0.message ?? $0.error } ?? String(decoding: data.prefix(200), as: UTF8.self)
                // An unavailable member (no leader...) answers 503: try the next one.
                if status == 503 {
                    lastFailure = .unavailable("\(endpoints[index]): \(message)")
                    continue
                }
                throw .rejected(status: status, message: message)
            }
            do {
                return try JSONDecoder().decode(Answer.self, from: data)
            } catch {
                throw .malformed("\(path): \(error)")
            }
        }
        throw lastFailure
    }
}
