import Foundation
import LadderMedia
import Yams

/// A YAML node with its position, detached from Yams so the gateway can read configs without
/// importing Yams. Built by `ConfigYAML.compose`.
public struct ConfigNode: Sendable, Hashable {
    public enum Content: Sendable, Hashable {
        case scalar(ConfigScalar)
        case mapping([ConfigEntry])
        case sequence([ConfigNode])
    }

    public var content: Content
    /// 1-based position of the node's first character.
    public var line: Int
    public var column: Int

    public init(content: Content, line: Int, column: Int) {
        self.content = content
        self.line = line
        self.column = column
    }

    public var scalar: ConfigScalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    public var isNull: Bool { scalar?.kind == .null }

    /// How the node reads in a "found ..." message: `"abc"`, `1280`, `a mapping`, `a list`, `nothing`.
    public var summary: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar):
            switch scalar.kind {
            case .null: return "nothing"
            case .string: return "\"\(ConfigNode.truncated(scalar.text))\""
            case .int, .float, .bool: return ConfigNode.truncated(scalar.text)
            }
        }
    }

    package static func truncated(_ text: String) -> String {
        text.count > 40 ? String(text.prefix(40)) + "..." : text
    }
}

/// A scalar's text and the type YAML 1.1 resolves it to (quoted scalars are always strings).
public struct ConfigScalar: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case string
        case int
        case float
        case bool
        case null
    }

    public var text: String
    public var kind: Kind

    public init(text: String, kind: Kind) {
        self.text = text
        self.kind = kind
    }
}

/// One `key: value` pair of a mapping; the key keeps its own position for "unknown key" messages.
public struct ConfigEntry: Sendable, Hashable {
    public var key: String
    public var keyLine: Int
    public var keyColumn: Int
    public var value: ConfigNode

    public init(key: String, keyLine: Int, keyColumn: Int, value: ConfigNode) {
        self.key = key
        self.keyLine = keyLine
        self.keyColumn = keyColumn
        self.value = value
    }
}

/// Turns YAML text into a `ConfigNode` tree, mapping every Yams error to a positioned issue.
public enum ConfigYAML {
    public enum Composition: Sendable, Hashable {
        case document(ConfigNode)
        /// No document at all (empty file or only comments).
        case empty
        case malformed([ConfigIssue])
    }

    /// Deepest nesting accepted; configs are a few levels deep.
    public static let maxDepth = 32
    /// Nodes accepted after alias expansion (guards against "billion laughs" alias bombs).
    public static let maxNodes = 20_000

