/// A pipeline's `transforms:` list: the steps applied one after the other, each to the previous
/// step's output (so a step's `tables` see the table name as earlier steps left it).
///
/// An empty chain passes records unchanged. Thread-safe, like its steps.
public struct RecordTransformChain: Sendable {
    public let transforms: [RecordTransform]

    public init(_ transforms: [RecordTransform]) {
        self.transforms = transforms
    }

    /// True when the chain has no steps.
    public var isEmpty: Bool { transforms.isEmpty }

    /// The record after every step, in order.
    public func apply(_ record: consuming ChangeRecord) -> ChangeRecord {
        apply(to: &record)
        return record
    }

    /// Applies the chain to every record of a batch, keeping order (in place when the array is not
    /// shared).
    public func apply(_ records: consuming [ChangeRecord]) -> [ChangeRecord] {
        if transforms.isEmpty { return records }
        for i in records.indices { apply(to: &records[i]) }
        return records
    }

    /// Applies every step to `record` in place.
    public func apply(to record: inout ChangeRecord) {
        for transform in transforms { transform.apply(to: &record) }
    }
}
