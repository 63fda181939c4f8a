import Foundation
import MinqingCore

/// A label and its value on the detail screen.
public struct Fact: Identifiable, Equatable, Sendable {
    public var id: String { label }
    public let label: String
    public let value: String
}

/// A running deadline, worded.
public struct ClockLine: Identifiable, Equatable, Sendable {
    public var id: String { text }
    public let text: String
    public let colour: Colour
}

/// One step of the item's life, worded.
public struct TimelineItem: Identifiable, Equatable, Sendable {
    public let id: Int
    /// 10月4日 08:48  陆靖英（市人大代表）
    public let header: String
    /// What happened, with its sync badge.
    public let summary: String
    public let text: String?
    public let photos: [PhotoView]
    public let kind: EntryKind
}

/// The form an action needs, as the core lists its inputs.
public struct ActionForm: Equatable, Sendable {
    public let offer: ActionOffer
    /// What the user has filled in, by input.
    public internal(set) var values: [InputKind: String] = [:]
    /// Proof photos taken for this form (the core's photo ids).
    public internal(set) var proof: [String] = []

    public var title: String { offer.label }
    public var inputs: [InputSpec] { offer.inputs }

    public func value(_ kind: InputKind) -> String { values[kind] ?? "" }

    /// Which required inputs are still empty, by label.
    public var missing: [String] {
        offer.inputs.filter { spec in
            guard spec.required else { return false }
            switch spec.kind {
            case .proofPhotos, .photo: return proof.isEmpty
            default: return value(spec.kind).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            }
        }.map(\.label)
    }
}

/// What the camera or the picker is being asked for.
public enum PhotoRequest: Equatable, Sendable {
    /// A photo added to the item now (the deputy's evidence, the unit's proof).
    case attach(PhotoKind)
    /// A proof photo for the open form (resolve).
    case proofForForm
}

/// An item: photos, facts, clocks, the timeline by name, and the actions the
/// core offers (the state machine's `allowed` for this person), each asking
/// for the inputs the core lists. This view model collects them and calls `act`.
@MainActor
public final class DetailViewModel: ViewModel {
    public let ticketId: String
    public private(set) var detail: TicketDetail?
    /// The item is gone from the phone (merged away, or never here).
    public private(set) var gone = false
    /// The open action form, if any.
    public private(set) var form: ActionForm?
    /// The camera/picker is open for this, if any.
    public private(set) var photoRequest: PhotoRequest?

    public init(shell: Shell, ticketId: String) {
        self.ticketId = ticketId
        super.init(shell: shell)
        let tickets = shell.core.tickets()
        listen(Relay<TicketDetail?> { [weak self] d in self?.show(d) }) { tickets.subscribe(ticketId: ticketId, listener: $0) }
    }

    private var tickets: TicketsService { shell.core.tickets() }

    private func show(_ d: TicketDetail?) {
        if let d { detail = d } else { gone = true }
        changed()
    }

    /// The screen is on view: its news counts as read.
    public func appeared() async {
        let tickets = tickets, id = ticketId
        await attempt { try await core { try tickets.markSeen(ticketId: id) } }
    }

    // ------------------------------------------------------------ words for the view

    public var title: String { detail?.stateLabel ?? "" }
    public var text: String { detail?.text ?? "" }
    public var stateLine: String {
        guard let d = detail else { return "" }
        return [d.stateLabel, words.badge(d.sync)].compactMap { $0 }.joined(separator: " · ")
    }
    public var photos: [PhotoView] { detail?.photos ?? [] }

    public var facts: [Fact] {
        guard let d = detail else { return [] }
        let w = words
        var out = [Fact(label: w.reporter, value: ([d.reporterName] + d.coReporterNames).joined(separator: "、"))]
        if let u = d.unitName { out.append(Fact(label: w.unit, value: u)) }
        if let c = d.categoryLabel { out.append(Fact(label: w.category, value: c)) }
        if let g = d.groupName { out.append(Fact(label: w.group, value: g)) }
        if let l = d.location {
            out.append(Fact(label: w.place, value: l.address ?? String(format: "%.5f, %.5f", l.gcj02Latitude, l.gcj02Longitude)))
        }
        if let o = d.outcomeLabel { out.append(Fact(label: w.outcome, value: o)) }
        if let r = d.rating { out.append(Fact(label: w.rating, value: w.stars(Int(r)))) }
        if let c = d.constituent {
            out.append(Fact(label: w.constituent, value: [c.name, c.phone].compactMap { $0 }.joined(separator: " ")))
        }
        return out
    }

    public var clocks: [ClockLine] {
        (detail?.clocks ?? []).map { ClockLine(text: "\($0.label) \(words.due(words.time($0.dueAt)))", colour: $0.colour) }
    }

    public var calendarNote: String? {
        guard let d = detail, !d.clocks.isEmpty, !d.calendarCovers else { return nil }
        return words.calendarMissing
    }

    public var rejections: [String] { detail?.rejections ?? [] }
    public var actions: [ActionOffer] { detail?.actions ?? [] }

    public var timeline: [TimelineItem] {
        let w = words
        return (detail?.timeline ?? []).enumerated().map { i, e in
            TimelineItem(
                id: i,
                header: "\(w.time(e.at))  \(e.actorName)（\(e.roleLabel)）",
                summary: [e.summary, w.badge(e.sync)].compactMap { $0 }.joined(separator: " · "),
                text: e.text,
                photos: e.photos,
                kind: e.kind
            )
        }
    }

