import Foundation

/// The `cluster:` section of the gateway config.
public struct ClusterSettings: Sendable, Hashable {
    /// etcd client URLs (http://HOST:PORT), tried in order.
    public var etcd: [String]
    /// This node's unique name.
    public var node: String
    /// How other nodes and the edges reach this node's HTTP origin (http://HOST:PORT).
    public var advertise: String
    /// The lease that keeps this node's entries: they vanish this long after the node dies.
    public var leaseSeconds: Int
    /// Every key of the cluster starts with it, so clusters can share an etcd.
    public var prefix: String

    public init(
        etcd: [String], node: String, advertise: String, leaseSeconds: Int = 5, prefix: String = "/swift-live-ladder"
    ) {
        self.etcd = etcd
        self.node = node
        self.advertise = advertise
        self.leaseSeconds = leaseSeconds
        self.prefix = prefix
    }

    /// The key layout: `PREFIX/nodes/NODE`, `PREFIX/streams/NAME` (owner, under the owner's
    /// lease) and `PREFIX/continuity/NAME` (numbering, no lease: it outlives nodes).
    public var nodesPrefix: String { "\(prefix)/nodes/" }
    public var streamsPrefix: String { "\(prefix)/streams/" }
    public var continuityPrefix: String { "\(prefix)/continuity/" }
    public var watchPrefix: String { "\(prefix)/" }

    /// http(s)://HOST[:PORT] with no path beyond "/", no query, no credentials: what `advertise`
    /// may be, in the config and when read back from etcd (a value that is not one is ignored,
    /// so a foreign writer cannot point the proxy at arbitrary URLs).
    public static func isOriginURL(_ text: String) -> Bool {
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else { return false }
        let rest = text.drop(while: { $0 != "/" }).dropFirst(2)
        let host = rest.hasSuffix("/") ? rest.dropLast() : rest
        return !host.isEmpty && host.count <= 255
            && host.allSatisfy {
                $0.isASCII
                    && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "[" || $0 == "]")
            }
    }
}

/// What `PREFIX/streams/NAME` holds: the node that owns the live stream.
public struct StreamOwnerRecord: Codable, Sendable, Equatable {
    public var node: String
    public var advertise: String
    /// When this node's publish began (ms since 1970): the later publish wins a conflict.
    public var since: Int64

    public init(node: String, advertise: String, since: Int64) {
        self.node = node
        self.advertise = advertise
        self.since = since
    }
}

/// What `PREFIX/nodes/NODE` holds.
public struct NodeRecord: Codable, Sendable, Equatable {
    public var advertise: String

    public init(advertise: String) {
        self.advertise = advertise
    }
}

/// The cluster as the watch shows it: which node owns which stream, and which nodes are alive.
/// A pure value: a snapshot (range) or a watch event goes in, the changes come out.
public struct ClusterDirectory: Sendable, Equatable {
    public struct Owner: Sendable, Equatable {
        public var record: StreamOwnerRecord
        /// The revision of the write that made it (etcd `mod_revision`).
        public var revision: Int64
    }

    public enum Change: Sendable, Equatable {
        case owner(stream: String, Owner)
        case ownerGone(stream: String)
    }

    public let settings: ClusterSettings
    public private(set) var owners: [String: Owner] = [:]
    public private(set) var nodes: [String: NodeRecord] = [:]
    /// Entries whose value did not decode (written by something else): counted, ignored.
    public private(set) var foreignEntries = 0

    public init(settings: ClusterSettings) {
        self.settings = settings
    }

    /// Replaces everything with a range answer of the whole prefix.
    public mutating func reset(to kvs: [EtcdKeyValue]) -> [Change] {
        let before = owners
        owners = [:]
        nodes = [:]
        for kv in kvs { _ = apply(kv, deleted: false) }
        var changes: [Change] = []
        for (stream, owner) in owners where before[stream] != owner {
            changes.append(.owner(stream: stream, owner))
        }
        for stream in before.keys where owners[stream] == nil {
            changes.append(.ownerGone(stream: stream))
        }
        return changes.sorted { "\($0)" < "\($1)" }
    }

    /// Applies one watch event.
    public mutating func apply(_ event: EtcdWatchMessage.Event) -> Change? {
        apply(event.kv, deleted: event.isDelete)
    }

    private mutating func apply(_ kv: EtcdKeyValue, deleted: Bool) -> Change? {
        let key = kv.key.text
        if key.hasPrefix(settings.streamsPrefix) {
            let stream = String(key.dropFirst(settings.streamsPrefix.count))
            if deleted {
                return owners.removeValue(forKey: stream) == nil ? nil : .ownerGone(stream: stream)
            }
            guard let bytes = kv.value?.bytes,
                let record = try? JSONDecoder().decode(StreamOwnerRecord.self, from: Data(bytes)),
                ClusterSettings.isOriginURL(record.advertise)
            else {
                foreignEntries += 1
                return nil
            }
            let owner = Owner(record: record, revision: kv.modRevision?.value ?? 0)
            owners[stream] = owner
            return .owner(stream: stream, owner)
        }
        if key.hasPrefix(settings.nodesPrefix) {
            let node = String(key.dropFirst(settings.nodesPrefix.count))
            if deleted {
                nodes[node] = nil
            } else if let bytes = kv.value?.bytes,
                let record = try? JSONDecoder().decode(NodeRecord.self, from: Data(bytes))
            {
                nodes[node] = record
            } else {
                foreignEntries += 1
            }
        }
        return nil
    }
}
