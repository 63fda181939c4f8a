import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The deputy's mobile signal: a TCP relay on loopback between the phone and
/// the real server. `down()` closes it and every connection through it
/// (requests fail as with no network); `up()` listens again on the same port.
final class Signal: @unchecked Sendable {
    private let target: UInt16
    private let lock = NSLock()
    private var listener: Int32 = -1
    private var accepting: Thread?
    private var stopped = DispatchSemaphore(value: 0)
    private var connections: Set<Int32> = []
    private(set) var port: UInt16 = 0

    var url: String { "http://127.0.0.1:\(port)" }

    /// A relay to `server` ("http://127.0.0.1:PORT").
    init(to server: String) throws {
        // The relay writes to sockets whose other end `down()` (or the phone)
        // may just have closed: that must be an EPIPE the pump ends on, not
        // a SIGPIPE that kills the whole test process (it did, once in CI).
        signal(SIGPIPE, SIG_IGN)
        guard let p = URL(string: server)?.port else { throw Failure(what: "no port in \(server)") }
        target = UInt16(p)
        try up()
    }

    struct Failure: Error { let what: String }

    func up() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = Self.loopback(port)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw Failure(what: "cannot listen: \(errno)") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        port = UInt16(bigEndian: addr.sin_port)
        lock.lock()
        listener = fd
        stopped = DispatchSemaphore(value: 0)
        let done = stopped
        lock.unlock()
        let t = Thread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { break }
                let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var to = Self.loopback(target)
                let ok = withUnsafePointer(to: &to) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                if ok != 0 { close(client); close(upstream); continue }
                lock.lock()
                connections.formUnion([client, upstream])
                lock.unlock()
                let pair = Pair()
                pump(client, upstream, pair)
                pump(upstream, client, pair)
            }
            close(fd)
            done.signal()
        }
        accepting = t
        t.start()
    }

    /// No signal: the listener and every open connection go.
    func down() {
        lock.lock()
        let fd = listener
        listener = -1
        let open = connections
        connections = []
        let done = stopped
        lock.unlock()
        guard fd >= 0 else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        done.wait() // the accept loop closed the listener: the port is free again
        for c in open { shutdown(c, Int32(SHUT_RDWR)) }
    }

    /// Both directions of one connection; the last to end closes the sockets.
    private final class Pair: @unchecked Sendable {
        private let lock = NSLock()
        private var ended = 0
        func end(_ a: Int32, _ b: Int32) {
            lock.lock()
            ended += 1
            let last = ended == 2
            lock.unlock()
            if last { close(a); close(b) }
        }
    }

    private func pump(_ from: Int32, _ to: Int32, _ pair: Pair) {
        Thread { [self] in
            var buf = [UInt8](repeating: 0, count: 16384)
            outer: while true {
                let n = read(from, &buf, buf.count)
                if n <= 0 { break }
                var sent = 0
                while sent < n {
                    let w = buf.withUnsafeBytes { write(to, $0.baseAddress! + sent, n - sent) }
                    if w <= 0 { break outer }
                    sent += w
                }
            }
            shutdown(to, Int32(SHUT_WR))
            lock.lock()
            connections.remove(from)
            lock.unlock()
            pair.end(from, to)
        }.start()
    }

    private static func loopback(_ port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        return a
    }
}
