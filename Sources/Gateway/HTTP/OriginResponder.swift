import Foundation
import GatewayAccess
import Hummingbird
import Ladder
import NIOCore

/// Request context carrying the peer address, used to tell viewers apart.
struct OriginRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let peerAddress: String?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// Settings of the responder that do not depend on the listening socket.
struct OriginSettings: Sendable {
    var player: PlayerConfiguration = PlayerConfiguration()
    /// Longer request targets get 414 (RFC 9110 15.5.15).
    var maxURLLength: Int = 2048
    /// Identify viewers by the first `X-Forwarded-For` address (only behind a trusted proxy/CDN).
    var trustForwardedFor: Bool = false
    /// Who is an admin (`admin.token`, `admin.users`); neither: loopback clients only.
    var admin = AdminAuth()
    /// The status routes are admin routes too (`admin.protect_status`).
    var protectStatus = false
    /// Edges that log their usage (`usage.edge_log.from`): their relayed requests are not
    /// counted again at the origin.
    var edgeLogSources: [IPPrefix] = []
    /// The player page's HTML and script, read from the resource bundle once per process.
    var playerTemplate: Result<PlayerPageTemplate, PlayerPageResourceError>
    /// The dashboard's files (`Resources/admin`), read once per process.
    var adminFiles: Result<AdminFiles, PlayerPageResourceError> = AdminFiles.loaded

    init(
        player: PlayerConfiguration = PlayerConfiguration(), maxURLLength: Int = 2048, trustForwardedFor: Bool = false,
        playerTemplate: Result<PlayerPageTemplate, PlayerPageResourceError> = PlayerPageResources.template
    ) {
        self.player = player
        self.maxURLLength = maxURLLength
        self.trustForwardedFor = trustForwardedFor
        self.playerTemplate = playerTemplate
    }
}

/// The whole HTTP origin as one Hummingbird responder: routing (`OriginRoute`), CORS on every
/// response, range requests, cache policy, viewer accounting and request metrics.
struct OriginResponder: HTTPResponder {
    typealias Context = OriginRequestContext

    let content: any OriginContent
    let statusSource: any StatusSource
    let viewers: ViewerTracker
    let settings: OriginSettings
    /// Recordings (`/vod`, `/api/recordings`); nil when recording is not configured.
    var recordings: RecordingsEndpoint?
    /// Streams other nodes own are fetched from them; nil for a single gateway.
    var cluster: ClusterProxy?
    /// Signed playback URLs (`playback:`); nil: every stream is open.
    var access: PlaybackAccess?
    /// Usage reports (`usage:`, or `data_dir`); nil: none are kept.
    var usage: UsageTracking?
    /// Disconnects publishers and ends streams for `POST /api/streams/NAME/...`.
    var control: (any StreamControl)?
    /// The last ten minutes of every stream (`/api/history`); nil: not sampled.
    var history: StreamHistory?
    /// Dashboard login throttling.
    var logins = AdminLogins()
    /// `thumbnail.jpg?width=`.
    var thumbnails = ThumbnailSizes()
    /// `http.on_play`: asked once per new viewer session; nil: no hook.
    var playHook: PlayHook?

    static let allowedMethods = "GET, HEAD, OPTIONS"
    /// CORS may also send DELETE (`/api/recordings/ID`, with an admin token).
    static let corsMethods = "GET, HEAD, OPTIONS, DELETE, POST"
    static let defaultAllowedHeaders =
        "Range, Origin, Accept, Accept-Encoding, Accept-Language, Authorization, Content-Type, Cache-Control, If-None-Match, If-Modified-Since"
    static let exposedHeaders = "Content-Length, Content-Range, Date"
    static let noStore = "no-store"
    static let noCache = "no-cache"
    static let blockingReloadCacheControl = "public, max-age=1"

