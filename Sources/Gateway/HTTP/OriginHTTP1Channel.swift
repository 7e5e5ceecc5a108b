import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1.1 child channel with the origin's hot path in it: `OriginRequestSniffer`
/// right before NIO's request decoder, `OriginFastPathHandler` right after it and
/// `OriginResponseOutlet` right before the response encoder. The hot path owns the idle timeout (Hummingbird's state handler does not see the
/// requests it answers), so the base channel is configured without one.
struct OriginHTTP1Channel: HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let makeFastPath: @Sendable () -> OriginFastPathHandler

    var responder: Responder { base.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let encoder = try operations.handler(type: HTTPResponseEncoder.self)
            let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            let fastPath = makeFastPath()
            try operations.addHandler(OriginResponseOutlet(), position: .before(encoder))
            try operations.addHandler(fastPath, position: .after(decoder))
            try operations.addHandler(OriginRequestSniffer(fastPath: fastPath), position: .before(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }

    /// `idleTimeout` closes a connection idle that long with no request in flight.
    static func builder(
        idleTimeout: TimeAmount?, fastPath: @escaping @Sendable (TimeAmount?) -> OriginFastPathHandler
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            OriginHTTP1Channel(
                base: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: nil)),
                makeFastPath: { fastPath(idleTimeout) })
        }
    }
}
