import LadderMedia

/// One problem found in an operator-edited YAML file (a profile or the gateway config).
///
/// `description` is one line in the compiler style editors understand:
/// `profiles/x.yaml:12:16: video.renditions[1].bitrate: negative bitrate "-800k"`.
public struct ConfigIssue: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file as the operator named it.
    public var file: String
    /// 1-based line; 0 when the problem has no position (e.g. the file cannot be read).
    public var line: Int
    /// 1-based column in Unicode scalars (as libyaml counts them); 0 when unknown.
    public var column: Int
    /// Field path such as `video.renditions[1].bitrate`; empty for document-level problems.
    public var path: String
    public var message: String

    public init(file: String, line: Int, column: Int, path: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    public var description: String {
        var text = file
        if line > 0 {
            text += ":\(line)"
            if column > 0 { text += ":\(column)" }
        }
        text += ": "
        if !path.isEmpty { text += path + ": " }
        return text + message
    }
}

/// A profile problem (same shape as every other config issue).
public typealias ProfileIssue = ConfigIssue

/// Every problem found in one profile file, in file order.
public struct ProfileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var issues: [ProfileIssue]

    public init(issues: [ProfileIssue]) {
        self.issues = issues
    }

    /// One line per issue.
    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }
}

/// A dotted field path: `video.renditions[1].bitrate`.
public struct ConfigPath: Sendable, Hashable, CustomStringConvertible {
    public private(set) var description: String

    public static let root = ConfigPath(description: "")

    private init(description: String) {
        self.description = description
    }

    public func key(_ key: String) -> ConfigPath {
        ConfigPath(description: description.isEmpty ? key : description + "." + key)
    }

    public func index(_ index: Int) -> ConfigPath {
        ConfigPath(description: description + "[\(index)]")
    }
}