    func respond(to request: Request, context: Context) async throws -> Response {
        let (rawPath, token) = PlaybackTokenPath.split(request.uri.path)
        let parsed = OriginRoute.parse(rawPath: rawPath)
        var response: Response
        if case .success(let route) = parsed, let refusal = refusal(route, token: token, request, context) {
            response = refusal
        } else if case .success(let route) = parsed, let refused = await playHookRefusal(route, token, request, context)
        {
            response = refused
        } else if case .success(let route) = parsed, request.method != .options,
            let answer = await answerAdmin(route, request, context: context)
        {
            response = answer
        } else if case .success(.tokens) = parsed, request.method != .options {
            response = await answerTokens(request, context: context)
        } else if case .success(.streamAction(let stream, let action)) = parsed, request.method != .options {
            response = answerStreamAction(stream, action, request: request, context: context)
        } else if case .success(.usage) = parsed, request.method == .get || request.method == .head {
            response = await answerUsage(request, context: context)
        } else if case .success(let route) = parsed, request.method == .get || request.method == .head,
            let cluster, let decision = cluster.decide(route, request: request)
        {
            switch decision {
            case .proxy(let owner): response = await cluster.forward(request, to: owner, peer: context.peerAddress)
            case .unavailable(let why):
                response = Self.text(.serviceUnavailable, why + "\n", cacheControl: Self.noStore)
            }
        } else if case .success(let route) = parsed, request.uri.string.utf8.count <= settings.maxURLLength,
            let answer = await answerRecordings(route, token: token, request: request, context: context)
        {
            response = answer
        } else if let (stream, path) = Self.streamFile(parsed, of: request, maxURLLength: settings.maxURLLength),
            path == Self.thumbnailName, let width = request.uri.queryParameters["width"]
        {
            response = await smallerThumbnail(stream: stream, width: width, request: request, context: context)
        } else if let (stream, path) = Self.streamFile(parsed, of: request, maxURLLength: settings.maxURLLength),
            let held = await answerHeld(stream: stream, path: path, request: request, context: context)
        {
            response = held
        } else {
            response = route(request, parsed: parsed, token: token, context: context)
            if response.status == .notFound,
                let (stream, path) = Self.streamFile(parsed, of: request, maxURLLength: settings.maxURLLength),
                let recordings,
                let (dvr, bytes) = await recordings.serveDVR(
                    stream: stream, path: path, request: request, context: context)
            {
                // Listed for DVR, out of memory: the recording has it.
                response = dvr
                if request.method == .get, bytes > 0 { GatewayMetrics.vodBytes(count: bytes) }
            }
            // A blocking reload's answer holds for its query: edges may cache it briefly, keyed
            // by the query (the plain LL playlist is no-cache).
            if response.status == .ok, request.uri.queryParameters["_HLS_msn"] != nil {
                response.headers[.cacheControl] = Self.blockingReloadCacheControl
            }
            // Answered ones only: a flood of made-up names must not grow the metrics.
            if response.status.code < 400,
                let (stream, path) = Self.streamFile(parsed, of: request, maxURLLength: settings.maxURLLength)
            {
                GatewayMetrics.streamRequest(stream: stream, kind: .of(path: path, query: request.uri.query))
            }
        }
        if case .success(let route) = parsed, Self.isAdminRoute(route) {
            response.headers[.accessControlAllowOrigin] = nil
        } else {
            Self.addCORS(to: &response.headers)
        }
        GatewayMetrics.httpRequest(status: response.status.code)
        return request.method == .head ? response.createHeadResponse() : response
    }

    /// The stream file a GET or HEAD within the URL length limit asks for.
    private static func streamFile(
        _ parsed: Result<OriginRoute, OriginRoute.RejectReason>, of request: Request, maxURLLength: Int
    ) -> (stream: String, path: String)? {
        guard request.method == .get || request.method == .head, request.uri.string.utf8.count <= maxURLLength,
            case .success(.streamFile(let stream, let path)) = parsed
        else { return nil }
        return (stream, path)
    }

    /// A blocking reload's refusal, or an LL-DASH segment in progress; nil: the normal path
    /// answers (after any wait for the playlist version or part the request names).
    private func answerHeld(stream: String, path: String, request: Request, context: Context) async -> Response? {
        if let refusal = await holdIfBlocking(stream: stream, path: path, request: request) { return refusal }
        return await segmentInProgress(stream: stream, path: path, request: request, context: context)
    }

    private func route(
        _ request: Request, parsed: Result<OriginRoute, OriginRoute.RejectReason>, token: Substring?,
        context: Context
    ) -> Response {
        guard request.uri.string.utf8.count <= settings.maxURLLength else {
            return Self.text(.uriTooLong, "request target too long\n", cacheControl: Self.noStore)
        }
        switch request.method {
        case .get, .head:
            break
        case .delete where (try? parsed.get()).map(Self.isRecording) ?? false:
            break
        case .options:
            return preflight(request)
        default:
            var response = Self.text(.methodNotAllowed, "method not allowed\n", cacheControl: Self.noStore)
            response.headers[.allow] = Self.allowedMethods
            return response
        }

        let isAPI = request.uri.path.hasPrefix("/api/")
        switch parsed {
        case .failure(.invalidStreamName):
            return isAPI
                ? Self.json(.badRequest, APIError(error: "invalid stream name"))
                : Self.text(.badRequest, "invalid stream name\n", cacheControl: Self.noStore)
        case .failure:
            return Self.text(.badRequest, "bad request path\n", cacheControl: Self.noStore)
        case .success(let route):
            return respond(to: route, request: request, token: token, context: context)
        }
    }

