import CDCCore
import Testing

// Decoder tests on real pgoutput bytes captured from PostgreSQL 15 by
// scripts/capture-pgoutput-fixtures.py (see PgOutputFixtures.swift), plus hand-built bytes for what a
// server does not send with our options (binary values, malformed messages, the CopyData envelope).

// MARK: - Helpers

/// Bytes from a hex string ("4200ff" → [0x42, 0x00, 0xFF]).
private func bytes(hex: String) -> [UInt8] {
    var result: [UInt8] = []
    result.reserveCapacity(hex.utf8.count / 2)
    var high: UInt8? = nil
    for c in hex.utf8 {
        let nibble: UInt8
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = c - UInt8(ascii: "A") + 10
        default: preconditionFailure("not a hex digit in fixture")
        }
        if let h = high {
            result.append(h << 4 | nibble)
            high = nil
        } else {
            high = nibble
        }
    }
    precondition(high == nil, "odd number of hex digits")
    return result
}

private func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

/// `.text` of a string's UTF-8 bytes.
private func t(_ s: String) -> PgValue { .text(Array(s.utf8)) }

private func decode(_ hex: String) throws -> PgOutputMessage {
    try PgOutputDecoder.decode(bytes(hex: hex))
}

private func fixture(_ label: String) -> PgOutputFixture {
    guard let f = PgOutputFixtures.all.first(where: { $0.label == label }) else {
        preconditionFailure("no fixture \(label); re-run scripts/capture-pgoutput-fixtures.py?")
    }
    return f
}

/// The decoding error thrown for `bytes`, or nil when they decode.
private func decodingError(_ bytes: [UInt8]) -> PgOutputDecodingError? {
    do {
        _ = try PgOutputDecoder.decode(bytes)
        return nil
    } catch {
        return error
    }
}

private func replicationError(_ bytes: [UInt8]) -> PgOutputDecodingError? {
    do {
        _ = try ReplicationMessage.decode(bytes)
        return nil
    } catch {
        return error
    }
}

private func be32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) } }
private func be64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * $0)) } }

private let pgReplicaIdentityDefault = UInt8(ascii: "d")
private let pgReplicaIdentityFull = UInt8(ascii: "f")
// Builtin type OIDs (pg_type.dat).
private let int2OID: UInt32 = 21, int4OID: UInt32 = 23, int8OID: UInt32 = 20, textOID: UInt32 = 25
private let varcharOID: UInt32 = 1043, numericOID: UInt32 = 1700

extension PgOutputMessage {
    fileprivate var begin: Begin? { if case .begin(let m) = self { m } else { nil } }
    fileprivate var commit: Commit? { if case .commit(let m) = self { m } else { nil } }
    fileprivate var origin: Origin? { if case .origin(let m) = self { m } else { nil } }
    fileprivate var relation: RelationMessage? { if case .relation(let m) = self { m } else { nil } }
    fileprivate var typeMessage: TypeMessage? { if case .type(let m) = self { m } else { nil } }
    fileprivate var insert: Insert? { if case .insert(let m) = self { m } else { nil } }
    fileprivate var update: Update? { if case .update(let m) = self { m } else { nil } }
    fileprivate var delete: Delete? { if case .delete(let m) = self { m } else { nil } }
    fileprivate var truncate: Truncate? { if case .truncate(let m) = self { m } else { nil } }
    fileprivate var logicalMessage: LogicalMessage? { if case .message(let m) = self { m } else { nil } }

    /// The pgoutput type byte this message was decoded from.
    fileprivate var typeByte: UInt8 {
        switch self {
        case .begin: UInt8(ascii: "B")
        case .commit: UInt8(ascii: "C")
        case .origin: UInt8(ascii: "O")
        case .relation: UInt8(ascii: "R")
        case .type: UInt8(ascii: "Y")
        case .insert: UInt8(ascii: "I")
        case .update: UInt8(ascii: "U")
        case .delete: UInt8(ascii: "D")
        case .truncate: UInt8(ascii: "T")
        case .message: UInt8(ascii: "M")
        }
    }
}

private typealias Column = PgOutputMessage.RelationMessage.Column

// MARK: - Captured messages

