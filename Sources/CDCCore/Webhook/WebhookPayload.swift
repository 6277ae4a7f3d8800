/// What a webhook request carries: its body and its stable `webhook-id`.
///
/// Ids are stable so receivers can deduplicate: the same change keeps its id across retries,
/// restarts and dead-letter replays, because the id depends only on the delivered content.
public enum WebhookPayload {
    /// The `webhook-id` of one item (`batch: false`): the record's `eventID`; for an item without a
    /// captured record (a dead-letter replay, a function's output) the `eventID` found in its JSON;
    /// otherwise `msg_` and a hash of its sequence number and JSON.
    public static func id(of item: SinkItem) -> String {
        if let eventID = item.record?.eventID { return eventID }
        if let parsed = try? JSONValue.parse(item.json), let eventID = parsed["eventID"]?.stringValue,
            !eventID.isEmpty
        {
            return eventID
        }
        var hasher = SHA256()
        hasher.update(Array(item.sequenceNumber.utf8))
        hasher.update([0x0A])
        hasher.update(item.json)
        return "msg_" + hex(hasher.finalize().prefix(16))
    }

    /// The `webhook-id` of a batch (`batch: true`): `batch_` and a hash of the ids of its items, in
    /// order, so the same batch content always has the same id. (A batch cut differently after a
    /// restart has another id: receivers of batches deduplicate on the records' own `eventID`s.)
    public static func batchID(of items: [SinkItem]) -> String {
        var hasher = SHA256()
        // By index: iterating would copy each item (and retain its record) for nothing.
        for index in items.indices {
            hasher.update(Array(id(of: items[index]).utf8))
            hasher.update([0x0A])
        }
        return "batch_" + hex(hasher.finalize().prefix(16))
    }

    /// `{"Records":[item, item, ...]}`: the Lambda-style body of a batch.
    public static func batchBody(of items: [SinkItem]) -> [UInt8] {
        var body: [UInt8] = []
        // By index: iterating would copy each item (and retain its record) for nothing.
        var size = 14
        for index in items.indices { size += items[index].json.count + 1 }
        body.reserveCapacity(size)
        body += Array(#"{"Records":["#.utf8)
        for index in items.indices {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body += items[index].json
        }
        body += Array("]}".utf8)
        return body
    }

    /// The key that orders deliveries (`batch: false`): items with the same key are sent one after
    /// the other, in order; nil for items without a record and without `table`/`keys` in their JSON
    /// (those are all sent in order, as one key).
    public static func orderingKey(of item: SinkItem) -> [UInt8]? {
        if let record = item.record {
            var key = Array(record.relation.qualifiedName.utf8)
            for position in 0..<record.keyValueCount {
                key.append(0)
                switch record.keyValue(at: position) {
                case .text(let bytes):
                    key.append(1)
                    bytes.withUnsafeBytes { key.append(contentsOf: $0) }
                case .null, .unchangedToast: key.append(2)
                }
            }
            return key
        }
        guard let parsed = try? JSONValue.parse(item.json), let table = parsed["table"], let keys = parsed["keys"]
        else { return nil }
        return table.jsonBytes + [0] + keys.jsonBytes
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
