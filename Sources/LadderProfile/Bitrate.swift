import Foundation
import LadderMedia

/// Bitrates as operators write them: bits per second (`800000`), or with a decimal unit
/// `k` (x1000) or `M` (x1000000), e.g. `800k`, `2.5M`. Stored as bits per second.
public enum Bitrate {
    /// Anything above this is a typo (1000M = 1 Gbit/s).
    public static let maximum = 1_000_000_000

    public static func parse(_ text: String) -> Result<Int, ConfigValueProblem> {
        let trimmed = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
        let shown = "\"\(ConfigNode.truncated(text))\""
        let invalid = ConfigValueProblem(
            "invalid bitrate \(shown) (write bits/s like 800000, or use k or M: 800k, 2.5M)")
        if trimmed.hasPrefix("-") { return .failure(ConfigValueProblem("negative bitrate \(shown)")) }

        var digits = Substring(trimmed)
        var multiplier = 1
        switch digits.last {
        case "k", "K":
            multiplier = 1000
            digits = digits.dropLast()
        case "M":
            multiplier = 1_000_000
            digits = digits.dropLast()
        default:
            break
        }
        if digits.hasPrefix("+") { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard !whole.isEmpty || !fraction.isEmpty,
            (whole + fraction).allSatisfy({ $0.isASCII && $0.isNumber }),
            whole.count <= 12, fraction.count <= 6
        else { return .failure(invalid) }

        // Exact integer arithmetic: value = (whole.fraction) * multiplier.
        var scale = 1
        for _ in 0..<fraction.count { scale *= 10 }
        let mantissa = (Int(whole) ?? 0) * scale + (Int(fraction) ?? 0)
        let (product, overflow) = mantissa.multipliedReportingOverflow(by: multiplier)
        if overflow || product / scale > maximum {
            return .failure(ConfigValueProblem("bitrate \(shown) is too large (at most 1000M)"))
        }
        guard product % scale == 0 else {
            return .failure(ConfigValueProblem("bitrate \(shown) is not a whole number of bits/s"))
        }
        let bitsPerSecond = product / scale
        if bitsPerSecond == 0 { return .failure(ConfigValueProblem("bitrate must be positive, found \(shown)")) }
        return .success(bitsPerSecond)
    }

    /// A scalar node as a bitrate.
    public static func parse(_ node: ConfigNode) -> Result<Int, ConfigValueProblem> {
        guard let scalar = node.scalar, scalar.kind != .null, scalar.kind != .bool else {
            return .failure(ConfigValueProblem("expected a bitrate like 800k or 2.5M, found \(node.summary)"))
        }
        return parse(scalar.text)
    }

    /// `2800000` -> "2800k", `2500` -> "2500", as a profile would write it.
    public static func format(_ bitsPerSecond: Int) -> String {
        if bitsPerSecond >= 1000, bitsPerSecond % 1000 == 0 { return "\(bitsPerSecond / 1000)k" }
        return "\(bitsPerSecond)"
    }
}
