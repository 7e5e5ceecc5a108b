import Foundation
import HTTPTypes
import HTTPWire
import NIOCore
import NIOHTTP1

/// The origin's hot path: a whole-file GET or HEAD of a stored playlist, MPD or segment is
/// answered from the shared stored buffer as preformatted bytes, framed either from the
/// socket's bytes (`OriginRequestSniffer`, before NIO's HTTP/1.1 decoder) or by the decoder.
/// It skips Hummingbird's per-request task, the HTTPTypes conversions and the response encoder
/// (and, when sniffed, the decoder's per-request objects). Everything else (ranges,
/// misses, the API, pages, HTTP/1.0, `Connection: close`, requests with a body) goes on to the
/// responder unchanged; both paths send the same header fields (`fileHeaders`, `addCORS`).
extension OriginResponder {
    /// The stream and stored file that `head` asks for when the hot path may answer it, else nil.
    func fastFile(for head: HTTPRequestHead, peer: @autoclosure () -> String?) -> (stream: String, file: OriginFile)? {
        guard head.method == .GET || head.method == .HEAD, head.version == .http1_1, head.isKeepAlive,
            !head.headers.contains(name: "range"), !head.headers.contains(name: "content-length"),
            !head.headers.contains(name: "transfer-encoding")
        else { return nil }
        return fastFile(
            target: head.uri, peer: peer(), forwardedFor: head.headers.first(name: "x-forwarded-for"),
            userAgent: head.headers.first(name: "user-agent"))
    }

    /// The same for a request framed by `RawRequestScanner` (GET or HEAD, HTTP/1.1, keep-alive,
    /// no body by construction).
    func fastFile(for raw: RawRequestHead, peer: @autoclosure () -> String?) -> (stream: String, file: OriginFile)? {
        raw.hasRange
            ? nil
            : fastFile(target: raw.target, peer: peer(), forwardedFor: raw.forwardedFor, userAgent: raw.userAgent)
    }

    /// `target`: the origin-form request target (path and optional query), still encoded.
    /// A recording's file answers with an empty stream name: it counts as VOD bytes, not as a
    /// live stream's viewer.
    private func fastFile(
        target: String, peer: @autoclosure () -> String?, forwardedFor: String?, userAgent: String?
    )
        -> (stream: String, file: OriginFile)?
    {
        let utf8 = target.utf8
        guard utf8.count <= settings.maxURLLength else { return nil }
        if utf8.starts(with: "/vod/".utf8), let recordings {
            guard !utf8.contains(UInt8(ascii: "?")),
                case .success(.recordingFile(let stream, let id, let path)) = OriginRoute.parse(rawPath: target),
                access.map({ !$0.requiresToken(stream) }) ?? true,  // a protected stream's: the responder
                let file = recordings.cachedFile(stream: stream, id: id, path: path)
            else { return nil }
            return ("", file)
        }
        guard utf8.starts(with: "/live/".utf8) else { return nil }
        let query = utf8.firstIndex(of: UInt8(ascii: "?"))
        // Blocking playlist reloads (RFC 8216bis 6.2.5.2) wait in the responder.
        if let query, target[query...].contains("_HLS_") { return nil }
        // A smaller thumbnail is made in the responder.
        if let query, target[query...].contains("width=") { return nil }
        let (rawPath, token) = PlaybackTokenPath.split(query.map { String(target[..<$0]) } ?? target)
        guard case .success(.streamFile(let stream, let path)) = OriginRoute.parse(rawPath: rawPath),
            // A refusal is the responder's (one place counts and logs them).
            access?.refusal(stream: stream, token: token, peer: peer(), forwardedFor: forwardedFor) == nil,
            cluster.map({ $0.node.routing(of: stream) == .local }) ?? true,  // else the responder decides
            // A session the hook has not allowed yet (or refused) waits in the responder.
            playHook.map({ hook in
                path == Self.thumbnailName
                    || hook.cached(
                        playSession(
                            stream: stream, token: token, peer: peer(), forwardedFor: forwardedFor,
                            userAgent: userAgent)) == .allow
            }) ?? true,
            let file = content.file(stream: stream, path: path)
        else { return nil }
        GatewayMetrics.streamRequest(stream: stream, kind: .of(path: path, query: nil))
        return (stream, file)
    }

