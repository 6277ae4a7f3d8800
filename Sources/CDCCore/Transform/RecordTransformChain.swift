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
    public func apply(_ record: ChangeRecord) -> ChangeRecord {
        var result = record
        for transform in transforms { result = transform.apply(result) }
        return result
    }

    /// Applies the chain to every record of a batch, keeping order.
    public func apply(_ records: [ChangeRecord]) -> [ChangeRecord] {
        transforms.isEmpty ? records : records.map { apply($0) }
    }
}
