import EccCore
import Testing

@Suite("RFC 3339")
struct RFC3339Tests {
    @Test(
        "parses UTC, offsets and fractions",
        arguments: [
            ("2026-11-25T10:00:00Z", Int64(1_795_600_800) * 1_000_000_000),
            ("2026-11-25T10:00:00.5Z", Int64(1_795_600_800) * 1_000_000_000 + 500_000_000),
            ("2026-11-25T12:00:00+02:00", Int64(1_795_600_800) * 1_000_000_000),
            ("2026-11-25 09:30:00-00:30", Int64(1_795_600_800) * 1_000_000_000),
            ("1970-01-01T00:00:00Z", 0),
        ])
    func parses(text: String, ns: Int64) {
        #expect(RFC3339.parse(text)?.nanoseconds == ns)
    }

    @Test(
        "refuses what is not a timestamp",
        arguments: [
            "", "2026-11-25", "2026-13-01T00:00:00Z", "2026-11-25T10:00:00", "2026-11-25T10:00:00Zjunk", "yesterday",
        ])
    func refuses(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test("formats what it parses")
    func roundTrip() {
        let t = EventTime(nanoseconds: 1_795_600_800_123_000_000)
        #expect(t.description == "2026-11-25T10:00:00.123Z")
        #expect(RFC3339.parse(t.description) == t)
    }
}