@Suite("pgoutput decoder on captured PostgreSQL 15 bytes")
struct PgOutputDecoderTests {
    @Test(
        "every captured message decodes to its type, the same from an array and from a buffer",
        arguments: PgOutputFixtures.all
    )
    func decodesEveryFixture(_ fixture: PgOutputFixture) throws {
        let raw = bytes(hex: fixture.hex)
        let message = try PgOutputDecoder.decode(raw)
        #expect(message.typeByte == raw[0])
        let fromBuffer = try raw.withUnsafeBytes { try PgOutputDecoder.decode($0) }
        #expect(fromBuffer == message)
    }

    @Test("the capture holds every pgoutput message type")
    func coversEveryType() throws {
        let types = Set(try PgOutputFixtures.all.map { try decode($0.hex).typeByte })
        #expect(types == Set("BCORYIUDTM".utf8))
    }

    static let transactions = [
        "insertNulls", "insertTyped", "updateNoOld", "updateKeyChanged", "updateFull", "deleteKey", "deleteFull",
        "toastInsert", "toastUpdate", "quotedNames", "truncate", "messageTx", "origin",
    ]

    @Test("Begin and Commit frame each transaction consistently", arguments: transactions)
    func beginCommit(_ scenario: String) throws {
        let facts = try #require(PgOutputFixtures.scenarios[scenario])
        let beginFixture = fixture(scenario + "Begin")
        let commitFixture = fixture(scenario + "Commit")
        let begin = try #require(try decode(beginFixture.hex).begin)
        let commit = try #require(try decode(commitFixture.hex).commit)

        #expect(begin.xid == facts.xid)
        #expect(commit.flags == 0)
        #expect(commit.commitLSN == begin.finalLSN)
        #expect(commit.endLSN > commit.commitLSN)
        #expect(commit.commitTime == begin.commitTime)
        // The transaction's WAL lies between the insert positions read before and after it.
        #expect(begin.finalLSN.rawValue > facts.lsnBefore)
        #expect(commit.endLSN.rawValue <= facts.lsnAfter)
        // The XLogData around Commit starts at the transaction's end LSN.
        #expect(commitFixture.walStart == commit.endLSN.rawValue)
        let start = try #require(facts.startTime)
        if scenario == "origin" {
            // With a replication origin set up, the commit time decoded is the origin's timestamp.
            #expect(begin.commitTime == start)
        } else {
            #expect(begin.commitTime >= start)
            #expect(begin.commitTime - start < 60_000_000)
        }
    }

    @Test("transactions arrive in commit order")
    func commitOrder() throws {
        let ends = try PgOutputFixtures.all.compactMap { try decode($0.hex).commit?.endLSN }
        #expect(ends.count == Self.transactions.count)
        #expect(ends == ends.sorted())
        #expect(ends.allSatisfy { $0.rawValue > PgOutputFixtures.slotLSN && $0.rawValue <= PgOutputFixtures.endLSN })
    }

