extension StreamLog {
    /// Waits until a record at `offset` or later is durable (`durableEnd >= offset`; with
    /// `durableOnly: false`, written: `writtenEnd >= offset`), the timeout passes, the task is
    /// cancelled or the log is closed. Returns true when such a record is readable. Woken by `sync`
    /// (and `writeForReaders`); no polling.
    public func waitForRecords(from offset: UInt64, timeout: Duration, durableOnly: Bool = true) async -> Bool {
        func end(_ s: Shared) -> UInt64 { durableOnly ? s.durableEnd : s.writtenEnd }
        if let ready = shared.withLock({ s -> Bool? in
            end(s) >= offset ? true : (s.closed ? false : nil)
        }) {
            return ready
        }
        let woken = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitUntilDurable(offset, durable: durableOnly) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        return woken || shared.withLock { end($0) >= offset }
    }

    private func waitUntilDurable(_ offset: UInt64, durable: Bool) async -> Bool {
        let id = shared.withLock { s in
            s.nextWaiterID += 1
            return s.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now = shared.withLock { s -> Bool? in
                    if (durable ? s.durableEnd : s.writtenEnd) >= offset { return true }
                    // Cancellation is flagged before the handler runs: if the handler found nothing to
                    // cancel, this check sees the flag.
                    if s.closed || Task.isCancelled { return false }
                    s.waiters[id] = Waiter(offset: offset, durable: durable, continuation: continuation)
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
