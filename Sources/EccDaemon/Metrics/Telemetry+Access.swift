import EccHTTP

extension Telemetry {
    /// `ecc_http_refused_total{reason}`: API requests refused before their handler, by reason.
    func countRefusals(_ access: APIAccess) {
        for (reason, n) in access.refusalCounts {
            count(
                "ecc_http_refused_total", ["reason": reason.rawValue], n,
                "API requests refused for credentials or origin (missing_token, bad_token, role, foreign_origin, "
                    + "foreign_host, unlisted_route, bad_secret)")
        }
    }
}
