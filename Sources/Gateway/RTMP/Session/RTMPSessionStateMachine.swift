import RTMPWire

/// The command flow of one RTMP connection (RTMP spec 7.2), as a pure state machine: it takes
/// decoded commands and session events and returns the actions the session handler performs.
/// It owns the protocol state (the session's role, whether it is closing); the handler keeps the
/// resources (pipeline, relay player). No I/O, no clocks.
struct RTMPSessionStateMachine: Sendable {
    enum Role: Sendable, Equatable {
        case idle
        /// Publish requested, admission (keys, hook, profile) running.
        case admitting(name: String, streamID: UInt32)
        case publishing(name: String, streamID: UInt32)
        case playing(name: String, streamID: UInt32)

        var streamID: UInt32? {
            switch self {
            case .idle: return nil
            case .admitting(_, let id), .publishing(_, let id), .playing(_, let id): return id
            }
        }
    }

    enum Action: Sendable, Equatable {
        case send([RTMPMessage])
        /// Check key/profile and claim the name; answer with `publishAdmitted`/`publishRefused`.
        case admitPublish(name: String, key: String?, streamID: UInt32)
        /// Look the stream up; answer with `playStarted`/`playRefused`.
        case startPlay(name: String, streamID: UInt32)
        /// The role ended (unpublish, deleteStream, closeStream, disconnect): release what it held.
        case stopRole(reason: String)
        /// The session is closing: release the role's resources and close the channel.
        case close(reason: String)
    }

    /// What to do with a finished admission step.
    enum AdmissionOutcome: Sendable, Equatable {
        /// It applies: perform `actions` (after claiming the name, for `publishAdmitted`).
        case proceed([Action])
        /// The session closed, or the publish was deleted or replaced, meanwhile: drop the result
        /// (and finish a pipeline built for it).
        case abandon
    }

    let application: String
    let maxStreams: Int
    private(set) var connectedApp: String?
    private(set) var role = Role.idle
    /// Once set, commands and admission results are dropped: only the close itself happens.
    private(set) var isClosing = false
    private var createdStreams: Set<UInt32> = []
    private var nextStreamID: UInt32 = 1

    init(application: String, maxStreams: Int = 8) {
        self.application = application
        self.maxStreams = maxStreams
    }

    mutating func receive(_ command: RTMPCommand) -> [Action] {
        guard !isClosing else { return [] }
        if connectedApp == nil {
            guard case .connect(let transactionID, let parameters) = command else {
                return close(reason: "command \(command.name) before connect")
            }
            return connect(transactionID: transactionID, parameters: parameters)
        }
        switch command {
        case .connect:
            return close(reason: "second connect on one connection")
        case .releaseStream(let transactionID, _), .checkBandwidth(let transactionID):
            return [.send([RTMPCommandReplies.result(transactionID: transactionID)])]
        case .fcPublish(let transactionID, let name):
            return [
                .send([
                    RTMPCommandReplies.result(transactionID: transactionID), RTMPCommandReplies.onFCPublish(name: name),
                ])
            ]
        case .fcUnpublish(let transactionID, let name):
            var actions: [Action] = [
                .send([
                    RTMPCommandReplies.result(transactionID: transactionID),
                    RTMPCommandReplies.onFCUnpublish(name: name),
                ])
            ]
            if case .publishing = role {
                role = .idle
                actions.append(.stopRole(reason: "FCUnpublish"))
            }
            return actions
        case .createStream(let transactionID):
            guard createdStreams.count < maxStreams else {
                return close(reason: "more than \(maxStreams) streams on one connection")
            }
            let streamID = nextStreamID
            nextStreamID += 1
            createdStreams.insert(streamID)
            return [.send([RTMPCommandReplies.createStreamResult(transactionID: transactionID, streamID: streamID)])]
        case .publish(_, let streamID, let rawName, _):
            guard role == .idle else { return close(reason: "publish while already \(role)") }
            let parsed = RTMPStreamName(parsing: rawName)
            role = .admitting(name: parsed.name, streamID: streamID)
            return [.admitPublish(name: parsed.name, key: parsed.queryValue("key"), streamID: streamID)]
        case .play(_, let streamID, let rawName, _):
            guard role == .idle else { return close(reason: "play while already \(role)") }
            let name = RTMPStreamName(parsing: rawName).name
            role = .playing(name: name, streamID: streamID)
            return [.startPlay(name: name, streamID: streamID)]
        case .deleteStream(_, let requestedID), .closeStream(_, let requestedID):
            // GStreamer's rtmp2sink names the stream instead of its id, which decodes as 0:
            // that means the stream this connection is using.
            let streamID = requestedID == 0 ? role.streamID ?? 0 : requestedID
            createdStreams.remove(streamID)
            switch role {
            case .publishing(_, let id) where id == streamID, .playing(_, let id) where id == streamID,
                .admitting(_, let id) where id == streamID:
                role = .idle
                return [.stopRole(reason: command.name)]
            default:
                return []
            }
        case .getStreamLength(let transactionID, _):
            return [.send([RTMPCommandReplies.streamLengthResult(transactionID: transactionID)])]
        case .unknown(_, let transactionID, _):
            // Unknown calls get an empty _result when they expect one (transaction != 0), as FMS does.
            return transactionID == 0 ? [] : [.send([RTMPCommandReplies.result(transactionID: transactionID)])]
        }
    }

    // MARK: Session events

    /// Closes the session (an I/O or protocol error, a takeover, an idle peer): `.close` the first
    /// time, nothing once closing.
    mutating func close(reason: String) -> [Action] {
        guard !isClosing else { return [] }
        isClosing = true
        role = .idle
        return [.close(reason: reason)]
    }