    @Test("Relation of a REPLICA IDENTITY DEFAULT table: key flag, type OIDs, varchar typmod")
    func relationDefault() throws {
        let r = try #require(try decode(PgOutputFixtures.insertNullsRelation).relation)
        #expect(r.oid == PgOutputFixtures.itemsOID)
        #expect(r.namespace == "fx")
        #expect(r.name == "items")
        #expect(r.replicaIdentity == pgReplicaIdentityDefault)
        #expect(
            r.columns == [
                Column(flags: 1, name: "id", typeOID: int4OID, typeModifier: -1),
                Column(flags: 0, name: "name", typeOID: textOID, typeModifier: -1),
                Column(flags: 0, name: "qty", typeOID: int4OID, typeModifier: -1),
                Column(flags: 0, name: "note", typeOID: varcharOID, typeModifier: 20 + 4),
            ]
        )
        #expect(r.columns.map(\.isKey) == [true, false, false, false])
    }

    @Test("Relation of a REPLICA IDENTITY FULL table flags every column as key")
    func relationFull() throws {
        let r = try #require(try decode(PgOutputFixtures.updateFullRelation).relation)
        #expect(r.oid == PgOutputFixtures.fullRowsOID)
        #expect(r.namespace == "fx")
        #expect(r.name == "full_rows")
        #expect(r.replicaIdentity == pgReplicaIdentityFull)
        #expect(
            r.columns == [
                Column(flags: 1, name: "id", typeOID: int4OID, typeModifier: -1),
                Column(flags: 1, name: "a", typeOID: textOID, typeModifier: -1),
                Column(flags: 1, name: "b", typeOID: int4OID, typeModifier: -1),
            ]
        )
    }

    @Test("enum and domain columns: Type messages first, Relation carries the enum/domain OIDs, no dropped column")
    func typesAndTypedRelation() throws {
        let enumType = try #require(try decode(PgOutputFixtures.insertTypedType1).typeMessage)
        #expect(enumType == .init(oid: PgOutputFixtures.moodTypeOID, namespace: "fx", name: "mood"))
        // For a domain, pgoutput sends the domain's OID with the *base type's* namespace and name
        // (pg_catalog, written as the empty string, and "int4").
        let domainType = try #require(try decode(PgOutputFixtures.insertTypedType2).typeMessage)
        #expect(domainType == .init(oid: PgOutputFixtures.posintTypeOID, namespace: "", name: "int4"))

        let r = try #require(try decode(PgOutputFixtures.insertTypedRelation).relation)
        #expect(r.oid == PgOutputFixtures.typedOID)
        #expect(r.name == "typed")
        #expect(
            r.columns == [
                Column(flags: 1, name: "id", typeOID: int8OID, typeModifier: -1),
                Column(flags: 0, name: "mood", typeOID: PgOutputFixtures.moodTypeOID, typeModifier: -1),
                Column(flags: 0, name: "amount", typeOID: PgOutputFixtures.posintTypeOID, typeModifier: -1),
            ]
        )
        let i = try #require(try decode(PgOutputFixtures.insertTypedInsert).insert)
        #expect(i.relationOID == PgOutputFixtures.typedOID)
        #expect(i.newTuple == [t("9000000000"), t("happy"), t("42")])
    }

    @Test("names needing quotes arrive unquoted; numeric typmod; generated columns are not sent")
    func quotedNames() throws {
        let r = try #require(try decode(PgOutputFixtures.quotedNamesRelation).relation)
        #expect(r.oid == PgOutputFixtures.salesDeptOrderItemsOID)
        #expect(r.namespace == "Sales Dept")
        #expect(r.name == "Order Items")
        #expect(
            r.columns == [
                Column(flags: 1, name: "Item ID", typeOID: int4OID, typeModifier: -1),
                Column(flags: 0, name: "Größe", typeOID: textOID, typeModifier: -1),
                Column(flags: 0, name: "Unit Price", typeOID: numericOID, typeModifier: (10 << 16 | 2) + 4),
                Column(flags: 0, name: "Qty", typeOID: int2OID, typeModifier: -1),
            ]
        )
        let i = try #require(try decode(PgOutputFixtures.quotedNamesInsert).insert)
        #expect(i.relationOID == PgOutputFixtures.salesDeptOrderItemsOID)
        #expect(i.newTuple == [t("7"), t("groß"), t("12.50"), t("3")])
    }

    @Test("Insert tuples with NULLs")
    func inserts() throws {
        let first = try #require(try decode(PgOutputFixtures.insertNullsInsert1).insert)
        #expect(first.relationOID == PgOutputFixtures.itemsOID)
        #expect(first.newTuple == [t("1"), t("alpha"), t("3"), .null])
        let second = try #require(try decode(PgOutputFixtures.insertNullsInsert2).insert)
        #expect(second.relationOID == PgOutputFixtures.itemsOID)
        #expect(second.newTuple == [t("2"), t("beta"), .null, t("with note")])
        #expect(second.newTuple.map(\.string) == ["2", "beta", nil, "with note"])
    }

    @Test("a row's long values share one buffer; short ones are inline")
    func longValuesShareABuffer() throws {
        let md5 = "c4ca4238a0b923820dcc509a6f75849b"
        let time = "2024-01-01 00:00:01+00"
        let long = String(repeating: "x", count: 300)
        func column(_ value: String) -> [UInt8] {
            [UInt8(ascii: "t")] + be32(UInt32(value.utf8.count)) + utf8(value)
        }
        // Insert: type, relation OID, 'N', 7 columns.
        let message =
            [UInt8(ascii: "I")] + be32(16384) + [UInt8(ascii: "N"), 0, 7] + column("1") + column(md5)
            + [UInt8(ascii: "n")] + column(time) + [UInt8(ascii: "u")] + column(long) + column("exactly 15 byte")
        let insert = try #require(try PgOutputDecoder.decode(message).insert)
        #expect(
            insert.newTuple == [t("1"), t(md5), .null, t(time), .unchangedToast, t(long), t("exactly 15 byte")])
        // The three long values are consecutive ranges of one array.
        let addresses = [1, 3, 5].map { index -> UnsafeRawPointer? in
            guard case .text(let text) = insert.newTuple[index] else { return nil }
            return text.withUnsafeBytes { $0.baseAddress }
        }
        let first = try #require(addresses[0])
        #expect(addresses[1] == first + md5.utf8.count)
        #expect(addresses[2] == first + md5.utf8.count + time.utf8.count)
        // They are equal to (and hash like) the same values built on their own.
        #expect(Set([insert.newTuple[1], t(md5)]).count == 1)
        #expect(insert.newTuple[5].string == long)
        if case .text(let text) = insert.newTuple[3] {
            #expect(text.array == utf8(time) && text.count == time.utf8.count && text[0] == UInt8(ascii: "2"))
        }

        // Every truncation is still an error, never a crash.
        for end in 0..<message.count {
            #expect(decodingError(Array(message[..<end])) != nil)
        }
    }

    @Test("Update without old tuple (REPLICA IDENTITY DEFAULT, key unchanged)")
    func updateWithoutOld() throws {
        let u = try #require(try decode(PgOutputFixtures.updateNoOldUpdate).update)
        #expect(u.relationOID == PgOutputFixtures.itemsOID)
        #expect(u.oldKind == nil)
        #expect(u.oldTuple == nil)
        #expect(u.newTuple == [t("1"), t("alpha"), t("4"), .null])
    }

    @Test("Update with 'K': the old key, every non-key column sent as NULL (even NOT NULL ones)")
    func updateKeyChanged() throws {
        let u = try #require(try decode(PgOutputFixtures.updateKeyChangedUpdate).update)
        #expect(u.relationOID == PgOutputFixtures.itemsOID)
        #expect(u.oldKind == .key)
        #expect(u.oldTuple == [t("2"), .null, .null, .null])
        #expect(u.newTuple == [t("10"), t("beta"), .null, t("moved")])
    }

    @Test("Update with 'O' (REPLICA IDENTITY FULL) carries the whole old row")
    func updateFull() throws {
        let i = try #require(try decode(PgOutputFixtures.updateFullInsert).insert)
        #expect(i.newTuple == [t("1"), t("x"), t("1")])
        let u = try #require(try decode(PgOutputFixtures.updateFullUpdate).update)
        #expect(u.relationOID == PgOutputFixtures.fullRowsOID)
        #expect(u.oldKind == .full)
        #expect(u.oldTuple == [t("1"), t("x"), t("1")])
        #expect(u.newTuple == [t("1"), t("x"), t("2")])
    }

    @Test("Delete with 'K' and with 'O'")
    func deletes() throws {
        let k = try #require(try decode(PgOutputFixtures.deleteKeyDelete).delete)
        #expect(k.relationOID == PgOutputFixtures.itemsOID)
        #expect(k.oldKind == .key)
        #expect(k.oldTuple == [t("10"), .null, .null, .null])
        let o = try #require(try decode(PgOutputFixtures.deleteFullDelete).delete)
        #expect(o.relationOID == PgOutputFixtures.fullRowsOID)
        #expect(o.oldKind == .full)
        #expect(o.oldTuple == [t("1"), t("x"), t("2")])
    }

    private func expectToastValue(_ value: PgValue) {
        guard case .text(let b) = value else {
            Issue.record("expected the TOASTed text, got \(value)")
            return
        }
        #expect(b.count == PgOutputFixtures.toastLength)
        #expect(b.starts(with: utf8(PgOutputFixtures.toastPrefix)))
        #expect(b.suffix(32).elementsEqual(utf8(PgOutputFixtures.toastSuffix)))
    }

    @Test("large values arrive whole on Insert; an Update leaving them alone sends 'u'")
    func unchangedToast() throws {
        let r1 = try #require(try decode(PgOutputFixtures.toastInsertRelation1).relation)
        #expect(r1.oid == PgOutputFixtures.toastedOID)
        #expect(r1.replicaIdentity == pgReplicaIdentityDefault)
        let r2 = try #require(try decode(PgOutputFixtures.toastInsertRelation2).relation)
        #expect(r2.oid == PgOutputFixtures.toastedFullOID)
        #expect(r2.replicaIdentity == pgReplicaIdentityFull)

        for hex in [PgOutputFixtures.toastInsertInsert1, PgOutputFixtures.toastInsertInsert2] {
            let i = try #require(try decode(hex).insert)
            #expect(i.newTuple.count == 3)
            #expect(i.newTuple.first == t("1"))
            #expect(i.newTuple.last == t("0"))
            expectToastValue(i.newTuple[1])
        }

        // REPLICA IDENTITY DEFAULT: no old tuple, the unchanged value is 'u'.
        let plain = try #require(try decode(PgOutputFixtures.toastUpdateUpdate1).update)
        #expect(plain.relationOID == PgOutputFixtures.toastedOID)
        #expect(plain.oldKind == nil)
        #expect(plain.newTuple == [t("1"), .unchangedToast, t("1")])
        #expect(plain.newTuple[1].string == nil)

        // REPLICA IDENTITY FULL: the old tuple has the value in full, the new tuple still says 'u'.
        let full = try #require(try decode(PgOutputFixtures.toastUpdateUpdate2).update)
        #expect(full.relationOID == PgOutputFixtures.toastedFullOID)
        #expect(full.oldKind == .full)
        let old = try #require(full.oldTuple)
        #expect(old.count == 3)
        #expect(old.first == t("1"))
        #expect(old.last == t("0"))
        expectToastValue(old[1])
        #expect(full.newTuple == [t("1"), .unchangedToast, t("1")])
    }

    @Test("Truncate of two tables with CASCADE and RESTART IDENTITY; Relation is re-sent after it")
    func truncate() throws {
        let tr = try #require(try decode(PgOutputFixtures.truncateTruncate).truncate)
        #expect(tr.options == 0b11)
        #expect(tr.relationOIDs == [PgOutputFixtures.truncAOID, PgOutputFixtures.truncBOID])

        let first = try #require(try decode(PgOutputFixtures.truncateRelation1).relation)
        let again = try #require(try decode(PgOutputFixtures.truncateRelation2).relation)
        let other = try #require(try decode(PgOutputFixtures.truncateRelation3).relation)
        #expect(first == again)
        #expect(first.oid == PgOutputFixtures.truncAOID)
        #expect(first.name == "trunc_a")
        #expect(other.oid == PgOutputFixtures.truncBOID)
        #expect(other.name == "trunc_b")
        #expect(other.columns == [Column(flags: 1, name: "id", typeOID: int4OID, typeModifier: -1)])
        let i = try #require(try decode(PgOutputFixtures.truncateInsert).insert)
        #expect(i.relationOID == PgOutputFixtures.truncAOID)
        #expect(i.newTuple == [t("1")])
    }

    @Test("transactional logical message: prefix, UTF-8 content, LSN at the end of its WAL record")
    func transactionalMessage() throws {
        let facts = try #require(PgOutputFixtures.scenarios["messageTx"])
        let begin = try #require(try decode(PgOutputFixtures.messageTxBegin).begin)
        let m = try #require(try decode(PgOutputFixtures.messageTxMessage).logicalMessage)
        #expect(m.transactional)
        #expect(m.prefix == "fx.tx")
        #expect(m.content == utf8("hello, wörld"))
        #expect(m.lsn.rawValue > facts.lsnBefore)
        #expect(m.lsn <= begin.finalLSN)
    }

    @Test("non-transactional logical message: outside any Begin/Commit, binary content")
    func nonTransactionalMessage() throws {
        let facts = try #require(PgOutputFixtures.scenarios["messageNonTx"])
        let m = try #require(try decode(PgOutputFixtures.messageNonTxMessage).logicalMessage)
        #expect(!m.transactional)
        #expect(m.prefix == "fx.nontx")
        #expect(m.content == [0x00, 0xFF, 0x0A])
        #expect(m.lsn.rawValue > facts.lsnBefore)
        #expect(m.lsn.rawValue <= facts.lsnAfter)
        let index = try #require(PgOutputFixtures.all.firstIndex { $0.label == "messageNonTxMessage" })
        #expect(try decode(PgOutputFixtures.all[index - 1].hex).commit != nil)
        #expect(try decode(PgOutputFixtures.all[index + 1].hex).begin != nil)
    }

    @Test("Origin follows Begin and names the origin and its commit LSN")
    func origin() throws {
        let o = try #require(try decode(PgOutputFixtures.originOrigin).origin)
        #expect(o.name == PgOutputFixtures.originName)
        #expect(o.commitLSN == LSN(PgOutputFixtures.originLSN))
        #expect(o.commitLSN.description == "0/ABCDEF")
        let i = try #require(try decode(PgOutputFixtures.originInsert).insert)
        #expect(i.relationOID == PgOutputFixtures.itemsOID)
        #expect(i.newTuple == [t("3"), t("from origin"), t("1"), .null])
        let index = try #require(PgOutputFixtures.all.firstIndex { $0.label == "originOrigin" })
        #expect(PgOutputFixtures.all[index - 1].label == "originBegin")
    }
}

