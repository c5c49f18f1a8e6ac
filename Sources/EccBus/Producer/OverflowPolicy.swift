/// What a producer does when the bus is full.
package enum OverflowPolicy: String, Sendable, Hashable {
    /// Wait for room: backpressure. For sources that can be slowed down (TCP, HTTP, files).
    case wait
    /// Drop the newest events and count them. For sources that cannot wait (UDP).
    case dropNewest = "drop-newest"
}
