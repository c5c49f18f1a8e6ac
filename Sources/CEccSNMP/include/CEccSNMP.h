// C shims for eccd's SNMP module: the USM crypto (OpenSSL's libcrypto) and MIB lookups (net-snmp's
// libnetsnmp). Kept to plain types so the Swift side needs no OpenSSL or net-snmp headers.
#ifndef CECCSNMP_H
#define CECCSNMP_H

#include <stddef.h>
#include <stdint.h>

/// Hash algorithms of the USM authentication protocols.
enum ecc_hash { ECC_MD5 = 0, ECC_SHA1 = 1, ECC_SHA224 = 2, ECC_SHA256 = 3, ECC_SHA384 = 4, ECC_SHA512 = 5 };

/// Digest length in bytes of `alg`, 0 if unknown.
size_t ecc_hash_length(int alg);

/// `out` (ecc_hash_length bytes) = H(data). Returns 0 on success.
int ecc_hash(int alg, const uint8_t *data, size_t len, uint8_t *out);

/// RFC 3414 A.2 password-to-key: H over 1 MB of the repeated passphrase. Returns 0 on success.
int ecc_password_to_key(int alg, const uint8_t *pass, size_t passlen, uint8_t *out);

/// `out` (ecc_hash_length bytes) = HMAC(key, data). Returns 0 on success.
int ecc_hmac(int alg, const uint8_t *key, size_t keylen, const uint8_t *data, size_t len, uint8_t *out);

/// DES-CBC without padding (`len` a multiple of 8), RFC 3414 section 8. Returns 0 on success.
int ecc_des_cbc(int encrypt, const uint8_t key[8], const uint8_t iv[8], const uint8_t *in, size_t len, uint8_t *out);

/// AES-CFB128 with a 16, 24 or 32 byte key (RFC 3826 and its 192/256-bit variants). Returns 0 on success.
int ecc_aes_cfb(int encrypt, const uint8_t *key, size_t keylen, const uint8_t iv[16], const uint8_t *in, size_t len,
                uint8_t *out);

/// Cryptographically random bytes. Returns 0 on success.
int ecc_random(uint8_t *out, size_t len);

/// Loads every MIB module found in `dirs` (colon-separated), with net-snmp's own defaults off.
/// Returns the number of MIB tree nodes known afterwards. Not thread-safe: call under a lock.
int ecc_mib_load(const char *dirs);

/// Looks up the deepest MIB node naming a prefix of `arcs`. On success returns the number of arcs the
/// node covers (the rest is the instance) and fills `module` and `label`; 0 when nothing below the
/// root is known. Not thread-safe: call under a lock.
size_t ecc_mib_lookup(const uint32_t *arcs, size_t count, char *module, size_t modlen, char *label, size_t labellen);

/// The label of enumeration value `value` of the node that `arcs` (count of them) names exactly, if
/// the node has an enumerated syntax. Returns 1 when found. Not thread-safe: call under a lock.
int ecc_mib_enum(const uint32_t *arcs, size_t count, long value, char *label, size_t labellen);

/// Receives up to `count` datagrams without waiting (recvmmsg): datagram i lands in `buffers + i * slot`,
/// its length in `lengths[i]`, 1 in `truncated[i]` if it was longer than `slot`, the sender in `addrs`
/// (`addrsize` bytes each) with its length in `addrlens[i]`. Returns how many, 0 when none, -1 on error.
int ecc_udp_receive(int fd, void *buffers, size_t slot, int count, void *addrs, size_t addrsize, unsigned *addrlens,
                    int *lengths, int *truncated);

/// Names the calling thread (as `top`, `perf` and `ps -L` show it; at most 15 characters).

#endif
