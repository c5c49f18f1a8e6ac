// See include/CEccCrypto.h.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "CEccCrypto.h"

#include <openssl/des.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

static const EVP_MD *md_of(int alg) {
    switch (alg) {
    case ECC_MD5: return EVP_md5();
    case ECC_SHA1: return EVP_sha1();
    case ECC_SHA224: return EVP_sha224();
    case ECC_SHA256: return EVP_sha256();
    case ECC_SHA384: return EVP_sha384();
    case ECC_SHA512: return EVP_sha512();
    default: return NULL;
    }
}

size_t ecc_hash_length(int alg) {
    const EVP_MD *md = md_of(alg);
    return md ? (size_t)EVP_MD_get_size(md) : 0;
}

int ecc_hash(int alg, const uint8_t *data, size_t len, uint8_t *out) {
    const EVP_MD *md = md_of(alg);
    if (!md) return -1;
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, md, NULL) == 1 ? 0 : -1;
}

int ecc_hash_fd(int alg, int fd, uint64_t max_bytes, uint8_t *out) {
    const EVP_MD *md = md_of(alg);
    if (!md) return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx) return -1;
    int result = EVP_DigestInit_ex(ctx, md, NULL) == 1 ? 0 : -1;
    uint8_t buffer[65536];
    uint64_t total = 0;
    while (result == 0) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { result = -1; break; }
        if (n == 0) break;
        total += (uint64_t)n;
        if (total > max_bytes) { result = 1; break; }
        if (EVP_DigestUpdate(ctx, buffer, (size_t)n) != 1) result = -1;
    }
    unsigned int len = 0;
    if (result == 0 && EVP_DigestFinal_ex(ctx, out, &len) != 1) result = -1;
    EVP_MD_CTX_free(ctx);
    return result;
}

int ecc_password_to_key(int alg, const uint8_t *pass, size_t passlen, uint8_t *out) {
    const EVP_MD *md = md_of(alg);
    if (!md || passlen == 0) return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx) return -1;
    int ok = EVP_DigestInit_ex(ctx, md, NULL) == 1;
    uint8_t block[64];
    size_t index = 0;
    for (size_t done = 0; ok && done < 1048576; done += 64) {
        for (int i = 0; i < 64; i++) block[i] = pass[index++ % passlen];
        ok = EVP_DigestUpdate(ctx, block, 64) == 1;
    }
    unsigned int n = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, out, &n) == 1;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

int ecc_hmac(int alg, const uint8_t *key, size_t keylen, const uint8_t *data, size_t len, uint8_t *out) {
    const EVP_MD *md = md_of(alg);
    if (!md) return -1;
    unsigned int n = 0;
    return HMAC(md, key, (int)keylen, data, len, out, &n) ? 0 : -1;
}

int ecc_des_cbc(int encrypt, const uint8_t key[8], const uint8_t iv[8], const uint8_t *in, size_t len, uint8_t *out) {
    if (len % 8 != 0) return -1;
    // The low-level DES API: OpenSSL 3 keeps single DES for EVP only in its legacy provider.
    DES_cblock k, v;
    DES_key_schedule ks;
    memcpy(k, key, 8);
    memcpy(v, iv, 8);
    DES_set_key_unchecked(&k, &ks);
    DES_ncbc_encrypt(in, out, (long)len, &ks, &v, encrypt ? DES_ENCRYPT : DES_DECRYPT);
    return 0;
}

int ecc_aes_cfb(int encrypt, const uint8_t *key, size_t keylen, const uint8_t iv[16], const uint8_t *in, size_t len,
                uint8_t *out) {
    const EVP_CIPHER *cipher = keylen == 16 ? EVP_aes_128_cfb128()
                               : keylen == 24 ? EVP_aes_192_cfb128()
                               : keylen == 32 ? EVP_aes_256_cfb128()
                                              : NULL;
    if (!cipher) return -1;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return -1;
    int n = 0, m = 0;
    int ok = EVP_CipherInit_ex(ctx, cipher, NULL, key, iv, encrypt ? 1 : 0) == 1
             && EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1
             && EVP_CipherFinal_ex(ctx, out + n, &m) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok && (size_t)(n + m) == len ? 0 : -1;
}

int ecc_random(uint8_t *out, size_t len) { return RAND_bytes(out, (int)len) == 1 ? 0 : -1; }
