import Foundation
import Testing

@testable import GatewayCluster

@Suite struct ClusterDirectoryTests {
    let settings = ClusterSettings(etcd: ["http://e:2379"], node: "gw-a", advertise: "http://a:8080")

    func kv(_ key: String, _ value: String?, revision: Int64) -> EtcdKeyValue {
        EtcdKeyValue(
            key: EtcdBytes(key), value: value.map { EtcdBytes($0) }, createRevision: nil,
            modRevision: EtcdInt(revision), lease: nil)
    }

    func owner(_ node: String, since: Int64) -> String {
        String(
            decoding: try! JSONEncoder().encode(
                StreamOwnerRecord(node: node, advertise: "http://\(node)", since: since)), as: UTF8.self)
    }

    @Test func followsASnapshotThenEvents() {
        var directory = ClusterDirectory(settings: settings)
        let changes = directory.reset(to: [
            kv("/swift-live-ladder/streams/cam1", owner("gw-b", since: 1), revision: 4),
            kv("/swift-live-ladder/nodes/gw-b", #"{"advertise":"http://b:8080"}"#, revision: 3),
            kv("/swift-live-ladder/streams/junk", "not json", revision: 5),
            kv("/swift-live-ladder/continuity/cam1", #"{"nextSequence":9}"#, revision: 6),
        ])
        #expect(changes.count == 1)
        #expect(directory.owners["cam1"]?.record.node == "gw-b" && directory.owners["cam1"]?.revision == 4)
        #expect(directory.nodes == ["gw-b": NodeRecord(advertise: "http://b:8080")])
        #expect(directory.foreignEntries == 1)

        let moved = directory.apply(
            EtcdWatchMessage.Event(
                type: nil, kv: kv("/swift-live-ladder/streams/cam1", owner("gw-c", since: 2), revision: 9)))
        #expect(
            moved
                == .owner(
                    stream: "cam1", .init(record: .init(node: "gw-c", advertise: "http://gw-c", since: 2), revision: 9))
        )
        let gone = directory.apply(
            EtcdWatchMessage.Event(type: "DELETE", kv: kv("/swift-live-ladder/streams/cam1", nil, revision: 10)))
        #expect(gone == .ownerGone(stream: "cam1") && directory.owners.isEmpty)
        #expect(
            directory.apply(
                EtcdWatchMessage.Event(type: "DELETE", kv: kv("/swift-live-ladder/nodes/gw-b", nil, revision: 11)))
                == nil)
        #expect(directory.nodes.isEmpty)
        // A new snapshot reports what vanished meanwhile.
        _ = directory.reset(to: [kv("/swift-live-ladder/streams/x", owner("gw-b", since: 1), revision: 12)])
        #expect(directory.reset(to: []) == [.ownerGone(stream: "x")])
    }
}
