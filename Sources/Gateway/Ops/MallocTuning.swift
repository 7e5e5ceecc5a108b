#if canImport(Glibc)
    import Glibc
#endif

/// glibc malloc thresholds for a process that allocates segment-sized buffers (0.1-2 MiB) all the time.
///
/// With glibc's defaults, buffers of that size are mmapped, or the arena top holding them is trimmed
/// back to the kernel, and every byte is page-faulted in again: about 400 faults/s at four 3 Mb/s
/// ingests, once the segment window is full. Fixed thresholds (mallopt(3) M_MMAP_THRESHOLD and
/// M_TRIM_THRESHOLD) keep freed buffers in the arenas, so the next segment reuses them; memory
/// stays bounded by the peak the process already reached.
enum MallocTuning {
    /// Allocations below this come from the arenas (glibc's default starts at 128 KiB).
    static let mmapThreshold: Int32 = 8 << 20
    /// Free memory at an arena's top beyond this goes back to the kernel.
    static let trimThreshold: Int32 = 64 << 20

    /// Applies both thresholds; false where the C library has no `mallopt` (not glibc) or refuses.
    @discardableResult
    static func apply() -> Bool {
        #if canImport(Glibc)
            // mallopt is not in Swift's Glibc module; it is looked up in the C library already loaded.
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            guard let process = dlopen(nil, RTLD_NOW) else { return false }
            defer { dlclose(process) }
            guard let symbol = dlsym(process, "mallopt") else { return false }
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            let mmapThresholdParameter: Int32 = -3  // M_MMAP_THRESHOLD, <malloc.h>
            let trimThresholdParameter: Int32 = -1  // M_TRIM_THRESHOLD, <malloc.h>
            return mallopt(mmapThresholdParameter, mmapThreshold) == 1
                && mallopt(trimThresholdParameter, trimThreshold) == 1
        #else
            return false
        #endif
    }
}
