import Foundation

/// A small EXIF writer for the test camera (on iOS the camera writes EXIF
/// itself; on Linux there is no ImageIO): replaces a JPEG's EXIF with GPS
/// latitude/longitude and DateTimeOriginal + OffsetTimeOriginal (+08:00),
/// GPS date and time in UTC — what a phone camera records.
enum Exif {
    static func rewrite(_ jpeg: Data, latitude: Double, longitude: Double, at: Date) throws -> Data {
        let b = [UInt8](jpeg)
        guard b.count > 4, b[0] == 0xFF, b[1] == 0xD8 else { throw ExifError.notJPEG }
        var out: [UInt8] = [0xFF, 0xD8]
        var i = 2
        var inserted = false
        let app1 = segment(tiff(latitude: latitude, longitude: longitude, at: at))
        while i + 4 <= b.count, b[i] == 0xFF {
            let marker = b[i + 1]
            if marker == 0xDA { break } // start of scan: the rest is image data
            let len = Int(b[i + 2]) << 8 | Int(b[i + 3])
            let seg = Array(b[i ..< min(b.count, i + 2 + len)])
            let isExif = marker == 0xE1 && seg.count > 10 && Array(seg[4 ..< 10]) == Array("Exif\0\0".utf8)
            if marker != 0xE0 && !inserted {
                out += app1
                inserted = true
            }
            if !isExif { out += seg }
            i += 2 + len
        }
        if !inserted { out += app1 }
        out += b[i...]
        return Data(out)
    }

    enum ExifError: Error { case notJPEG }

    private static func segment(_ tiff: [UInt8]) -> [UInt8] {
        let body = Array("Exif\0\0".utf8) + tiff
        let len = body.count + 2
        return [0xFF, 0xE1, UInt8(len >> 8), UInt8(len & 0xFF)] + body
    }

    /// One IFD entry: tag, type (2 ASCII, 4 LONG, 5 RATIONAL), count, value bytes.
    private struct Entry {
        let tag: UInt16
        let type: UInt16
        let count: UInt32
        let bytes: [UInt8]
    }

    private static func ascii(_ tag: UInt16, _ s: String) -> Entry {
        let b = Array(s.utf8) + [0]
        return Entry(tag: tag, type: 2, count: UInt32(b.count), bytes: b)
    }

    private static func rationals(_ tag: UInt16, _ v: [(UInt32, UInt32)]) -> Entry {
        Entry(tag: tag, type: 5, count: UInt32(v.count), bytes: v.flatMap { be32($0.0) + be32($0.1) })
    }

    private static func long(_ tag: UInt16, _ v: UInt32) -> Entry {
        Entry(tag: tag, type: 4, count: 1, bytes: be32(v))
    }

    private static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    private static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    private static func dms(_ v: Double) -> [(UInt32, UInt32)] {
        let a = abs(v)
        let d = a.rounded(.towardZero)
        let m = ((a - d) * 60).rounded(.towardZero)
        let s = ((a - d) * 60 - m) * 60
        return [(UInt32(d), 1), (UInt32(m), 1), (UInt32((s * 10_000).rounded()), 10_000)]
    }

    /// An IFD at `offset`, its out-of-line values after it; `next` patches pointers.
    private static func ifd(_ entries: [Entry], at offset: Int) -> [UInt8] {
        let sorted = entries.sorted { $0.tag < $1.tag }
        var head = be16(UInt16(sorted.count))
        var data: [UInt8] = []
        let dataStart = offset + 2 + sorted.count * 12 + 4
        for e in sorted {
            head += be16(e.tag) + be16(e.type) + be32(e.count)
            if e.bytes.count <= 4 {
                head += e.bytes + [UInt8](repeating: 0, count: 4 - e.bytes.count)
            } else {
                head += be32(UInt32(dataStart + data.count))
                data += e.bytes
                if data.count % 2 == 1 { data.append(0) }
            }
        }
        head += be32(0) // no next IFD
        return head + data
    }

    private static func tiff(latitude: Double, longitude: Double, at: Date) -> [UInt8] {
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        local.dateFormat = "yyyy:MM:dd HH:mm:ss"
        let utc = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(secondsFromGMT: 0)!, from: at)
        let exifEntries = [ascii(0x9003, local.string(from: at)), ascii(0x9011, "+08:00")]
        let gpsEntries = [
            ascii(0x0001, latitude >= 0 ? "N" : "S"), rationals(0x0002, dms(latitude)),
            ascii(0x0003, longitude >= 0 ? "E" : "W"), rationals(0x0004, dms(longitude)),
            rationals(0x0007, [(UInt32(utc.hour!), 1), (UInt32(utc.minute!), 1), (UInt32(utc.second!), 1)]),
            ascii(0x001D, String(format: "%04d:%02d:%02d", utc.year!, utc.month!, utc.day!)),
        ]
        // IFD0 (two pointers) at 8, then the Exif IFD, then the GPS IFD.
        let ifd0Size = 2 + 2 * 12 + 4
        let exifAt = 8 + ifd0Size
        let exif = ifd(exifEntries, at: exifAt)
        let gpsAt = exifAt + exif.count
        let gps = ifd(gpsEntries, at: gpsAt)
        let ifd0 = ifd([long(0x8769, UInt32(exifAt)), long(0x8825, UInt32(gpsAt))], at: 8)
        return Array("MM".utf8) + be16(42) + be32(8) + ifd0 + exif + gps
    }
}
