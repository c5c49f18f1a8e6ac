// C shim over OpenSSL's libcrypto: the hashes, HMAC and ciphers of SNMPv3's USM, the token digests of the
// API and the webhook signatures, and random bytes. Plain types, so the Swift side needs no OpenSSL headers.
#ifndef CECCCRYPTO_H
#define CECCCRYPTO_H

#include <stddef.h>
#include <stdint.h>

/// Hash algorithms of the USM authentication protocols.
enum ecc_hash { ECC_MD5 = 0, ECC_SHA1 = 1, ECC_SHA224 = 2, ECC_SHA256 = 3, ECC_SHA384 = 4, ECC_SHA512 = 5 };

/// Digest length in bytes of `alg`, 0 if unknown.
size_t ecc_hash_length(int alg);

/// `out` (ecc_hash_length bytes) = H(data). Returns 0 on success.
int ecc_hash(int alg, const uint8_t *data, size_t len, uint8_t *out);

/// `out` (ecc_hash_length bytes) = H(what the descriptor `fd` reads to its end). Returns 0 on success, 1
/// when the file holds more than `max_bytes` (nothing in `out`), -1 on a read or digest error.
int ecc_hash_fd(int alg, int fd, uint64_t max_bytes, uint8_t *out);

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

#endif
