import Ladder
import RTMPWire

/// What a request path asks for. Produced by `OriginRoute.parse`, a pure function over the
/// raw (still percent-encoded) path of the request target (RFC 9112 3.2.1 origin-form).
enum OriginRoute: Equatable, Sendable {
    case index
    case healthz
    case time
    case metrics
    case streamList
    case streamStatus(String)
    /// `/live/NAME` without the trailing slash: redirected so relative URLs in the page resolve.
    case playerRedirect(stream: String)
    case playerPage(stream: String)
    /// `path` is relative to /live/NAME/, decoded, with no empty, "." or ".." segment.
    case streamFile(stream: String, path: String)
    /// `/vod/NAME/ID/PATH`: a recording's file, `path` relative to its folder.
    case recordingFile(stream: String, id: String, path: String)
    /// `/api/recordings` (GET; `?stream=NAME` filters).
    case recordingList
    /// `/api/recordings/ID` (GET, DELETE).
    case recording(id: String)
    /// `/api/cluster`: the nodes and which one owns each stream.
    case clusterStatus
    /// `POST /api/tokens`: a signed playback URL (admin).
    case tokens
    /// `GET /api/playback-check?stream=NAME&token=TOKEN`: 204 or 403 (an edge's auth_request).
    case playbackCheck
    /// `GET /api/usage?stream=&from=&to=&group=hour|day&format=json|csv` (admin).
    case usage
    /// `POST /api/streams/NAME/disconnect` or `/end` (admin).
    case streamAction(String, StreamAction)
    /// `GET /api/history`: the last ten minutes of every stream's figures (status).
    case history
    /// `/admin`: the dashboard (admin), `/admin/login` and `/admin/logout`, and its static files.
    case adminPage
    case adminLogin
    case adminLogout
    case adminFile(String)

    enum StreamAction: String, Sendable, Equatable {
        /// Close the publisher's connection: the stream waits for it (reconnect grace, slate).
        case disconnect
        /// End the stream now: the publisher is closed and the playlists end (ENDLIST).
        case end
    }
    case notFound

    enum RejectReason: Error, Equatable, Sendable {
        /// "%" not followed by two hex digits, or bytes that are not UTF-8 once decoded.
        case malformedEncoding
        /// ".", "..", an encoded "/" or "\", a NUL or control character, or an empty segment.
        case forbiddenSegment
        /// Not a valid `StreamName` ([A-Za-z0-9_.-]{1,128}, no leading ".").
        case invalidStreamName
    }

    static let maxFileSegments = 8
    /// `GET /time` serves the URL the MPDs' UTCTiming points at (ISO/IEC 23009-1 5.8.5.7).
    static let timeSegment = String(PackagerConfig.defaultUTCTimingURL.dropFirst())

    /// Routes a raw path such as "/live/cam1/720p/seg-7.m4s" (no query). Every segment is
    /// checked before anything else, so traversal is refused on every route.
    static func parse(rawPath: String) -> Result<OriginRoute, RejectReason> {
        plainStreamFile(rawPath) ?? parseSegments(rawPath: rawPath)
    }

