import NIOCore
import RTMPWire

/// The chunk layer of an RTMP connection (RTMP spec 5.3, 5.4) as one duplex handler.
///
/// Inbound: bytes become `RTMPMessage`s (Set Chunk Size and Abort are applied by the decoder and
/// still forwarded). Every message is forwarded, control messages included. The peer's Window
/// Acknowledgement Size is honoured by sending Acknowledgements on time (RTMP spec 5.4.3).
///
/// Outbound: `RTMPMessage`s become chunks. Writing a Set Chunk Size message switches the
/// outgoing chunk size right after that message, so the session changes it by sending one.
///
/// Errors: a `ChunkError` (limit exceeded, corrupt stream) is fired through `errorCaught` and the
/// channel is closed, since the chunk stream cannot be resynchronised.
final class RTMPChunkCodec: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = RTMPMessage
    typealias OutboundIn = RTMPMessage
    typealias OutboundOut = ByteBuffer

    private var decoder: ChunkDecoder
    private var encoder: ChunkEncoder
    private var acknowledgements = AcknowledgementTracker()
    private var failed = false

    init(limits: ChunkLimits = ChunkLimits(), compressesHeaders: Bool = true) {
        decoder = ChunkDecoder(limits: limits)
        encoder = ChunkEncoder(compressesHeaders: compressesHeaders)
    }

    /// Chunk size currently used for outgoing messages.
    var outgoingChunkSize: Int { encoder.chunkSize }
    /// Chunk size the peer announced.
    var incomingChunkSize: Int { decoder.chunkSize }
    /// Bytes received since the handshake.
    var totalBytesReceived: UInt64 { acknowledgements.totalBytesReceived }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        // The decoder consumes (copies) every byte, so NIO can reuse its receive buffer.
        var bytes = unwrapInboundIn(data)
        let received = bytes.readableBytes
        do throws(ChunkError) {
            while !failed, let message = try decoder.next(from: &bytes) {
                if message.type == .windowAcknowledgementSize,
                    case .windowAcknowledgementSize(let size) = try? ProtocolControlMessage(decoding: message)
                {
                    acknowledgements.setWindowSize(size)
                }
                context.fireChannelRead(wrapInboundOut(message))
            }
        } catch {
            fail(context: context, error: error)
            return
        }
        if let sequenceNumber = acknowledgements.bytesReceived(received) {
            let acknowledgement = ProtocolControlMessage.acknowledgement(sequenceNumber: sequenceNumber).message()
            var out = context.channel.allocator.buffer(capacity: 16)
            do throws(ChunkError) {
                try encoder.encode(acknowledgement, into: &out)
                context.writeAndFlush(wrapOutboundOut(out), promise: nil)
            } catch {
                fail(context: context, error: error)
            }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let message = unwrapOutboundIn(data)
        var out = context.channel.allocator.buffer(capacity: message.payload.readableBytes + 32)
        do {
            try encoder.encode(message, into: &out)
            if message.type == .setChunkSize,
                case .setChunkSize(let size) = try? ProtocolControlMessage(decoding: message)
            {
                try encoder.setChunkSize(Int(size))
            }
        } catch {
            promise?.fail(error)
            return
        }
        context.write(wrapOutboundOut(out), promise: promise)
    }

    private func fail(context: ChannelHandlerContext, error: ChunkError) {
        failed = true
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}
