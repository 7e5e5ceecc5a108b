import GatewayCluster
import LadderTestSupport
import Testing

@testable import Gateway

/// `cluster:`: etcd endpoints, node name, advertised origin, lease.
@Suite struct GatewayConfigClusterTests {
    func issues(_ yaml: String) -> [ReportedIssue] {
        do throws(GatewayConfigError) {
            _ = try GatewayConfigLoader.parse(yaml: yaml, file: "/g.yaml")
            return []
        } catch {
            return error.issues.map(ReportedIssue.init)
        }
    }

    @Test func parsesTheSectionAndItsDefaults() throws {
        let config = try GatewayConfigLoader.parse(
            yaml: """
                cluster:
                  etcd: [http://10.0.0.1:2379, http://10.0.0.2:2379]
                  node: gw-a
                  advertise: http://10.0.0.2:8080
                  lease_seconds: 3
                """, file: "/g.yaml")
        #expect(
            config.cluster
                == ClusterSettings(
                    etcd: ["http://10.0.0.1:2379", "http://10.0.0.2:2379"], node: "gw-a",
                    advertise: "http://10.0.0.2:8080", leaseSeconds: 3))
        let single = try GatewayConfigLoader.parse(
            yaml: "cluster: { etcd: http://e:2379, node: b, advertise: 'http://b:8080' }", file: "/g.yaml")
        #expect(single.cluster?.etcd == ["http://e:2379"])
        #expect(single.cluster?.leaseSeconds == 5)
        #expect(single.cluster?.streamsPrefix == "/swift-live-ladder/streams/")
        #expect(try GatewayConfigLoader.parse(yaml: "http: {}", file: "/g.yaml").cluster == nil)
    }

    @Test func reportsEachMistakeWhereItIs() {
        let found = issues(
            """
            cluster:
              etcd: [ftp://nope]
              node: "bad name"
              advertise: 10.0.0.2:8080
              lease_seconds: 600
              colour: red
            """)
        let lines = Dictionary(grouping: found, by: \.line).mapValues { $0.map(\.message) }
        #expect(lines[2]?.first?.contains("etcd client URL") == true)
        #expect(lines[3]?.first?.contains("cluster.node") == true)
        #expect(lines[4]?.first?.contains("cluster.advertise") == true)
        #expect(lines[5]?.first?.contains("lease_seconds") == true)
        #expect(found.contains { $0.message.contains("colour") })
        #expect(issues("cluster: { node: a, advertise: 'http://a:1' }").first?.message.contains("needs etcd") == true)
        #expect(
            issues("cluster: { etcd: 'http://e:1', advertise: 'http://a:1' }").first?.path == "cluster.node")
    }
}
