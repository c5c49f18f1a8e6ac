// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "ecc",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "eccd", targets: ["eccd"]),
        .executable(name: "eccctl", targets: ["eccctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // Latency percentiles in the benchmarks only.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // RE2 (libre2-dev) behind a small C API: the rule engine's regular expressions, matched in linear time.
        .target(
            name: "CEccRE2",
            linkerSettings: [.linkedLibrary("re2")]
        ),
        // Pure core: event model, templates, rule engine state machine, JSON event codec. Standard library only,
        // plus the RE2 shim: rule regexes must match in linear time (a backtracking engine lets one event's text
        // hold the engine thread for minutes), which no Swift package or the standard library offers.
        .target(name: "EccCore", dependencies: ["CEccRE2"], swiftSettings: strict),
        // The lock-free event bus. The only target allowed @unchecked Sendable.
        .target(
            name: "EccBus",
            dependencies: [.product(name: "Atomics", package: "swift-atomics")],
            swiftSettings: strict
        ),
        // The YAML toolkit of rule and configuration files: strict decoding with file:line:column errors,
        // bounds on what a file may make the parser build, durations.
        .target(
            name: "EccYAML",
            dependencies: ["EccCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // Rule files (rules, contexts, routes, tables, CMDB items), their lint and their tests.
        .target(name: "EccRules", dependencies: ["EccCore", "EccYAML"], swiftSettings: strict),
        // System SQLite (libsqlite3-dev).
        // libsystemd's sd-journal, to read the journal's files (the format is libsystemd's to know).
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // The incident domain without a database: incidents, ITSM records, priority, SLA targets and business
        // hours, the lifecycle as transitions that return their effects, and the storage protocols a backend
        // implements.
        .target(name: "EccIncidents", dependencies: ["EccCore"], swiftSettings: strict),
        // Alarm / incident store on SQLite in WAL mode.
        .target(
            name: "EccStore",
            dependencies: [
                "EccAPI", "EccCore", "EccBus", "EccIncidents", "CSQLite",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // C shim over OpenSSL's libcrypto: USM hashes and ciphers, token digests, webhook signatures, random bytes.
        .target(name: "CEccCrypto", linkerSettings: [.linkedLibrary("crypto")]),
        // C shim over net-snmp's libnetsnmp: MIB loading and OID names.
        .target(name: "CEccSNMP", linkerSettings: [.linkedLibrary("netsnmp")]),
        // C shim for the datagram receivers: recvmmsg.
        .target(name: "CEccNet"),
        // A C shim for what eccd reports about its own process (heap in use, glibc's mallinfo2).
        .target(name: "CEccProcess"),
        // SNMP: the BER codec, v1/v2c/v3 notifications, the USM, OID names.
        .target(
            name: "EccSNMP",
            dependencies: ["EccCore", "CEccCrypto", "CEccSNMP"],
            swiftSettings: strict
        ),
        // Syslog messages (RFC 5424, RFC 3164 and vendor variants) into events: no I/O, fuzzable alone.
        .target(name: "EccSyslog", dependencies: ["EccCore"], swiftSettings: strict),
        // What the libFuzzer executables share: libFuzzer's driver, or replaying files in an ordinary build.
        .target(name: "EccFuzzDriver", swiftSettings: strict),
        // libFuzzer target for the SNMP decoder: `make fuzz` builds it with -sanitize=fuzzer.
        .executableTarget(
            name: "EccSNMPFuzz",
            dependencies: ["EccSNMP", "EccCore", "EccFuzzDriver"],
            swiftSettings: strict + [.unsafeFlags(["-parse-as-library"])]
        ),
        // libFuzzer targets for the other parsers that need no daemon, picked by ECC_FUZZ_TARGET (`make fuzz`).
        .executableTarget(
            name: "EccFuzz",
            dependencies: ["EccAPI", "EccCore", "EccRules", "EccYAML", "EccNotify", "EccSyslog", "EccFuzzDriver"],
            swiftSettings: strict + [.unsafeFlags(["-parse-as-library"])]
        ),
        // libFuzzer target for eccd's configuration file (it links the daemon, so it runs apart).
        .executableTarget(
            name: "EccDaemonFuzz",
            dependencies: ["EccConfig", "EccDaemon", "EccFuzzDriver"],
            swiftSettings: strict + [.unsafeFlags(["-parse-as-library"])]
        ),
        // Credentials: API roles, principals, the hashed tokens file, TLS certificate files (eccd and eccctl).
        .target(
            name: "EccAuth",
            dependencies: ["CEccCrypto", .product(name: "NIOSSL", package: "swift-nio-ssl")],
            swiftSettings: strict
        ),
        // Collectors: JSON lines over TCP (TLS and tokens), SNMP traps and informs over UDP.
        .target(
            name: "EccCollectors",
            dependencies: [
                "EccCore", "EccBus", "EccSNMP", "EccSyslog", "CEccNet", "EccAuth", "CSystemd", "CEccCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // C shim over libcurl (SMTP with STARTTLS / implicit TLS / AUTH, HTTP and HTTPS) for the channels.
        .target(
            name: "CCurl",
            linkerSettings: [.linkedLibrary("curl")]
        ),
        // Notifications: the dispatcher (its thread, what it decides, the outbox it reads and writes), the
        // channels (e-mail, SMS over Kannel or an HTTP gateway, webhook), their Mustache templates, and the
        // receiver configuration they are built from.
        .target(
            name: "EccNotify",
            dependencies: [
                "EccCore", "EccBus", "EccRules", "EccYAML", "EccStore", "EccIncidents", "CCurl", "CEccCrypto",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // HTTP API (Hummingbird): ingest, alarms, incidents, live stream, metrics.
        .target(
            name: "EccHTTP",
            dependencies: [
                "EccAPI", "EccCore", "EccBus", "EccStore", "EccIncidents", "EccCollectors", "EccAuth",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // eccd.yaml: every section as a type, its parser, and the one check that `eccd --check-config`,
        // eccd's start and `eccctl rules check --config` share.
        .target(
            name: "EccConfig",
            dependencies: [
                "EccCore", "EccYAML", "EccRules", "EccStore", "EccIncidents", "EccCollectors", "EccHTTP", "EccSNMP",
                "EccNotify", "EccAuth", .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The daemon's wiring as a library, so tests can run a whole daemon in-process.
        .target(
            name: "EccDaemon",
            dependencies: [
                "EccConfig", "EccCore", "EccBus", "EccRules", "EccYAML", "EccStore", "EccIncidents", "EccCollectors",
                "EccHTTP", "EccSNMP", "EccSyslog",
                "EccNotify",
                .product(name: "NIOCore", package: "swift-nio"),
                "EccAuth", "CEccProcess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "eccd",
            dependencies: [
                "EccConfig", "EccDaemon", "EccAuth", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // The HTTP API's contract: request and answer bodies shared by eccd and eccctl (on the core's enums).
        .target(name: "EccAPI", dependencies: ["EccCore"], swiftSettings: strict),
        // Client side of the API (eccctl, tests, benchmarks): HTTP on SwiftNIO's codec, JSON lines over TCP.
        .target(
            name: "EccClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "eccctl",
            dependencies: [
                "EccAPI", "EccConfig", "EccCore", "EccRules", "EccYAML", "EccClient", "EccStore", "EccIncidents",
                "EccNotify",
                "EccAuth",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // PCRE2 for the regex benchmark only, loaded with dlopen: without libpcre2-dev the PCRE2 rows are skipped.
        .target(name: "CEccPCRE2"),
        .executableTarget(
            name: "EccBench",
            dependencies: [
                "EccCore", "EccBus", "EccRules", "EccYAML", "EccStore", "EccIncidents", "EccConfig", "EccDaemon",
                "EccClient",
                "EccSNMP", "EccSyslog", "EccCollectors", "CEccPCRE2",
                "EccTestSupport",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Sources/EccBench",
            swiftSettings: strict
        ),
        .target(
            name: "EccTestSupport",
            dependencies: ["EccCore", "EccRules", "EccYAML"],
            swiftSettings: strict
        ),
        .testTarget(name: "EccCoreTests", dependencies: ["EccCore", "EccTestSupport"], swiftSettings: strict),
        .testTarget(name: "EccBusTests", dependencies: ["EccBus"], swiftSettings: strict),
        .testTarget(
            name: "EccSyslogTests", dependencies: ["EccSyslog", "EccCore", "EccRules", "EccTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EccSNMPTests",
            dependencies: [
                "EccSNMP", "EccCollectors", "EccBus", "EccCore", "EccTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "EccRulesTests", dependencies: ["EccRules", "EccYAML", "EccCore", "EccTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "EccStoreTests", dependencies: ["EccStore", "EccIncidents", "EccCore", "EccTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "EccIncidentsTests", dependencies: ["EccIncidents", "EccCore", "EccTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "EccNotifyTests",
            dependencies: [
                "EccNotify", "EccCore", "EccRules", "EccYAML", "EccStore", "EccIncidents", "EccTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EccDaemonTests",
            dependencies: [
                "EccDaemon", "EccConfig", "EccAPI", "EccCore", "EccClient", "EccStore", "EccIncidents",
                "EccTestSupport", "EccAuth",
                "EccHTTP",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
    ]
)
