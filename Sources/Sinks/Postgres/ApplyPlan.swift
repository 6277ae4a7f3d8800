import CDCCore
import LibPQ

/// The statements that apply a batch of change records to the target, in record order: runs of
/// inserts and upserts of one table merged into multi-row statements, everything else one statement
/// per record. Pure: built from records and their `TableApply`, tested on values.
struct ApplyPlan {
    enum Kind: Hashable {
        /// `INSERT … ON CONFLICT (key) DO UPDATE` of the sent columns (INSERT, and MODIFY without key change).
        case upsert
        /// Plain `INSERT` (targets without a unique key).
        case insert
        /// `UPDATE … SET sent columns WHERE key = old key`.
        case update
        case delete
        /// UPDATE / DELETE of one row matching every old value (REPLICA IDENTITY FULL, no key).
        case updateMatchingAll
        case deleteMatchingAll
        case truncate
        /// `COPY … FROM STDIN` of a run of INSERTs (the fast path; a key that already exists in the
        /// target fails it with 23505 and the batch is applied again with upserts).
        case copy
    }

    /// One statement and the records it covers.
    struct Operation {
        var table: TableApply
        var kind: Kind
        /// The relation's columns written (in order), for upsert/insert/update.
        var columns: [Int]
        /// Indexes of the records in the batch, consecutive.
        var records: Range<Int>
        /// The statement shape.
        /// The statement shape (a COPY's text does not depend on its row count).
        var key: TableApply.StatementKey { .init(kind: kind, columns: columns, rows: kind == .copy ? 0 : records.count) }
    }

    /// A record the sink cannot apply (e.g. an UPDATE of a table without replica identity).
    struct Unappliable: Error {
        var index: Int
        var message: String
    }

    private(set) var operations: [Operation] = []

    /// Plans `records` (applied in order). `table` gives the `TableApply` of a record's relation.
    /// `multiRow: false` makes one statement per record, to find which record a failure is about;
    /// `copyInserts: true` turns runs of INSERTs into COPY.
    init(
        records: [ChangeRecord], multiRow: Bool = true, copyInserts: Bool = false,
        table: (ChangeRecord) throws(SinkError) -> TableApply
    ) throws(SinkError) {
        /// Keys already in the open multi-row upsert (ON CONFLICT cannot touch one row twice).
        var openKeys = Set<[PgValue]>()
        /// The last record's relation and its `TableApply` (batches are mostly runs of one table).
        var lastRelation: ObjectIdentifier?
        var lastApply: TableApply?
        for index in records.indices {
            let apply: TableApply
            if let lastApply, ObjectIdentifier(records[index].relation) == lastRelation {
                apply = lastApply
            } else {
                apply = try table(records[index])
                lastApply = apply
                lastRelation = ObjectIdentifier(records[index].relation)
            }
            var (kind, columns) = try records.withUnsafeBufferPointer { (records) throws(SinkError) in
                try Self.classify(records.baseAddress! + index, apply, index: index)
            }
            if copyInserts && multiRow && records[index].eventName == .insert { kind = .copy }
            if kind == .copy, var last = operations.last, last.table === apply, last.kind == .copy, last.columns == columns {
                last.records = last.records.lowerBound..<(index + 1)
                operations[operations.count - 1] = last
                continue
            }
            if multiRow, var last = operations.last, last.table === apply, last.kind == kind,
                kind == .upsert || kind == .insert, last.columns == columns,
                last.records.count < apply.maxRowsPerStatement,
                kind == .insert || !openKeys.contains(records[index].keyValues)
            {
                last.records = last.records.lowerBound..<(index + 1)
                operations[operations.count - 1] = last
                if kind == .upsert { openKeys.insert(records[index].keyValues) }
                continue
            }
            openKeys.removeAll(keepingCapacity: true)
            if kind == .upsert { openKeys.insert(records[index].keyValues) }
            operations.append(Operation(table: apply, kind: kind, columns: columns, records: index..<(index + 1)))
        }
        operations = operations.flatMap(Self.splitInPowersOfTwo)
    }

