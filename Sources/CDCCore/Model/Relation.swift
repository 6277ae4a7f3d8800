/// A table as the record stream sees it: names, columns with their resolved kinds, and which
/// columns form the record's `keys`.
///
/// Built by capture from a pgoutput Relation message plus a catalog lookup (primary key, domain
/// base types), and shared by reference by every record of that table until the next Relation
/// message (a schema change) replaces it.
public final class Relation: Sendable {
    /// How the source logs old rows (`pg_class.relreplident`).
    public enum ReplicaIdentity: UInt8, Sendable {
        case `default` = 0x64  // 'd'
        case nothing = 0x6E  // 'n'
        case full = 0x66  // 'f'
        case index = 0x69  // 'i'
    }

    /// One column of the relation.
    public struct Column: Sendable, Hashable {
        public var name: String
        public var typeOID: UInt32
        public var typeModifier: Int32
        /// How values of this column render as JSON.
        public var kind: ValueKind
        /// pgoutput's flag: the column is part of the replica identity key.
        public var isReplicaIdentity: Bool

        public init(name: String, typeOID: UInt32, typeModifier: Int32, kind: ValueKind, isReplicaIdentity: Bool) {
            self.name = name
            self.typeOID = typeOID
            self.typeModifier = typeModifier
            self.kind = kind
            self.isReplicaIdentity = isReplicaIdentity
        }
    }

    public let oid: UInt32
    public let schema: String
    public let name: String
    public let replicaIdentity: ReplicaIdentity
    public let columns: [Column]
    /// Indexes into `columns` of the record's `keys`: the primary key when the table has one,
    /// otherwise the replica identity columns (all columns under REPLICA IDENTITY FULL). Empty for a
    /// table with neither.
    public let keyIndexes: [Int]
    /// `schema.table`, plain and unquoted (design.md: `Sales Dept.Order Items`).
    public let qualifiedName: String
    /// Each column's JSON object member name with its colon (`"name":`), escaped once here rather
    /// than for every value rendered.
    public let jsonMemberNames: [[UInt8]]

    public init(
        oid: UInt32, schema: String, name: String, replicaIdentity: ReplicaIdentity,
        columns: [Column], keyIndexes: [Int]
    ) {
        self.oid = oid
        self.schema = schema
        self.name = name
        self.replicaIdentity = replicaIdentity
        self.columns = columns
        self.keyIndexes = keyIndexes
        self.qualifiedName = schema + "." + name
        self.jsonMemberNames = columns.map { column in
            var writer = JSONWriter(capacity: column.name.utf8.count + 3)
            writer.writeKey(column.name)
            return writer.bytes
        }
    }
}