    /// The offer for `kind`, if the core offers it now.
    public func offer(_ kind: ActionKind) -> ActionOffer? { actions.first { $0.kind == kind } }

    // ------------------------------------------------------------ actions

    /// The user tapped an action: act at once when it needs nothing, open the
    /// camera for a photo, else open its form.
    public func start(_ offer: ActionOffer) async {
        switch offer.kind {
        case .attachEvidence:
            photoRequest = .attach(.evidence)
        case .attachProof:
            photoRequest = .attach(.proof)
        default:
            if offer.inputs.isEmpty {
                await act(offer.kind, values: [:], proof: [])
            } else {
                // A pick starts on its first choice, as a picker shows it.
                var f = ActionForm(offer: offer)
                for spec in offer.inputs { if let first = spec.choices.first { f.values[spec.kind] = first.value } }
                form = f
            }
        }
        changed()
    }

    /// A field of the open form changed (text, a choice's `value`, stars as "1"…"5").
    public func setInput(_ kind: InputKind, _ value: String) {
        form?.values[kind] = value
        changed()
    }

    /// 拍办结照片 in the open form.
    public func takeProofPhoto() {
        photoRequest = .proofForForm
        changed()
    }

    public func cancelForm() {
        form = nil
        changed()
    }

    /// OK on the form: every required input filled, then `act`.
    public func submitForm() async {
        guard let f = form else { return }
        if let first = f.missing.first {
            fail(.invalid(words.required(first)))
            return
        }
        if await act(f.offer.kind, values: f.values, proof: f.proof) {
            form = nil
            changed()
        }
    }

    /// The camera or picker wrote `file` (JPEG, EXIF kept) for `photoRequest`.
    public func photoTaken(file: URL) async {
        guard let request = photoRequest else { return }
        photoRequest = nil
        changed()
        let kind: PhotoKind = if case let .attach(k) = request { k } else { .proof }
        let tickets = tickets, id = ticketId, path = file.path
        let photo = await attempt { try await tickets.addPhoto(ticketId: id, path: path, kind: kind) }
        // The core keeps its own copy; a capture file left behind is only litter.
        try? FileManager.default.removeItem(at: file)
        if let photo, request == .proofForForm {
            form?.proof.append(photo)
            changed()
        }
    }

    /// The camera's or the picker's answer for `photoRequest`.
    public func photo(_ result: PhotoResult) async {
        switch result {
        case let .file(url): await photoTaken(file: url)
        case .cancelled: photoCancelled()
        case let .failed(e):
            photoCancelled()
            fail(e)
        }
    }

    public func photoCancelled() {
        photoRequest = nil
        changed()
    }

    /// The proof count line in the form.
    public var proofLine: String { words.proofTaken(form?.proof.count ?? 0) }

    @discardableResult
    private func act(_ kind: ActionKind, values: [InputKind: String], proof: [String]) async -> Bool {
        guard let input = Self.input(kind, values: values, proof: proof) else { return false }
        let tickets = tickets, id = ticketId
        guard let d = await attempt({ try await core { try tickets.act(ticketId: id, input: input) } }) else { return false }
        show(d)
        return true
    }

    /// The collected values in the FFI's shape (`ActionInput`): a mapping,
    /// not a rule — which actions exist and what they need is the core's.
    static func input(_ kind: ActionKind, values: [InputKind: String], proof: [String]) -> ActionInput? {
        let v = { (k: InputKind) in values[k]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "" }
        let outcome = { OutcomePath(wire: v(.outcome)) }
        switch kind {
        case .claim: return .claim
        case .decline: return .decline(reason: v(.reason))
        case .reject: return .reject(reason: v(.reason))
        case .ask: return .ask(text: v(.text))
        case .answer: return .answer(text: v(.text))
        case .explainClose: return .explainClose(text: v(.text))
        case .reassign: return .reassign(unitId: v(.unit))
        case .reply: return outcome().map { .reply(text: v(.text), outcome: $0) }
        case .resolve: return outcome().map { .resolve(text: v(.text), outcome: $0, proofPhotoIds: proof) }
        case .confirm: return .confirm(rating: UInt8(v(.rating)))
        case .rate: return UInt8(v(.rating)).map { .rate(stars: $0) }
        case .merge: return .merge(intoTicketId: v(.mergeTarget))
        case .reviewTown: return .review(level: .town, note: v(.note))
        case .reviewCity: return .review(level: .city, note: v(.note))
        case .assignToGovernment: return .assignToGovernment(list: v(.listName))
        case .governmentFeedback: return .governmentFeedback(text: v(.text), resolved: v(.resolved) == "true")
        case .attachEvidence, .attachProof: return nil
        }
    }
}

extension OutcomePath {
    /// The outcome choice's value as the core sends it in `Choice.value`.
    init?(wire: String) {
        switch wire {
        case "explained_on_spot": self = .explainedOnSpot
        case "handled_in_group": self = .handledInGroup
        case "handled_by_town": self = .handledByTown
        case "handled_by_city_department": self = .handledByCityDepartment
        default: return nil
        }
    }
}