// MARK: - Malformed input

@Suite("pgoutput decoder on malformed bytes")
struct PgOutputDecodingErrorTests {
    @Test(
        "every captured message cut short at every length throws, with the right type and code",
        arguments: PgOutputFixtures.all
    )
    func everyPrefixThrows(_ fixture: PgOutputFixture) {
        let raw = bytes(hex: fixture.hex)
        for length in 0..<raw.count {
            guard let error = decodingError(Array(raw[..<length])) else {
                Issue.record("\(fixture.label) cut to \(length) of \(raw.count) bytes decoded")
                continue
            }
            if length == 0 {
                #expect(error.code == .empty)
                #expect(error.messageType == nil)
            } else {
                #expect(error.code == .truncated || error.code == .unterminatedString)
                #expect(error.messageType == raw[0])
                #expect(error.offset <= length)
            }
        }
    }

    @Test("a trailing byte after a complete message throws", arguments: PgOutputFixtures.all)
    func trailingByteThrows(_ fixture: PgOutputFixture) throws {
        let raw = bytes(hex: fixture.hex)
        let error = try #require(decodingError(raw + [0]))
        #expect(error.code == .trailingBytes)
        #expect(error.offset == raw.count)
        #expect(error.detail == 1)
    }

    @Test("descriptions say what, which message and where")
    func descriptions() throws {
        // Insert: type(1) oid(4) 'N'(1) ncols(2), column 1 't' len "1" (bytes 8…13),
        // column 2 't' at 14, its length at 15.
        let insert = bytes(hex: PgOutputFixtures.insertNullsInsert1)
        let truncated = try #require(decodingError(Array(insert[..<17])))
        #expect(truncated.code == .truncated)
        #expect(truncated.offset == 15)
        #expect(truncated.detail == 2)
        #expect(truncated.description == "pgoutput Insert message truncated at byte 15 (wanted 2 more bytes)")

        let unknown = try #require(decodingError([0x5A, 1, 2, 3]))
        #expect(unknown.code == .unknownMessageType)
        #expect(unknown.description == "unknown pgoutput message type 0x5A")

        let empty = try #require(decodingError([]))
        #expect(empty.description == "empty pgoutput/replication message (no type byte)")

        // Relation whose namespace string has no NUL.
        let relation = try #require(decodingError(Array(bytes(hex: PgOutputFixtures.insertNullsRelation)[..<7])))
        #expect(relation.code == .unterminatedString)
        #expect(relation.description == "pgoutput Relation message truncated at byte 7 (string without NUL terminator)")

        let trailing = try #require(decodingError(bytes(hex: PgOutputFixtures.insertNullsBegin) + [1, 2, 3]))
        #expect(
            trailing.description
                == "pgoutput Begin message has 3 unexpected trailing bytes at byte 21"
                + " (is the slot read with proto_version '1'?)"
        )
    }

    @Test("an unknown tuple data kind throws at its offset")
    func unknownTupleKind() throws {
        var insert = bytes(hex: PgOutputFixtures.insertNullsInsert1)
        #expect(insert[8] == UInt8(ascii: "t"))
        insert[8] = UInt8(ascii: "x")
        let error = try #require(decodingError(insert))
        #expect(error.code == .unknownTupleDataKind)
        #expect(error.offset == 8)
        #expect(error.detail == Int(UInt8(ascii: "x")))
        #expect(
            error.description
                == "pgoutput Insert message has unknown tuple data kind 0x78 at byte 8 (expected 'n', 'u', 't' or 'b')"
        )
    }

    @Test("wrong tuple markers in Insert, Update and Delete throw")
    func wrongMarkers() throws {
        var insert = bytes(hex: PgOutputFixtures.insertNullsInsert1)
        insert[5] = UInt8(ascii: "K")
        let insertError = try #require(decodingError(insert))
        #expect(insertError.code == .missingNewTuple)
        #expect(insertError.offset == 5)

        var update = bytes(hex: PgOutputFixtures.updateNoOldUpdate)
        update[5] = UInt8(ascii: "X")
        let updateError = try #require(decodingError(update))
        #expect(updateError.code == .unexpectedTupleMarker)
        #expect(
            updateError.description
                == "pgoutput Update message has unexpected tuple marker 0x58 at byte 5 (expected 'K', 'O' or 'N')"
        )

        // 'K' old tuple (2 + 4 columns: 't' len "2" = 6 bytes, then 3 × 'n') ends at 5 + 1 + 2 + 6 + 3 = 17.
        var keyChanged = bytes(hex: PgOutputFixtures.updateKeyChangedUpdate)
        #expect(keyChanged[17] == UInt8(ascii: "N"))
        keyChanged[17] = UInt8(ascii: "K")
        let newTupleError = try #require(decodingError(keyChanged))
        #expect(newTupleError.code == .missingNewTuple)
        #expect(newTupleError.offset == 17)

        var delete = bytes(hex: PgOutputFixtures.deleteKeyDelete)
        delete[5] = UInt8(ascii: "N")
        let deleteError = try #require(decodingError(delete))
        #expect(deleteError.code == .unexpectedTupleMarker)
        #expect(deleteError.description.hasSuffix("(expected 'K' or 'O')"))
    }

    @Test("negative lengths and counts throw instead of allocating or crashing")
    func negativeLengths() throws {
        // Column 1 value length (bytes 9…12) = -1.
        var insert = bytes(hex: PgOutputFixtures.insertNullsInsert1)
        insert.replaceSubrange(9..<13, with: [0xFF, 0xFF, 0xFF, 0xFF])
        let lengthError = try #require(decodingError(insert))
        #expect(lengthError.code == .negativeLength)
        #expect(lengthError.offset == 9)
        #expect(lengthError.detail == -1)

        // Column count (bytes 6…7) = -32768.
        var count = bytes(hex: PgOutputFixtures.insertNullsInsert1)
        count.replaceSubrange(6..<8, with: [0x80, 0x00])
        #expect(decodingError(count)?.code == .negativeLength)

        // A huge column count with few bytes behind it is a truncation, not a huge allocation.
        var huge = bytes(hex: PgOutputFixtures.insertNullsInsert1)
        huge.replaceSubrange(6..<8, with: [0x7F, 0xFF])
        #expect(decodingError(huge)?.code == .truncated)

        // Truncate with a relation count of 2^31 - 1.
        var truncate = bytes(hex: PgOutputFixtures.truncateTruncate)
        truncate.replaceSubrange(1..<5, with: [0x7F, 0xFF, 0xFF, 0xFF])
        #expect(decodingError(truncate)?.code == .truncated)
    }

    @Test("binary ('b') tuple values are returned as .text holding the received bytes")
    func binaryValue() throws {
        // Insert into relation 0x4000, one column: 'b', length 4, int4 1 in binary.
        let message: [UInt8] = [
            UInt8(ascii: "I"), 0, 0, 0x40, 0, UInt8(ascii: "N"), 0, 1, UInt8(ascii: "b"), 0, 0, 0, 4, 0, 0, 0, 1,
        ]
        let insert = try #require(try PgOutputDecoder.decode(message).insert)
        #expect(insert.relationOID == 0x4000)
        #expect(insert.newTuple == [.text([0, 0, 0, 1])])
    }

    @Test("zero-column tuples and empty strings decode")
    func emptyParts() throws {
        // Relation 7, namespace "", name "", replica identity 'n', no columns.
        let relation: [UInt8] = [UInt8(ascii: "R"), 0, 0, 0, 7, 0, 0, UInt8(ascii: "n"), 0, 0]
        #expect(
            try PgOutputDecoder.decode(relation)
                == .relation(.init(oid: 7, namespace: "", name: "", replicaIdentity: UInt8(ascii: "n"), columns: []))
        )
        let insert: [UInt8] = [UInt8(ascii: "I"), 0, 0, 0, 7, UInt8(ascii: "N"), 0, 0]
        #expect(try PgOutputDecoder.decode(insert) == .insert(.init(relationOID: 7, newTuple: [])))
    }
}

