import Foundation
import NIOCore

/// A stored file's bytes, also kept in a sealed memfd (memfd_create(2)) so that the origin can
/// send them with sendfile(2): the kernel then passes the pages to the socket instead of copying
/// them from user memory, as nginx does from its page cache. One per segment version, closed
/// when the store drops the version and the last response using it has been written.
final class MemoryFile: Sendable {
    let descriptor: CInt
    let count: Int

    /// Files below this size are sent from memory: the copy is cheaper than the descriptor.
    static let minimumSize = 64 * 1024

    private typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>, UInt32) -> CInt
    /// glibc has memfd_create since 2.27, but Swift's Glibc module does not export it.
    private static let memfdCreate: MemfdCreate? = dlsym(nil, "memfd_create").map {
        unsafeBitCast($0, to: MemfdCreate.self)
    }
    private static let cloexecAllowSealing: UInt32 = 0x1 | 0x2  // MFD_CLOEXEC | MFD_ALLOW_SEALING
    private static let addSeals: CInt = 1033  // F_ADD_SEALS
    private static let allSeals: CInt = 0x1 | 0x2 | 0x4 | 0x8  // F_SEAL_SEAL, SHRINK, GROW, WRITE

    private init(descriptor: CInt, count: Int) {
        self.descriptor = descriptor
        self.count = count
    }

    /// nil when the bytes are small, or memfd_create or the write fails (for example with no
    /// descriptors left): the file is then sent from memory, which always works.
    static func make(_ bytes: [UInt8]) -> MemoryFile? {
        guard bytes.count >= minimumSize, let memfdCreate else { return nil }
        let descriptor = memfdCreate("gateway-segment", cloexecAllowSealing)
        guard descriptor >= 0 else { return nil }
        let written = bytes.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let result = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else { return false }
                offset += result
            }
            return true
        }
        guard written, fcntl(descriptor, addSeals, allSeals) == 0 else {
            close(descriptor)
            return nil
        }
        return MemoryFile(descriptor: descriptor, count: bytes.count)
    }

    deinit {
        close(descriptor)
    }

    /// Writes `head` and then the whole file to `context`'s channel, the file with sendfile(2).
    /// The socket is corked (TCP_CORK, tcp(7)) meanwhile, so that the head and the file leave in
    /// full segments, as nginx's `tcp_nopush` does: 5.4k -> 7.4k segments/s in bench-viewers.
    /// Each write borrows the descriptor through its own `NIOFileHandle` (NIO lets one write use
    /// a handle at a time) and keeps this file open until the write is done.
    func send(after head: ByteBuffer, to context: ChannelHandlerContext) {
        let cork = ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: TCP_CORK))
        let options = context.channel.syncOptions
        try? options?.setOption(cork, value: 1)
        context.write(NIOAny(head), promise: nil)
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
        let region = FileRegion(fileHandle: handle, readerIndex: 0, endIndex: count)
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(IOData.fileRegion(region)), promise: done)
        done.futureResult.assumeIsolated().whenComplete { _ in
            _ = try? handle.takeDescriptorOwnership()
            withExtendedLifetime(self) {}
            try? options?.setOption(cork, value: 0)
        }
    }
}
