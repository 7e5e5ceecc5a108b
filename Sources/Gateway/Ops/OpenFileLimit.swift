#if canImport(Glibc)
    import Glibc
#endif

/// The open-files limit (RLIMIT_NOFILE, getrlimit(2)). Every viewer connection and every stored
/// segment's `MemoryFile` holds a descriptor, and the usual soft limit (1024) is far below what
/// an origin needs, so `serve` raises the soft limit to the hard one at startup, as nginx's
/// `worker_rlimit_nofile` lets operators do. When descriptors still run out, segments are sent
/// from memory and new connections are refused by the kernel, never a crash.
enum OpenFileLimit {
    /// Raises the soft limit to the hard limit; returns the soft limit in force afterwards.
    @discardableResult
    static func raiseToHardLimit() -> UInt64? {
        #if canImport(Glibc)
            var limit = rlimit()
            guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
            if limit.rlim_cur < limit.rlim_max {
                var raised = limit
                raised.rlim_cur = limit.rlim_max
                if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
            }
            return UInt64(limit.rlim_cur)
        #else
            return nil
        #endif
    }
}