    /// What statement a record needs, and which columns it writes.
    /// The record is read in place through `record` (no reference counted, see
    /// `ChangeRecord.withNewValues(of:_:)`).
    static func classify(_ record: UnsafePointer<ChangeRecord>, _ apply: TableApply, index: Int) throws(SinkError) -> (Kind, [Int]) {
        var sent: [Int] = []
        switch ChangeRecord.withNewValues(of: record, sentColumns) {
        case .none: break  // no new row (REMOVE, TRUNCATE)
        case .some(nil): sent = apply.allColumns
        case .some(let some?): sent = some
        }
        let eventName = record.pointee.eventName
        switch (eventName, apply.mode) {
        case (.truncate, _):
            return (.truncate, [])
        case (.insert, .upsert):
            return (.upsert, sent)
        case (.insert, _):
            return (.insert, sent)
        case (.modify, .upsert):
            return (record.pointee.oldKeyValues == nil ? .upsert : .update, sent)
        case (.modify, .matchKey):
            return (.update, sent)
        case (.remove, .upsert), (.remove, .matchKey):
            return (.delete, [])
        case (.modify, .matchAllColumns), (.remove, .matchAllColumns):
            guard record.pointee.oldValues != nil else {
                throw SinkError(
                    retryable: false,
                    message: "\(apply.targetName): a \(eventName.rawValue) without the old row cannot be matched (the source table has no key and is not REPLICA IDENTITY FULL)")
            }
            return (eventName == .modify ? .updateMatchingAll : .deleteMatchingAll, sent)
        case (.modify, .insertOnly), (.remove, .insertOnly):
            throw SinkError(
                retryable: false,
                message: "\(apply.targetName): a \(eventName.rawValue) of a table without a key or replica identity cannot be applied")
        }
    }

    /// The columns a new row sends: nil when it sends all of them, else those not marked unchanged
    /// TOAST.
    static func sentColumns(_ values: UnsafeBufferPointer<PgValue>) -> [Int]? {
        guard let base = values.baseAddress,
            values.indices.contains(where: { PgValue.isUnchangedToast(at: base + $0) })
        else { return nil }
        return values.indices.filter { !PgValue.isUnchangedToast(at: base + $0) }
    }

    /// Splits a multi-row operation into statements of power-of-two sizes (256, 128, …), so a table
    /// needs at most nine prepared statement shapes per column set.
    static func splitInPowersOfTwo(_ operation: Operation) -> [Operation] {
        var remaining = operation.records
        guard remaining.count > 1, operation.kind != .copy else { return [operation] }
        var parts: [Operation] = []
        while !remaining.isEmpty {
            var size = 1
            while size * 2 <= remaining.count { size *= 2 }
            var part = operation
            part.records = remaining.lowerBound..<(remaining.lowerBound + size)
            parts.append(part)
            remaining = part.records.upperBound..<remaining.upperBound
        }
        return parts
    }

    /// The parameters of an operation, in `$n` order.
    static func parameters(_ operation: Operation, records: [ChangeRecord]) -> StatementParameters {
        var parameters = StatementParameters()
        func append(_ value: PgValue) {
            switch value {
            case .text(let text): text.withUnsafeBytes { parameters.append($0) }
            case .null, .unchangedToast: parameters.appendNull()
            }
        }
        for index in operation.records {
            let record = records[index]
            switch operation.kind {
            case .upsert, .insert:
                let values = record.newValues ?? []
                for column in operation.columns { append(values[column]) }
            case .update:
                let values = record.newValues ?? []
                for column in operation.columns { append(values[column]) }
                for value in record.oldKeyValues ?? record.keyValues { append(value) }
            case .delete:
                for value in record.keyValues { append(value) }
            case .updateMatchingAll:
                let values = record.newValues ?? []
                for column in operation.columns { append(values[column]) }
                for value in record.oldValues ?? [] { append(value) }
            case .deleteMatchingAll:
                for value in record.oldValues ?? [] { append(value) }
            case .truncate, .copy:
                break
            }
        }
        return parameters
    }