    /// The header block of a stored file's 200 response without Content-Length, Date and Server:
    /// the responder's own fields, serialised once per content type and cache policy.
    static func fastHeaderBlock(_ file: OriginFile) -> ByteBuffer {
        var fields = fileHeaders(file)
        addCORS(to: &fields)
        var block = ByteBuffer()
        for field in fields {
            block.writeString(field.name.rawName)
            block.writeStaticString(": ")
            block.writeString(field.value)
            block.writeStaticString("\r\n")
        }
        return block
    }
}

/// Sits right after NIO's request decoder and before Hummingbird's handlers, and writes its
/// responses through `OriginResponseOutlet` (before the response encoder). It answers only while
/// no earlier request of the connection is still with the responder, so pipelined responses keep
/// their order (RFC 9112 9.3.2), and only while the socket is writable, so a client that does not
/// read is backpressured by the responder's path. Hummingbird's connection-state handler does not
/// see the requests answered here, so this handler owns the idle timeout and lets a graceful
/// shutdown close the connection only after its own responses are written.
final class OriginFastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: OriginResponder
    private let serverName: String?
    private let idleTimeout: TimeAmount?
    /// Send a file's `MemoryFile` with sendfile(2) (plain HTTP; TLS needs the bytes).
    private let zeroCopy: Bool
    /// Where the raw response bytes enter the pipeline; nil turns the hot path off.
    private var outlet: ChannelHandlerContext?
    /// Requests passed on to the responder whose response has not ended yet.
    private var forwarded = 0
    /// The body and end of a request answered here are not passed on.
    private var answered = false
    private var quiescing = false
    private var peerAddress: String?
    /// The event loop's clock (`EventLoop.now`), which tests can drive.
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)
    private var idleCheck: Scheduled<Void>?
    private var date = (second: time_t.min, text: "")
    private var headerBlocks: [HeaderKey: ByteBuffer] = [:]

    private struct HeaderKey: Hashable {
        var contentType: String
        var cache: CachePolicy
    }

    init(responder: OriginResponder, serverName: String?, idleTimeout: TimeAmount? = nil, zeroCopy: Bool = false) {
        self.responder = responder
        self.serverName = serverName
        self.idleTimeout = idleTimeout
        self.zeroCopy = zeroCopy
    }

    func handlerAdded(context: ChannelHandlerContext) {
        peerAddress = context.channel.remoteAddress?.ipAddress
        outlet = try? context.pipeline.syncOperations.context(handlerType: OriginResponseOutlet.self)
        lastActivity = context.eventLoop.now
        scheduleIdleCheck(context: context, at: lastActivity + (idleTimeout ?? .zero))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            lastActivity = context.eventLoop.now
            if forwarded == 0, !quiescing, let outlet, context.channel.isWritable,
                let (stream, file) = responder.fastFile(
                    for: head, peer: peerAddress)
            {
                answered = true
                respond(
                    outlet: outlet, stream: stream, target: head.uri, file: file, isHead: head.method == .HEAD,
                    forwardedFor: head.headers.first(name: "x-forwarded-for"),
                    userAgent: head.headers.first(name: "user-agent"))
                return
            }
            answered = false
            forwarded += 1
            context.fireChannelRead(data)
        case .body:
            if !answered { context.fireChannelRead(data) }
        case .end:
            if answered {
                answered = false
            } else {
                context.fireChannelRead(data)
            }
        }
    }

    /// Answers a request that `OriginRequestSniffer` framed from the socket's bytes, when the
    /// hot path may (the same conditions as for a decoded head); false: it goes to NIO's decoder.
    func answer(_ raw: RawRequestHead, channel: any Channel) -> Bool {
        lastActivity = channel.eventLoop.now
        guard forwarded == 0, !quiescing, let outlet, channel.isWritable,
            let (stream, file) = responder.fastFile(for: raw, peer: peerAddress)
        else { return false }
        respond(
            outlet: outlet, stream: stream, target: raw.target, file: file, isHead: raw.isHead,
            forwardedFor: raw.forwardedFor,
            userAgent: raw.userAgent)
        return true
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            forwarded = max(0, forwarded - 1)
            lastActivity = context.eventLoop.now
        }
        context.write(data, promise: promise)
    }

    /// Graceful shutdown: later requests go to the responder (which closes after its answer),
    /// and the event goes on once every response written here has reached the socket.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent, let outlet else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        quiescing = true
        let written = context.eventLoop.makePromise(of: Void.self)
        outlet.writeAndFlush(NIOAny(ByteBuffer()), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func respond(
        outlet: ChannelHandlerContext, stream: String, target: String, file: OriginFile, isHead: Bool,
        forwardedFor: String?,
        userAgent: String?
    ) {
        let key = HeaderKey(contentType: file.contentType, cache: file.cache)
        let block: ByteBuffer
        if let cached = headerBlocks[key] {
            block = cached
        } else {
            block = OriginResponder.fastHeaderBlock(file)
            headerBlocks[key] = block
        }
        let length = file.body.readableBytes
        let inline = !isHead && length <= Self.coalescedBodyLimit && !(zeroCopy && file.memoryFile != nil)
        var bytes = outlet.channel.allocator.buffer(capacity: 160 + block.readableBytes + (inline ? length : 0))
        bytes.writeStaticString("HTTP/1.1 200 OK\r\n")
        bytes.writeImmutableBuffer(block)
        bytes.writeStaticString("Content-Length: ")
        bytes.writeString(String(length))
        bytes.writeStaticString("\r\nDate: ")
        bytes.writeString(httpDate())
        if let serverName {
            bytes.writeStaticString("\r\nServer: ")
            bytes.writeString(serverName)
        }
        bytes.writeStaticString("\r\n\r\n")
        GatewayMetrics.httpRequest(status: 200)
        if isHead {
            outlet.writeAndFlush(NIOAny(bytes), promise: nil)
            return
        }
        if inline {
            // A small body (a playlist) costs less copied behind the head than as a second write.
            var body = file.body
            bytes.writeBuffer(&body)
            outlet.writeAndFlush(NIOAny(bytes), promise: nil)
        } else if zeroCopy, let memoryFile = file.memoryFile {
            memoryFile.send(after: bytes, to: outlet)
        } else {
            outlet.write(NIOAny(bytes), promise: nil)
            outlet.writeAndFlush(NIOAny(file.body), promise: nil)
        }
        if stream.isEmpty {
            GatewayMetrics.vodBytes(count: length)
        } else {
            responder.countDelivery(
                stream: stream, target: target, bytes: length, forwardedFor: forwardedFor, userAgent: userAgent,
                peerAddress: peerAddress)
        }
    }

    static let coalescedBodyLimit = 16 * 1024

    /// Closes the connection once it has been idle for `idleTimeout` with nothing in flight.
    private func scheduleIdleCheck(context: ChannelHandlerContext, at deadline: NIODeadline) {
        guard idleTimeout != nil else { return }
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            idleCheck = nil
            guard let idleTimeout else { return }
            let due = lastActivity + idleTimeout
            let now = context.eventLoop.now
            if forwarded == 0, !answered, due <= now {
                context.close(promise: nil)
            } else {
                scheduleIdleCheck(context: context, at: forwarded == 0 ? due : now + idleTimeout)
            }
        }
    }

    /// IMF-fixdate (RFC 9110 5.6.7), formatted at most once a second per connection.
    private func httpDate() -> String {
        var now = time(nil)
        if date.second == now { return date.text }
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        date = (now, String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        return date.text
    }
}

/// The entry point of the hot path's preformatted response bytes: sits just before NIO's
/// response encoder (after TLS, when there is TLS), so those bytes skip the encoder.
final class OriginResponseOutlet: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
}
