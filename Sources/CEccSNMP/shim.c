// See include/CEccSNMP.h.
#define _GNU_SOURCE 1
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "CEccSNMP.h"

#include <openssl/des.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

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

static int mib_ready = 0;

int ecc_mib_load(const char *dirs) {
    if (!mib_ready) {
        // Only what eccd is told to load: no ~/.snmp, no snmp.conf, no default MIB list.
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
        netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_ERRORS, 0);
        setenv("MIBS", "", 1);
        netsnmp_set_mib_directory(dirs && *dirs ? dirs : "/nonexistent");
        netsnmp_init_mib();
        mib_ready = 1;
    } else if (dirs && *dirs) {
        char *copy = strdup(dirs);
        if (!copy) return -1;
        for (char *dir = strtok(copy, ":"); dir; dir = strtok(NULL, ":")) add_mibdir(dir);
        free(copy);
    }
    read_all_mibs();
    int count = 0;
    // Count the nodes reachable from the root (a rough measure of what was loaded).
    struct tree *stack[256];
    int top = 0;
    for (struct tree *t = get_tree_head(); t; t = t->next_peer) stack[top++] = t;
    while (top > 0) {
        struct tree *t = stack[--top];
        count++;
        for (struct tree *c = t->child_list; c && top < 256; c = c->next_peer) stack[top++] = c;
    }
    return count;
}

size_t ecc_mib_lookup(const uint32_t *arcs, size_t count, char *module, size_t modlen, char *label, size_t labellen) {
    if (!mib_ready || count == 0 || count > 128) return 0;
    oid name[128];
    for (size_t i = 0; i < count; i++) name[i] = arcs[i];
    struct tree *t = get_tree(name, count, get_tree_head());
    if (!t || !t->label) return 0;
    size_t depth = 0;
    for (struct tree *p = t; p; p = p->parent) depth++;
    // get_tree answers with the deepest known node on the path; make sure it is on it.
    if (depth > count) return 0;
    struct tree *p = t;
    for (size_t i = depth; i > 0; i--, p = p->parent)
        if (!p || p->subid != name[i - 1]) return 0;
    if (depth < 2) return 0;
    snprintf(label, labellen, "%s", t->label);
    char buf[256];
    module_name(t->modid, buf);
    snprintf(module, modlen, "%s", buf);
    return depth;
}

int ecc_mib_enum(const uint32_t *arcs, size_t count, long value, char *label, size_t labellen) {
    if (!mib_ready || count == 0 || count > 128) return 0;
    oid name[128];
    for (size_t i = 0; i < count; i++) name[i] = arcs[i];
    struct tree *t = get_tree(name, count, get_tree_head());
    if (!t) return 0;
    for (struct enum_list *e = t->enums; e; e = e->next)
        if (e->value == value && e->label) {
            snprintf(label, labellen, "%s", e->label);
            return 1;
        }
    return 0;
}

int ecc_udp_receive(int fd, void *buffers, size_t slot, int count, void *addrs, size_t addrsize, unsigned *addrlens,
                    int *lengths, int *truncated) {
    struct mmsghdr m[64];
    struct iovec io[64];
    if (count > 64) count = 64;
    for (int i = 0; i < count; i++) {
        io[i].iov_base = (char *)buffers + (size_t)i * slot;
        io[i].iov_len = slot;
        memset(&m[i], 0, sizeof m[i]);
        m[i].msg_hdr.msg_name = (char *)addrs + (size_t)i * addrsize;
        m[i].msg_hdr.msg_namelen = (socklen_t)addrsize;
        m[i].msg_hdr.msg_iov = &io[i];
        m[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, m, (unsigned)count, MSG_DONTWAIT, NULL);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        lengths[i] = (int)m[i].msg_len;
        truncated[i] = (m[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
        addrlens[i] = m[i].msg_hdr.msg_namelen;
    }
    return n;
}

