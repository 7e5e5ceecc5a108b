import GatewayCluster
import Ladder

/// The `cluster:` section: etcd endpoints, this node's name and advertised origin URL, the lease.
extension GatewayConfigLoader {
    static let clusterKeys = ["etcd", "node", "advertise", "lease_seconds", "prefix"]
}

extension GatewayConfigLoader.Parser {
    mutating func parseCluster(_ top: ConfigMapping, into config: inout GatewayConfig) {
        guard let map = reader.mapping(top, "cluster", knownKeys: GatewayConfigLoader.clusterKeys) else { return }
        var endpoints: [String] = []
        if let entry = map.entry("etcd") {
            let items: [ConfigNode] =
                entry.value.scalar != nil ? [entry.value] : (reader.sequence(map, "etcd")?.value ?? [])
            for item in items {
                guard let text = item.scalar?.text, ClusterSettings.isOriginURL(text) else {
                    reader.report(
                        "expected an etcd client URL such as http://10.0.0.1:2379, found \(item.summary)", at: item,
                        path: map.path.key("etcd"))
                    continue
                }
                endpoints.append(text)
            }
        } else {
            reader.report("cluster needs etcd (one URL or a list)", at: map.node, path: map.path.key("etcd"))
        }
        let node = reader.string(map, "node", required: true)
        if let node, !StreamName.isValid(node.value) {
            reader.report(
                "cluster.node must be letters, digits, _ - . (at most 128), found \"\(node.value)\"", at: node)
        }
        let advertise = reader.string(map, "advertise", required: true)
        if let advertise, !ClusterSettings.isOriginURL(advertise.value) {
            reader.report(
                "cluster.advertise must be this node's origin as http://HOST:PORT (how other nodes and edges reach it), found \"\(advertise.value)\"",
                at: advertise)
        }
        let lease = integer(map, "lease_seconds", in: 2...60) ?? 5
        var prefix = "/swift-live-ladder"
        if let field = reader.string(map, "prefix") {
            if field.value.hasPrefix("/"), !field.value.hasSuffix("/"), !field.value.contains(where: \.isWhitespace) {
                prefix = field.value
            } else {
                reader.report(
                    "cluster.prefix must start with / and not end with one, found \"\(field.value)\"", at: field)
            }
        }
        guard let node, StreamName.isValid(node.value), let advertise, ClusterSettings.isOriginURL(advertise.value),
            !endpoints.isEmpty
        else { return }
        config.cluster = ClusterSettings(
            etcd: endpoints, node: node.value, advertise: advertise.value, leaseSeconds: lease, prefix: prefix)
    }
}
