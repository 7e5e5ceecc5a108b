import LadderMedia
import NIOCore

/// Encodes AMF0 (AMF0 spec). Never fails: a property name longer than 65535 bytes is cut at
/// a UTF-8 boundary, since the name has a 16-bit length (AMF0 spec 2.5).
package enum AMF0Encoder {
    package static func encode(_ values: [AMF0Value]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for value in values {
            write(value, into: &buffer)
        }
        return buffer
    }

    package static func write(_ value: AMF0Value, into buffer: inout ByteBuffer) {
        switch value {
        case .number(let number):
            buffer.writeInteger(AMF0Marker.number)
            buffer.writeInteger(number.bitPattern)
        case .boolean(let flag):
            buffer.writeInteger(AMF0Marker.boolean)
            buffer.writeInteger(UInt8(flag ? 1 : 0))
        case .string(let string):
            let utf8 = Array(string.utf8)
            if utf8.count > Int(UInt16.max) {
                buffer.writeInteger(AMF0Marker.longString)
                buffer.writeInteger(UInt32(truncatingIfNeeded: utf8.count))
            } else {
                buffer.writeInteger(AMF0Marker.string)
                buffer.writeInteger(UInt16(utf8.count))
            }
            buffer.writeBytes(utf8)
        case .object(let properties):
            buffer.writeInteger(AMF0Marker.object)
            writeProperties(properties, into: &buffer)
        case .null:
            buffer.writeInteger(AMF0Marker.null)
        case .undefined:
            buffer.writeInteger(AMF0Marker.undefined)
        case .reference(let index):
            buffer.writeInteger(AMF0Marker.reference)
            buffer.writeInteger(index)
        case .ecmaArray(let properties):
            buffer.writeInteger(AMF0Marker.ecmaArray)
            buffer.writeInteger(UInt32(truncatingIfNeeded: properties.count))
            writeProperties(properties, into: &buffer)
        case .strictArray(let values):
            buffer.writeInteger(AMF0Marker.strictArray)
            buffer.writeInteger(UInt32(truncatingIfNeeded: values.count))
            for element in values {
                write(element, into: &buffer)
            }
        case .date(let millis, let timezone):
            buffer.writeInteger(AMF0Marker.date)
            buffer.writeInteger(millis.bitPattern)
            buffer.writeInteger(timezone)
        case .unsupported:
            buffer.writeInteger(AMF0Marker.unsupported)
        case .xmlDocument(let text):
            buffer.writeInteger(AMF0Marker.xmlDocument)
            let utf8 = Array(text.utf8)
            buffer.writeInteger(UInt32(truncatingIfNeeded: utf8.count))
            buffer.writeBytes(utf8)
        case .typedObject(let className, let properties):
            buffer.writeInteger(AMF0Marker.typedObject)
            writeName(className, into: &buffer)
            writeProperties(properties, into: &buffer)
        }
    }

    private static func writeProperties(_ properties: [AMF0Property], into buffer: inout ByteBuffer) {
        for property in properties {
            writeName(property.key, into: &buffer)
            write(property.value, into: &buffer)
        }
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(AMF0Marker.objectEnd)
    }

    /// A UTF-8 string with a 16-bit length and no marker (AMF0 spec 2.4 UTF-8).
    private static func writeName(_ name: String, into buffer: inout ByteBuffer) {
        var utf8 = Array(name.utf8)
        if utf8.count > Int(UInt16.max) {
            var end = Int(UInt16.max)
            // Step back over continuation bytes (10xxxxxx) so a scalar is not split.
            while end > 0 && utf8[end] & 0xC0 == 0x80 {
                end -= 1
            }
            utf8 = Array(utf8[0..<end])
        }
        buffer.writeInteger(UInt16(utf8.count))
        buffer.writeBytes(utf8)
    }
}
