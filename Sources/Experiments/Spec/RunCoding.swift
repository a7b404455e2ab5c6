import Datasets
import Foundation

/// The `run` object of a run file, laid out like a spec: `kind`, `dataset`, `model`,
/// `filters`, `seed`, then one object per section with every parameter written out. It is
/// read through the same parameter table, so a parameter missing from an older file takes
/// its default (which, by the run-id rule, is what that file's run used).
extension ResolvedRun: Codable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(kind, forKey: Key("kind"))
        try c.encode(dataset, forKey: Key("dataset"))
        if !dataset.isBuiltin {
            // A dataset given by path: its hash (part of the id), the path as the spec wrote it
            // and the image shape and class count (what feasibility checks need).
            try c.encode(dataset.contentHash ?? "", forKey: Key("dataset_hash"))
            if let s = dataset.source {
                try c.encode(s.written, forKey: Key("dataset_path"))
                // The shape the run's model saw (after data.resize).
                let shape = imageShape
                try c.encode([shape.height, shape.width, shape.channels, s.numClasses], forKey: Key("dataset_shape"))
            }
        }
        try c.encode(model, forKey: Key("model"))
        try c.encode(filters, forKey: Key("filters"))
        try c.encode(seed, forKey: Key("seed"))
        for section in ParameterSection.allCases {
            var s = c.nestedContainer(keyedBy: Key.self, forKey: Key(section.rawValue))
            for def in Parameters.definitions(in: section) {
                try Self.encode(def.get(self), into: &s, key: Key(def.key))
            }
        }
    }

    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: Key.self)
        kind = try c.decode(ExperimentKind.self, forKey: Key("kind"))
        if c.contains(Key("dataset_hash")) {
            let name = try c.decode(String.self, forKey: Key("dataset"))
            let hash = try c.decode(String.self, forKey: Key("dataset_hash"))
            var source: OwnDataSource? = nil
            if let written = try c.decodeIfPresent(String.self, forKey: Key("dataset_path")),
               let shape = try c.decodeIfPresent([Int].self, forKey: Key("dataset_shape")), shape.count == 4 {
                source = OwnDataSource(path: written, written: written, height: shape[0], width: shape[1],
                                       channels: shape[2], numClasses: shape[3])
            }
            dataset = DatasetName(ownData: name, contentHash: hash, source: source)
        } else {
            dataset = try c.decode(DatasetName.self, forKey: Key("dataset"))
        }
        model = try c.decode(ModelKind.self, forKey: Key("model"))
        filters = try c.decode([Int].self, forKey: Key("filters"))
        seed = try c.decode(UInt64.self, forKey: Key("seed"))
        for section in ParameterSection.allCases where c.contains(Key(section.rawValue)) {
            let s = try c.nestedContainer(keyedBy: Key.self, forKey: Key(section.rawValue))
            for def in Parameters.definitions(in: section) where s.contains(Key(def.key)) {
                def.set(&self, try Self.decode(def, from: s, key: Key(def.key)))
            }
        }
    }

    private static func encode(_ value: ParamValue, into c: inout KeyedEncodingContainer<Key>, key: Key) throws {
        switch value {
        case .real(let v): try c.encode(v, forKey: key)
        case .integer(let v): try c.encode(v, forKey: key)
        case .text(let v): try c.encode(v, forKey: key)
        case .flag(let v): try c.encode(v, forKey: key)
        case .reals(let v): try c.encode(v, forKey: key)
        case .integers(let v): try c.encode(v, forKey: key)
        case .none: try c.encodeNil(forKey: key)
        }
    }

    private static func decode(_ def: ParameterDefinition, from c: KeyedDecodingContainer<Key>, key: Key) throws -> ParamValue {
        switch def.type {
        case .real: return .real(try c.decode(Double.self, forKey: key))
        case .integer: return .integer(try c.decode(Int.self, forKey: key))
        case .optionalInteger: return try c.decodeNil(forKey: key) ? .none : .integer(try c.decode(Int.self, forKey: key))
        case .boolean: return .flag(try c.decode(Bool.self, forKey: key))
        case .perLayerReal: return .reals(try c.decode([Double].self, forKey: key))
        case .optionalImageSize:
            if try c.decodeNil(forKey: key) { return .none }
            let s = try c.decode(String.self, forKey: key)
            guard let r = ImageResize(spelling: s) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(def.path): found \"\(s)\"; expected " + def.type.expectation)
            }
            return r.paramValue
        case .realOrWord(_, _, _, _, let word):
            if let s = try? c.decode(String.self, forKey: key) {
                guard s == word else {
                    throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription:
                        "\(def.path): found \"\(s)\"; expected " + def.type.expectation)
                }
                return .text(s)
            }
            return .real(try c.decode(Double.self, forKey: key))
        case .choice(let allowed):
            let s = try c.decode(String.self, forKey: key)
            guard allowed.contains(s) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription:
                    "\(def.path): found \"\(s)\"; expected " + def.type.expectation)
            }
            return .text(s)
        }
    }
}