    private func respond(to route: OriginRoute, request: Request, token: Substring?, context: Context) -> Response {
        if settings.protectStatus, route.isStatus, let refused = adminForbidden(request, context) {
            return refused
        }
        switch route {
        case .index:
            return Self.html(PlayerPage.renderIndex(streams: content.liveStreams()))
        case .healthz:
            return Self.text(.ok, "ok\n", cacheControl: Self.noStore)
        case .time:
            // urn:mpeg:dash:utc:http-iso:2014 (ISO/IEC 23009-1 5.8.5.7): the MPDs' own formatter.
            let now = TextFormatting.milliseconds(since1970: Date())
            return Self.text(.ok, TextFormatting.iso8601(millisecondsSince1970: now), cacheControl: Self.noStore)
        case .metrics:
            return metricsResponse()
        case .streamList:
            return Self.json(.ok, StreamStatusList(streams: mergedStatuses()))
        case .streamStatus(let name):
            guard let status = mergedStatuses().first(where: { $0.name == name }) else {
                return Self.json(.notFound, APIError(error: "stream not found", stream: name))
            }
            return Self.json(.ok, status)
        case .playerRedirect(let stream):
            guard content.streamExists(stream) else { return Self.notFound() }
            var response = Response(status: .movedPermanently)
            // From /live/NAME/t/TOKEN the page is TOKEN/ (relative to the token's folder).
            // Only a token's own characters are echoed, as a relative path (never a scheme or host).
            let safe = token.map { $0.utf8.allSatisfy(Self.isTokenByte) ? "./\($0)" : nil } ?? nil
            response.headers[.location] = "\(safe ?? stream)/" + Self.redirectQuery(request.uri.query)
            response.headers[.cacheControl] = Self.noCache
            return response
        case .playerPage(let stream):
            guard content.streamExists(stream) else { return Self.notFound() }
            do {
                return Self.html(
                    try PlayerPage.render(
                        stream: stream, configuration: settings.player, template: settings.playerTemplate))
            } catch {
                // Logged once at start by `OriginServer`; every request says why.
                return Self.text(.internalServerError, "\(error)\n", cacheControl: Self.noStore)
            }
        case .streamFile(let stream, let path):
            return serveFile(stream: stream, path: path, request: request, context: context)
        case .tokens:
            return Self.notFound()  // answered by `answerTokens` (this is OPTIONS' fall-through)
        case .usage, .streamAction, .adminPage, .adminLogin, .adminLogout, .adminFile:
            return Self.notFound()  // answered before routing (this is OPTIONS' fall-through)
        case .history:
            return Self.json(.ok, history?.body ?? HistoryRing().body)
        case .playbackCheck:
            return checkPlayback(request, context: context)
        case .clusterStatus:
            guard let cluster else {
                return Self.json(.notFound, APIError(error: "not a cluster node (the config has no cluster section)"))
            }
            return Self.json(.ok, cluster.node.snapshot())
        case .recordingFile, .recordingList, .recording:
            return Self.notFound()  // answered by `answerRecordings` (this is OPTIONS' fall-through)
        case .notFound:
            return Self.notFound()
        }
    }

    // MARK: Recordings

    private static func isRecording(_ route: OriginRoute) -> Bool {
        if case .recording = route { return true }
        return false
    }

