import HTTPWire
import NIOCore

/// Sits right before NIO's HTTP/1.1 request decoder. Each complete request that
/// `RawRequestScanner` frames (GET/HEAD, HTTP/1.1, keep-alive, no body) is offered to the hot
/// path, which answers it from the socket's bytes without the decoder's per-request objects;
/// a request it does not answer goes on to the decoder as exactly its own bytes, so the decoder
/// always starts at a request boundary. The first request of any other shape (a body, HTTP/1.0,
/// `Connection: close`, an upgrade, a malformed or oversized head) hands the connection's
/// remaining bytes to the decoder for good. Memory: at most one incomplete head
/// (`RawRequestScanner.maxHeadBytes`) is held.
final class OriginRequestSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let fastPath: OriginFastPathHandler
    /// The start of a head that has not fully arrived.
    private var pending: ByteBuffer?
    private var passthrough = false

    init(fastPath: OriginFastPathHandler) {
        self.fastPath = fastPath
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if passthrough {
            context.fireChannelRead(data)
            return
        }
        var buffer = unwrapInboundIn(data)
        if var held = pending {
            pending = nil
            held.writeBuffer(&buffer)
            buffer = held
        }
        while buffer.readableBytes > 0 {
            switch buffer.withUnsafeReadableBytes({ RawRequestScanner.scan($0) }) {
            case .needMoreData:
                pending = buffer
                return
            case .unsupported:
                passthrough = true
                context.fireChannelRead(wrapInboundOut(buffer))
                return
            case .complete(let head):
                guard let request = buffer.readSlice(length: head.length) else { return }
                if !fastPath.answer(head, channel: context.channel) {
                    context.fireChannelRead(wrapInboundOut(request))
                }
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Removed with bytes in hand (not in this server's life cycle): they belong to the decoder.
        if let pending, pending.readableBytes > 0 {
            self.pending = nil
            context.fireChannelRead(wrapInboundOut(pending))
        }
    }
}
