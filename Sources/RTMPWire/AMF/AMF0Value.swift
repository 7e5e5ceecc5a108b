import LadderMedia

/// An AMF0 value (AMF0 spec 2.1-2.18). Objects and ECMA arrays keep their property order.
package enum AMF0Value: Sendable, Hashable {
    case number(Double)
    case boolean(Bool)
    /// String and long string (AMF0 spec 2.4, 2.14); encoded as long string above 65535 bytes.
    case string(String)
    case object([AMF0Property])
    case null
    case undefined
    /// Reference to an earlier complex value by index (AMF0 spec 2.9); kept as is, never resolved.
    case reference(UInt16)
    case ecmaArray([AMF0Property])
    case strictArray([AMF0Value])
    /// Milliseconds since the Unix epoch, and a time zone that the spec says must be 0 (AMF0 spec 2.13).
    case date(millis: Double, timezone: Int16)
    case unsupported
    case xmlDocument(String)
    case typedObject(className: String, properties: [AMF0Property])

    /// The value of the first property named `key` of an object, ECMA array or typed object.
    package subscript(key: String) -> AMF0Value? {
        properties?.first { $0.key == key }?.value
    }

    /// Properties of an object, ECMA array or typed object; RTMP peers use the first two interchangeably.
    package var properties: [AMF0Property]? {
        switch self {
        case .object(let properties), .ecmaArray(let properties), .typedObject(_, let properties):
            return properties
        default:
            return nil
        }
    }

    package var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    package var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    package var booleanValue: Bool? {
        if case .boolean(let value) = self { return value }
        return nil
    }

    package var arrayValues: [AMF0Value]? {
        if case .strictArray(let values) = self { return values }
        return nil
    }

    package var isNullOrUndefined: Bool {
        self == .null || self == .undefined
    }
}

package struct AMF0Property: Sendable, Hashable {
    package var key: String
    package var value: AMF0Value

    package init(_ key: String, _ value: AMF0Value) {
        self.key = key
        self.value = value
    }
}

/// AMF0 type markers (AMF0 spec 2.1).
package enum AMF0Marker {
    package static let number: UInt8 = 0x00
    package static let boolean: UInt8 = 0x01
    package static let string: UInt8 = 0x02
    package static let object: UInt8 = 0x03
    package static let movieClip: UInt8 = 0x04
    package static let null: UInt8 = 0x05
    package static let undefined: UInt8 = 0x06
    package static let reference: UInt8 = 0x07
    package static let ecmaArray: UInt8 = 0x08
    package static let objectEnd: UInt8 = 0x09
    package static let strictArray: UInt8 = 0x0A
    package static let date: UInt8 = 0x0B
    package static let longString: UInt8 = 0x0C
    package static let unsupported: UInt8 = 0x0D
    package static let recordSet: UInt8 = 0x0E
    package static let xmlDocument: UInt8 = 0x0F
    package static let typedObject: UInt8 = 0x10
    package static let avmPlusObject: UInt8 = 0x11
}
