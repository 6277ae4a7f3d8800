/// One logical replication message of the pgoutput plugin (protocol version 1), decoded.
///
/// See PostgreSQL's "Logical Replication Message Formats". Times are microseconds since
/// 2000-01-01 UTC; LSNs are `LSN`s; names are exact (unquoted) identifiers.
public enum PgOutputMessage: Sendable, Hashable {
    case begin(Begin)
    case commit(Commit)
    case origin(Origin)
    case relation(RelationMessage)
    case type(TypeMessage)
    case insert(Insert)
    case update(Update)
    case delete(Delete)
    case truncate(Truncate)
    case message(LogicalMessage)

    public struct Begin: Sendable, Hashable {
        /// The final LSN of the transaction (its commit record).
        public var finalLSN: LSN
        public var commitTime: Int64
        public var xid: UInt32
        public init(finalLSN: LSN, commitTime: Int64, xid: UInt32) {
            self.finalLSN = finalLSN
            self.commitTime = commitTime
            self.xid = xid
        }
    }

    public struct Commit: Sendable, Hashable {
        public var flags: UInt8
        /// The LSN of the commit record.
        public var commitLSN: LSN
        /// The end LSN of the transaction: what to confirm once it is durable downstream.
        public var endLSN: LSN
        public var commitTime: Int64
        public init(flags: UInt8, commitLSN: LSN, endLSN: LSN, commitTime: Int64) {
            self.flags = flags
            self.commitLSN = commitLSN
            self.endLSN = endLSN
            self.commitTime = commitTime
        }
    }

    public struct Origin: Sendable, Hashable {
        public var commitLSN: LSN
        public var name: String
        public init(commitLSN: LSN, name: String) {
            self.commitLSN = commitLSN
            self.name = name
        }
    }

    public struct RelationMessage: Sendable, Hashable {
        public struct Column: Sendable, Hashable {
            /// Bit 0 set: the column is part of the replica identity key.
            public var flags: UInt8
            public var name: String
            public var typeOID: UInt32
            public var typeModifier: Int32
            public var isKey: Bool { flags & 1 != 0 }
            public init(flags: UInt8, name: String, typeOID: UInt32, typeModifier: Int32) {
                self.flags = flags
                self.name = name
                self.typeOID = typeOID
                self.typeModifier = typeModifier
            }
        }
        public var oid: UInt32
        public var namespace: String
        public var name: String
        /// `relreplident`: `d`, `n`, `f` or `i` as a byte.
        public var replicaIdentity: UInt8
        public var columns: [Column]
        public init(oid: UInt32, namespace: String, name: String, replicaIdentity: UInt8, columns: [Column]) {
            self.oid = oid
            self.namespace = namespace
            self.name = name
            self.replicaIdentity = replicaIdentity
            self.columns = columns
        }
    }

    public struct TypeMessage: Sendable, Hashable {
        public var oid: UInt32
        public var namespace: String
        public var name: String
        public init(oid: UInt32, namespace: String, name: String) {
            self.oid = oid
            self.namespace = namespace
            self.name = name
        }
    }

    public struct Insert: Sendable, Hashable {
        public var relationOID: UInt32
        public var newTuple: [PgValue]
        public init(relationOID: UInt32, newTuple: [PgValue]) {
            self.relationOID = relationOID
            self.newTuple = newTuple
        }
    }

    /// The kind of old tuple an Update or Delete carries.
    public enum OldTupleKind: UInt8, Sendable, Hashable {
        /// `K`: only the replica identity key columns are meaningful (others are NULL).
        case key = 0x4B
        /// `O`: the full old row (REPLICA IDENTITY FULL).
        case full = 0x4F
    }

    public struct Update: Sendable, Hashable {
        public var relationOID: UInt32
        public var oldKind: OldTupleKind?
        public var oldTuple: [PgValue]?
        public var newTuple: [PgValue]
        public init(relationOID: UInt32, oldKind: OldTupleKind?, oldTuple: [PgValue]?, newTuple: [PgValue]) {
            self.relationOID = relationOID
            self.oldKind = oldKind
            self.oldTuple = oldTuple
            self.newTuple = newTuple
        }
    }

    public struct Delete: Sendable, Hashable {
        public var relationOID: UInt32
        public var oldKind: OldTupleKind
        public var oldTuple: [PgValue]
        public init(relationOID: UInt32, oldKind: OldTupleKind, oldTuple: [PgValue]) {
            self.relationOID = relationOID
            self.oldKind = oldKind
            self.oldTuple = oldTuple
        }
    }

    public struct Truncate: Sendable, Hashable {
        /// Bit 0: CASCADE, bit 1: RESTART IDENTITY.
        public var options: UInt8
        public var relationOIDs: [UInt32]
        public init(options: UInt8, relationOIDs: [UInt32]) {
            self.options = options
            self.relationOIDs = relationOIDs
        }
    }

    public struct LogicalMessage: Sendable, Hashable {
        public var transactional: Bool
        public var lsn: LSN
        public var prefix: String
        public var content: [UInt8]
        public init(transactional: Bool, lsn: LSN, prefix: String, content: [UInt8]) {
            self.transactional = transactional
            self.lsn = lsn
            self.prefix = prefix
            self.content = content
        }
    }
}

/// A message of the streaming replication sub-protocol inside CopyData (`w` or `k`).
public enum ReplicationMessage: Sendable, Hashable {
    /// `w`: WAL data; `payload` is one pgoutput message.
    case xLogData(walStart: LSN, walEnd: LSN, sendTime: Int64, payload: [UInt8])
    /// `k`: primary keepalive; when `replyRequested`, answer at once with a standby status update.
    case keepalive(walEnd: LSN, sendTime: Int64, replyRequested: Bool)
}
