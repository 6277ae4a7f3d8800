/// Turns decoded pgoutput messages into `ChangeRecord`s: the pure core of capture.
///
/// It tracks the open transaction (commit LSN, xid, commit time, change index) and the relations
/// registered by the caller. Relation messages are not handled here, because resolving one needs the
/// catalog: `apply` returns `.relation` and the caller resolves it and calls `register`.
///
/// Contract: records come out in the order of the messages, each with `index` counting every change
/// message of its transaction from 1 (filtered-out tables included, so sequence numbers do not depend
/// on the filter).
public struct ChangeAssembler: Sendable {
    /// What the caller must do after a message.
    public enum Event: Sendable {
        /// Nothing (records may have been appended).
        case none
        /// A transaction began.
        case begin(PgOutputMessage.Begin)
        /// A transaction ended: once its records are durable downstream, confirm `endLSN`.
        case commit(PgOutputMessage.Commit)
        /// A relation (re)definition: resolve it and `register` it before the next change.
        case relation(PgOutputMessage.RelationMessage)
        /// A type definition (informational: types are resolved from the catalog).
        case type(PgOutputMessage.TypeMessage)
        /// A logical decoding message (`pg_logical_emit_message`).
        case message(PgOutputMessage.LogicalMessage)
    }

    /// Name of the source database, copied into every record.
    public let database: String
    private var relations: [UInt32: (relation: Relation, included: Bool)] = [:]
    private var transaction: PgOutputMessage.Begin?
    private var index: UInt32 = 0

    public init(database: String) { self.database = database }

    /// Registers (or replaces, after a schema change) a relation. Changes of a relation that is not
    /// `included` are counted but produce no records.
    public mutating func register(_ relation: Relation, included: Bool) {
        relations[relation.oid] = (relation, included)
    }

    public func relation(oid: UInt32) -> Relation? { relations[oid]?.relation }

    /// True while between Begin and Commit.
    public var inTransaction: Bool { transaction != nil }

    /// Applies one message, appending any records it produces to `records`.
    public mutating func apply(_ message: PgOutputMessage, into records: inout [ChangeRecord])
        throws(CaptureError) -> Event
    {
        switch message {
        case .begin(let begin):
            transaction = begin
            index = 0
            return .begin(begin)
        case .commit(let commit):
            transaction = nil
            return .commit(commit)
        case .relation(let relation):
            return .relation(relation)
        case .type(let type):
            return .type(type)
        case .origin:
            return .none
        case .message(let message):
            return .message(message)
        case .insert(let insert):
            guard let (relation, included) = try lookup(insert.relationOID) else { return .none }
            index += 1
            guard included else { return .none }
            try check(insert.newTuple, relation, "INSERT")
            let tx = transaction!
            records.append(
                .insert(
                    relation: relation, database: database, commitLSN: tx.finalLSN, index: index, xid: tx.xid,
                    commitTime: tx.commitTime, newValues: insert.newTuple))
        case .update(let update):
            guard let (relation, included) = try lookup(update.relationOID) else { return .none }
            index += 1
            guard included else { return .none }
            try check(update.newTuple, relation, "UPDATE")
            var newValues = update.newTuple
            var oldValues: [PgValue]?
            var oldKey: [PgValue]?
            if let old = update.oldTuple {
                try check(old, relation, "UPDATE")
                if update.oldKind == .full {
                    oldValues = old
                    for i in newValues.indices where newValues[i] == .unchangedToast && old[i] != .unchangedToast {
                        newValues[i] = old[i]
                    }
                }
                oldKey = relation.keyIndexes.map { old[$0] }
            }
            var keyValues = relation.keyIndexes.map { newValues[$0] }
            if let oldKey {
                for i in keyValues.indices where keyValues[i] == .unchangedToast { keyValues[i] = oldKey[i] }
            }
            records.append(
                record(
                    .modify, relation, keyValues: keyValues, oldKeyValues: oldKey == keyValues ? nil : oldKey,
                    newValues: newValues, oldValues: oldValues))
        case .delete(let delete):
            guard let (relation, included) = try lookup(delete.relationOID) else { return .none }
            index += 1
            guard included else { return .none }
            try check(delete.oldTuple, relation, "DELETE")
            records.append(
                record(
                    .remove, relation, keyValues: relation.keyIndexes.map { delete.oldTuple[$0] },
                    oldValues: delete.oldKind == .full ? delete.oldTuple : nil))
        case .truncate(let truncate):
            for oid in truncate.relationOIDs {
                guard let (relation, included) = try lookup(oid) else { continue }
                index += 1
                if included { records.append(record(.truncate, relation, keyValues: [])) }
            }
        }
        return .none
    }

    private func lookup(_ oid: UInt32) throws(CaptureError) -> (Relation, Bool)? {
        guard transaction != nil else {
            throw CaptureError(code: .protocolViolation, message: "change for relation \(oid) outside a transaction")
        }
        guard let entry = relations[oid] else {
            throw CaptureError(
                code: .protocolViolation, message: "change for relation \(oid) before its Relation message")
        }
        return (entry.relation, entry.included)
    }

    private func check(_ tuple: [PgValue], _ relation: Relation, _ what: String) throws(CaptureError) {
        guard tuple.count == relation.columns.count else {
            throw CaptureError(
                code: .protocolViolation,
                message:
                    "\(what) on \(relation.qualifiedName) has \(tuple.count) columns but its Relation message had \(relation.columns.count)"
            )
        }
    }

    private func record(
        _ event: EventName, _ relation: Relation, keyValues: [PgValue], oldKeyValues: [PgValue]? = nil,
        newValues: [PgValue]? = nil, oldValues: [PgValue]? = nil
    ) -> ChangeRecord {
        let tx = transaction!
        return ChangeRecord(
            eventName: event, relation: relation, database: database, commitLSN: tx.finalLSN, index: index,
            xid: tx.xid, commitTime: tx.commitTime, keyValues: keyValues, oldKeyValues: oldKeyValues,
            newValues: newValues, oldValues: oldValues)
    }
}