    /// The channel went inactive (the peer left, or after `close`): the role ends.
    mutating func channelInactive() -> Action {
        let reason = isClosing ? "connection closed" : "publisher disconnected"
        isClosing = true
        role = .idle
        return .stopRole(reason: reason)
    }

    /// Players only receive, so only publishers and idle connections must keep sending.
    var idleTimeoutApplies: Bool {
        if case .playing = role { return false }
        return true
    }

    // MARK: Publish admission

    /// Whether a step of this publish's admission (the hook's answer, a built pipeline) still
    /// applies: the session is not closing and the publish was not deleted or replaced meanwhile.
    func isAdmitting(name: String, streamID: UInt32) -> Bool {
        !isClosing && role == .admitting(name: name, streamID: streamID)
    }

    /// Admission passed: once the name is claimed, the replies start the publish.
    mutating func publishAdmitted(name: String, streamID: UInt32) -> AdmissionOutcome {
        guard isAdmitting(name: name, streamID: streamID) else { return .abandon }
        role = .publishing(name: name, streamID: streamID)
        return .proceed([
            .send([
                ProtocolControlMessage.userControl(.streamBegin(streamID: streamID)).message(),
                RTMPCommandReplies.onStatus(
                    .publishStart, streamID: streamID, description: "\(name) is now published.", details: name),
            ])
        ])
    }

    /// Admission failed: answer `onStatus` with the refusal's code, then close.
    mutating func publishRefused(_ refusal: PublishRefusal, name: String, streamID: UInt32) -> AdmissionOutcome {
        guard isAdmitting(name: name, streamID: streamID) else { return .abandon }
        let reply = RTMPCommandReplies.onStatus(
            Self.status(for: refusal), streamID: streamID, description: refusal.description)
        return .proceed([.send([reply])] + close(reason: "publish refused (\(refusal.rawValue))"))
    }

    /// The one mapping of a (protocol-neutral) refusal to its NetStream code (RTMP spec 7.2.2.6).
    static func status(for refusal: PublishRefusal) -> NetStreamStatus {
        switch refusal {
        case .badName, .profileError: return .publishBadName
        case .missingKey, .wrongKey, .webhookDenied, .webhookUnavailable: return .publishUnauthorized
        }
    }

    // MARK: Play

    /// The stream is live: what FMS sends before the media (RTMP spec 7.2.2.1).
    func playStarted(name: String, streamID: UInt32) -> [Action] {
        [
            .send([
                ProtocolControlMessage.userControl(.streamIsRecorded(streamID: streamID)).message(),
                ProtocolControlMessage.userControl(.streamBegin(streamID: streamID)).message(),
                RTMPCommandReplies.onStatus(
                    .playReset, streamID: streamID, description: "Playing and resetting \(name)."),
                RTMPCommandReplies.onStatus(.playStart, streamID: streamID, description: "Started playing \(name)."),
                RTMPCommandReplies.sampleAccess(streamID: streamID),
                RTMPCommandReplies.dataStart(streamID: streamID),
            ])
        ]
    }

    /// No such live stream: answer StreamNotFound; the connection stays open.
    mutating func playRefused(streamID: UInt32) -> [Action] {
        role = .idle
        return [
            .send([RTMPCommandReplies.onStatus(.playStreamNotFound, streamID: streamID, description: "No such stream.")]
            )
        ]
    }

    private mutating func connect(transactionID: Double, parameters: RTMPConnectParameters) -> [Action] {
        // The app may carry a query or a trailing slash (e.g. "live?token", "live/").
        let app = (parameters.app ?? "").split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        let trimmed = app.hasSuffix("/") ? String(app.dropLast()) : app
        guard trimmed == application else {
            let reply = RTMPCommandReplies.connectRejected(
                transactionID: transactionID, description: "unknown application \"\(trimmed)\"")
            return [.send([reply])] + close(reason: "connect to unknown application \"\(trimmed)\"")
        }
        connectedApp = trimmed
        return [
            .send([
                ProtocolControlMessage.windowAcknowledgementSize(RTMPSessionStateMachine.windowAcknowledgementSize)
                    .message(),
                ProtocolControlMessage.setPeerBandwidth(
                    windowSize: RTMPSessionStateMachine.windowAcknowledgementSize, limitType: .dynamic
                ).message(),
                ProtocolControlMessage.setChunkSize(RTMPSessionStateMachine.outgoingChunkSize).message(),
                RTMPCommandReplies.connectResult(
                    transactionID: transactionID, objectEncoding: parameters.objectEncoding,
                    clientSentFourCcList: parameters.fourCcList != nil,
                    clientSentFourCcInfoMaps: parameters.sentFourCcInfoMaps),
            ])
        ]
    }

    static let windowAcknowledgementSize: UInt32 = 2_500_000
    static let outgoingChunkSize: UInt32 = 4096
}

extension RTMPCommand {
    /// The command's name as sent on the wire, for logs.
    var name: String {
        switch self {
        case .connect: return "connect"
        case .releaseStream: return "releaseStream"
        case .fcPublish: return "FCPublish"
        case .fcUnpublish: return "FCUnpublish"
        case .createStream: return "createStream"
        case .publish: return "publish"
        case .deleteStream: return "deleteStream"
        case .closeStream: return "closeStream"
        case .checkBandwidth: return "_checkbw"
        case .play: return "play"
        case .getStreamLength: return "getStreamLength"
        case .unknown(let name, _, _): return name
        }
    }
}
