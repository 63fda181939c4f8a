import MinqingCore

/// The core's home list changes, applied to the rows a tab shows (ADR 0010:
/// `Reset`, `Insert`, `Set`, `Remove` by index, in order).
public enum RowDiffs {
    public static func apply(_ diffs: [RowDiff], to rows: inout [TicketRow]) {
        for d in diffs {
            switch d {
            case let .reset(all): rows = all
            case let .insert(i, row): rows.insert(row, at: Int(i))
            case let .set(i, row): rows[Int(i)] = row
            case let .remove(i): rows.remove(at: Int(i))
            }
        }
    }
}
