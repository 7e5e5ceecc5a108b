import NIOCore
import RTMPWire

/// Runs `RTMPServerHandshake` on a new connection (RTMP spec 5.2).
///
/// Writes S0+S1+S2, and once C2 has arrived forwards any bytes that followed it and removes
/// itself. If the handshake is not complete within `timeout` of the channel becoming active, or
/// the client sends an unsupported version, it fires `RTMPHandshakeError` through
/// `errorCaught` and closes the channel.
final class RTMPHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let defaultTimeout = TimeAmount.seconds(10)

    private var handshake: RTMPServerHandshake
    private let timeout: TimeAmount
    private var timeoutTask: Scheduled<Void>?
    private var finished = false

    init(
        timeout: TimeAmount = RTMPHandshakeHandler.defaultTimeout,
        handshake: RTMPServerHandshake = RTMPServerHandshake()
    ) {
        self.timeout = timeout
        self.handshake = handshake
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            startTimer(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    func channelActive(context: ChannelHandlerContext) {
        startTimer(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else {
            context.fireChannelRead(data)
            return
        }
        do throws(RTMPHandshakeError) {
            var action = try handshake.feed(unwrapInboundIn(data))
            while true {
                switch action {
                case .needMoreData:
                    return
                case .send(let response):
                    context.writeAndFlush(wrapOutboundOut(response), promise: nil)
                    action = try handshake.feed(ByteBuffer())
                case .complete(let leftover):
                    finished = true
                    cancelTimer()
                    if leftover.readableBytes > 0 {
                        context.fireChannelRead(wrapInboundOut(leftover))
                    }
                    context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
                    return
                }
            }
        } catch {
            fail(context: context, error: error)
        }
    }

    private func startTimer(context: ChannelHandlerContext) {
        guard timeoutTask == nil, !finished else { return }
        let timeout = timeout
        timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.fail(context: context, error: .timedOut(timeout))
        }
    }

    private func cancelTimer() {
        timeoutTask?.cancel()
        timeoutTask = nil
    }

    private func fail(context: ChannelHandlerContext, error: RTMPHandshakeError) {
        guard !finished else { return }
        finished = true
        cancelTimer()
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}
