#!/usr/bin/env bash
# Acceptance: API credentials with the real eccd, eccctl and openssl binaries.
#  1. eccd (and --check-config) refuse a non-loopback http.listen without tokens, saying how to make one;
#  2. eccctl token create: the token printed once, the file 0600 holding only its hash;
#  3. eccd on 0.0.0.0 with tokens and an openssl-made certificate: eccctl over HTTPS with --ca-file and
#     --token-file; no token 401, a viewer's token 403 for an action, the operator's ack journaled under
#     the principal, not the --as name; a world-readable token file refused by eccctl;
#  4. the JSON-lines TCP collector on 0.0.0.0: refused without TLS and tokens; with them, openssl s_client
#     authenticates with a token and its event carries the principal as sender; a viewer's token is refused;
#  5. SIGHUP after replacing the certificate: the next connection is served the new one.
# Usage: credentials.sh BIN_DIR
set -euo pipefail
bin=$(cd "$1" && pwd)
work=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "credentials: FAIL: $*" >&2; echo "--- eccd log" >&2; tail -20 "$work/eccd.log" >&2 || true; exit 1; }
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(freeport)
tport=$(freeport)
mkdir -p "$work/rules"
cat >"$work/rules/r.yaml" <<'RULES'
- rule: node-down
  when: {type: nodeDown}
  clear_when: {type: nodeUp}
  alarm: {severity: critical, summary: "{host} down"}
- rule: ping
  when: {type: ping}
  key: "{host}"
  alarm: {severity: minor, summary: "ping from {sender}"}
RULES
cd "$work"

# 1. Off loopback without tokens: refused, with the way out.
printf 'database: {path: %s/ecc.db}\nrules: [%s/rules]\nhttp: {listen: "0.0.0.0:%s"}\ntcp: {enabled: false}\nsnmp: {enabled: false}\nsyslog: {enabled: false}\n' \
    "$work" "$work" "$port" >open.yaml
if "$bin/eccd" --config open.yaml --check-config 2>check.err; then fail "--check-config accepted 0.0.0.0 without tokens"; fi
grep -q "eccctl token create" check.err || fail "no hint how to create a token: $(cat check.err)"
# The rule author's check is eccd's: same refusal, same words.
if "$bin/eccctl" rules check rules --config open.yaml >ctl.out 2>&1; then fail "eccctl rules check --config accepted it"; fi
grep -q "eccctl token create" ctl.out || fail "eccctl rules check --config said otherwise: $(cat ctl.out)"
if "$bin/eccd" --config open.yaml >open.log 2>&1; then fail "eccd started on 0.0.0.0 without tokens"; fi
grep -q "eccctl token create" open.log || fail "eccd's refusal has no hint: $(cat open.log)"
printf 'database: {path: %s/ecc.db}\nrules: [%s/rules]\ntcp: {listen: "0.0.0.0:%s"}\nsnmp: {enabled: false}\nsyslog: {enabled: false}\n' \
    "$work" "$work" "$tport" >opentcp.yaml
if "$bin/eccd" --config opentcp.yaml --check-config 2>check.err; then fail "--check-config accepted tcp on 0.0.0.0"; fi
grep -q "tcp.tls (cert_file, key_file) and http.tokens_file" check.err || fail "tcp refusal: $(cat check.err)"

# 2. Tokens.
"$bin/eccctl" token create --principal alice --role operator --file tokens >alice.token 2>/dev/null
"$bin/eccctl" token create --principal view --role viewer --file tokens >view.token 2>/dev/null
chmod 600 alice.token view.token
[ "$(stat -c %a tokens)" = 600 ] || fail "tokens file mode $(stat -c %a tokens), not 600"
grep -qF "$(cat alice.token)" tokens && fail "the tokens file holds a token, not its hash"
[ "$(wc -l <tokens)" = 2 ] || fail "expected two lines in the tokens file"

# 3. HTTPS with tokens on every interface.
cert() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -keyout "$1.key" -out "$1.pem" \
        -subj "/CN=$1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
    chmod 600 "$1.key"
}
cert first
cert second
cp first.pem live.pem && cp first.key live.key
printf 'database: {path: %s/ecc.db}\nrules: [%s/rules]\nhttp:\n  listen: "0.0.0.0:%s"\n  tokens_file: %s/tokens\n  tls: {cert_file: %s/live.pem, key_file: %s/live.key}\ntcp:\n  listen: "0.0.0.0:%s"\n  tls: {cert_file: %s/live.pem, key_file: %s/live.key}\nsnmp: {enabled: false}\nsyslog: {enabled: false}\n' \
    "$work" "$work" "$port" "$work" "$work" "$work" "$tport" "$work" "$work" >eccd.yaml
