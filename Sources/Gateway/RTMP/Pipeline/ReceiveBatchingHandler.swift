import Glibc
import NIOCore
import RTMPWire

/// When to wake for a steady media stream: SO_RCVLOWAT (socket(7)) tells the kernel to report a
/// socket readable only once that many bytes are queued. Each tick measures the rate and sets the
/// mark to about `delay` worth of it, so one wake-up reads several RTMP messages instead of one
/// chunk; a falling rate lowers the mark at the next tick, so queued bytes wait at most one tick.
struct ReceiveWatermark: Sendable, Equatable {
    /// Added latency the mark aims for.
    var delay: TimeAmount
    var tick: TimeAmount
    /// Marks below this are not worth a system call: batching is off (mark 1).
    var minimumMark = 2048
    var maximumMark = 64 * 1024
    private(set) var mark = 1

    init(delay: TimeAmount, tick: TimeAmount = .milliseconds(500)) {
        self.delay = delay
        self.tick = tick
    }

    /// The new mark after a tick that read `bytes`, or nil when it stays.
    mutating func tick(bytesRead bytes: Int) -> Int? {
        let wanted = Int((Int64(bytes) * delay.nanoseconds) / max(1, tick.nanoseconds))
        let next = wanted < minimumMark ? 1 : min(maximumMark, wanted)
        // A wobble within a quarter is not worth a system call; queued bytes then wait at most
        // a quarter longer than `delay`. Falling to 1 (a stalled stream) always applies.
        guard next != mark else { return nil }
        if next > 1 && mark > 1 && abs(next - mark) <= mark / 4 { return nil }
        mark = next
        return next
    }
}

/// Socket-level read batching in front of the RTMP layers (see `ReceiveWatermark`).
final class ReceiveBatchingHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var watermark: ReceiveWatermark
    private var bytesThisTick = 0
    private var ticker: RepeatedTask?

    init(delay: TimeAmount, tick: TimeAmount = .milliseconds(500)) {
        watermark = ReceiveWatermark(delay: delay, tick: tick)
    }

    var delayMilliseconds: Int64 { watermark.delay.nanoseconds / 1_000_000 }

    /// The socket option this handler sets.
    static let lowWatermarkOption = ChannelOptions.socketOption(NIOBSDSocket.Option(rawValue: SO_RCVLOWAT))

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    /// Removing the handler ends batching: a raised mark goes back to 1 (wake per arrival).
    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
        if watermark.mark > 1, let options = context.channel.syncOptions {
            try? options.setOption(Self.lowWatermarkOption, value: 1)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        bytesThisTick += unwrapInboundIn(data).readableBytes
        context.fireChannelRead(data)
    }

    private func start(context: ChannelHandlerContext) {
        guard ticker == nil else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        ticker = context.eventLoop.scheduleRepeatedTask(
            initialDelay: watermark.tick, delay: watermark.tick
        ) { _ in
            let (handler, context) = loopBound.value
            handler.onTick(context: context)
        }
    }

    private func stop() {
        ticker?.cancel()
        ticker = nil
    }

    private func onTick(context: ChannelHandlerContext) {
        let bytes = bytesThisTick
        bytesThisTick = 0
        guard let mark = watermark.tick(bytesRead: bytes), let options = context.channel.syncOptions else { return }
        // Best effort: a kernel that refuses the option just keeps waking per arrival.
        try? options.setOption(Self.lowWatermarkOption, value: SocketOptionValue(mark))
    }
}
