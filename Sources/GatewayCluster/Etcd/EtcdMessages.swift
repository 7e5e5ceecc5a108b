import Foundation

// The JSON forms of etcd's v3 API as its gRPC gateway serves them (etcd 3.4, `/v3/...`):
// keys and values are base64, 64-bit integers are decimal strings, fields at their zero value
// are left out. Pure values: encoding and decoding only.

/// A 64-bit integer as the gateway writes it: a decimal string (or, leniently, a number).
public struct EtcdInt: Codable, Sendable, Hashable, ExpressibleByIntegerLiteral {
    public var value: Int64

    public init(_ value: Int64) { self.value = value }
    public init(integerLiteral value: Int64) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self), let value = Int64(text) {
            self.value = value
        } else {
            self.value = try container.decode(Int64.self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}

/// Bytes as base64 text (protobuf `bytes` in JSON).
public struct EtcdBytes: Codable, Sendable, Hashable {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ text: String) { self.bytes = Array(text.utf8) }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let data = Data(base64Encoded: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not base64: \(text.prefix(40))"))
        }
        bytes = Array(data)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Data(bytes).base64EncodedString())
    }

    /// The end of the range of every key that starts with `self` (etcd's prefix convention).
    public var prefixEnd: EtcdBytes {
        var end = bytes
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return EtcdBytes(end)
            }
            end.removeLast()
        }
        return EtcdBytes([0])  // every key
    }
}

public struct EtcdHeader: Codable, Sendable, Equatable {
    public var revision: EtcdInt?
}

public struct EtcdKeyValue: Codable, Sendable, Equatable {
    public var key: EtcdBytes
    public var value: EtcdBytes?
    public var createRevision: EtcdInt?
    public var modRevision: EtcdInt?
    public var lease: EtcdInt?

    enum CodingKeys: String, CodingKey {
        case key, value, lease
        case createRevision = "create_revision"
        case modRevision = "mod_revision"
    }
}

public struct EtcdRangeRequest: Codable, Sendable, Equatable {
    public var key: EtcdBytes
    public var rangeEnd: EtcdBytes?

    enum CodingKeys: String, CodingKey {
        case key
        case rangeEnd = "range_end"
    }
}

public struct EtcdRangeResponse: Codable, Sendable, Equatable {
    public var header: EtcdHeader?
    public var kvs: [EtcdKeyValue]?
}

public struct EtcdPutRequest: Codable, Sendable, Equatable {
    public var key: EtcdBytes
    public var value: EtcdBytes
    public var lease: EtcdInt?
}

public struct EtcdDeleteRequest: Codable, Sendable, Equatable {
    public var key: EtcdBytes
    public var rangeEnd: EtcdBytes?

    enum CodingKeys: String, CodingKey {
        case key
        case rangeEnd = "range_end"
    }
}

/// A compare of a transaction (etcd `Compare`): `target` and `result` as the enum names.
public struct EtcdCompare: Codable, Sendable, Equatable {
    public var key: EtcdBytes
    public var target: String
    public var result: String
    public var modRevision: EtcdInt?
    public var createRevision: EtcdInt?

    enum CodingKeys: String, CodingKey {
        case key, target, result
        case modRevision = "mod_revision"
        case createRevision = "create_revision"
    }

    /// The key was last written at `revision` (0: the key does not exist).
    public static func modified(_ key: EtcdBytes, at revision: Int64) -> EtcdCompare {
        revision == 0
            ? EtcdCompare(key: key, target: "CREATE", result: "EQUAL", createRevision: EtcdInt(0))
            : EtcdCompare(key: key, target: "MOD", result: "EQUAL", modRevision: EtcdInt(revision))
    }
}

public struct EtcdRequestOp: Codable, Sendable, Equatable {
    public var requestPut: EtcdPutRequest?
    public var requestRange: EtcdRangeRequest?
    public var requestDeleteRange: EtcdDeleteRequest?

    enum CodingKeys: String, CodingKey {
        case requestPut = "request_put"
        case requestRange = "request_range"
        case requestDeleteRange = "request_delete_range"
    }
}

public struct EtcdTxnRequest: Codable, Sendable, Equatable {
    public var compare: [EtcdCompare]
    public var success: [EtcdRequestOp]
    public var failure: [EtcdRequestOp]
}

public struct EtcdTxnResponse: Codable, Sendable, Equatable {
    public struct Op: Codable, Sendable, Equatable {
        public var responseRange: EtcdRangeResponse?

        enum CodingKeys: String, CodingKey {
            case responseRange = "response_range"
        }
    }

    public var header: EtcdHeader?
    public var succeeded: Bool?
    public var responses: [Op]?
}

public struct EtcdLeaseGrantRequest: Codable, Sendable, Equatable {
    public var ttl: EtcdInt

    enum CodingKeys: String, CodingKey {
        case ttl = "TTL"
    }
}

public struct EtcdLeaseGrantResponse: Codable, Sendable, Equatable {
    public var id: EtcdInt?
    public var ttl: EtcdInt?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case id = "ID"
        case ttl = "TTL"
        case error
    }
}

public struct EtcdLeaseIDRequest: Codable, Sendable, Equatable {
    public var id: EtcdInt

    enum CodingKeys: String, CodingKey {
        case id = "ID"
    }
}

/// One answer of `/v3/lease/keepalive`: no (or zero) TTL means the lease has expired.
public struct EtcdKeepAliveResponse: Codable, Sendable, Equatable {
    public struct Result: Codable, Sendable, Equatable {
        public var id: EtcdInt?
        public var ttl: EtcdInt?

        enum CodingKeys: String, CodingKey {
            case id = "ID"
            case ttl = "TTL"
        }
    }

    public var result: Result?
}

public struct EtcdWatchCreateRequest: Codable, Sendable, Equatable {
    public struct Create: Codable, Sendable, Equatable {
        public var key: EtcdBytes
        public var rangeEnd: EtcdBytes?
        public var startRevision: EtcdInt?

        enum CodingKeys: String, CodingKey {
            case key
            case rangeEnd = "range_end"
            case startRevision = "start_revision"
        }
    }

    public var createRequest: Create

    enum CodingKeys: String, CodingKey {
        case createRequest = "create_request"
    }
}

/// One line of the `/v3/watch` stream.
public struct EtcdWatchMessage: Codable, Sendable, Equatable {
    public struct Event: Codable, Sendable, Equatable {
        /// "PUT" is the zero value and left out; "DELETE" is written.
        public var type: String?
        public var kv: EtcdKeyValue

        public var isDelete: Bool { type == "DELETE" }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var header: EtcdHeader?
        public var created: Bool?
        public var canceled: Bool?
        public var compactRevision: EtcdInt?
        public var cancelReason: String?
        public var events: [Event]?

        enum CodingKeys: String, CodingKey {
            case header, created, canceled, events
            case compactRevision = "compact_revision"
            case cancelReason = "cancel_reason"
        }
    }

    public struct Failure: Codable, Sendable, Equatable {
        public var message: String?
        public var code: Int?
    }

    public var result: Result?
    public var error: Failure?
}

/// The gateway's error body (`{"error": ..., "code": ..., "message": ...}`).
public struct EtcdErrorBody: Codable, Sendable, Equatable {
    public var error: String?
    public var message: String?
    public var code: Int?
}