// MARK: - CopyData envelope and feedback

@Suite("streaming replication envelope: XLogData, keepalive, standby status update, clock")
struct PgOutputReplicationMessageTests {
    @Test("'w' XLogData carries the LSNs, send time and the pgoutput payload")
    func xLogData() throws {
        let payload = bytes(hex: PgOutputFixtures.insertNullsBegin)
        let raw =
            [UInt8(ascii: "w")] + be64(0x0000_0001_0000_0002) + be64(0x0000_0001_0000_00FF)
            + be64(849_133_038_009_000) + payload
        let message = try ReplicationMessage.decode(raw)
        #expect(
            message
                == .xLogData(
                    walStart: LSN(string: "1/2")!,
                    walEnd: LSN(string: "1/FF")!,
                    sendTime: 849_133_038_009_000,
                    payload: payload
                )
        )
        guard case .xLogData(_, _, _, let inner) = message else { return }
        #expect(try PgOutputDecoder.decode(inner).begin != nil)
        #expect(try raw.withUnsafeBytes { try ReplicationMessage.decode($0) } == message)
        // In place: the payload is the rest of the decoded buffer, not a copy.
        try raw.withUnsafeBytes { buffer in
            guard case .xLogData(let start, _, _, let inPlace) = try ReplicationMessage.view(buffer) else {
                Issue.record("not XLogData")
                return
            }
            #expect(start == LSN(string: "1/2")!)
            #expect(Array(inPlace) == payload)
            #expect(inPlace.baseAddress == buffer.baseAddress! + 25)
        }

