/// A problem that stops eccd from starting (or `eccd --check-config` from passing), said in one message.
package struct StartupError: Error, CustomStringConvertible {
    package var description: String

    package init(description: String) { self.description = description }
}