    /// The COPY text-format data of a `.copy` operation: one line per record, columns separated by
    /// tabs, NULL as `\N`, backslash, tab, newline and carriage return escaped.
    static func copyData(_ operation: Operation, records: [ChangeRecord]) -> [UInt8] {
        var data = CopyInBuffer(capacity: operation.records.count * 64)
        appendCopyRows(operation, operation.records, records: records, to: &data)
        return data.bytes
    }

    /// Appends the COPY lines of `rows` (indexes into `records`) to `data`. Records and values are
    /// read in place (`ChangeRecord.withNewValues(of:_:)`, `PgValue.withTextBytes(at:_:)`): no
    /// reference is counted per row or value.
    static func appendCopyRows(
        _ operation: Operation, _ rows: Range<Int>, records: [ChangeRecord], to data: inout CopyInBuffer
    ) {
        operation.columns.withUnsafeBufferPointer { columns in
            records.withUnsafeBufferPointer { records in
                for index in rows {
                    _ = ChangeRecord.withNewValues(of: records.baseAddress! + index) { values in
                        guard let values = values.baseAddress else { return }
                        for n in columns.indices {
                            if n > 0 { data.append(0x09) }
                            PgValue.withTextBytes(at: values + columns[n]) { bytes in
                                if let bytes {
                                    appendEscaped(bytes, to: &data)
                                } else {
                                    data.append(0x5C)
                                    data.append(UInt8(ascii: "N"))
                                }
                            }
                        }
                    }
                    data.append(0x0A)
                }
            }
        }
    }

    /// Appends the binary COPY rows of `rows` (`kinds`: the conversion of each of the operation's
    /// columns, in order), reading records and values in place; false when a value's text is not
    /// in the form its conversion reads (the COPY must then go as text).
    static func appendBinaryCopyRows(
        _ operation: Operation, _ rows: Range<Int>, records: [ChangeRecord], kinds: [BinaryCopyEncoder.Kind],
        to data: inout CopyInBuffer
    ) -> Bool {
        operation.columns.withUnsafeBufferPointer { columns in
            records.withUnsafeBufferPointer { records in
                for index in rows {
                    let converted = ChangeRecord.withNewValues(of: records.baseAddress! + index) { values -> Bool in
                        guard let values = values.baseAddress else { return false }
                        BinaryCopyEncoder.appendRowStart(fields: columns.count, to: &data)
                        for n in columns.indices {
                            let ok = PgValue.withTextBytes(at: values + columns[n]) { bytes in
                                guard let bytes else {
                                    BinaryCopyEncoder.appendNull(to: &data)
                                    return true
                                }
                                return BinaryCopyEncoder.appendField(bytes, kind: kinds[n], to: &data)
                            }
                            if !ok { return false }
                        }
                        return true
                    }
                    if converted != true { return false }
                }
                return true
            }
        }
    }

    /// The letter COPY's text format writes after a backslash for `byte`, 0 for a byte copied as is.
    @inline(__always)
    static func escapeLetter(_ byte: UInt8) -> UInt8 {
        if byte > 0x0D && byte != 0x5C { return 0 }  // nearly every byte: one comparison
        switch byte {
        case 0x5C: return 0x5C
        case 0x09: return UInt8(ascii: "t")
        case 0x0A: return UInt8(ascii: "n")
        case 0x0D: return UInt8(ascii: "r")
        default: return 0
        }
    }

    /// Appends a value in COPY text form, written in place (room for every byte escaped is
    /// reserved once).
    @inline(__always)
    static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to data: inout CopyInBuffer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        data.appendUnsafe(maxCount: bytes.count * 2) { out in
            var written = 0
            for index in 0..<bytes.count {
                let byte = source.load(fromByteOffset: index, as: UInt8.self)
                let escaped = escapeLetter(byte)
                if escaped == 0 {
                    out[written] = byte
                    written &+= 1
                } else {
                    out[written] = 0x5C
                    out[written &+ 1] = escaped
                    written &+= 2
                }
            }
            return written
        }
    }
}
