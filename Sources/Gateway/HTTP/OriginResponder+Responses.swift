import Foundation
import Hummingbird
import NIOCore

/// The origin's own answers (errors, pages, API JSON), with the cache policy each one needs.
extension OriginResponder {
    // MARK: Response builders

    static func redirectQuery(_ query: String?) -> String {
        guard let query, !query.isEmpty, query.utf8.count <= 256,
            query.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return "" }
        return "?" + query
    }

    static func notFound() -> Response {
        text(.notFound, "not found\n", cacheControl: noCache)
    }

    static func text(_ status: HTTPResponse.Status, _ body: String, cacheControl: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: OriginContentType.plainText, .cacheControl: cacheControl],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }

    static func html(_ body: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: OriginContentType.html, .cacheControl: noCache],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)).map { ByteBuffer(bytes: $0) } ?? ByteBuffer(string: "{}")
        return Response(
            status: status,
            headers: [.contentType: OriginContentType.json, .cacheControl: noStore],
            body: ResponseBody(byteBuffer: body)
        )
    }
}