    /// The hot path's common case without a String per segment: "/live/NAME/FILE..." or
    /// "/vod/NAME/ID/FILE..." of printable ASCII without "%" or "\\", every segment non-empty and
    /// not a dot-segment. It routes exactly as `parseSegments` (a test compares them); anything
    /// else returns nil and goes there.
    private static func plainStreamFile(_ rawPath: String) -> Result<OriginRoute, RejectReason>? {
        var raw = rawPath
        return raw.withUTF8 { bytes -> Result<OriginRoute, RejectReason>? in
            let live = bytes.starts(with: "/live/".utf8)
            guard live || bytes.starts(with: "/vod/".utf8) else { return nil }
            let plain = bytes.allSatisfy { byte in
                byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "%") && byte != UInt8(ascii: "\\")
            }
            guard plain else { return nil }
            // Segment ranges after the prefix; every one non-empty and not "." or "..".
            var ranges: [Range<Int>] = []
            var start = live ? 6 : 5
            for end in start...bytes.count where end == bytes.count || bytes[end] == UInt8(ascii: "/") {
                let dots = bytes[start..<end].allSatisfy { $0 == UInt8(ascii: ".") }
                guard end > start, !(dots && end - start <= 2) else { return nil }
                ranges.append(start..<end)
                start = end + 1
            }
            let named = live ? 1 : 2  // NAME, or NAME and ID
            guard ranges.count > named, ranges.count - named <= maxFileSegments else { return nil }
            func text(_ range: Range<Int>) -> String {
                String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            }
            let stream = text(ranges[0])
            guard isValidStreamName(stream) else { return nil }
            let path = text(ranges[named].lowerBound..<bytes.count)
            if live { return .success(.streamFile(stream: stream, path: path)) }
            let id = text(ranges[1])
            guard isValidStreamName(id) else { return nil }
            return .success(.recordingFile(stream: stream, id: id, path: path))
        }
    }

    /// The general parse: every segment decoded and checked, then routed.
    static func parseSegments(rawPath: String) -> Result<OriginRoute, RejectReason> {
        guard rawPath.hasPrefix("/") else { return .failure(.forbiddenSegment) }
        let rawSegments = rawPath.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        var segments: [String] = []
        segments.reserveCapacity(rawSegments.count)
        for (index, raw) in rawSegments.enumerated() {
            switch decodeSegment(raw) {
            case .failure(let reason):
                return .failure(reason)
            case .success(let segment):
                // Only the last segment may be empty (a trailing slash, or "/" itself).
                if segment.isEmpty && index != rawSegments.count - 1 { return .failure(.forbiddenSegment) }
                segments.append(segment)
            }
        }
        return route(segments)
    }

    private static func route(_ segments: [String]) -> Result<OriginRoute, RejectReason> {
        switch segments.first {
        case "":
            return .success(.index)
        case "healthz" where segments.count == 1:
            return .success(.healthz)
        case timeSegment where segments.count == 1:
            return .success(.time)
        case "metrics" where segments.count == 1:
            return .success(.metrics)
        case "api":
            return routeAPI(Array(segments.dropFirst()))
        case "live":
            return routeLive(Array(segments.dropFirst()))
        case "vod":
            return routeVOD(Array(segments.dropFirst()))
        case "admin":
            return .success(routeAdmin(Array(segments.dropFirst())))
        default:
            return .success(.notFound)
        }
    }

    private static func routeAdmin(_ segments: [String]) -> OriginRoute {
        switch segments.count {
        case 0: return .adminPage
        case 1 where segments[0].isEmpty: return .adminPage
        case 1 where segments[0] == "login": return .adminLogin
        case 1 where segments[0] == "logout": return .adminLogout
        case 1: return .adminFile(segments[0])
        default: return .notFound
        }
    }

    private static func routeAPI(_ segments: [String]) -> Result<OriginRoute, RejectReason> {
        if segments.first == "history" {
            return .success(segments.count == 1 ? .history : .notFound)
        }
        if segments.first == "usage" {
            return .success(segments.count == 1 ? .usage : .notFound)
        }
        if segments.first == "playback-check" {
            return .success(segments.count == 1 ? .playbackCheck : .notFound)
        }
        if segments.first == "tokens" {
            return .success(segments.count == 1 || (segments.count == 2 && segments[1].isEmpty) ? .tokens : .notFound)
        }
        if segments.first == "cluster" {
            return .success(
                segments.count == 1 || (segments.count == 2 && segments[1].isEmpty) ? .clusterStatus : .notFound)
        }
        if segments.first == "recordings" {
            switch segments.count {
            case 1: return .success(.recordingList)
            case 2 where segments[1].isEmpty: return .success(.recordingList)
            case 2:
                guard isValidStreamName(segments[1]) else { return .failure(.forbiddenSegment) }
                return .success(.recording(id: segments[1]))
            default: return .success(.notFound)
            }
        }
        guard segments.first == "streams" else { return .success(.notFound) }
        switch segments.count {
        case 1:
            return .success(.streamList)
        case 2 where segments[1].isEmpty:
            return .success(.streamList)
        case 2:
            guard isValidStreamName(segments[1]) else { return .failure(.invalidStreamName) }
            return .success(.streamStatus(segments[1]))
        case 3:
            guard isValidStreamName(segments[1]) else { return .failure(.invalidStreamName) }
            guard let action = StreamAction(rawValue: segments[2]) else { return .success(.notFound) }
            return .success(.streamAction(segments[1], action))
        default:
            return .success(.notFound)
        }
    }

    private static func routeLive(_ segments: [String]) -> Result<OriginRoute, RejectReason> {
        guard let stream = segments.first, !stream.isEmpty else { return .success(.notFound) }
        guard isValidStreamName(stream) else { return .failure(.invalidStreamName) }
        let rest = segments.dropFirst()
        if rest.isEmpty { return .success(.playerRedirect(stream: stream)) }
        if rest.count == 1 && rest[rest.startIndex].isEmpty { return .success(.playerPage(stream: stream)) }
        // A trailing slash below the stream names a directory: there are no listings.
        guard let last = rest.last, !last.isEmpty, rest.count <= maxFileSegments else { return .success(.notFound) }
        return .success(.streamFile(stream: stream, path: rest.joined(separator: "/")))
    }

    /// `NAME/ID/FILE...`: no listings, no empty segment, at most `maxFileSegments` below the ID.
    private static func routeVOD(_ segments: [String]) -> Result<OriginRoute, RejectReason> {
        guard segments.count >= 3, let last = segments.last, !last.isEmpty,
            segments.count - 2 <= maxFileSegments
        else { return .success(.notFound) }
        guard isValidStreamName(segments[0]) else { return .failure(.invalidStreamName) }
        guard isValidStreamName(segments[1]) else { return .failure(.forbiddenSegment) }
        return .success(
            .recordingFile(stream: segments[0], id: segments[1], path: segments.dropFirst(2).joined(separator: "/")))
    }

    /// The one stream-name rule (`StreamName`): a leading "." is refused too.
    static func isValidStreamName(_ name: String) -> Bool {
        StreamName.isValid(name)
    }

    /// Percent-decodes one segment strictly (RFC 3986 2.1) and refuses what could escape the
    /// stream's namespace: "." and ".." (RFC 3986 5.2.4 dot-segments), an encoded "/" or "\",
    /// NUL and other control characters.
    static func decodeSegment(_ raw: Substring.UTF8View) -> Result<String, RejectReason> {
        // Printable ASCII without "%" or "\\" decodes to itself (the common case).
        let plain = raw.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "%") && byte != UInt8(ascii: "\\")
        }
        if plain {
            let segment = String(Substring(raw))
            return segment == "." || segment == ".." ? .failure(.forbiddenSegment) : .success(segment)
        }
        guard let decoded = PercentDecoding.decode(raw, mode: .strict) else { return .failure(.malformedEncoding) }
        let forbidden = decoded.contains { byte in
            byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "\\")
        }
        if forbidden { return .failure(.forbiddenSegment) }
        guard let segment = String(validating: decoded, as: UTF8.self) else { return .failure(.malformedEncoding) }
        if segment == "." || segment == ".." { return .failure(.forbiddenSegment) }
        return .success(segment)
    }

    /// The live stream whose content a route asks for (files, player page, redirect).
    var liveStream: String? {
        switch self {
        case .streamFile(let stream, _), .playerPage(let stream), .playerRedirect(let stream): return stream
        default: return nil
        }
    }

    /// Read-only status: open unless `admin.protect_status`.
    var isStatus: Bool {
        switch self {
        case .streamList, .streamStatus, .clusterStatus, .metrics, .history: return true
        default: return false
        }
    }
}
