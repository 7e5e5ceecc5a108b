import ArgumentParser
import Foundation
import GatewayAccess

/// `gateway hash-password`: a bcrypt hash for `admin.users`, from a password on standard input
/// (never an argument: it would show in `ps` and the shell's history).
struct HashPasswordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-password",
        abstract: "Print a bcrypt hash of a password read from standard input, for admin.users.",
        discussion: """
            Example:
              gateway hash-password          # type the password, then Enter
              printf '%s' "$PASSWORD" | gateway hash-password
            Then in the gateway config:
              admin:
                users:
                  alice: $2b$12$...
            """
    )

    @Option(help: "bcrypt cost (log2 of the rounds): 10 to 16; each step doubles the time of a login.")
    var cost: Int = 12

    func validate() throws {
        guard (10...16).contains(cost) else { throw ValidationError("--cost must be 10 to 16") }
    }

    func run() throws {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw ValidationError("no password on standard input")
        }
        guard line.utf8.count <= 72 else {
            // bcrypt reads at most 72 bytes: a longer one would be cut without a word.
            throw ValidationError("the password is longer than bcrypt's 72 bytes")
        }
        print(AdminAuth.hash(password: line, cost: UInt8(cost)))
    }
}
