/// What one `RecordTransform` does to the records of one source `Relation`, worked out once: the
/// transformed relation, which source columns survive, which values are redacted.
///
/// Built by `init?`, which returns nil when the operation leaves the relation as it is (records then
/// pass unchanged); `reshape` then only rebuilds a record's value arrays.
final class TransformPlan: Sendable {
    /// The relation every transformed record of the source relation carries.
    let relation: Relation
    /// For each column of `relation`, the index of its source column; nil when the columns are the
    /// source's, one for one.
    let selection: [Int]?
    /// Indexes into `relation.columns` whose values are redacted, ascending.
    let redactedColumns: [Int]
    /// Positions in `keyValues` / `oldKeyValues` (that is, in `relation.keyIndexes`) whose column is
    /// redacted.
    let redactedKeys: [Int]
    let method: RecordTransform.RedactionMethod

    private init(
        relation: Relation, selection: [Int]? = nil, redactedColumns: [Int] = [], redactedKeys: [Int] = [],
        method: RecordTransform.RedactionMethod = .mask
    ) {
        self.relation = relation
        self.selection = selection
        self.redactedColumns = redactedColumns
        self.redactedKeys = redactedKeys
        self.method = method
    }

    /// The plan of `operation` for records of `source`; nil when the operation changes nothing.
    convenience init?(_ operation: RecordTransform.Operation, _ source: Relation) {
        switch operation {
        case .keepColumns(let names):
            let keep = Set(names)
            self.init(source, keepingColumnsWhere: { keep.contains($0.name) })
        case .dropColumns(let names):
            let drop = Set(names)
            self.init(source, keepingColumnsWhere: { !drop.contains($0.name) })
        case .renameTable(let schema, let table):
            guard schema != source.schema || table != source.name else { return nil }
            self.init(relation: source.copy(schema: schema, name: table))
        case .renameColumns(let renames):
            guard let columns = Self.renamedColumns(source.columns, renames) else { return nil }
            self.init(relation: source.copy(columns: columns))
        case .redact(let names, let method):
            let redact = Set(names)
            let indexes = source.columns.indices.filter { redact.contains(source.columns[$0].name) }
            guard !indexes.isEmpty else { return nil }
            var columns = source.columns
            for i in indexes {
                columns[i].typeOID = 25  // text
                columns[i].typeModifier = -1
                columns[i].kind = .text
            }
            let keys = source.keyIndexes.indices.filter { redact.contains(source.columns[source.keyIndexes[$0]].name) }
            self.init(
                relation: source.copy(columns: columns), redactedColumns: indexes, redactedKeys: keys, method: method)
        }
    }

    /// keep/drop: the columns for which `keep` holds, plus the key columns always.
    private convenience init?(_ source: Relation, keepingColumnsWhere keep: (Relation.Column) -> Bool) {
        var isKey = [Bool](repeating: false, count: source.columns.count)
        for k in source.keyIndexes { isKey[k] = true }
        let kept = source.columns.indices.filter { isKey[$0] || keep(source.columns[$0]) }
        guard kept.count < source.columns.count else { return nil }
        var newIndex = [Int](repeating: -1, count: source.columns.count)
        for (new, old) in kept.enumerated() { newIndex[old] = new }
        self.init(
            relation: source.copy(columns: kept.map { source.columns[$0] }, keyIndexes: source.keyIndexes.map { newIndex[$0] }),
            selection: kept)
    }

    /// The columns renamed all at once by the first matching entry; renames that would leave two
    /// columns with one name are undone (repeatedly, as undoing one can uncover another). Nil when no
    /// column ends up renamed.
    private static func renamedColumns(
        _ columns: [Relation.Column], _ renames: [RecordTransform.ColumnRename]
    ) -> [Relation.Column]? {
        var mapping: [String: String] = [:]
        for rename in renames where mapping[rename.from] == nil { mapping[rename.from] = rename.to }
        var names = columns.map { mapping[$0.name] ?? $0.name }
        var undid = true
        while undid {
            undid = false
            var uses: [String: Int] = [:]
            for name in names { uses[name, default: 0] += 1 }
            for i in names.indices where names[i] != columns[i].name && uses[names[i], default: 0] > 1 {
                names[i] = columns[i].name
                undid = true
            }
        }
        guard names.indices.contains(where: { names[$0] != columns[$0].name }) else { return nil }
        var renamed = columns
        for i in renamed.indices { renamed[i].name = names[i] }
        return renamed
    }

    // MARK: applying

    /// Points `record` at `relation` and reshapes its values to it.
    func reshape(_ record: inout ChangeRecord) {
        record.relation = relation
        if let selection {
            if let values = record.newValues { record.newValues = Self.select(values, selection) }
            if let values = record.oldValues { record.oldValues = Self.select(values, selection) }
        }
        if !redactedColumns.isEmpty {
            if record.newValues != nil { redact(&record.newValues!, at: redactedColumns) }
            if record.oldValues != nil { redact(&record.oldValues!, at: redactedColumns) }
            if !redactedKeys.isEmpty {
                redact(&record.keyValues, at: redactedKeys)
                if record.oldKeyValues != nil { redact(&record.oldKeyValues!, at: redactedKeys) }
            }
        }
    }

    /// The values of the selected source columns. A value missing from a short (malformed) row stays
    /// missing: it becomes the unchanged-TOAST marker, never an invented value.
    private static func select(_ values: [PgValue], _ selection: [Int]) -> [PgValue] {
        [PgValue](unsafeUninitializedCapacity: selection.count) { out, count in
            for (i, source) in selection.enumerated() {
                (out.baseAddress! + i).initialize(to: source < values.count ? values[source] : .unchangedToast)
            }
            count = selection.count
        }
    }

    private func redact(_ values: inout [PgValue], at indexes: [Int]) {
        for i in indexes where i < values.count {
            guard case .text(let bytes) = values[i] else { continue }  // NULL and unchanged TOAST stay
            switch method {
            case .mask: values[i] = Self.mask
            case .hash: values[i] = .text(SHA256.hexDigestBytes(bytes.array))
            }
        }
    }

    private static let mask = PgValue.text(Array("***".utf8))
}

extension Relation {
    /// This relation with some parts replaced (same OID and replica identity).
    fileprivate func copy(
        schema: String? = nil, name: String? = nil, columns: [Column]? = nil, keyIndexes: [Int]? = nil
    ) -> Relation {
        Relation(
            oid: oid, schema: schema ?? self.schema, name: name ?? self.name, replicaIdentity: replicaIdentity,
            columns: columns ?? self.columns, keyIndexes: keyIndexes ?? self.keyIndexes)
    }
}
