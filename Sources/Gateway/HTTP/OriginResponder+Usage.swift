import Foundation
import GatewayUsage
import Hummingbird
import Ladder
import NIOCore
import NIOPosix

/// `GET /api/usage?stream=NAME&from=T&to=T&group=hour|day&format=json|csv` (admin): viewer
/// minutes, unique viewers, peak concurrency, bytes by rendition, and publish sessions, from
/// the SQLite store (read on the thread pool). T: ISO-8601 (2026-12-06T10:00:00Z), a date
/// (2026-12-06) or seconds since 1970; default the last 24 hours.
extension OriginResponder {
    static let maxUsageRangeMs: Int64 = 400 * 86_400_000

    func answerUsage(_ request: Request, context: Context) async -> Response {
        if let refused = adminForbidden(request, context) { return refused }
        guard let usage else {
            return Self.json(
                .notFound, APIError(error: "usage reports are not kept (set usage.database, or data_dir)"))
        }
        let query = request.uri.queryParameters
        let nowMs = TextFormatting.milliseconds(since1970: Date())
        let toMs = query["to"].map { Self.parseTime(String($0)) } ?? nowMs
        let fromMs = query["from"].map { Self.parseTime(String($0)) } ?? toMs.map { $0 - 86_400_000 }
        guard let fromMs, let toMs, fromMs < toMs, toMs - fromMs <= Self.maxUsageRangeMs else {
            return Self.json(
                .badRequest,
                APIError(error: "from and to: ISO-8601, YYYY-MM-DD or seconds since 1970, from < to, at most 400 days"))
        }
        guard let group = UsageReport.Grouping(rawValue: query["group"].map(String.init) ?? "hour") else {
            return Self.json(.badRequest, APIError(error: "group must be hour or day"))
        }
        let stream = query["stream"].map(String.init)
        if let stream, !OriginRoute.isValidStreamName(stream) {
            return Self.json(.badRequest, APIError(error: "invalid stream name"))
        }
        let csv = query["format"] == "csv"
        let recorder = usage.recorder
        do {
            let report = try await NIOThreadPool.singleton.runIfActive {
                try recorder.report(
                    stream: stream, fromMs: fromMs, toMs: toMs, group: group,
                    time: { TextFormatting.iso8601(millisecondsSince1970: $0) })
            }
            guard csv else { return Self.json(.ok, report) }
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/csv; charset=utf-8; header=present", .cacheControl: Self.noStore,
                    .contentDisposition: "attachment; filename=\"usage.csv\"",
                ],
                body: ResponseBody(byteBuffer: ByteBuffer(string: report.csv)))
        } catch {
            return Self.json(.internalServerError, APIError(error: "usage store: \(error)"))
        }
    }

    /// ISO-8601 with or without fractional seconds, a date, or seconds since 1970.
    static func parseTime(_ text: String) -> Int64? {
        if let seconds = Int64(text), (0...4_102_444_800).contains(seconds) { return seconds * 1000 }  // to 2100
        let formats: [ISO8601DateFormatter.Options] = [
            [.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime], [.withFullDate],
        ]
        for options in formats {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return TextFormatting.milliseconds(since1970: date) }
        }
        return nil
    }
}
