import CDCCore
import LibPQ

/// One difference between two shapes of a source table (two Relation messages, or the shape the
/// replica last applied and the current one), and whether a target table already follows it.
///
/// Pure: `between` compares column lists; `isFollowed(by:)` looks at the target's declared columns.
/// The replica sink goes on when every change is followed (a new column is added by
/// `create_tables`); otherwise it stops the pipeline with `message(table:)`.
struct SchemaChange: Equatable, Sendable, CustomStringConvertible {
    /// A column as far as the shape goes: name and declared type.
    struct Column: Hashable, Sendable {
        var name: String
        var typeOID: UInt32
        var typeModifier: Int32

        init(name: String, typeOID: UInt32, typeModifier: Int32) {
            self.name = name
            self.typeOID = typeOID
            self.typeModifier = typeModifier
        }

        init(_ column: Relation.Column) {
            self.init(name: column.name, typeOID: column.typeOID, typeModifier: column.typeModifier)
        }
    }

    enum Kind: Equatable, Sendable {
        /// A new column (`column` is its name).
        case added
        /// The column is gone.
        case dropped
        /// The column has a new name (same position and type; it may also have been dropped and
        /// another added in its place: the source's Relation message cannot tell).
        case renamed(to: String)
        /// The column has a new type.
        case retyped(to: Column)
    }

    /// The column's name in the old shape (for `.added`, its name in the new one).
    var column: String
    var kind: Kind

    /// The changes from `old` to `new`, in column order (drops, renames and type changes first,
    /// then additions).
    static func between(_ old: [Column], _ new: [Column]) -> [SchemaChange] {
        let oldNames = Set(old.map(\.name))
        let newByName = Dictionary(new.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var changes: [SchemaChange] = []
        var renamedTo: Set<String> = []
        for (position, column) in old.enumerated() {
            if let now = newByName[column.name] {
                if now.typeOID != column.typeOID || now.typeModifier != column.typeModifier {
                    changes.append(SchemaChange(column: column.name, kind: .retyped(to: now)))
                }
                continue
            }
            // Same column count, and in this position a name the old shape did not have with the
            // same type: a rename (pgoutput lists columns in attnum order; a dropped column's
            // place closes up and an added one goes last).
            if old.count == new.count, position < new.count, !oldNames.contains(new[position].name),
                new[position].typeOID == column.typeOID
            {
                changes.append(SchemaChange(column: column.name, kind: .renamed(to: new[position].name)))
                renamedTo.insert(new[position].name)
            } else {
                changes.append(SchemaChange(column: column.name, kind: .dropped))
            }
        }
        for column in new where !oldNames.contains(column.name) && !renamedTo.contains(column.name) {
            changes.append(SchemaChange(column: column.name, kind: .added))
        }
        return changes
    }

    /// True when the target table (its columns by name) already has the new shape for this
    /// change, so applying the new records cannot diverge: a dropped column is gone from it, a
    /// renamed one has its new name and not the old, a retyped one has the new type. An added
    /// column is always "followed" here (the sink adds it or says it is missing).
    func isFollowed(by target: [String: Column]) -> Bool {
        switch kind {
        case .added:
            return true
        case .dropped:
            return target[column] == nil
        case .renamed(let name):
            return target[column] == nil && target[name] != nil
        case .retyped(let now):
            guard let declared = target[column] else { return false }
            return declared.typeOID == now.typeOID
                && (now.typeModifier == -1 || declared.typeModifier == now.typeModifier)
        }
    }

    /// What the user reads when the replica stops: the source table, the column, what happened,
    /// what to do in the target (`targetTable`, quoted), and that a restart goes on afterwards.
    func message(table: String, targetTable: String, newTypeName: String? = nil, targetTypeName: String? = nil)
        -> String
    {
        let name = SQL.identifier(column)
        let head = "postgres sink: column \"\(column)\" of \(table)"
        let tail = ", then restart cdcd (the pipeline resumes where it stopped)"
        switch kind {
        case .added:
            return "\(head) was added in the source"
        case .dropped:
            return "\(head) was dropped in the source; the replica keeps it and would leave it stale: "
                + "drop it in the target (ALTER TABLE \(targetTable) DROP COLUMN \(name))" + tail
        case .renamed(let to):
            return "\(head) was renamed to \"\(to)\" in the source (or dropped and \"\(to)\" added in its place); "
                + "the replica cannot follow on its own: rename it in the target (ALTER TABLE \(targetTable) "
                + "RENAME COLUMN \(name) TO \(SQL.identifier(to)))" + tail
        case .retyped(let now):
            let newType = newTypeName ?? "type OID \(now.typeOID)"
            let current = targetTypeName.map { " (the target column is \($0))" } ?? ""
            return "\(head) changed type to \(newType) in the source\(current); the replica cannot follow on its own: "
                + "change it in the target (ALTER TABLE \(targetTable) ALTER COLUMN \(name) TYPE \(newType))" + tail
        }
    }

    var description: String {
        switch kind {
        case .added: "added \(column)"
        case .dropped: "dropped \(column)"
        case .renamed(let to): "renamed \(column) to \(to)"
        case .retyped(let now): "retyped \(column) to OID \(now.typeOID)(\(now.typeModifier))"
        }
    }
}
