import Foundation
import MinqingCore

/// The report screen: photos (camera or picker, handed over as JPEG files),
/// the place (a phone fix, or by hand when location is refused), text,
/// category, @unit, possible duplicates, 完成 — offline or not.
///
/// The draft lives in the core's store; this view model keeps only its id
/// (`draftId`, for state restoration), so a report survives the app being
/// killed while the camera runs.
@MainActor
public final class ReportViewModel: ViewModel {
    public let draftId: String
    public let isNew: Bool
    public private(set) var draft: DraftView?
    /// The text as typed (the field's value); sent to the draft on every change.
    public private(set) var text = ""
    /// Waiting for a location fix.
    public private(set) var locating = false
    /// Ask for the place by hand (location refused or unavailable).
    public private(set) var askManualPlace = false
    /// Open items nearby that may be the same problem: shown before 完成.
    public private(set) var duplicates: [DuplicateView] = []
    /// Submitted (or deleted): the screen closes.
    public private(set) var finished = false
    /// The pickers' choices: the taxonomy and the units on the phone.
    public private(set) var categoryChoices: [CategoryChoice] = []
    public private(set) var unitChoices: [UnitChoice] = []
    private var textEditsInFlight = 0

    /// A new draft (`isNew`: the screen looks for a fix at once), or the one
    /// with `draftId` (restored after the app was killed). If the phone's
    /// store cannot make a draft, `error` says why and nothing can be submitted.
    public init(shell: Shell, draftId: String? = nil) {
        let drafts = shell.core.drafts()
        var failed: AppError?
        if let draftId {
            self.draftId = draftId
        } else {
            do {
                self.draftId = try drafts.create().id
            } catch {
                self.draftId = ""
                failed = AppError(error)
            }
        }
        isNew = draftId == nil
        super.init(shell: shell)
        self.error = failed
        let id = self.draftId
        listen(Relay<DraftView?> { [weak self] d in self?.show(d) }) { drafts.subscribe(draftId: id, listener: $0) }
        let reference = shell.core.reference()
        load({ (try reference.categories(), try reference.units()) }) { [weak self] choices in
            guard let self else { return }
            (categoryChoices, unitChoices) = choices
            changed()
        }
    }

    private var drafts: DraftsService { shell.core.drafts() }

    private func show(_ d: DraftView?) {
        guard let d else {
            finished = true
            changed()
            return
        }
        draft = d
        if textEditsInFlight == 0 { text = d.text }
        changed()
    }

    // ------------------------------------------------------------ words for the view

    public var photos: [PhotoView] { draft?.photos ?? [] }

    /// Where, from where, how precise; the photos' warnings below.
    public var placeLine: String {
        let w = words
        var line: String
        if let l = draft?.location {
            let at = l.address ?? String(format: "%.5f, %.5f", l.gcj02Latitude, l.gcj02Longitude)
            line = [at, w.placeSource(l.source), l.accuracyM.map(w.accuracy)].compactMap { $0 }.joined(separator: " · ")
        } else {
            line = locating ? w.locating : w.noPlace
        }
        for warning in photos.flatMap(\.warnings) { line += "\n⚠ \(warning)" }
        return line
    }

    public var categoryTitle: String { draft?.categoryLabel ?? words.category }
    public var mentionTitle: String { draft?.mentionedUnitName.map { "@\($0)" } ?? words.mention }
    public var canSubmit: Bool { !busy && (draft?.canSubmit ?? false) }
    public var duplicateLines: [String] { duplicates.map { words.duplicate($0.text, $0.stateLabel, $0.distanceM) } }

    // ------------------------------------------------------------ editing

    /// Every keystroke: kept here at once, written to the draft in order, off the main actor.
    public func setText(_ value: String) {
        guard value != text else { return }
        text = value
        textEditsInFlight += 1
        changed()
        let drafts = drafts, id = draftId
        shell.queue.post({ try drafts.setText(draftId: id, text: value) }, failed: { [weak self] e in self?.fail(e) })
        Task { [weak self, queue = shell.queue] in
            await queue.drain()
            self?.textEditsInFlight -= 1
        }
    }

