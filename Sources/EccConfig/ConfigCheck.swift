import EccAuth
import EccCore
import EccHTTP
import EccIncidents
import EccNotify
import EccRules
import EccYAML

/// A configuration that passed the check, with what eccd starts from: the rules, who may call the API and
/// the certificates, each read once.
package struct CheckedConfig: Sendable {
    package let config: DaemonConfig
    package let rules: RuleSet
    /// Who may call the API (tokens, or tokenless on loopback).
    package let access: APIAccess
    /// The API's certificate (nil: plain HTTP).
    package let tls: TLSCertificates?
    /// The JSON-lines collector's certificate (nil: plain TCP).
    package let tcpTLS: TLSCertificates?
    /// The syslog TLS listener's certificate and client CA (nil: no TLS listener).
    package let syslogTLS: TLSCertificates?

    /// Every certificate eccd serves, reloaded on SIGHUP.
    package var certificates: [TLSCertificates] { [tls, tcpTLS, syslogTLS].compactMap { $0 } }

    /// What `eccd --check-config` prints: `configuration OK; 42 rules; …`.
    package var summary: String {
        let notify = config.notify.map { "\($0.receivers.count) notification receivers" } ?? "notifications off"
        let api =
            (access.requiresTokens ? "API tokens required" : "API without tokens (loopback)")
            + (tls == nil ? "" : ", HTTPS")
        let tcp =
            !config.tcp.enabled
            ? "TCP collector off"
            : "TCP collector " + (tcpTLS == nil ? "plain" : "TLS")
                + (access.requiresTokens ? " with tokens" : " without tokens (loopback)")
        return "configuration OK; \(rules.rules.count) rules; \(notify); \(api); \(tcp)"
    }
}

extension DaemonConfig {
    /// The one check of a configuration, as eccd starts with it: the listeners' policies (SNMP communities,
    /// syslog senders and the TCP collector off loopback), the descriptor budget (the soft limit is raised as at start),
    /// the tokens file and the certificates read, the rules loaded from ``rulePaths`` (or `rules`, for
    /// `eccctl rules check --config`), and every receiver a route names present in `notify:`.
    /// `eccd --check-config`, eccd's start and `eccctl rules check --config` all call this.
    package func check(rules given: RuleSet? = nil) throws(StartupError) -> CheckedConfig {
        if let problem = snmpCommunityProblem { throw StartupError(description: problem) }
        if let problem = syslogSenderProblem { throw StartupError(description: problem) }
        if let problem = tcpListenProblem { throw StartupError(description: problem) }
        try DescriptorBudget.ensure(self)
        let access: APIAccess
        let tls: TLSCertificates?
        let tcpTLS: TLSCertificates?
        let syslogTLS: TLSCertificates?
        do {
            access = try apiAccess()
            tls = try apiTLS()
            tcpTLS = try tcpCertificates()
            syslogTLS = try syslogCertificates()
        } catch {
            throw StartupError(description: error.description)
        }
        let rules: RuleSet
        if let given {
            rules = given
        } else {
            do { rules = try RuleLoader.load(paths: rulePaths) } catch {
                throw StartupError(description: "rules refused:\n\(error.description)")
            }
        }
        if let notify {
            let unknown = notify.unknownReceivers(in: rules)
            guard unknown.isEmpty else {
                throw StartupError(description: "rules refused:\n\(ConfigErrors(unknown).description)")
            }
        }
        return CheckedConfig(config: self, rules: rules, access: access, tls: tls, tcpTLS: tcpTLS, syslogTLS: syslogTLS)
    }
}
