import CDCCore
import LibPQ
import Testing

@testable import Sinks

/// How the replica tells schema changes apart, and when a target already follows one.
@Suite("Postgres sink: schema changes")
struct SchemaChangeTests {
    typealias Column = SchemaChange.Column
    static let id = Column(name: "id", typeOID: 23, typeModifier: -1)
    static let a = Column(name: "a", typeOID: 25, typeModifier: -1)
    static let b = Column(name: "b", typeOID: 25, typeModifier: -1)
    static let old = [id, a, b]

    static func target(_ columns: [Column]) -> [String: Column] {
        Dictionary(uniqueKeysWithValues: columns.map { ($0.name, $0) })
    }

    @Test func addedColumnGoesLast() {
        let c = Column(name: "c", typeOID: 23, typeModifier: -1)
        #expect(SchemaChange.between(Self.old, Self.old + [c]) == [SchemaChange(column: "c", kind: .added)])
    }

    @Test func droppedColumn() {
        let changes = SchemaChange.between(Self.old, [Self.id, Self.b])
        #expect(changes == [SchemaChange(column: "a", kind: .dropped)])
        #expect(!changes[0].isFollowed(by: Self.target(Self.old)))
        #expect(changes[0].isFollowed(by: Self.target([Self.id, Self.b])))
    }

    @Test func renamedColumnKeepsItsPlace() {
        let renamed = Column(name: "a2", typeOID: 25, typeModifier: -1)
        let changes = SchemaChange.between(Self.old, [Self.id, renamed, Self.b])
        #expect(changes == [SchemaChange(column: "a", kind: .renamed(to: "a2"))])
        #expect(!changes[0].isFollowed(by: Self.target(Self.old)))
        // Dropping it in the target is not enough: the new column would start empty.
        #expect(!changes[0].isFollowed(by: Self.target([Self.id, Self.b])))
        #expect(changes[0].isFollowed(by: Self.target([Self.id, renamed, Self.b])))
    }

    @Test func dropOfTheLastAndAnAddOfAnotherTypeIsNotARename() {
        let c = Column(name: "c", typeOID: 23, typeModifier: -1)
        #expect(
            SchemaChange.between(Self.old, [Self.id, Self.a, c])
                == [SchemaChange(column: "b", kind: .dropped), SchemaChange(column: "c", kind: .added)])
    }

    @Test func retypedColumn() {
        let bigint = Column(name: "id", typeOID: 20, typeModifier: -1)
        let changes = SchemaChange.between(Self.old, [bigint, Self.a, Self.b])
        #expect(changes == [SchemaChange(column: "id", kind: .retyped(to: bigint))])
        #expect(!changes[0].isFollowed(by: Self.target(Self.old)))
        #expect(changes[0].isFollowed(by: Self.target([bigint, Self.a, Self.b])))
        // varchar(10) → varchar(20): the modifier counts.
        let v10 = Column(name: "v", typeOID: 1043, typeModifier: 14)
        let v20 = Column(name: "v", typeOID: 1043, typeModifier: 24)
        let widened = SchemaChange.between([v10], [v20])
        #expect(widened == [SchemaChange(column: "v", kind: .retyped(to: v20))])
        #expect(!widened[0].isFollowed(by: Self.target([v10])))
    }

    @Test func messagesNameTableColumnAndTheFix() {
        let dropped = SchemaChange(column: "a", kind: .dropped).message(table: "app.t", targetTable: "app.t")
        #expect(dropped.contains("column \"a\" of app.t was dropped in the source"))
        #expect(dropped.contains("ALTER TABLE app.t DROP COLUMN \"a\""))
        let renamed = SchemaChange(column: "a", kind: .renamed(to: "New A")).message(table: "app.t", targetTable: "app.t")
        #expect(renamed.contains("RENAME COLUMN \"a\" TO \"New A\""))
        let retyped = SchemaChange(column: "n", kind: .retyped(to: Column(name: "n", typeOID: 20, typeModifier: -1)))
            .message(table: "app.t", targetTable: "app.t", newTypeName: "bigint", targetTypeName: "integer")
        #expect(retyped.contains("changed type to bigint in the source (the target column is integer)"))
        #expect(retyped.contains("ALTER COLUMN \"n\" TYPE bigint"))
    }
}