    public static func compose(yaml: String, file: String) -> Composition {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            return .malformed([issue(for: error, yaml: yaml, file: file)])
        } catch {
            return .malformed([ConfigIssue(file: file, line: 0, column: 0, path: "", message: "invalid YAML: \(error)")]
            )
        }
        guard let root else { return .empty }
        var converter = Converter(file: file)
        let node = converter.convert(root, depth: 0)
        if !converter.issues.isEmpty { return .malformed(converter.issues) }
        return .document(node)
    }

    private static func issue(for error: YamlError, yaml: String, file: String) -> ConfigIssue {
        func located(_ mark: Mark, _ message: String) -> ConfigIssue {
            ConfigIssue(file: file, line: mark.line, column: mark.column, path: "", message: message)
        }
        func syntax(_ context: YamlError.Context?, _ problem: String, _ mark: Mark) -> ConfigIssue {
            var message = "invalid YAML: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line))"
            }
            return located(mark, message)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return syntax(context, problem, mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return located(context.mark, "duplicate key \(keys) (a key may appear only once in a mapping)")
        case .reader(let problem, let offset, _, _):
            let (line, column) = position(ofCharacterOffset: offset ?? 0, in: yaml)
            return ConfigIssue(file: file, line: line, column: column, path: "", message: "invalid text: \(problem)")
        default:
            return ConfigIssue(file: file, line: 0, column: 0, path: "", message: "invalid YAML: \(error)")
        }
    }

    private static func position(ofCharacterOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for (index, character) in text.enumerated() {
            if index >= offset { break }
            if character == "\n" || character == "\r\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    private struct Converter {
        package let file: String
        package var issues: [ConfigIssue] = []
        package var nodeCount = 0

        package init(file: String) {
            self.file = file
        }

        package mutating func convert(_ node: Node, depth: Int) -> ConfigNode {
            let line = node.mark?.line ?? 0
            let column = node.mark?.column ?? 0
            let placeholder = ConfigNode(
                content: .scalar(ConfigScalar(text: "", kind: .null)), line: line, column: column)
            nodeCount += 1
            if nodeCount > ConfigYAML.maxNodes {
                if nodeCount == ConfigYAML.maxNodes + 1 {
                    report(
                        line, column, "document too large (more than \(ConfigYAML.maxNodes) values, counting aliases)")
                }
                return placeholder
            }
            if depth > ConfigYAML.maxDepth {
                report(line, column, "nested more than \(ConfigYAML.maxDepth) levels deep")
                return placeholder
            }
            switch node {
            case .scalar(let scalar):
                return ConfigNode(content: .scalar(Self.scalar(scalar, node: node)), line: line, column: column)
            case .sequence(let sequence):
                var items: [ConfigNode] = []
                for item in sequence {
                    items.append(convert(item, depth: depth + 1))
                    if nodeCount > ConfigYAML.maxNodes { break }
                }
                return ConfigNode(content: .sequence(items), line: line, column: column)
            case .mapping(let mapping):
                var entries: [ConfigEntry] = []
                for (key, value) in mapping {
                    let keyLine = key.mark?.line ?? line
                    let keyColumn = key.mark?.column ?? column
                    guard case .scalar(let keyScalar) = key else {
                        report(keyLine, keyColumn, "a key must be a plain word, not a mapping or list")
                        continue
                    }
                    let converted = convert(value, depth: depth + 1)
                    entries.append(
                        ConfigEntry(key: keyScalar.string, keyLine: keyLine, keyColumn: keyColumn, value: converted))
                    if nodeCount > ConfigYAML.maxNodes { break }
                }
                return ConfigNode(content: .mapping(entries), line: line, column: column)
            case .alias:
                report(line, column, "unresolved alias")
                return placeholder
            }
        }

        private static func scalar(_ scalar: Node.Scalar, node: Node) -> ConfigScalar {
            switch scalar.style {
            case .singleQuoted, .doubleQuoted, .literal, .folded:
                return ConfigScalar(text: scalar.string, kind: .string)
            case .any, .plain:
                break
            }
            let kind: ConfigScalar.Kind
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: kind = .null
            case Tag.Name.bool.rawValue: kind = .bool
            case Tag.Name.int.rawValue: kind = .int
            case Tag.Name.float.rawValue: kind = .float
            default: kind = .string
            }
            return ConfigScalar(text: scalar.string, kind: kind)
        }

        private mutating func report(_ line: Int, _ column: Int, _ message: String) {
            issues.append(ConfigIssue(file: file, line: line, column: column, path: "", message: message))
        }
    }
}

/// Bounded reads of operator files (profiles, gateway config, keys file).
public enum ConfigFile {
    /// Reads a UTF-8 text file of at most `maxBytes`; failures come back as an unpositioned issue.
    public static func readText(path: String, maxBytes: Int) -> Result<String, ConfigIssue> {
        func failure(_ message: String) -> Result<String, ConfigIssue> {
            .failure(ConfigIssue(file: path, line: 0, column: 0, path: "", message: message))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return failure("no such file")
        }
        if isDirectory.boolValue { return failure("is a directory, expected a YAML file") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return failure("cannot open the file for reading")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        } catch {
            return failure("cannot read the file: \(error.localizedDescription)")
        }
        if data.count > maxBytes { return failure("file is larger than \(maxBytes) bytes") }
        guard let text = String(data: data, encoding: .utf8) else { return failure("file is not valid UTF-8 text") }
        return .success(text)
    }
}