    /// A photo the camera or the picker wrote (JPEG with its EXIF; HEIC is
    /// converted before). The core reads, checks and shrinks it; the file goes after.
    public func addPhoto(file: URL) async {
        let drafts = drafts, id = draftId, path = file.path
        await attempt { try await drafts.addPhoto(draftId: id, path: path) }
        // The core keeps its own copy; a capture file left behind is only litter.
        try? FileManager.default.removeItem(at: file)
    }

    /// The camera's or the picker's answer.
    public func photo(_ result: PhotoResult) async {
        switch result {
        case let .file(url): await addPhoto(file: url)
        case .cancelled: break
        case let .failed(e): fail(e)
        }
    }

    public func removePhoto(_ photo: PhotoView) async {
        let drafts = drafts, id = photo.id
        await attempt { try await core { try drafts.removePhoto(photoId: id) } }
    }

    /// The location service started looking.
    public func locationStarted() {
        locating = true
        changed()
    }

    /// A fix from the location service (WGS-84, accuracy in metres).
    public func locationFix(latitude: Double, longitude: Double, accuracy: Double?) async {
        locating = false
        let drafts = drafts, id = draftId
        let place = LocationInput(latitude: latitude, longitude: longitude, accuracyM: accuracy,
                                  source: .deviceFix, address: nil)
        await attempt { try await core { try drafts.setLocation(draftId: id, location: place) } }
    }

    /// Location refused or unavailable: the place by hand.
    public func locationRefused() {
        locating = false
        askManualPlace = true
        notice = words.permissionRefused
        changed()
    }

    public func dismissManualPlace() {
        askManualPlace = false
        changed()
    }

    /// The place by hand: an address and coordinates copied from a map app
    /// (the core reads them; unreadable ones come back as its message).
    public func setManualPlace(address: String, coordinates: String) async {
        let drafts = drafts, id = draftId
        let done = await attempt { try await core { try drafts.setManualPlace(draftId: id, address: address, coordinates: coordinates) } }
        if let done {
            askManualPlace = false
            show(done)
        }
    }

    /// The category picker's choices (the taxonomy on the phone).
    public func categories() async -> [CategoryChoice] {
        let reference = shell.core.reference()
        return await attempt { try await core { try reference.categories() } } ?? []
    }

    public func setCategory(_ category: String?, item: String?) async {
        let drafts = drafts, id = draftId
        await attempt { try await core { try drafts.setCategory(draftId: id, category: category, item: item) } }
    }

    /// The @unit picker's choices.
    public func units() async -> [UnitChoice] {
        let reference = shell.core.reference()
        return await attempt { try await core { try reference.units() } } ?? []
    }

    public func setMention(_ unitId: String?) async {
        let drafts = drafts, id = draftId
        await attempt { try await core { try drafts.setMention(draftId: id, unitId: unitId) } }
    }

    public func setConstituent(name: String?, phone: String?) async {
        let drafts = drafts, id = draftId
        let contact = ConstituentInput(name: name, phone: phone)
        await attempt { try await core { try drafts.setConstituent(draftId: id, contact: contact) } }
    }

    // ------------------------------------------------------------ 完成

    /// 完成: first the open items nearby that may be the same problem (then
    /// `duplicates` is set and the view asks); else submit — offline too.
    public func submit() async {
        await shell.queue.drain() // the last keystrokes are in the draft
        let drafts = drafts, id = draftId
        guard let found = await attempt({ try await core { try drafts.possibleDuplicates(draftId: id) } }) else { return }
        if found.isEmpty {
            await submitAnyway()
        } else {
            duplicates = found
            changed()
        }
    }

    /// 仍然提交.
    public func submitAnyway() async {
        duplicates = []
        let drafts = drafts, id = draftId
        if await attempt({ try await core { try drafts.submit(draftId: id) } }) != nil {
            notice = words.saved
            finished = true
            changed()
        }
    }

    public func cancelDuplicates() {
        duplicates = []
        changed()
    }

    /// Throw the draft away.
    public func discard() async {
        let drafts = drafts, id = draftId
        if await attempt({ try await core { try drafts.delete(draftId: id) } }) != nil {
            finished = true
            changed()
        }
    }
}
