import LadderMedia
import NIOCore

package enum AMF0Error: Error, Hashable, Sendable {
    /// The input ended inside a value.
    case truncated
    /// A marker that is reserved or unknown (movieclip 0x04, recordset 0x0E, or > 0x11).
    case unknownMarker(UInt8)
    /// An object-end marker (0x09) where a value was expected.
    case unexpectedObjectEnd
    /// After the AVM+ switch (0x11) only undefined, null, false, true, integer, double and
    /// string are decoded (AMF3 spec 3.2-3.8).
    case unsupportedAMF3Marker(UInt8)
    /// An AMF3 string by reference: there is no reference table across AMF0 values.
    case unsupportedAMF3Reference
    case depthLimitExceeded(limit: Int)
    case valueLimitExceeded(limit: Int)
}

/// Decodes AMF0 (AMF0 spec), with bounded nesting and value count for untrusted input.
package struct AMF0Decoder: Sendable {
    /// Deepest nesting of objects and arrays.
    package var maxDepth: Int
    /// Most values (counting nested ones) one `decode` call may produce.
    package var maxValues: Int

    package init(maxDepth: Int = 32, maxValues: Int = 65536) {
        self.maxDepth = maxDepth
        self.maxValues = maxValues
    }

    /// Decodes one value from the front of `buffer`.
    package func decode(from buffer: inout ByteBuffer) throws(AMF0Error) -> AMF0Value {
        var reader = Reader(buffer: buffer, maxDepth: maxDepth, maxValues: maxValues)
        let value = try reader.value(depth: 0)
        buffer = reader.buffer
        return value
    }

    /// Decodes values until `buffer` is exhausted (the body of a command or data message).
    package func decodeAll(_ buffer: ByteBuffer) throws(AMF0Error) -> [AMF0Value] {
        var reader = Reader(buffer: buffer, maxDepth: maxDepth, maxValues: maxValues)
        var values: [AMF0Value] = []
        while reader.buffer.readableBytes > 0 {
            values.append(try reader.value(depth: 0))
        }
        return values
    }

    private struct Reader {
        package var buffer: ByteBuffer
        package let maxDepth: Int
        package let maxValues: Int
        package var count = 0

        package mutating func value(depth: Int) throws(AMF0Error) -> AMF0Value {
            guard let marker = buffer.readInteger(as: UInt8.self) else { throw .truncated }
            return try value(marker: marker, depth: depth)
        }

        private mutating func countValue() throws(AMF0Error) {
            count += 1
            guard count <= maxValues else { throw .valueLimitExceeded(limit: maxValues) }
        }

        private mutating func value(marker: UInt8, depth: Int) throws(AMF0Error) -> AMF0Value {
            try countValue()
            switch marker {
            case AMF0Marker.number:
                return .number(try double())
            case AMF0Marker.boolean:
                return .boolean(try byte() != 0)
            case AMF0Marker.string:
                return .string(try shortString())
            case AMF0Marker.longString:
                return .string(try longString())
            case AMF0Marker.object:
                return .object(try properties(depth: depth + 1))
            case AMF0Marker.null:
                return .null
            case AMF0Marker.undefined:
                return .undefined
            case AMF0Marker.reference:
                guard let index = buffer.readInteger(as: UInt16.self) else { throw .truncated }
                return .reference(index)
            case AMF0Marker.ecmaArray:
                // AMF0 spec 2.10: the count is advisory; the end marker terminates.
                guard buffer.readInteger(as: UInt32.self) != nil else { throw .truncated }
                return .ecmaArray(try properties(depth: depth + 1))
            case AMF0Marker.strictArray:
                guard let declared = buffer.readInteger(as: UInt32.self) else { throw .truncated }
                guard depth + 1 <= maxDepth else { throw .depthLimitExceeded(limit: maxDepth) }
                // Every element takes at least one byte, so the count cannot exceed what is left.
                guard Int(declared) <= buffer.readableBytes else { throw .truncated }
                guard Int(declared) <= maxValues - count else { throw .valueLimitExceeded(limit: maxValues) }
                var elements: [AMF0Value] = []
                elements.reserveCapacity(Int(declared))
                for _ in 0..<declared {
                    elements.append(try value(depth: depth + 1))
                }
                return .strictArray(elements)
            case AMF0Marker.date:
                let millis = try double()
                guard let zone = buffer.readInteger(as: Int16.self) else { throw .truncated }
                return .date(millis: millis, timezone: zone)
            case AMF0Marker.unsupported:
                return .unsupported
            case AMF0Marker.xmlDocument:
                return .xmlDocument(try longString())
            case AMF0Marker.typedObject:
                let className = try shortString()
                return .typedObject(className: className, properties: try properties(depth: depth + 1))
            case AMF0Marker.avmPlusObject:
                return try amf3Value()
            case AMF0Marker.objectEnd:
                throw .unexpectedObjectEnd
            default:
                throw .unknownMarker(marker)
            }
        }

        /// Name/value pairs up to the empty name + object-end marker (AMF0 spec 2.5). A list that
        /// stops exactly at the end of the input is accepted: some encoders drop the end marker.
        private mutating func properties(depth: Int) throws(AMF0Error) -> [AMF0Property] {
            guard depth <= maxDepth else { throw .depthLimitExceeded(limit: maxDepth) }
            var result: [AMF0Property] = []
            while true {
                if buffer.readableBytes == 0 { return result }
                let key = try shortString()
                guard let marker = buffer.readInteger(as: UInt8.self) else {
                    if key.isEmpty { return result }
                    throw .truncated
                }
                if key.isEmpty && marker == AMF0Marker.objectEnd {
                    return result
                }
                result.append(AMF0Property(key, try value(marker: marker, depth: depth)))
            }
        }

        private mutating func byte() throws(AMF0Error) -> UInt8 {
            guard let value = buffer.readInteger(as: UInt8.self) else { throw .truncated }
            return value
        }

        private mutating func double() throws(AMF0Error) -> Double {
            guard let bits = buffer.readInteger(as: UInt64.self) else { throw .truncated }
            return Double(bitPattern: bits)
        }

        private mutating func shortString() throws(AMF0Error) -> String {
            guard let length = buffer.readInteger(as: UInt16.self) else { throw .truncated }
            return try utf8(length: Int(length))
        }

        private mutating func longString() throws(AMF0Error) -> String {
            guard let length = buffer.readInteger(as: UInt32.self) else { throw .truncated }
            return try utf8(length: Int(length))
        }

        private mutating func utf8(length: Int) throws(AMF0Error) -> String {
            guard let string = buffer.readString(length: length) else { throw .truncated }
            return string
        }

        /// The simple AMF3 values (AMF3 spec 3.2-3.8) after an AVM+ marker.
        private mutating func amf3Value() throws(AMF0Error) -> AMF0Value {
            let marker = try byte()
            switch marker {
            case 0x00: return .undefined
            case 0x01: return .null
            case 0x02: return .boolean(false)
            case 0x03: return .boolean(true)
            case 0x04:
                // AMF3 spec 3.6: 29-bit two's complement.
                let raw = try u29()
                let signed = raw & 0x1000_0000 != 0 ? Int32(bitPattern: raw) - 0x2000_0000 : Int32(bitPattern: raw)
                return .number(Double(signed))
            case 0x05:
                return .number(try double())
            case 0x06:
                let header = try u29()
                guard header & 1 == 1 else { throw .unsupportedAMF3Reference }
                return .string(try utf8(length: Int(header >> 1)))
            default:
                throw .unsupportedAMF3Marker(marker)
            }
        }

        /// AMF3 spec 1.3.1: variable-length unsigned 29-bit integer.
        private mutating func u29() throws(AMF0Error) -> UInt32 {
            var result: UInt32 = 0
            for index in 0..<4 {
                let next = try byte()
                if index == 3 {
                    return result << 8 | UInt32(next)
                }
                result = result << 7 | UInt32(next & 0x7F)
                if next & 0x80 == 0 { return result }
            }
            return result
        }
    }
}
