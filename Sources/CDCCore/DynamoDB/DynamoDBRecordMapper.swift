import Synchronization

/// Turns DynamoDB Streams records (the JSON objects of GetRecords' `Records`) into `ChangeRecord`s.
///
/// The record keeps DynamoDB's identifiers and typed images in `ChangeRecord.dynamodb`. For the
/// parts of cdcd that work on rows (the Postgres sink, table patterns, transforms) it also gets a
/// relation `dynamodb.<TableName>` whose columns are the key attributes (HASH then RANGE; `N` keys
/// as `numeric`, `S` and `B` keys as `text`, `B` in base64) plus `document` (`jsonb`: the image as
/// plain JSON). A REMOVE has no new row; an INSERT/MODIFY from a stream without new images has its
/// `document` marked unchanged (never invented). Relations are shared per key shape.
public struct DynamoDBRecordMapper: Sendable {
    public let streamARN: String
    public let tableName: String
    /// Key attribute names from the stream's key schema (HASH first).
    public let keyAttributes: [String]
    public let region: String
    /// The name of the item column.
    public static let documentColumn = "document"
    /// The schema part of the relation's qualified name.
    public static let schema = "dynamodb"

    private let relations = RelationBox()

    public init(streamARN: String, tableName: String, keyAttributes: [String], region: String) {
        self.streamARN = streamARN
        self.tableName = tableName
        self.keyAttributes = keyAttributes
        self.region = region
    }

    /// Why a record could not be mapped (names the stream, shard and field).
    public struct MappingError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    /// Maps one raw stream record read from `shardID`. `position` and `index` place it in cdcd's
    /// stream (increasing in capture order).
    public func map(_ raw: JSONValue, shardID: String, position: LSN, index: UInt32) throws(MappingError) -> ChangeRecord {
        let where_ = "stream \(streamARN) shard \(shardID)"
        guard let d = raw["dynamodb"], let sequence = d["SequenceNumber"]?.stringValue else {
            throw MappingError(message: "\(where_): a record without dynamodb.SequenceNumber")
        }
        guard let eventID = raw["eventID"]?.stringValue else {
            throw MappingError(message: "\(where_): record \(sequence) has no eventID")
        }
        let eventName: EventName
        switch raw["eventName"]?.stringValue {
        case "INSERT": eventName = .insert
        case "MODIFY": eventName = .modify
        case "REMOVE": eventName = .remove
        default:
            throw MappingError(message: "\(where_): record \(sequence) has an unknown eventName")
        }
        guard let keys = d["Keys"], case .object(let keyMembers) = keys else {
            throw MappingError(message: "\(where_): record \(sequence) has no dynamodb.Keys")
        }
        // Key columns: the key schema's order; attributes the schema does not name follow.
        var names = keyAttributes.filter { name in keyMembers.contains { $0.key == name } }
        for member in keyMembers where !names.contains(member.key) { names.append(member.key) }
        var keyColumns: [Relation.Column] = []
        var keyValues: [PgValue] = []
        for name in names {
            let typed = keys[name] ?? .null
            let (kind, oid, text) = Self.keyValue(typed)
            keyColumns.append(Relation.Column(name: name, typeOID: oid, typeModifier: -1, kind: kind, isReplicaIdentity: true))
            keyValues.append(text.map { .text(Array($0.utf8)) } ?? .null)
        }
        let relation = relations.relation(table: tableName, keyColumns: keyColumns)
        let newImage = d["NewImage"]
        let oldImage = d["OldImage"]
        var newValues: [PgValue]?
        if eventName != .remove {
            newValues = keyValues + [newImage.map(Self.document) ?? .unchangedToast]
        }
        let oldValues: [PgValue]? = oldImage.map { keyValues + [Self.document($0)] }
        let created = d["ApproximateCreationDateTime"]
        let createdText: String
        switch created {
        case .number(let text)?: createdText = text
        case .string(let text)?: createdText = text
        default: createdText = "0"
        }
        let seconds = Double(createdText) ?? 0
        let commitTime = Int64(((seconds - 946_684_800) * 1_000_000).rounded())
        var size: Int64 = 0
        if case .number(let text)? = d["SizeBytes"] { size = Int64(text) ?? 0 }
        let change = DynamoDBChange(
            eventID: eventID, sequenceNumber: sequence, shardID: shardID,
            streamARN: raw["eventSourceARN"]?.stringValue ?? streamARN,
            awsRegion: raw["awsRegion"]?.stringValue ?? region, eventVersion: raw["eventVersion"]?.stringValue ?? "1.1",
            approximateCreationDateTime: createdText, streamViewType: d["StreamViewType"]?.stringValue ?? "",
            sizeBytes: size, keys: keys, newImage: newImage, oldImage: oldImage)
        return ChangeRecord(
            eventName: eventName, relation: relation, database: tableName, commitLSN: position, index: index, xid: 0,
            commitTime: commitTime, keyValues: keyValues, newValues: newValues, oldValues: oldValues, dynamodb: change)
    }

    /// A key attribute's column kind, type OID and text value.
    static func keyValue(_ typed: JSONValue) -> (ValueKind, UInt32, String?) {
        if let n = typed["N"]?.stringValue { return (.numeric, 1700, n) }
        if let s = typed["S"]?.stringValue { return (.text, 25, s) }
        if let b = typed["B"]?.stringValue { return (.text, 25, b) }
        return (.text, 25, nil)
    }

    /// The image as plain JSON text, for the `jsonb` column.
    static func document(_ image: JSONValue) -> PgValue {
        .text(DynamoDBAttributeValue.plainMap(image).jsonBytes)
    }
}

/// The shared relations of one mapper, per key shape (a mutex guards the table).
final class RelationBox: Sendable {
    private let table = Mutex<[[Relation.Column]: Relation]>([:])

    func relation(table name: String, keyColumns: [Relation.Column]) -> Relation {
        table.withLock { byShape in
            if let known = byShape[keyColumns] { return known }
            let document = Relation.Column(
                name: DynamoDBRecordMapper.documentColumn, typeOID: 3802, typeModifier: -1, kind: .jsonb,
                isReplicaIdentity: false)
            let relation = Relation(
                oid: Self.oid(name), schema: DynamoDBRecordMapper.schema, name: name, replicaIdentity: .default,
                columns: keyColumns + [document], keyIndexes: Array(keyColumns.indices))
            byShape[keyColumns] = relation
            return relation
        }
    }

    /// A stable 32-bit id for the table (FNV-1a of `dynamodb.<table>`), standing in for pg's OID.
    static func oid(_ table: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in ("dynamodb." + table).utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }
}
