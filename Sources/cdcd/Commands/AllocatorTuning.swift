#if canImport(Glibc)
    import CMalloc
#endif

/// glibc's allocator, set for a process that frees and allocates the same large buffers all day.
///
/// By default glibc returns freed memory at the top of a heap to the kernel once it passes 128 KB
/// (a threshold that grows only when big `mmap`ed blocks are freed), and serves blocks above a
/// moving threshold with `mmap`. cdcd's batches (arrays of 10,000 records, COPY buffers, stream
/// write buffers) are freed and allocated again many times a second, so the heap shrank and grew
/// back all the time, and every page it got back came fresh from the kernel, zeroed: in the replica
/// benchmark `clear_page` under `malloc` was 5–6% of cdcd's CPU (perf, stop 19). Keeping up to
/// 128 MB free at the top of each heap and serving blocks up to 32 MB from the heap makes that
/// memory reused instead; cdcd's resident size stays at its peak, as for any long-running server.
enum AllocatorTuning {
    /// Applies the settings (once, at start, before the daemon allocates its buffers).
    static func apply() {
        #if canImport(Glibc)
            _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
            _ = mallopt(M_TRIM_THRESHOLD, 128 << 20)
        #endif
    }
}
