/// A filter pattern that cannot be compiled: names the part of the pattern at fault and says what it
/// should look like, e.g. `filter[1].newImage.status: "prefix" needs a string or {"equals-ignore-case":
/// "..."}, not 5`.
///
/// `path` starts at the pattern's index in the pipeline's `filter` list (`filter[1]`), followed by the
/// field names down to the bad part (`.newImage.status`; names that are not plain identifiers are
/// written `["order total"]`). The description quotes only pattern text, never record data.
public struct FilterPatternError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of mistake.
    public enum Code: String, Sendable, Hashable {
        /// A pattern, or a nested pattern, is not a JSON object or is empty; or `$or` is malformed.
        case invalidPattern
        /// The same field appears twice in one object.
        case duplicateField
        /// A field's value is neither an array of conditions nor a nested object, or the array is empty.
        case invalidConditionList
        /// An element of a condition array is neither a value nor an operator object.
        case invalidCondition
        /// An operator object names no supported operator (or several at once).
        case unknownOperator
        /// An operator's operand has the wrong type or shape.
        case invalidOperand
        /// A `numeric` condition that is malformed or matches no number.
        case invalidNumericRange
        /// A `wildcard` with `**` or a backslash before anything but `*` or `\`.
        case invalidWildcard
    }

    public var code: Code
    /// Where in the filter: `filter[1].newImage.status`.
    public var path: String
    /// What is wrong and what to write instead.
    public var message: String

    public init(_ code: Code, path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
