extension StreamLog {
    /// Waits until a record at `offset` or later is durable (`durableEnd >= offset`), the timeout
    /// passes, the task is cancelled or the log is closed. Returns true when such a record is
    /// readable. Woken by `sync`; no polling.
    public func waitForRecords(from offset: UInt64, timeout: Duration) async -> Bool {
        if let ready = shared.withLock({ s -> Bool? in
            s.durableEnd >= offset ? true : (s.closed ? false : nil)
        }) {
            return ready
        }
        let woken = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitUntilDurable(offset) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        return woken || shared.withLock { $0.durableEnd >= offset }
    }

    private func waitUntilDurable(_ offset: UInt64) async -> Bool {
        let id = shared.withLock { s in
            s.nextWaiterID += 1
            return s.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now = shared.withLock { s -> Bool? in
                    if s.durableEnd >= offset { return true }
                    // Cancellation is flagged before the handler runs: if the handler found nothing to
                    // cancel, this check sees the flag.
                    if s.closed || Task.isCancelled { return false }
                    s.waiters[id] = Waiter(offset: offset, continuation: continuation)
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let waiter = shared.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(returning: false)
        }
    }
}
