// The report screen's model: a thin adapter from the core's API to SwiftUI.
import Foundation
import MinqingCore

final class ReportModel: ObservableObject, QueueListener {
    @Published var draft: DraftView?
    @Published var queue: [OutboxEntry] = []
    @Published var error: String?
    private let core: Minqing
    private var subscription: Subscription?

    init(core: Minqing) {
        self.core = core
        subscription = core.subscribeQueue(listener: self)
    }

    func onQueueChanged(entries: [OutboxEntry]) {
        DispatchQueue.main.async { self.queue = entries }
    }

    func start() { draft = try? core.createDraft() }

    /// The camera gave HEIC: convert to JPEG first, the core accepts JPEG and PNG.
    func onPhoto(jpegPath: String) async {
        guard let id = draft?.id else { return }
        do { let d = try await core.addPhoto(draftId: id, path: jpegPath); await MainActor.run { draft = d } }
        catch { await MainActor.run { self.error = error.localizedDescription } }
    }

    /// 完成
    func submit() {
        guard let id = draft?.id else { return }
        do { _ = try core.submit(draftId: id); draft = nil } catch { self.error = error.localizedDescription }
    }
}
