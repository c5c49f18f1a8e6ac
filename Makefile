# ECC — thin, self-documenting wrapper over SwiftPM. `make help` lists the targets.

SWIFT        ?= swift
CONFIG       ?=
APT_PACKAGES := libsqlite3-dev libssl-dev libsnmp-dev libcurl4-openssl-dev libre2-dev pkg-config curl python3 systemd libsystemd-dev
TEST_APT_PACKAGES := snmp snmptrapd python3-aiosmtpd kannel kannel-extras openssl tcpdump rsyslog rsyslog-gnutls openssh-server sshpass sudo clamav logrotate systemd-journal-remote
TSAN_SCALE   ?= 20000

.DEFAULT_GOAL := help
.PHONY: help deps test-deps bench-deps fuzz fuzz-build fuzz-run fuzz-short build release run test test-faults soak tsan bench lint format check-rules clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## Install missing Debian packages (needs root or sudo)
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

test-deps: deps ## Install what the tests drive (net-snmp's snmptrap, snmpinform, snmptrapd, tcpdump, …); their services stay off
	@missing=""; for p in $(TEST_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make test-deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	  $$SUDO systemctl disable --now snmptrapd.service kannel.service rsyslog.service ssh.service clamav-freshclam.service >/dev/null 2>&1 || true; \
	  for s in rsyslog ssh clamav-freshclam; do $$SUDO service $$s stop >/dev/null 2>&1 || true; done; \
	fi

build: deps ## Debug build of everything
	$(SWIFT) build

release: deps ## Optimised build of eccd and eccctl (.build/release)
	$(SWIFT) build -c release --static-swift-stdlib --product eccd
	$(SWIFT) build -c release --static-swift-stdlib --product eccctl

run: release ## Build and run eccd in the foreground (CONFIG=deploy/eccd.yaml to use a file)
	@mkdir -p var
	@echo "eccd: HTTP API http://127.0.0.1:8470, JSON-lines TCP 127.0.0.1:8471, SNMP traps udp 127.0.0.1:1162, syslog udp 127.0.0.1:1514, database ./var/ecc.db, rules ./rules"
	@echo "eccd: try 'eccctl tail' in another terminal (.build/release/eccctl); Ctrl-C stops it"
	exec .build/release/eccd $(if $(CONFIG),--config $(CONFIG),)

ACCEPTANCE_EVENTS ?= 200000
KILLS ?= 20
STORM_SECONDS ?= 15
SOAK_TEST_SECONDS ?= 180
SOAK_SECONDS ?= 1800
# The unit and in-process tests take about 10 minutes on 2 cores; past this limit they are stopped and the
# tests still running are named (Tests/time-limit.sh), so a hang fails with a word instead of holding CI.
UNIT_TEST_MINUTES ?= 25

test: test-deps ## Run the whole test suite: unit and in-process tests, then the real binaries end to end
	$(SWIFT) build --build-tests
	Tests/time-limit.sh $(UNIT_TEST_MINUTES) $(SWIFT) test --skip-build
	$$($(SWIFT) build --show-bin-path)/eccctl rules test rules/
	$$($(SWIFT) build --show-bin-path)/eccctl rules test docs/examples/constructs/
	$$($(SWIFT) build --show-bin-path)/eccctl rules test docs/examples/calendar/
	$$($(SWIFT) build --show-bin-path)/eccctl rules check bench/sec/ecc
	Tests/acceptance/flood-sigterm.sh $$($(SWIFT) build --show-bin-path) $(ACCEPTANCE_EVENTS)
	Tests/acceptance/edge.py $$($(SWIFT) build --show-bin-path)
	Tests/acceptance/credentials.sh $$($(SWIFT) build --show-bin-path)
	Tests/acceptance/replay.py $$($(SWIFT) build --show-bin-path)
	Tests/acceptance/history.py $$($(SWIFT) build --show-bin-path)
	Tests/acceptance/kill9.py $$($(SWIFT) build --show-bin-path) $(KILLS)
	Tests/acceptance/files.py $$($(SWIFT) build --show-bin-path)
	Tests/acceptance/storm.py $$($(SWIFT) build --show-bin-path) $(STORM_SECONDS)
	Tests/acceptance/diskfull.py $$($(SWIFT) build --show-bin-path)
	Tests/acceptance/soak.py $$($(SWIFT) build --show-bin-path) $(SOAK_TEST_SECONDS)

test-faults: test-deps ## The fault scenarios in full on release binaries: kill -9 under load (KILLS=20), a 60 s storm, a full disk (root: mounts a tmpfs)
	$(SWIFT) build -c release --static-swift-stdlib --product eccd
	Tests/acceptance/kill9.py .build/release $(KILLS)
	Tests/acceptance/storm.py .build/release 60
	Tests/acceptance/diskfull.py .build/release

soak: test-deps ## SOAK_SECONDS (1800) at half the lossless rate with the shipped rules, release binaries: RSS, descriptors, log
	$(SWIFT) build -c release --static-swift-stdlib --product eccd
	Tests/acceptance/soak.py .build/release $(SOAK_SECONDS)

tsan: deps ## Bus stress tests under ThreadSanitizer (real threads)
	ECC_STRESS_SCALE=$(TSAN_SCALE) $(SWIFT) test --sanitize=thread --scratch-path .build-tsan --filter EccBusTests

BENCH_APT_PACKAGES ?= sec libpcre2-dev gnuplot-nox

bench-deps: ## Install SEC, PCRE2 and gnuplot (sec, libpcre2-dev, gnuplot-nox) for the comparisons and the growth plot
	@missing=""; for p in $(BENCH_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make bench-deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  if $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; then \
	    $$SUDO systemctl disable --now sec.service >/dev/null 2>&1 || true; \
	  else echo "make bench-deps: could not install$$missing; the SEC / PCRE2 comparisons will be skipped"; fi; \
	fi

bench: test-deps bench-deps ## Benchmarks: prints `bench: <name> <value> <unit>` lines
	$(SWIFT) build -c release --static-swift-stdlib --product EccBench
	$(SWIFT) build -c release --static-swift-stdlib --product eccd
	.build/release/EccBench

FUZZ_SECONDS ?= 60
FUZZ_SHORT_SECONDS ?= 15
FUZZ_TARGETS := json rfc3339 rules cmdb template mustache lines api syslog syslog-stream file-records eve
FUZZ_FLAGS   := -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING

fuzz-build: deps ## Build the libFuzzer executables (EccSNMPFuzz, EccFuzz, EccDaemonFuzz) with AddressSanitizer in .build-fuzz
	$(SWIFT) build -c release --scratch-path .build-fuzz --product EccSNMPFuzz $(FUZZ_FLAGS)
	$(SWIFT) build -c release --scratch-path .build-fuzz --product EccFuzz $(FUZZ_FLAGS)
	$(SWIFT) build -c release --scratch-path .build-fuzz --product EccDaemonFuzz $(FUZZ_FLAGS)

# Every target in turn: SNMP from Tests/fuzz/corpus, the others from Tests/fuzz/<target> (FUZZ_TARGETS through
# EccFuzz, config and replay through EccDaemonFuzz). The working corpus
# grows in .build-fuzz/corpus-<target>; a crash, leak, timeout or out-of-memory input is written to
# .build-fuzz/<target>-crash-* (-leak-, -timeout-, -oom-), the other targets still run, and make fails at
# the end naming the targets that failed.
fuzz-run:
	@failed=""; \
	run() { mkdir -p .build-fuzz/corpus-$$1 && cp -n $$2/* .build-fuzz/corpus-$$1/ 2>/dev/null || true; \
	  echo "make fuzz: $$1 for $(SECONDS_EACH) s from $$2"; \
	  ECC_FUZZ_TARGET=$$1 SWIFT_BACKTRACE=enable=no $$3 -max_total_time=$(SECONDS_EACH) -max_len=$$4 -rss_limit_mb=2048 -timeout=5 \
	    -print_final_stats=1 -artifact_prefix=.build-fuzz/$$1- .build-fuzz/corpus-$$1 $$2 \
	    || failed="$$failed $$1"; }; \
	run snmp Tests/fuzz/corpus .build-fuzz/release/EccSNMPFuzz 4096; \
	for t in $(FUZZ_TARGETS); do run $$t Tests/fuzz/$$t .build-fuzz/release/EccFuzz 16384; done; \
	run config Tests/fuzz/config .build-fuzz/release/EccDaemonFuzz 16384; \
	run replay Tests/fuzz/replay .build-fuzz/release/EccDaemonFuzz 65536; \
	if [ -n "$$failed" ]; then echo "make fuzz: crashes in:$$failed (inputs in .build-fuzz/<target>-*)"; exit 1; fi

fuzz: fuzz-build ## Fuzz every parser of outside input (SNMP, JSON, RFC 3339, rules, config, CMDB, templates, text lines, API requests, replay input) FUZZ_SECONDS (60) each
	$(MAKE) --no-print-directory fuzz-run SECONDS_EACH=$(FUZZ_SECONDS)

fuzz-short: fuzz-build ## The CI run of `make fuzz`: FUZZ_SHORT_SECONDS (15) per target; a crash fails it
	$(MAKE) --no-print-directory fuzz-run SECONDS_EACH=$(FUZZ_SHORT_SECONDS)

lint: ## Check formatting with swift format (lint mode); unsafe Sendable conformances only in EccBus
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift
	@if grep -rn --include='*.swift' '@unchecked Sendable' Sources | grep -v '^Sources/EccBus/'; then \
	  echo "lint: @unchecked Sendable outside Sources/EccBus (the lock-free code lives there, under its tests and TSan)"; exit 1; fi

format: ## Reformat sources in place
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

check-rules: build ## Validate the shipped rules as eccd would
	.build/debug/eccctl rules check rules/

clean: ## Remove build products (not ./var)
	rm -rf .build .build-tsan .build-fuzz
