// A C shim over RE2 (Debian's libre2-dev) for the rule engine's regular expressions: compile, match with
// named-capture extraction, error text, free. Plain C types only, so Swift needs no C++ interop.
#ifndef CECCRE2_H
#define CECCRE2_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A compiled expression and its named groups. Immutable once made: matching from many threads is safe.
typedef struct ecc_re2 ecc_re2;

/// Compiles `pattern` (`len` bytes of UTF-8) in RE2's Perl-like syntax; errors are returned, never logged.
/// Returns NULL only when out of memory; otherwise check `ecc_re2_error_code`.
ecc_re2 *ecc_re2_new(const char *pattern, size_t len);

/// Frees `re` (NULL is fine).
void ecc_re2_free(ecc_re2 *re);

/// 0 when the pattern compiled, else RE2's error code (`RE2::ErrorCode`).
int ecc_re2_error_code(const ecc_re2 *re);

/// RE2's message ("invalid perl operator: (?="), empty when the pattern compiled.
const char *ecc_re2_error(const ecc_re2 *re);

/// The fragment of the pattern the error is about ("(?="), empty when the pattern compiled.
const char *ecc_re2_error_arg(const ecc_re2 *re);

/// The number of named groups; they are numbered 0..<count in the order they open in the pattern.
int ecc_re2_group_count(const ecc_re2 *re);

/// The name of named group `i` (NUL-terminated, owned by `re`).
const char *ecc_re2_group_name(const ecc_re2 *re, int i);

/// Searches `text` (`len` bytes of UTF-8) anywhere. Returns 1 on a match, 0 otherwise. When `spans` is not NULL
/// it receives 2 * group_count byte offsets into `text`: start and end of each named group, -1 and -1 for a
/// group that took no part in the match. With `spans` NULL, or no named groups, only RE2's DFA runs.
int ecc_re2_match(const ecc_re2 *re, const char *text, size_t len, int64_t *spans);

/// Many expressions matched in one pass over a text (RE2::Set, unanchored): which of them match, without
/// captures. Built by adding expressions, then compiled once; immutable (and safe to share) after that.
typedef struct ecc_re2_set ecc_re2_set;

/// An empty set; NULL only when out of memory.
ecc_re2_set *ecc_re2_set_new(void);

/// Frees `set` (NULL is fine).
void ecc_re2_set_free(ecc_re2_set *set);

/// Adds an expression (already known to compile alone); returns its index, or -1 when RE2 refuses it.
int ecc_re2_set_add(ecc_re2_set *set, const char *pattern, size_t len);

/// Compiles the set after the last add; 1 on success, 0 when RE2 ran out of memory for it.
int ecc_re2_set_compile(ecc_re2_set *set);

/// The lowest index of an expression that matches `text` anywhere, -1 when none does, -2 when the set could
/// not tell (its DFA ran out of memory: try the expressions one by one).
int ecc_re2_set_first(const ecc_re2_set *set, const char *text, size_t len);

#ifdef __cplusplus
}
#endif

#endif
