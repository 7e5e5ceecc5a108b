import Testing

@testable import GatewayUsage

@Suite struct EdgeLogLineTests {
    @Test func readsNginxSyslogLines() throws {
        let line =
            #"<190>Dec  6 14:41:00 gateway_usage: {"uri":"/live/cam1/t/TOK/360p/seg-4.m4s","status":200,"bytes":51234,"client":"10.1.2.3","ua":"Mozilla/5.0 \"x\"","cache":"HIT"}"#
        let record = try EdgeLogLine.parse(Array(line.utf8)).get()
        #expect(
            record
                == EdgeLogRecord(
                    uri: "/live/cam1/t/TOK/360p/seg-4.m4s", status: 200, bytes: 51234, client: "10.1.2.3",
                    userAgent: "Mozilla/5.0 \"x\"", cache: "HIT"))
        let bare =
            #"<190>Dec  6 14:41:00 gateway_usage: {"uri":"/live/a/master.m3u8","status":404,"bytes":0,"client":"","ua":"","cache":""}"#
        let empty = try EdgeLogLine.parse(Array(bare.utf8)).get()
        #expect(empty.client == nil && empty.userAgent == nil && empty.cache == nil && empty.status == 404)
    }

    @Test func refusesWhatIsNotARecord() {
        #expect(EdgeLogLine.parse(Array("<190>Dec  6 14:41:00 nginx: hello".utf8)) == .failure(.noRecord))
        #expect(EdgeLogLine.parse(Array("}{".utf8)) == .failure(.noRecord))
        #expect(
            EdgeLogLine.parse(Array(#"x: {"uri":"nope","status":200,"bytes":1}"#.utf8)) == .failure(.malformedRecord))
        #expect(
            EdgeLogLine.parse(Array(#"x: {"uri":"/a","status":9999,"bytes":1}"#.utf8)) == .failure(.malformedRecord))
        #expect(
            EdgeLogLine.parse(Array(#"x: {"uri":"/a","status":200,"bytes":-1}"#.utf8)) == .failure(.malformedRecord))
        #expect(
            EdgeLogLine.parse(Array(#"x: {"uri":"/a","status":"#.utf8 + [0xFF, 0x7D])) == .failure(.malformedRecord))
        #expect(EdgeLogLine.parse([UInt8](repeating: 0x7B, count: 9000)) == .failure(.tooLong))
    }
}
