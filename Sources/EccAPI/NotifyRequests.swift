/// `POST /v1/notify/test`: a test message to one receiver of eccd.yaml, waiting up to `wait_seconds`
/// (0–300, default 60) for its first attempt's outcome.
package struct NotifyTestRequest: Codable, Sendable {
    package var receiver: String?
    package var waitSeconds: Int?
    package init(receiver: String, waitSeconds: Int? = nil) {
        self.receiver = receiver
        self.waitSeconds = waitSeconds
    }
    enum CodingKeys: String, CodingKey {
        case receiver
        case waitSeconds = "wait_seconds"
    }
}
