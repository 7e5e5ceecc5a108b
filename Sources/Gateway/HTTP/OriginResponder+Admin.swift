import Foundation
import GatewayAccess
import Hummingbird
import NIOCore
import NIOPosix

/// The dashboard at `/admin`: its page (admins only; others are sent to the login form), its
/// static files, the login form's POST (bcrypt on the thread pool, throttled per client) and
/// the logout. The page reads the same JSON APIs as any script, with the session cookie.
extension OriginResponder {
    static let maxLoginBodyBytes = 4096

    /// The answer of an `/admin` route; nil for every other route.
    func answerAdmin(_ route: OriginRoute, _ request: Request, context: Context) async -> Response? {
        switch route {
        case .adminPage:
            guard request.method == .get || request.method == .head else { return Self.getOnly() }
            if let refusal = adminRefusal(request, context) {
                // Users can sign in: send the browser to the form; else say what is missing.
                guard !settings.admin.users.isEmpty else {
                    GatewayMetrics.adminRefused()
                    return Self.text(.forbidden, refusal + "\n", cacheControl: Self.noStore)
                }
                let expired = request.headers[.cookie]?.contains(AdminAuth.cookieName + "=") ?? false
                return Self.seeOther(expired ? "/admin/login?expired=1" : "/admin/login")
            }
            return adminFile("dashboard.html")
        case .adminFile(let name):
            guard request.method == .get || request.method == .head else { return Self.getOnly() }
            guard name != "login.html", name != "dashboard.html" else { return Self.notFound() }
            return adminFile(name)
        case .adminLogin where request.method == .post:
            return await logIn(request, context: context)
        case .adminLogin:
            guard request.method == .get || request.method == .head else { return Self.getOnly() }
            return adminFile("login.html")
        case .adminLogout:
            if let refused = Self.postOnly(request) { return refused }
            var response = Self.seeOther("/admin/login")
            response.headers[.setCookie] = "\(AdminAuth.cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
            return response
        default:
            return nil
        }
    }

    private func adminFile(_ name: String) -> Response {
        switch settings.adminFiles {
        case .failure(let error):
            return Self.text(.internalServerError, "\(error)\n", cacheControl: Self.noStore)
        case .success(let files):
            guard let file = files.files[name] else { return Self.notFound() }
            var response = Response(
                status: .ok, headers: [.contentType: file.contentType, .cacheControl: Self.noCache],
                body: ResponseBody(byteBuffer: file.body))
            // The page loads only its own files and talks only to this origin.
            response.headers[.contentSecurityPolicy] =
                "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
            response.headers[.init("X-Frame-Options")!] = "DENY"
            response.headers[.init("Referrer-Policy")!] = "same-origin"
            return response
        }
    }

    /// `POST /admin/login` with `user` and `password` (application/x-www-form-urlencoded).
    private func logIn(_ request: Request, context: Context) async -> Response {
        let client = context.peerAddress ?? "unknown"
        guard !settings.admin.users.isEmpty else {
            return Self.text(.notFound, "no admin users are configured (admin.users)\n", cacheControl: Self.noStore)
        }
        guard let body = try? await request.body.collect(upTo: Self.maxLoginBodyBytes) else {
            return Self.text(.contentTooLarge, "login form over 4 KiB\n", cacheControl: Self.noStore)
        }
        let form = Self.formFields(String(buffer: body))
        let user = form["user"] ?? ""
        let password = form["password"] ?? ""
        guard logins.mayTry(client: client, at: .now) else {
            logins.note(.throttled, user: user, client: client)
            var response = Self.text(
                .tooManyRequests, "too many failed logins from this address; try again in a few minutes\n",
                cacheControl: Self.noStore)
            response.headers[.retryAfter] = "300"
            return response
        }
        let admin = settings.admin
        let verified = try? await NIOThreadPool.singleton.runIfActive { admin.verify(user: user, password: password) }
        guard verified == true else {
            logins.failed(client: client, at: .now)
            logins.note(.failed, user: user, client: client)
            return Self.seeOther("/admin/login?failed=1")
        }
        logins.note(.succeeded, user: user, client: client)
        var response = Self.seeOther("/admin")
        response.headers[.setCookie] =
            "\(AdminAuth.cookieName)=\(admin.sessionCookie(user: user)); Path=/; Max-Age=\(admin.sessionSeconds); HttpOnly; SameSite=Strict"
        return response
    }

    /// `a=1&b=x+y` (WHATWG application/x-www-form-urlencoded), the first of each name.
    static func formFields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&").prefix(16) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) -> String? in
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = decode(parts[0]), fields[name] == nil else { continue }
            fields[name] = parts.count == 2 ? decode(parts[1]) ?? "" : ""
        }
        return fields
    }

    static func seeOther(_ location: String) -> Response {
        var response = Response(status: .seeOther)
        response.headers[.location] = location
        response.headers[.cacheControl] = noStore
        return response
    }

    static func getOnly() -> Response {
        var response = text(.methodNotAllowed, "method not allowed\n", cacheControl: noStore)
        response.headers[.allow] = allowedMethods
        return response
    }
}

/// The dashboard's files (`Resources/admin`), read once per process with their types.
struct AdminFiles: Sendable {
    struct File: Sendable {
        var contentType: String
        var body: ByteBuffer
    }

    var files: [String: File]

    static let types = [
        "html": OriginContentType.html, "js": OriginContentType.javascript, "css": OriginContentType.css,
        "svg": OriginContentType.svg,
    ]

    static let loaded: Result<AdminFiles, PlayerPageResourceError> = load()

    static func load() -> Result<AdminFiles, PlayerPageResourceError> {
        PlayerPageResources.folder("admin").flatMap { folder in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            var files: [String: File] = [:]
            for name in names {
                guard let type = types[(name as NSString).pathExtension],
                    let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path)
                else { continue }
                files[name] = File(contentType: type, body: ByteBuffer(bytes: data))
            }
            guard files["dashboard.html"] != nil, files["login.html"] != nil else {
                return .failure(.fileNotFound("admin/dashboard.html, admin/login.html"))
            }
            return .success(AdminFiles(files: files))
        }
    }
}
