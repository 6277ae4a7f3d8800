/// What a processing function answered for one batch.
///
/// The reply line is `{"records":[...]}` and/or `{"batchItemFailures":[{"itemIdentifier":"..."}]}`;
/// `{}` (or `null` members) means "forward the input unchanged, nothing failed".
public struct FunctionResult: Sendable, Hashable {
    /// JSON objects to forward to the sink, each as compact UTF-8 JSON. `nil`: forward the input
    /// unchanged; `[]`: forward nothing.
    public var records: [[UInt8]]?
    /// `batchItemFailures[].itemIdentifier`, in reply order: the sequence numbers of records that
    /// failed (Lambda's `ReportBatchItemFailures`). The pipeline checkpoints below the lowest one.
    public var failedItemIdentifiers: [String]

    public init(records: [[UInt8]]? = nil, failedItemIdentifiers: [String] = []) {
        self.records = records
        self.failedItemIdentifiers = failedItemIdentifiers
    }
}
