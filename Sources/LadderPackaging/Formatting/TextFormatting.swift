import Foundation
import LadderMedia

/// Locale-independent number and time formatting for playlists and manifests. The date-time
/// functions are public: the gateway's `GET /time` (the MPD's UTCTiming source) must print the
/// same form, from the same rounding, as the manifests.
public enum TextFormatting {
    /// `ticks / timescale` with exactly `decimals` digits after the point, rounded half away from zero.
    static func fixed(ticks: Int64, timescale: Int64, decimals: Int) -> String {
        guard timescale > 0 else { return fixed(0, decimals: decimals) }
        let scale = UInt64(power10(decimals))
        let divisor = UInt64(timescale)
        var whole = ticks.magnitude / divisor
        let (product, overflow) = (ticks.magnitude % divisor).multipliedReportingOverflow(by: scale)
        if overflow {
            return fixed(Double(ticks) / Double(timescale), decimals: decimals)
        }
        var fraction = (product + divisor / 2) / divisor
        if fraction >= scale {
            whole += 1
            fraction -= scale
        }
        let sign = ticks < 0 && (whole > 0 || fraction > 0) ? "-" : ""
        guard decimals > 0 else { return "\(sign)\(whole)" }
        return "\(sign)\(whole).\(pad(Int64(fraction), decimals))"
    }

    /// `value` with exactly `decimals` digits after the point (non-finite values print as 0).
    static func fixed(_ value: Double, decimals: Int) -> String {
        let scale = Double(power10(decimals))
        guard value.isFinite, abs(value) * scale < 9.0e18 else {
            return render(scaled: 0, negative: false, decimals: decimals)
        }
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        return render(scaled: UInt64(scaled), negative: value < 0 && scaled > 0, decimals: decimals)
    }

    /// `date` as whole milliseconds since 1970-01-01T00:00:00Z, rounded to the nearest (half away
    /// from zero). Nearest, not down: `Date` counts seconds from 2001 in a `Double`, so a date made
    /// from an exact millisecond count can read back as `….999` and would lose a millisecond.
    public static func milliseconds(since1970 date: Date) -> Int64 {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        guard milliseconds.isFinite else { return 0 }
        return Int64(min(max(milliseconds, -9.2e18), 9.2e18))
    }

    /// ISO 8601 / RFC 3339 UTC date-time with milliseconds, e.g. `2026-11-21T10:00:00.000Z`: the
    /// form RFC 8216 4.3.2.6 (EXT-X-PROGRAM-DATE-TIME), xs:dateTime (MPD@availabilityStartTime,
    /// @publishTime) and `urn:mpeg:dash:utc:http-iso:2014` (ISO/IEC 23009-1 5.8.5.7) accept.
    public static func iso8601(millisecondsSince1970 milliseconds: Int64) -> String {
        let days = floorDivide(milliseconds, 86_400_000)
        let msOfDay = milliseconds - days * 86_400_000
        let (year, month, day) = civilDate(daysSince1970: days)
        let hours = msOfDay / 3_600_000
        let minutes = msOfDay / 60_000 % 60
        let seconds = msOfDay / 1000 % 60
        let millis = msOfDay % 1000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hours, 2)):\(pad(minutes, 2)):"
            + "\(pad(seconds, 2)).\(pad(millis, 3))Z"
    }

    /// xs:duration in seconds with up to millisecond precision: `PT2S`, `PT1.5S`, `PT0.021S`.
    static func xsDuration(milliseconds: Int64) -> String {
        let value = max(0, milliseconds)
        let whole = value / 1000
        var fraction = String(pad(value % 1000, 3))
        while fraction.last == "0" { fraction.removeLast() }
        return fraction.isEmpty ? "PT\(whole)S" : "PT\(whole).\(fraction)S"
    }

    /// Gregorian date for a day count since 1970-01-01 (proleptic calendar, era arithmetic).
    static func civilDate(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468  // days since 0000-03-01
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153  // 0 = March
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    private static func render(scaled: UInt64, negative: Bool, decimals: Int) -> String {
        let scale = UInt64(power10(decimals))
        let sign = negative ? "-" : ""
        guard decimals > 0 else { return "\(sign)\(scaled)" }
        return "\(sign)\(scaled / scale).\(pad(Int64(scaled % scale), decimals))"
    }

    private static func power10(_ exponent: Int) -> Int64 {
        var result: Int64 = 1
        for _ in 0..<min(max(exponent, 0), 18) { result *= 10 }
        return result
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value.magnitude)
        let padding = String(repeating: "0", count: max(0, width - digits.count))
        return (value < 0 ? "-" : "") + padding + digits
    }
}
