// PCRE2 for the regex benchmark only (`make bench`, ECC_BENCH_ONLY=regex): eccd does not use it. The library is
// loaded at run time with dlopen, so a machine without PCRE2 builds and tests everything and the benchmark skips
// the PCRE2 rows. Plain C types only.
#ifndef CECCPCRE2_H
#define CECCPCRE2_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A compiled PCRE2 pattern (8-bit, UTF mode) with its match data and named groups.
typedef struct ecc_pcre2 ecc_pcre2;

/// NULL when PCRE2 can be used; otherwise why not (no header at build time, no libpcre2-8.so.0 at run time).
const char *ecc_pcre2_unavailable(void);

/// PCRE2's version string ("10.42 2022-12-11"), empty when unavailable.
const char *ecc_pcre2_version(void);

/// Compiles `pattern` in UTF mode, JIT-compiled when `jit` is 1. NULL on error, with the message in `error`.
ecc_pcre2 *ecc_pcre2_new(const char *pattern, size_t len, int jit, char *error, size_t error_capacity);

/// Frees `re` (NULL is fine).
void ecc_pcre2_free(ecc_pcre2 *re);

/// The number of named groups; 0..<count in the order they open in the pattern.
int ecc_pcre2_group_count(const ecc_pcre2 *re);

/// The name of named group `i` (owned by `re`).
const char *ecc_pcre2_group_name(const ecc_pcre2 *re, int i);

/// Searches `text` anywhere: 1 on a match, 0 on none, a negative PCRE2 error code when it gave up (match or
/// depth limit). `spans` (may be NULL) receives start/end byte offsets of each named group, -1/-1 when unset.
/// Not thread-safe: each pattern has one match-data block.
int ecc_pcre2_match(ecc_pcre2 *re, const char *text, size_t len, int64_t *spans);

#ifdef __cplusplus
}
#endif

#endif
