import Foundation
import Ladder
import NIOPosix
import ServiceLifecycle

/// Applies the recording policy's age and size limits in the background (on the thread pool:
/// deleting folders is disk work).
struct RecordingRetention: Service {
    let library: RecordingLibrary
    let pool: NIOThreadPool

    /// A tenth of `keep_days` between 1 and 5 s: size limits are checked as often.
    var interval: Duration {
        let keep = library.policy.keepSeconds.map { Duration.milliseconds(Int64($0 * 100)) } ?? .seconds(5)
        return min(max(keep, .seconds(1)), .seconds(5))
    }

    func run() async throws {
        guard library.policy.keepSeconds != nil || library.policy.maxBytes != nil else {
            try? await gracefulShutdown()  // a service that returns early stops the group
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                let nowMs = TextFormatting.milliseconds(since1970: Date())
                _ = try? await pool.runIfActive { library.enforceRetention(nowMs: nowMs) }
            }
        }
    }
}
