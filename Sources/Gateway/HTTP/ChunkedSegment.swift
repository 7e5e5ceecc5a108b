import Hummingbird
import HummingbirdCore
import Ladder
import NIOCore

/// LL-DASH from the LL-HLS chunks (DASH-IF IOP 9.X.4.4): a segment requested while it is still
/// being produced (the MPD's availabilityTimeOffset lets players ask early) is answered at once
/// with chunked transfer, each part as it is written, and ends with the rest of the segment once
/// complete. The segment is its parts concatenated, so the bytes are the stored segment's.
extension OriginResponder {
    /// Where a segment in progress is read from.
    struct SegmentInProgress: Sendable {
        let content: any OriginContent
        let stream: String
        /// The segment's path, e.g. `720p/seg-12.m4s`, and its rendition's playlist.
        let path: String
        let directory: String
        let name: String
        let playlist: String
        let deadline: ContinuousClock.Instant

        /// The playlist says this segment is in progress (or it just completed).
        var isCurrent: Bool {
            content.file(stream: stream, path: path) != nil
                || content.file(stream: stream, path: playlist)?.progress?.pendingSegmentURI == name
        }

        /// Parts written so far (in order), or nil once the segment is no longer in progress.
        func writtenParts() -> [OriginFile]? {
            guard let progress = content.file(stream: stream, path: playlist)?.progress,
                progress.pendingSegmentURI == name
            else { return nil }
            var parts: [OriginFile] = []
            for uri in progress.pendingPartURIs {
                guard let part = content.file(stream: stream, path: "\(directory)/\(uri)") else { break }
                parts.append(part)
            }
            return parts
        }

        /// The segment's first bytes: the whole segment, or its first part; waits for one.
        func first() async -> OriginFile? {
            while ContinuousClock.now < deadline, isCurrent {
                if let whole = content.file(stream: stream, path: path) { return whole }
                if let part = writtenParts()?.first { return part }
                await content.changed(stream: stream, before: deadline)
            }
            return nil
        }

        /// Writes the parts as they come, then the rest of the complete segment; the byte count.
        func write(to writer: inout any ResponseBodyWriter) async throws -> Int {
            var sentBytes = 0
            var sentParts = 0
            while true {
                if let whole = content.file(stream: stream, path: path) {
                    let rest = whole.body.readableBytes - sentBytes
                    if rest > 0, let slice = whole.body.getSlice(at: whole.body.readerIndex + sentBytes, length: rest) {
                        try await writer.write(slice)
                        sentBytes += rest
                    }
                    return sentBytes
                }
                guard let parts = writtenParts() else { return sentBytes }
                for part in parts.dropFirst(sentParts) {
                    try await writer.write(part.body)
                    sentBytes += part.body.readableBytes
                    sentParts += 1
                }
                guard ContinuousClock.now < deadline else { return sentBytes }
                await content.changed(stream: stream, before: deadline)
            }
        }
    }

    func segmentInProgress(stream: String, path: String, request: Request, context: Context) async -> Response? {
        guard request.method == .get, content.file(stream: stream, path: path) == nil,
            let slash = path.lastIndex(of: "/"), let timeout = content.blockingTimeout(stream: stream)
        else { return nil }
        let directory = String(path[..<slash])
        let source = SegmentInProgress(
            content: content, stream: stream, path: path, directory: directory,
            name: String(path[path.index(after: slash)...]),
            playlist: "\(directory)/\(PackagerConfig.Naming.standard.mediaPlaylist)",
            deadline: ContinuousClock.now + timeout)
        guard source.isCurrent, let first = await source.first() else { return nil }
        var headers = HTTPFields()
        headers[.contentType] = first.contentType.isEmpty ? OriginContentType.octetStream : first.contentType
        // Not the final object until the last chunk: caches must not keep a cut-short copy.
        headers[.cacheControl] = Self.noStore
        let forwardedFor = request.headers.first { $0.name.canonicalName == "x-forwarded-for" }?.value
        let userAgent = request.headers[.userAgent]
        let peerAddress = context.peerAddress
        let target = request.uri.path
        let body = ResponseBody { writer in
            let bytes = try await source.write(to: &writer)
            try await writer.finish(nil)
            countDelivery(
                stream: stream, target: target, bytes: bytes, forwardedFor: forwardedFor, userAgent: userAgent,
                peerAddress: peerAddress)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