        let empty = try ReplicationMessage.decode([UInt8(ascii: "w")] + [UInt8](repeating: 0, count: 24))
        #expect(empty == .xLogData(walStart: .zero, walEnd: .zero, sendTime: 0, payload: []))
        for length in 1..<25 {
            #expect(
                replicationError([UInt8(ascii: "w")] + [UInt8](repeating: 0, count: length - 1))?.code == .truncated
            )
        }
    }

    @Test("'k' keepalive with and without reply request", arguments: [(UInt8(1), true), (UInt8(0), false)])
    func keepalive(_ flag: UInt8, _ expected: Bool) throws {
        let raw = [UInt8(ascii: "k")] + be64(0x0000_0016_B374_D848) + be64(42) + [flag]
        #expect(
            try ReplicationMessage.decode(raw)
                == .keepalive(walEnd: LSN(string: "16/B374D848")!, sendTime: 42, replyRequested: expected)
        )
        for length in 1..<raw.count {
            let error = try #require(replicationError(Array(raw[..<length])))
            #expect(error.code == .truncated)
            #expect(error.messageType == UInt8(ascii: "k"))
        }
        #expect(replicationError(raw + [0])?.code == .trailingBytes)
    }

    @Test("envelope errors")
    func envelopeErrors() throws {
        #expect(replicationError([])?.code == .empty)
        let unknown = try #require(replicationError([UInt8(ascii: "r"), 0]))
        #expect(unknown.code == .unknownReplicationMessageType)
        #expect(unknown.description == "unknown streaming replication message type 0x72 (expected 'w' or 'k')")
        let short = try #require(replicationError([UInt8(ascii: "k"), 0, 0, 0, 0, 0, 0, 0, 0, 1]))
        #expect(short.description == "replication keepalive message truncated at byte 9 (wanted 7 more bytes)")
    }

    @Test("the standby status update is the 34-byte 'r' message")
    func standbyStatusUpdate() {
        let bytes = StandbyStatusUpdate.encode(
            written: LSN(string: "16/B374D848")!,
            flushed: LSN(string: "16/B3740000")!,
            applied: LSN(string: "1/2")!,
            clock: 0x0102_0304_0506_0708,
            replyRequested: true
        )
        #expect(
            bytes == [
                0x72,
                0x00, 0x00, 0x00, 0x16, 0xB3, 0x74, 0xD8, 0x48,
                0x00, 0x00, 0x00, 0x16, 0xB3, 0x74, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
                0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                0x01,
            ]
        )
        let quiet = StandbyStatusUpdate.encode(
            written: .zero,
            flushed: .zero,
            applied: .zero,
            clock: -1,
            replyRequested: false
        )
        #expect(quiet.count == 34)
        #expect(quiet[0] == UInt8(ascii: "r"))
        #expect(quiet[25..<33].allSatisfy { $0 == 0xFF })
        #expect(quiet[33] == 0)
    }

    @Test("PostgresClock counts microseconds since 2000-01-01 UTC")
    func clock() {
        let a = PostgresClock.now()
        let b = PostgresClock.now()
        // 2024-01-01 and 2100-01-01 in microseconds since 2000-01-01.
        #expect(a > 757_382_400_000_000)
        #expect(a < 3_155_760_000_000_000)
        #expect(b >= a)
        // The captured commit times came from the same clock (a server on this machine).
        let captured = try? decode(PgOutputFixtures.insertNullsBegin).begin?.commitTime
        #expect((captured ?? .max) < a)
    }
}
