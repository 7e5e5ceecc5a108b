import Foundation
import LadderMedia

/// Serves the current profile for a path, re-reading the file only when it changed on disk
/// (modification time, size or inode), so an edit applies at the next publish without a restart.
/// A broken edit never takes a stream down: the last good version stays in use and the problem
/// is returned alongside it.
public final class ProfileCache: @unchecked Sendable {
    public struct Lookup: Sendable {
        /// The profile to use: the file's current content, or its last good version when the file
        /// is now broken or missing. nil only when the file has never loaded.
        public var profile: Profile?
        /// Why the file as it is on disk now cannot be used; nil when `profile` is its current content.
        public var error: ProfileError?
        /// True when this lookup saw a change on disk (the file was re-read, appeared or vanished):
        /// log `error` then, not on every lookup.
        public var changed: Bool

        /// A broken file is being ignored in favour of its last good version.
        public var isStale: Bool { profile != nil && error != nil }
    }

    private struct Fingerprint: Hashable {
        package var modified: Date?
        package var size: UInt64
        package var fileNumber: UInt64
    }

    private struct Entry {
        /// nil: the file could not be examined at the last lookup.
        package var fingerprint: Fingerprint?
        package var profile: Profile?
        package var error: ProfileError?
    }

    private let entries = Locked<[String: Entry]>([:])

    public init() {}

    /// The profile for `path` (as given; relative paths are relative to the working directory).
    public func profile(path: String) -> Lookup {
        let fingerprint = Self.fingerprint(path: path)
        let cached: Entry? = entries.withLock { $0[path] }
        if let cached, let fingerprint, cached.fingerprint == fingerprint {
            return Lookup(profile: cached.profile, error: cached.error, changed: false)
        }

        // The file changed (or was never read): read it outside the lock; loads are pure apart from the read.
        let loaded: Result<Profile, ProfileError>
        if fingerprint == nil {
            loaded = .failure(
                ProfileError(issues: [
                    ConfigIssue(file: path, line: 0, column: 0, path: "", message: "cannot read the profile file")
                ]))
        } else {
            do throws(ProfileError) {
                loaded = .success(try ProfileLoader.load(path: path))
            } catch {
                loaded = .failure(error)
            }
        }

        return entries.withLock { entries in
            var entry = entries[path] ?? Entry()
            let wasMissing = entries[path] != nil && entry.fingerprint == nil
            switch loaded {
            case .success(let profile):
                entry.profile = profile
                entry.error = nil
            case .failure(let error):
                entry.error = error
            }
            entry.fingerprint = fingerprint
            entries[path] = entry
            let changed = fingerprint != nil || !wasMissing
            return Lookup(profile: entry.profile, error: entry.error, changed: changed)
        }
    }

    /// Forgets every cached profile (the next lookups re-read their files).
    public func removeAll() {
        entries.withLock { $0.removeAll() }
    }

    private static func fingerprint(path: String) -> Fingerprint? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            attributes[.type] as? FileAttributeType != .typeDirectory
        else { return nil }
        return Fingerprint(
            modified: attributes[.modificationDate] as? Date,
            size: (attributes[.size] as? NSNumber)?.uint64Value ?? 0,
            fileNumber: (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0)
    }
}
