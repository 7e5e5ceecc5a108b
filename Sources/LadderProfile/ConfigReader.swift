import LadderMedia

/// A mapping being read: its entries, where it is, and its field path.
public struct ConfigMapping: Sendable, Hashable {
    public var node: ConfigNode
    public var path: ConfigPath
    public var entries: [ConfigEntry]

    public init(node: ConfigNode, path: ConfigPath, entries: [ConfigEntry]) {
        self.node = node
        self.path = path
        self.entries = entries
    }

    public func entry(_ key: String) -> ConfigEntry? {
        entries.first { $0.key == key }
    }

    public func contains(_ key: String) -> Bool { entry(key) != nil }
}

/// A value read from a config together with where it came from, so later checks
/// (ranges, cross-field rules) can report at the right line.
public struct ConfigField<Value> {
    public var value: Value
    public var node: ConfigNode
    public var path: ConfigPath

    public init(value: Value, node: ConfigNode, path: ConfigPath) {
        self.value = value
        self.node = node
        self.path = path
    }
}

extension ConfigField: Sendable where Value: Sendable {}

/// Why a scalar could not be converted; `message` is the whole sentence shown to the operator.
public struct ConfigValueProblem: Error, Sendable, Hashable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }
}

/// Reads typed fields out of a `ConfigNode` tree and collects every problem with its position,
/// so a file reports all of its mistakes at once.
public struct ConfigReader: Sendable {
    public let file: String
    public private(set) var issues: [ConfigIssue] = []

    public init(file: String) {
        self.file = file
    }

    /// The issues in file order (line, then column, then discovery order).
    public var sortedIssues: [ConfigIssue] {
        issues.enumerated()
            .sorted { lhs, rhs in
                (lhs.element.line, lhs.element.column, lhs.offset) < (rhs.element.line, rhs.element.column, rhs.offset)
            }
            .map(\.element)
    }

    public mutating func report(_ message: String, line: Int, column: Int, path: ConfigPath) {
        issues.append(ConfigIssue(file: file, line: line, column: column, path: path.description, message: message))
    }

    public mutating func report(_ message: String, at node: ConfigNode, path: ConfigPath) {
        report(message, line: node.line, column: node.column, path: path)
    }

    public mutating func report<Value>(_ message: String, at field: ConfigField<Value>) {
        report(message, at: field.node, path: field.path)
    }

    public mutating func append(_ issues: [ConfigIssue]) {
        self.issues += issues
    }

    // MARK: Structure

    /// `node` as a mapping whose keys must all be in `knownKeys`; every other key is reported
    /// (with the closest known key as a suggestion). nil, reported, when `node` is not a mapping.
    public mutating func mapping(_ node: ConfigNode, path: ConfigPath, knownKeys: [String]) -> ConfigMapping? {
        guard case .mapping(let entries) = node.content else {
            report("expected a mapping of keys, found \(node.summary)", at: node, path: path)
            return nil
        }
        for entry in entries where !knownKeys.contains(entry.key) {
            report(
                Self.unknownKeyMessage(entry.key, knownKeys: knownKeys), line: entry.keyLine, column: entry.keyColumn,
                path: path.key(entry.key))
        }
        return ConfigMapping(node: node, path: path, entries: entries.filter { knownKeys.contains($0.key) })
    }

    /// A mapping whose keys are operator-chosen names (e.g. stream names); no key check.
    public mutating func openMapping(_ node: ConfigNode, path: ConfigPath) -> ConfigMapping? {
        guard case .mapping(let entries) = node.content else {
            report("expected a mapping of keys, found \(node.summary)", at: node, path: path)
            return nil
        }
        return ConfigMapping(node: node, path: path, entries: entries)
    }

    /// The sub-mapping at `key` (nil when absent, or reported when it is not a mapping).
    public mutating func mapping(
        _ parent: ConfigMapping, _ key: String, knownKeys: [String], required: Bool = false
    )
        -> ConfigMapping?
    {
        guard let entry = present(parent, key, required: required) else { return nil }
        return mapping(entry.value, path: parent.path.key(key), knownKeys: knownKeys)
    }

    /// The list at `key` (nil when absent, or reported when it is not a list).
    public mutating func sequence(
        _ parent: ConfigMapping, _ key: String, required: Bool = false
    )
        -> ConfigField<[ConfigNode]>?
    {
        guard let entry = present(parent, key, required: required) else { return nil }
        let path = parent.path.key(key)
        guard case .sequence(let items) = entry.value.content else {
            report("expected a list, found \(entry.value.summary)", at: entry.value, path: path)
            return nil
        }
        return ConfigField(value: items, node: entry.value, path: path)
    }

    // MARK: Scalars

    /// Converts the scalar at `key`; absent -> nil (reported when `required`), bad -> reported, nil.
    public mutating func field<Value>(
        _ parent: ConfigMapping, _ key: String, required: Bool = false,
        convert: (ConfigNode) -> Result<Value, ConfigValueProblem>
    ) -> ConfigField<Value>? {
        guard let entry = present(parent, key, required: required) else { return nil }
        let path = parent.path.key(key)
        switch convert(entry.value) {
        case .success(let value):
            return ConfigField(value: value, node: entry.value, path: path)
        case .failure(let problem):
            report(problem.message, at: entry.value, path: path)
            return nil
        }
    }

    public mutating func string(_ parent: ConfigMapping, _ key: String, required: Bool = false) -> ConfigField<String>?
    {
        field(parent, key, required: required, convert: ConfigValue.string)
    }

    public mutating func integer(_ parent: ConfigMapping, _ key: String, required: Bool = false) -> ConfigField<Int>? {
        field(parent, key, required: required, convert: ConfigValue.integer)
    }

