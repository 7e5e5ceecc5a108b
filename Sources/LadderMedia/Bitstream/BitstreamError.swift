/// Malformed codec bitstream or configuration bytes.
public enum BitstreamError: Error, Sendable, Hashable {
    /// The data ended before the field being read.
    case truncated(String)
    /// A field holds a value the spec forbids or this code does not support.
    case invalid(String)
}
