import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Asks an operator's HTTP endpoint whether a publish may start (`rtmp.on_publish` in the
/// config): POST `{"name", "app", "client_ip", "key"}` as JSON, and a 2xx answer allows it.
/// Runs as a task, off the event loops, so a slow hook only delays its own publisher.
struct PublishHookClient: Sendable {
    struct Request: Encodable, Sendable {
        var name: String
        var app: String
        var clientIP: String
        var key: String?

        enum CodingKeys: String, CodingKey {
            case name, app, key
            case clientIP = "client_ip"
        }
    }

    enum Decision: Sendable, Equatable {
        case allow
        /// The hook answered with a non-2xx status.
        case deny(status: Int)
        /// No answer within the timeout, or the request failed.
        case unavailable(String)
    }

    let url: URL
    let timeout: Duration

    func authorize(_ request: Request) async -> Decision {
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = "POST"
        urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        urlRequest.httpBody = try? JSONEncoder().encode(request)
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        urlRequest.timeoutInterval = seconds
        let finalRequest = urlRequest
        return await withTaskGroup(of: Decision.self) { group in
            group.addTask {
                let session = URLSession(configuration: .ephemeral)
                defer { session.finishTasksAndInvalidate() }
                do {
                    let (_, response) = try await session.data(for: finalRequest)
                    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                    return (200..<300).contains(status) ? .allow : .deny(status: status)
                } catch {
                    return .unavailable("\(error.localizedDescription)")
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .unavailable("no answer within \(seconds) s")
            }
            let first = await group.next() ?? .unavailable("no answer")
            group.cancelAll()
            return first
        }
    }
}
