import Hummingbird
import HummingbirdCore
import Ladder

/// Blocking playlist reload and hinted parts (RFC 8216bis 6.2.5.2, 4.4.5.3): a request that asks
/// for a playlist version or a part that does not exist yet is held, without a thread, until it
/// does or until three target durations have passed.
extension OriginResponder {
    /// `_HLS_msn` and `_HLS_part` of a playlist request.
    struct BlockingQuery: Equatable {
        var msn: Int
        var part: Int?

        /// nil: not a blocking request; a failure: malformed (400).
        static func parse(
            _ parameters: FlatDictionary<Substring, Substring>
        ) -> Result<BlockingQuery, BlockingQueryError>? {
            let msnText = parameters["_HLS_msn"]
            let partText = parameters["_HLS_part"]
            guard let msnText else { return partText == nil ? nil : .failure(.partWithoutSequence) }
            guard let msn = Int(msnText), msn >= 0 else { return .failure(.malformed) }
            guard let partText else { return .success(BlockingQuery(msn: msn)) }
            guard let part = Int(partText), part >= 0 else { return .failure(.malformed) }
            return .success(BlockingQuery(msn: msn, part: part))
        }
    }

    enum BlockingQueryError: Error {
        /// `_HLS_part` MUST come with `_HLS_msn` (6.2.5.2).
        case partWithoutSequence
        case malformed
    }

    /// Holds `request` until it can be answered from the store; nil then, or the refusal to send
    /// (400 for a malformed query or one far beyond the live edge, 503 on timeout).
    func holdIfBlocking(stream: String, path: String, request: Request) async -> Response? {
        if let parsed = BlockingQuery.parse(request.uri.queryParameters) {
            guard case .success(let query) = parsed else {
                return Self.text(.badRequest, "invalid _HLS_msn/_HLS_part\n", cacheControl: Self.noStore)
            }
            return await holdPlaylist(stream: stream, path: path, query: query)
        }
        if path.split(separator: "/").last?.hasPrefix(Self.partPrefix) == true {
            await holdPart(stream: stream, path: path)
        }
        return nil
    }

    static let partPrefix = "part-"

    private func holdPlaylist(stream: String, path: String, query: BlockingQuery) async -> Response? {
        // Not a live LL playlist: the query is ignored and the playlist served as it is.
        guard let timeout = content.blockingTimeout(stream: stream) else { return nil }
        let deadline = ContinuousClock.now + timeout
        while true {
            guard let progress = content.file(stream: stream, path: path)?.progress else { return nil }
            switch progress.answer(msn: query.msn, part: query.part) {
            case .ready:
                return nil
            case .badRequest:
                return Self.text(
                    .badRequest, "_HLS_msn/_HLS_part too far beyond the live edge\n", cacheControl: Self.noStore)
            case .wait:
                guard ContinuousClock.now < deadline else {
                    return Self.text(
                        .serviceUnavailable, "the requested part did not appear in time\n",
                        cacheControl: Self.noStore)
                }
                await content.changed(stream: stream, before: deadline)
            }
        }
    }

    /// A part named by a preload hint is requested before it exists: wait for it (or time out
    /// and let the normal path answer 404).
    private func holdPart(stream: String, path: String) async {
        guard content.file(stream: stream, path: path) == nil, let timeout = content.blockingTimeout(stream: stream)
        else { return }
        let deadline = ContinuousClock.now + timeout
        while content.file(stream: stream, path: path) == nil, ContinuousClock.now < deadline {
            await content.changed(stream: stream, before: deadline)
        }
    }
}
