import Foundation
import Testing

@testable import GatewayCluster

/// The JSON forms, checked against answers captured from etcd 3.4.23's gateway.
@Suite struct EtcdMessagesTests {
    func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(json.utf8))
    }

    @Test func decodesARangeAnswer() throws {
        let answer = try decode(
            EtcdRangeResponse.self,
            #"{"header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437","revision":"2","raft_term":"2"},"kvs":[{"key":"L3QvYQ==","create_revision":"2","mod_revision":"2","version":"1","value":"aGVsbG8="}],"count":"1"}"#
        )
        #expect(answer.header?.revision?.value == 2)
        let kv = try #require(answer.kvs?.first)
        #expect(kv.key.text == "/t/a" && kv.value?.text == "hello" && kv.modRevision?.value == 2)
        #expect(try decode(EtcdRangeResponse.self, #"{"header":{"revision":"9"}}"#).kvs == nil)
    }

    @Test func decodesWatchLinesAndExpiredKeepalives() throws {
        let created = try decode(
            EtcdWatchMessage.self, #"{"result":{"header":{"revision":"2"},"created":true}}"#)
        #expect(created.result?.created == true && created.result?.events == nil)
        let put = try decode(
            EtcdWatchMessage.self,
            #"{"result":{"header":{"revision":"3"},"events":[{"kv":{"key":"L3QvYQ==","create_revision":"2","mod_revision":"3","version":"2","value":"aGVsbG8="}},{"type":"DELETE","kv":{"key":"L3QvYQ==","mod_revision":"4"}}]}}"#
        )
        #expect(put.result?.events?.map(\.isDelete) == [false, true])
        let alive = try decode(
            EtcdKeepAliveResponse.self, #"{"result":{"header":{"revision":"3"},"ID":"7587899390483836932","TTL":"5"}}"#)
        #expect(alive.result?.ttl?.value == 5)
        let expired = try decode(
            EtcdKeepAliveResponse.self, #"{"result":{"header":{"revision":"3"},"ID":"7587899390483836932"}}"#)
        #expect(expired.result?.ttl == nil)
        #expect(throws: DecodingError.self) { try decode(EtcdKeyValue.self, #"{"key":"not base64!"}"#) }
    }

    @Test func encodesRequestsAsTheGatewayReadsThem() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let put = EtcdPutRequest(key: EtcdBytes("/t/a"), value: EtcdBytes("hello"), lease: EtcdInt(7))
        #expect(
            String(decoding: try encoder.encode(put), as: UTF8.self)
                == #"{"key":"L3QvYQ==","lease":"7","value":"aGVsbG8="}"#)
        let compare = EtcdCompare.modified(EtcdBytes("k"), at: 0)
        #expect(
            String(decoding: try encoder.encode(compare), as: UTF8.self)
                == #"{"create_revision":"0","key":"aw==","result":"EQUAL","target":"CREATE"}"#)
        #expect(EtcdCompare.modified(EtcdBytes("k"), at: 5).modRevision?.value == 5)
    }

    @Test func rangeEndsCoverExactlyThePrefix() {
        #expect(EtcdBytes("/a/").prefixEnd.text == "/a0")
        #expect(EtcdBytes([0x61, 0xFF]).prefixEnd.bytes == [0x62])
        #expect(EtcdBytes([0xFF]).prefixEnd.bytes == [0])
    }
}