"$bin/eccd" --config eccd.yaml --check-config >check.out || fail "--check-config refused the token + TLS config"
"$bin/eccctl" rules check rules --config eccd.yaml >ctl.out || fail "eccctl rules check --config refused it: $(cat ctl.out)"
grep -qxF "$(cat check.out)" ctl.out || fail "eccctl's summary differs from eccd's: $(cat check.out) / $(cat ctl.out)"
"$bin/eccd" --config eccd.yaml >eccd.log 2>&1 &
pid=$!
export ECC_SERVER="https://127.0.0.1:$port" ECC_CA_FILE="$work/first.pem"
for _ in $(seq 100); do "$bin/eccctl" status --token-file view.token >/dev/null 2>&1 && break; sleep 0.1; done
"$bin/eccctl" status --token-file view.token >/dev/null || fail "eccctl status over HTTPS with a viewer token"
if "$bin/eccctl" status 2>err.txt; then fail "eccctl status without a token was answered"; fi
grep -q "needs a token" err.txt || fail "no-token error: $(cat err.txt)"
"$bin/eccctl" send --token-file alice.token --source t --host core1 --type nodeDown >/dev/null || fail "operator send"
for _ in $(seq 100); do
    "$bin/eccctl" incidents list --token-file view.token | grep -q core1 && break
    sleep 0.1
done
if "$bin/eccctl" incidents ack 1 --token-file view.token 2>err.txt; then fail "a viewer acknowledged"; fi
grep -q "view is viewer; this needs operator" err.txt || fail "viewer refusal: $(cat err.txt)"
"$bin/eccctl" incidents ack 1 --as mallory --token-file alice.token >/dev/null || fail "operator ack"
"$bin/eccctl" incidents show 1 --token-file view.token | grep -q "alice  acknowledged" || fail "journal: not alice"
"$bin/eccctl" incidents show 1 --token-file view.token | grep -q mallory && fail "journal: the --as name was believed"
chmod 644 view.token
if "$bin/eccctl" status --token-file view.token 2>err.txt; then fail "eccctl used a world-readable token file"; fi
chmod 600 view.token

# 4. The TCP collector over TLS with a token; the event's claimed sender is replaced by the principal.
{ echo '{"auth":"'"$(cat alice.token)"'"}'; echo '{"source":"t","host":"tcp1","type":"ping","attributes":{"sender":"mallory"}}'
  sleep 1; } | timeout 10 openssl s_client -quiet -verify_return_error -CAfile first.pem -connect "127.0.0.1:$tport" \
    >tcp.out 2>/dev/null || true
grep -q '{"auth":"ok","principal":"alice"}' tcp.out || fail "TCP over TLS with alice's token: $(cat tcp.out)"
for _ in $(seq 100); do
    "$bin/eccctl" alarms --token-file view.token | grep -q "ping from alice" && break
    sleep 0.1
done
"$bin/eccctl" alarms --token-file view.token | grep -q "ping from alice" || fail "the TCP event's sender is not alice"
{ echo '{"auth":"'"$(cat view.token)"'"}'; echo '{"source":"t","host":"tcp2","type":"ping"}'; } |
    timeout 10 openssl s_client -quiet -CAfile first.pem -connect "127.0.0.1:$tport" >tcp.out 2>/dev/null || true
grep -q '"error":"view is a viewer' tcp.out || fail "a viewer's token over TCP: $(cat tcp.out)"

# 5. Certificate renewal on SIGHUP.
cp second.pem live.pem && cp second.key live.key
kill -HUP "$pid"
for _ in $(seq 100); do grep -q "TLS certificate reloaded" eccd.log && break; sleep 0.1; done
ECC_CA_FILE="$work/second.pem" "$bin/eccctl" status --token-file view.token >/dev/null || fail "renewed certificate"
if "$bin/eccctl" status --token-file view.token 2>/dev/null; then fail "the old certificate is still served"; fi
echo '{"auth":"'"$(cat alice.token)"'"}' | timeout 10 openssl s_client -quiet -verify_return_error -CAfile second.pem \
    -connect "127.0.0.1:$tport" >tcp.out 2>/dev/null || true
grep -q '"auth":"ok"' tcp.out || fail "the TCP collector does not serve the renewed certificate: $(cat tcp.out)"
kill "$pid"
wait "$pid" || fail "eccd did not exit 0"
pid=""
echo "credentials: OK (loopback-only without tokens, tokens hashed, roles, principal in the journal, HTTPS, TCP over TLS with tokens, SIGHUP renewal)"