    public mutating func number(_ parent: ConfigMapping, _ key: String, required: Bool = false) -> ConfigField<Double>?
    {
        field(parent, key, required: required, convert: ConfigValue.number)
    }

    public mutating func bool(_ parent: ConfigMapping, _ key: String, required: Bool = false) -> ConfigField<Bool>? {
        field(parent, key, required: required, convert: ConfigValue.bool)
    }

    /// One of `allowed` (exact match); otherwise reported with the closest allowed value.
    public mutating func choice(
        _ parent: ConfigMapping, _ key: String, allowed: [String], what: String, required: Bool = false
    ) -> ConfigField<String>? {
        field(parent, key, required: required) { node in
            ConfigValue.string(node).flatMap { text in
                if allowed.contains(text) { return .success(text) }
                return .failure(ConfigValueProblem(Self.unknownChoiceMessage(text, what: what, allowed: allowed)))
            }
        }
    }

    private mutating func present(_ parent: ConfigMapping, _ key: String, required: Bool) -> ConfigEntry? {
        if let entry = parent.entry(key) { return entry }
        if required {
            report("required key is missing", at: parent.node, path: parent.path.key(key))
        }
        return nil
    }

    // MARK: Messages

    public static func unknownKeyMessage(_ key: String, knownKeys: [String]) -> String {
        if let suggestion = closest(to: key, in: knownKeys) {
            return "unknown key \"\(ConfigNode.truncated(key))\" (did you mean \"\(suggestion)\"?)"
        }
        return "unknown key \"\(ConfigNode.truncated(key))\" (known keys: \(knownKeys.joined(separator: ", ")))"
    }

    public static func unknownChoiceMessage(_ value: String, what: String, allowed: [String]) -> String {
        var message = "unknown \(what) \"\(ConfigNode.truncated(value))\""
        if let suggestion = closest(to: value, in: allowed) {
            message += " (did you mean \"\(suggestion)\"?"
            message += allowed.count <= 12 ? " one of: \(allowed.joined(separator: ", ")))" : ")"
        } else if allowed.count <= 12 {
            message += " (one of: \(allowed.joined(separator: ", ")))"
        }
        return message
    }

    /// The candidate closest to `word` by edit distance (case and `-`/`_` insensitive), if close enough
    /// to be a plausible typo.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        func normalized(_ text: String) -> [Character] {
            Array(text.lowercased().map { $0 == "-" ? "_" : $0 })
        }
        let target = normalized(String(word.prefix(64)))
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(target, normalized(candidate))
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        let tolerance = max(2, min(target.count, best.candidate.count) / 3)
        return best.distance <= tolerance ? best.candidate : nil
    }

    /// Levenshtein distance.
    package static func editDistance(_ lhs: [Character], _ rhs: [Character]) -> Int {
        if lhs.isEmpty { return rhs.count }
        if rhs.isEmpty { return lhs.count }
        var previous = Array(0...rhs.count)
        var current = [Int](repeating: 0, count: rhs.count + 1)
        for (i, left) in lhs.enumerated() {
            current[0] = i + 1
            for (j, right) in rhs.enumerated() {
                let substitution = previous[j] + (left == right ? 0 : 1)
                current[j + 1] = min(substitution, previous[j + 1] + 1, current[j] + 1)
            }
            swap(&previous, &current)
        }
        return previous[rhs.count]
    }
}

/// Scalar conversions shared by every config reader.
public enum ConfigValue {
    public static func string(_ node: ConfigNode) -> Result<String, ConfigValueProblem> {
        guard let scalar = node.scalar, scalar.kind != .null else {
            return .failure(ConfigValueProblem("expected a text value, found \(node.summary)"))
        }
        return .success(scalar.text)
    }

    /// A whole number (decimal, or YAML's 0x/0o/0b forms); quoted digits are accepted too.
    public static func integer(_ node: ConfigNode) -> Result<Int, ConfigValueProblem> {
        guard let scalar = node.scalar, scalar.kind != .null, scalar.kind != .bool else {
            return .failure(ConfigValueProblem("expected a whole number, found \(node.summary)"))
        }
        var text = scalar.text.replacingOccurrences(of: "_", with: "")
        var negative = false
        if text.hasPrefix("-") || text.hasPrefix("+") {
            negative = text.hasPrefix("-")
            text.removeFirst()
        }
        var radix = 10
        for (prefix, base) in [("0x", 16), ("0o", 8), ("0b", 2)] where text.lowercased().hasPrefix(prefix) {
            radix = base
            text.removeFirst(2)
        }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isHexDigit }), let magnitude = Int(text, radix: radix)
        else {
            return .failure(ConfigValueProblem("expected a whole number, found \(node.summary)"))
        }
        return .success(negative ? -magnitude : magnitude)
    }

    /// A finite decimal number.
    public static func number(_ node: ConfigNode) -> Result<Double, ConfigValueProblem> {
        guard let scalar = node.scalar, scalar.kind != .null, scalar.kind != .bool else {
            return .failure(ConfigValueProblem("expected a number, found \(node.summary)"))
        }
        let text = scalar.text.replacingOccurrences(of: "_", with: "")
        guard text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }), let value = Double(text),
            value.isFinite
        else {
            return .failure(ConfigValueProblem("expected a number, found \(node.summary)"))
        }
        return .success(value)
    }

    public static func bool(_ node: ConfigNode) -> Result<Bool, ConfigValueProblem> {
        guard let scalar = node.scalar, scalar.kind == .bool else {
            return .failure(ConfigValueProblem("expected true or false, found \(node.summary)"))
        }
        return .success(["true", "yes", "on"].contains(scalar.text.lowercased()))
    }
}
