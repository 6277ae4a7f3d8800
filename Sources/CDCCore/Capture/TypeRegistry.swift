/// Maps PostgreSQL type OIDs to the `ValueKind` their values render as.
///
/// Built-in scalar and array types are known up front. Everything else (domains, enums, composites,
/// ranges, arrays of those, extension types) is resolved from `pg_type` by capture and registered
/// here before the relation that uses it is.
public struct TypeRegistry: Sendable {
    private var kinds: [UInt32: ValueKind]

    public init() { kinds = Self.builtins }

    /// The kind for a type OID, nil when it must be looked up in the catalog first.
    public func kind(for oid: UInt32) -> ValueKind? { kinds[oid] }

    public mutating func register(_ oid: UInt32, _ kind: ValueKind) { kinds[oid] = kind }

    /// One row of `pg_type` as capture reads it for an unknown OID.
    public struct CatalogType: Sendable {
        public var oid: UInt32
        /// `typtype`: `b` base, `d` domain, `e` enum, `c` composite, `r` range, `m` multirange, `p` pseudo.
        public var type: Character
        /// `typbasetype` for domains (0 otherwise).
        public var baseType: UInt32
        /// `typelem` for arrays (0 otherwise).
        public var elementType: UInt32
        /// `typcategory`: `A` for arrays.
        public var category: Character
        public init(oid: UInt32, type: Character, baseType: UInt32, elementType: UInt32, category: Character) {
            self.oid = oid
            self.type = type
            self.baseType = baseType
            self.elementType = elementType
            self.category = category
        }
    }

    /// The OIDs `entry` depends on (a domain's base type, an array's element type) that are not
    /// known yet: look those up too before calling `resolve`.
    public func missingDependencies(of entry: CatalogType) -> [UInt32] {
        var missing: [UInt32] = []
        if entry.type == "d", entry.baseType != 0, kinds[entry.baseType] == nil { missing.append(entry.baseType) }
        if entry.category == "A", entry.elementType != 0, kinds[entry.elementType] == nil {
            missing.append(entry.elementType)
        }
        return missing
    }

    /// Registers a catalog type whose dependencies are known. `delimiter` is the element type's
    /// `typdelim` for arrays.
    @discardableResult
    public mutating func resolve(_ entry: CatalogType, delimiter: UInt8 = UInt8(ascii: ",")) -> ValueKind {
        let kind: ValueKind
        if entry.type == "d", let base = kinds[entry.baseType] {
            kind = base
        } else if entry.category == "A", entry.elementType != 0, let element = kinds[entry.elementType] {
            kind = .array(element: element, delimiter: delimiter)
        } else {
            kind = .text
        }
        kinds[entry.oid] = kind
        return kind
    }

    static let builtins: [UInt32: ValueKind] = {
        let comma = UInt8(ascii: ",")
        var k: [UInt32: ValueKind] = [:]
        let scalars: [(UInt32, ValueKind)] = [
            (16, .bool), (20, .integer), (21, .integer), (23, .integer), (26, .integer),
            (700, .float), (701, .float), (1700, .numeric), (114, .json), (3802, .jsonb), (17, .bytea),
            (1184, .timestamptz), (1114, .timestamp), (1082, .date), (1083, .time), (1266, .time),
            (25, .text), (1043, .text), (1042, .text), (18, .text), (19, .text), (2950, .text),
            (1186, .text), (869, .text), (650, .text), (829, .text), (774, .text), (790, .text),
            (1560, .text), (1562, .text), (3614, .text), (3615, .text), (142, .text), (28, .text),
            (24, .text), (2205, .text), (2206, .text), (3220, .text), (3904, .text), (3906, .text),
            (3908, .text), (3910, .text), (3912, .text), (3926, .text), (600, .text), (601, .text),
            (602, .text), (603, .text), (604, .text), (628, .text), (718, .text),
        ]
        for (oid, kind) in scalars { k[oid] = kind }
        let arrays: [(UInt32, UInt32)] = [
            (1000, 16), (1016, 20), (1005, 21), (1007, 23), (1028, 26), (1021, 700), (1022, 701),
            (1231, 1700), (199, 114), (3807, 3802), (1001, 17), (1185, 1184), (1115, 1114),
            (1182, 1082), (1183, 1083), (1270, 1266), (1009, 25), (1015, 1043), (1014, 1042),
            (1002, 18), (1003, 19), (2951, 2950), (1187, 1186), (1041, 869), (651, 650), (1040, 829),
            (791, 790), (1561, 1560), (1563, 1562), (3643, 3614), (3645, 3615), (143, 142),
        ]
        for (array, element) in arrays { k[array] = .array(element: k[element]!, delimiter: comma) }
        k[1020] = .array(element: .text, delimiter: UInt8(ascii: ";"))  // box[]
        return k
    }()
}
