import CDCCore

/// Everything that defines a `Relation`, as a value: two relations with equal definitions are
/// interchangeable, whichever instance a record points to.
struct RelationDefinition: Hashable, Sendable {
    var oid: UInt32
    var schema: String
    var name: String
    var replicaIdentity: Relation.ReplicaIdentity
    var columns: [Relation.Column]
    var keyIndexes: [Int]

    init(_ relation: Relation) {
        oid = relation.oid
        schema = relation.schema
        name = relation.name
        replicaIdentity = relation.replicaIdentity
        columns = relation.columns
        keyIndexes = relation.keyIndexes
    }

    init(
        oid: UInt32, schema: String, name: String, replicaIdentity: Relation.ReplicaIdentity,
        columns: [Relation.Column], keyIndexes: [Int]
    ) {
        self.oid = oid
        self.schema = schema
        self.name = name
        self.replicaIdentity = replicaIdentity
        self.columns = columns
        self.keyIndexes = keyIndexes
    }

    func makeRelation() -> Relation {
        Relation(
            oid: oid, schema: schema, name: name, replicaIdentity: replicaIdentity, columns: columns,
            keyIndexes: keyIndexes)
    }
}
