/// Malformed codec bitstream or configuration bytes.
public enum BitstreamError: Error, Sendable, Hashable {
    /// The data ended before the field being read.
    case truncated(String)
    /// A field holds a value the spec forbids or this code does not support.
    case invalid(String)
}

extension BitstreamError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .truncated(let what): "truncated: \(what)"
        case .invalid(let what): "invalid: \(what)"
        }
    }
}