    /// The answer of a recordings route; nil for every other route (and for OPTIONS).
    private func answerRecordings(
        _ route: OriginRoute, token: Substring?, request: Request, context: Context
    ) async
        -> Response?
    {
        let method = request.method
        guard method == .get || method == .head || (method == .delete && Self.isRecording(route)) else { return nil }
        switch route {
        case .recordingList, .recording, .recordingFile:
            break
        default:
            return nil
        }
        if method == .delete, let refused = adminForbidden(request, context) { return refused }
        guard let recordings else {
            let reason = "recording is not configured on this gateway (recording: { dir: PATH })"
            if case .recordingFile = route { return Self.text(.notFound, reason + "\n", cacheControl: Self.noCache) }
            return Self.json(.notFound, APIError(error: reason))
        }
        switch route {
        case .recordingList:
            // A protected stream's recordings are listed to admins only.
            let admin = adminRefusal(request, context) == nil
            return recordings.list(
                stream: request.uri.queryParameters["stream"].map(String.init),
                visible: { admin || !(access?.requiresToken($0) ?? false) })
        case .recording(let id) where method == .delete:
            return await recordings.delete(id: id)
        case .recording(let id):
            return recordings.show(id: id)
        case .recordingFile(let stream, let id, let path):
            // A protected stream's recordings need its signed URL (/vod/NAME/ID/t/TOKEN/...),
            // or an admin.
            if let access, access.requiresToken(stream), token != nil || adminRefusal(request, context) != nil {
                let forwardedFor = request.headers[.init("X-Forwarded-For")!]
                if let refusal = access.refusal(
                    stream: stream, token: token, peer: context.peerAddress, forwardedFor: forwardedFor)
                {
                    access.refused(
                        refusal, stream: stream,
                        peer: access.client(peer: context.peerAddress, forwardedFor: forwardedFor))
                    return Self.playbackRefusal(refusal)
                }
            }
            let (response, bytes) = await recordings.serve(
                stream: stream, id: id, path: path, request: request, context: context)
            if method == .get, bytes > 0 { GatewayMetrics.vodBytes(count: bytes) }
            return response
        default:
            return nil
        }
    }

    // MARK: Stream content

    /// Fetch standard "CORS protocol": a public origin, readable by any page (players run elsewhere).
    static func addCORS(to headers: inout HTTPFields) {
        headers[.accessControlAllowOrigin] = "*"
        headers[.accessControlExposeHeaders] = exposedHeaders
    }

    /// The headers of a stored file's response: its type, cache policy and byte ranges.
    static func fileHeaders(_ file: OriginFile) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = file.contentType.isEmpty ? OriginContentType.octetStream : file.contentType
        headers[.cacheControl] = file.cache.cacheControl
        headers[.acceptRanges] = "bytes"
        return headers
    }

    private func serveFile(stream: String, path: String, request: Request, context: Context) -> Response {
        guard var file = content.file(stream: stream, path: path) else { return Self.notFound() }
        // A delta update (RFC 8216bis 6.2.5.1) of a live LL playlist, when one is offered.
        if file.progress != nil, let skip = request.uri.queryParameters["_HLS_skip"], skip == "YES" || skip == "v2",
            let deltaPath = HLSMediaPlaylist.deltaPath(for: path),
            let delta = content.file(stream: stream, path: deltaPath)
        {
            file = delta
        }
        return counted(Self.fileResponse(file, request: request), stream: stream, request: request, context: context)
    }

    /// A file in memory as a response: whole, or the byte range a GET asks for (RFC 9110 14.2;
    /// If-Range without a validator we can match means "send everything", 13.1.5).
    static func fileResponse(_ file: OriginFile, request: Request) -> Response {
        var headers = fileHeaders(file)
        let length = file.body.readableBytes
        let rangeHeader = request.method == .get && request.headers[.ifRange] == nil ? request.headers[.range] : nil
        switch ByteRangeRequest.evaluate(header: rangeHeader, length: length) {
        case .whole:
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: file.body))
        case .partial(let range):
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(length)"
            let slice =
                file.body.getSlice(at: file.body.readerIndex + range.lowerBound, length: range.count) ?? ByteBuffer()
            return Response(status: .partialContent, headers: headers, body: ResponseBody(byteBuffer: slice))
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(length)"
            headers[.cacheControl] = noCache
            return Response(status: .rangeNotSatisfiable, headers: headers)
        }
    }

    // MARK: CORS preflight (Fetch standard, CORS-preflight fetch)

    private func preflight(_ request: Request) -> Response {
        var response = Response(status: .noContent)
        response.headers[.contentLength] = nil
        response.headers[.accessControlAllowMethods] = Self.corsMethods
        if let requested = request.headers[.accessControlRequestHeaders], Self.isHeaderNameList(requested) {
            response.headers[.accessControlAllowHeaders] = requested
            response.headers[.vary] = "Access-Control-Request-Headers"
        } else {
            response.headers[.accessControlAllowHeaders] = Self.defaultAllowedHeaders
        }
        response.headers[.accessControlMaxAge] = "86400"
        response.headers[.allow] = Self.allowedMethods
        return response
    }

    /// A comma-separated list of field names (RFC 9110 5.1 token characters) of sane length.
    static func isHeaderNameList(_ value: String) -> Bool {
        guard !value.isEmpty, value.utf8.count <= 1024 else { return false }
        return value.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: ","),
                UInt8(ascii: " "):
                return true
            default:
                return false
            }
        }
    }
}
