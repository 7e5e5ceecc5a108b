import LadderMedia

/// Paths inside a stream: relative, `/`-separated, no component that could leave the stream's
/// directory (`..`, `.`, empty), no backslash or control characters.
enum StorePath {
    /// Stream folders follow the one `StreamName` rule (stricter than `isValidComponent`).
    static func isValidStreamName(_ name: String) -> Bool {
        StreamName.isValid(name)
    }

    static func isValidPath(_ path: String) -> Bool {
        guard !path.isEmpty, path.utf8.count <= 1024 else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { isValidComponent(String($0)) }
    }

    static func isValidComponent(_ component: String) -> Bool {
        guard !component.isEmpty, component != ".", component != "..", component.utf8.count <= 255 else { return false }
        return component.unicodeScalars.allSatisfy { scalar in
            scalar.value >= 0x20 && scalar.value != 0x7F && scalar != "/" && scalar != "\\"
        }
    }
}
