import Foundation

/// Why the player page cannot be rendered: its resource files were not found or are invalid.
enum PlayerPageResourceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// SwiftPM's resource bundle is not next to the executable (copy it along with the binary).
    case bundleNotFound(path: String)
    case fileNotFound(String)
    case unreadable(String)
    case invalidTemplate(String)

    var description: String {
        switch self {
        case .bundleNotFound(let path):
            "player page resources not found: \(path) (SwiftPM builds it next to the gateway binary)"
        case .fileNotFound(let name): "player page resource \(name) is missing from the resource bundle"
        case .unreadable(let name): "player page resource \(name) is unreadable or not UTF-8"
        case .invalidTemplate(let reason): "player page template: \(reason)"
        }
    }
}

/// The player page's static HTML and script, `Resources/player.html` and `Resources/player.js`
/// (copied into the Gateway target's resource bundle, see Package.swift). The template's
/// `{{script}}` is filled once; `{{name}}` and `{{config}}` on every render.
struct PlayerPageTemplate: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        case text(String)
        /// The stream name, HTML-escaped.
        case streamName
        /// The player settings, a JSON object safe inside <script>.
        case configuration
    }

    let parts: [Part]

    /// Refuses unknown placeholders, a template without exactly one `{{config}}` and `{{script}}`,
    /// and a script that would end its inline <script> early or enter the "escaped" script-data
    /// states (HTML Living Standard 4.12.1.3, restrictions for contents of script elements).
    init(html: String, script: String) throws(PlayerPageResourceError) {
        let lowered = script.lowercased()
        if lowered.contains("</script") || lowered.contains("<!--") {
            throw .invalidTemplate("player.js contains \"</script\" or \"<!--\"")
        }
        var inline = script
        while inline.last?.isNewline == true { inline.removeLast() }
        var parts: [Part] = []
        var counts: [String: Int] = [:]
        func appendText(_ text: some StringProtocol) {
            guard !text.isEmpty else { return }
            if case .text(let previous) = parts.last {
                parts[parts.count - 1] = .text(previous + text)
            } else {
                parts.append(.text(String(text)))
            }
        }
        var rest = html[...]
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw .invalidTemplate("unclosed \"{{\"")
            }
            let key = String(rest[open.upperBound..<close.lowerBound])
            appendText(rest[..<open.lowerBound])
            switch key {
            case "name": parts.append(.streamName)
            case "config": parts.append(.configuration)
            case "script": appendText(inline)
            default: throw .invalidTemplate("unknown placeholder {{\(key)}}")
            }
            counts[key, default: 0] += 1
            rest = rest[close.upperBound...]
        }
        appendText(rest)
        guard counts["config"] == 1, counts["script"] == 1 else {
            throw .invalidTemplate("needs exactly one {{config}} and one {{script}}")
        }
        self.parts = parts
    }

    /// One pass over the parts: text inserted here is never scanned for placeholders again.
    func render(streamName: String, configuration: String) -> String {
        var page = ""
        for part in parts {
            switch part {
            case .text(let text): page += text
            case .streamName: page += streamName
            case .configuration: page += configuration
            }
        }
        return page
    }
}

/// Loads the template once, on first use (`OriginServer` touches it at start to log a failure).
enum PlayerPageResources {
    /// SwiftPM's name for the Gateway target's resource bundle: `<package>_<target>`.
    #if canImport(Darwin)
        static let bundleName = "swift-live-ladder_Gateway.bundle"
    #else
        static let bundleName = "swift-live-ladder_Gateway.resources"
    #endif

    static let template: Result<PlayerPageTemplate, PlayerPageResourceError> = load()

    /// `Bundle.module` calls fatalError when its bundle is missing, so look first where it
    /// looks first: next to the executable. (Its second place, the build directory the binary
    /// was built in, is not tried: a binary copied elsewhere needs the bundle copied too.)
    static func load() -> Result<PlayerPageTemplate, PlayerPageResourceError> {
        let expected = Bundle.main.bundleURL.appendingPathComponent(bundleName)
        guard Bundle(path: expected.path) != nil else { return .failure(.bundleNotFound(path: expected.path)) }
        return load(from: .module)
    }

    static func load(from bundle: Bundle) -> Result<PlayerPageTemplate, PlayerPageResourceError> {
        Result { () throws(PlayerPageResourceError) in
            try PlayerPageTemplate(html: read("player.html", from: bundle), script: read("player.js", from: bundle))
        }
    }

    /// A folder of the resource bundle (`Resources/NAME`), checked as `load()` checks.
    static func folder(_ name: String) -> Result<URL, PlayerPageResourceError> {
        let expected = Bundle.main.bundleURL.appendingPathComponent(bundleName)
        guard Bundle(path: expected.path) != nil else { return .failure(.bundleNotFound(path: expected.path)) }
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Resources") else {
            return .failure(.fileNotFound(name))
        }
        return .success(url)
    }

    private static func read(_ name: String, from bundle: Bundle) throws(PlayerPageResourceError) -> String {
        // `.copy("HTTP/Resources")` keeps the folder: the files are under Resources/ in the bundle.
        guard let url = bundle.url(forResource: name, withExtension: nil, subdirectory: "Resources") else {
            throw .fileNotFound(name)
        }
        guard let data = try? Data(contentsOf: url), let text = String(validating: data, as: UTF8.self) else {
            throw .unreadable(name)
        }
        return text
    }
}
