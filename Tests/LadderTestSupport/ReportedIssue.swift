import LadderProfile

/// A config or profile issue as (line, column, path, message): the parts the operator sees.
package struct ReportedIssue: Equatable, CustomStringConvertible {
    package var line: Int
    package var column: Int
    package var path: String
    package var message: String

    package init(_ line: Int, _ column: Int, _ path: String, _ message: String) {
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    package init(_ issue: ConfigIssue) {
        self.init(issue.line, issue.column, issue.path, issue.message)
    }

    package var description: String { "\(line):\(column): \(path): \(message)" }
}
