import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// The origin's hot path: a whole-file GET or HEAD of a stored playlist, MPD or segment is
/// answered on the connection's event loop, from the shared stored buffer, without the task per
/// request that Hummingbird's responder costs. Everything else (ranges, misses, the API, pages)
/// goes on to the responder unchanged; both paths build the same headers (`fileHeaders`, CORS).
extension OriginResponder {
    struct FastResponse {
        var head: HTTPResponse
        var body: ByteBuffer?
    }

    /// The response to `request` when the hot path can give it, else nil (the responder answers).
    func fastResponse(to request: HTTPRequest, peerAddress: String?) -> FastResponse? {
        guard request.method == .get || request.method == .head, let target = request.path,
            target.utf8.count <= settings.maxURLLength, target.hasPrefix("/live/"),
            request.headerFields[.range] == nil
        else { return nil }
        let rawPath = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard case .success(.streamFile(let stream, let path)) = OriginRoute.parse(rawPath: String(rawPath)),
            let file = content.file(stream: stream, path: path)
        else { return nil }
        var headers = Self.fileHeaders(file)
        Self.addCORS(to: &headers)
        headers[.contentLength] = String(file.body.readableBytes)
        GatewayMetrics.httpRequest(status: 200)
        let head = HTTPResponse(status: .ok, headerFields: headers)
        guard request.method == .get else { return FastResponse(head: head) }
        countDelivery(
            stream: stream, bytes: file.body.readableBytes, headers: request.headerFields, peerAddress: peerAddress)
        return FastResponse(head: head, body: file.body)
    }
}

/// Sits after Hummingbird's connection-state handler (which still sees every request and
/// response, for keep-alive, `Connection: close` and idle timeouts) and before its async channel.
/// Answers a request here only while no earlier request of the connection is still with the
/// responder, so pipelined responses keep their order (RFC 9112 9.3.2).
final class OriginFastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let responder: OriginResponder
    private let serverName: String?
    /// Requests passed on to the responder whose response has not ended yet.
    private var forwarded = 0
    /// The body and end of a request answered here are not passed on.
    private var answered = false
    private var peerAddress: String?
    private var date = (second: time_t.min, text: "")

    init(responder: OriginResponder, serverName: String?) {
        self.responder = responder
        self.serverName = serverName
    }

    func handlerAdded(context: ChannelHandlerContext) {
        peerAddress = context.channel.remoteAddress?.ipAddress
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            if forwarded == 0, let response = responder.fastResponse(to: request, peerAddress: peerAddress) {
                answered = true
                var head = response.head
                head.headerFields[.date] = httpDate()
                if let serverName { head.headerFields[.server] = serverName }
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                if let body = response.body { context.write(wrapOutboundOut(.body(body)), promise: nil) }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
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

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), forwarded > 0 { forwarded -= 1 }
        context.write(data, promise: promise)
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

/// Hummingbird's HTTP/1.1 child channel with `OriginFastPathHandler` inserted right after its
/// connection-state handler.
struct OriginHTTP1Channel: HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let makeFastPath: @Sendable () -> OriginFastPathHandler

    var responder: Responder { base.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let state = try operations.handler(type: HTTPConnectionStateHandler.self)
            try operations.addHandler(makeFastPath(), position: .after(state))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }

    static func builder(
        configuration: HTTP1Channel.Configuration, fastPath: @escaping @Sendable () -> OriginFastPathHandler
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            OriginHTTP1Channel(
                base: HTTP1Channel(responder: responder, configuration: configuration), makeFastPath: fastPath)
        }
    }
}
