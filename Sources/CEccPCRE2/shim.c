// See include/CEccPCRE2.h.
#include "CEccPCRE2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if __has_include(<pcre2.h>)
#define PCRE2_CODE_UNIT_WIDTH 8
#include <dlfcn.h>
#include <pcre2.h>
#include <pthread.h>

static struct {
    __typeof__(pcre2_compile) *compile;
    __typeof__(pcre2_jit_compile) *jit_compile;
    __typeof__(pcre2_code_free) *code_free;
    __typeof__(pcre2_match_data_create_from_pattern) *match_data_create;
    __typeof__(pcre2_match_data_free) *match_data_free;
    __typeof__(pcre2_match) *match;
    __typeof__(pcre2_get_ovector_pointer) *ovector;
    __typeof__(pcre2_pattern_info) *pattern_info;
    __typeof__(pcre2_get_error_message) *error_message;
    __typeof__(pcre2_config) *config;
} api;
static const char *unavailable = "not loaded";
static char version[64];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    void *lib = dlopen("libpcre2-8.so.0", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        unavailable = "libpcre2-8.so.0 not found (apt-get install libpcre2-dev)";
        return;
    }
#define LOAD(field, name)                                                                                      \
    if ((*(void **)&api.field = dlsym(lib, name)) == NULL) {                                                  \
        unavailable = "libpcre2-8.so.0 lacks " name;                                                           \
        return;                                                                                                \
    }
    LOAD(compile, "pcre2_compile_8")
    LOAD(jit_compile, "pcre2_jit_compile_8")
    LOAD(code_free, "pcre2_code_free_8")
    LOAD(match_data_create, "pcre2_match_data_create_from_pattern_8")
    LOAD(match_data_free, "pcre2_match_data_free_8")
    LOAD(match, "pcre2_match_8")
    LOAD(ovector, "pcre2_get_ovector_pointer_8")
    LOAD(pattern_info, "pcre2_pattern_info_8")
    LOAD(error_message, "pcre2_get_error_message_8")
    LOAD(config, "pcre2_config_8")
#undef LOAD
    api.config(PCRE2_CONFIG_VERSION, version);
    unavailable = NULL;
}

struct ecc_pcre2 {
    pcre2_code *code;
    pcre2_match_data *data;
    int count;
    int *numbers;  // group numbers of the named groups, ascending
    char **names;
};

const char *ecc_pcre2_unavailable(void) {
    pthread_once(&once, load);
    return unavailable;
}

const char *ecc_pcre2_version(void) {
    pthread_once(&once, load);
    return version;
}

ecc_pcre2 *ecc_pcre2_new(const char *pattern, size_t len, int jit, char *error, size_t error_capacity) {
    if (ecc_pcre2_unavailable() != NULL) {
        snprintf(error, error_capacity, "%s", unavailable);
        return NULL;
    }
    int code = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code *c = api.compile((PCRE2_SPTR)pattern, len, PCRE2_UTF, &code, &offset, NULL);
    if (c == NULL) {
        api.error_message(code, (PCRE2_UCHAR *)error, error_capacity);
        return NULL;
    }
    if (jit) {
        int rc = api.jit_compile(c, PCRE2_JIT_COMPLETE);
        if (rc != 0) {
            api.error_message(rc, (PCRE2_UCHAR *)error, error_capacity);
            api.code_free(c);
            return NULL;
        }
    }
    ecc_pcre2 *re = calloc(1, sizeof *re);
    re->code = c;
    re->data = api.match_data_create(c, NULL);
    uint32_t count = 0, entry = 0;
    PCRE2_SPTR table = NULL;
    api.pattern_info(c, PCRE2_INFO_NAMECOUNT, &count);
    api.pattern_info(c, PCRE2_INFO_NAMEENTRYSIZE, &entry);
    api.pattern_info(c, PCRE2_INFO_NAMETABLE, &table);
    re->count = (int)count;
    re->numbers = calloc(count + 1, sizeof(int));
    re->names = calloc(count + 1, sizeof(char *));
    // The table is sorted by name; each entry is a 2-byte group number and the NUL-terminated name.
    for (uint32_t i = 0; i < count; i++) {
        const unsigned char *e = table + i * entry;
        int number = (e[0] << 8) | e[1];
        uint32_t k = i;
        while (k > 0 && re->numbers[k - 1] > number) {  // insertion sort by group number
            re->numbers[k] = re->numbers[k - 1];
            re->names[k] = re->names[k - 1];
            k--;
        }
        re->numbers[k] = number;
        re->names[k] = strdup((const char *)e + 2);
    }
    return re;
}

void ecc_pcre2_free(ecc_pcre2 *re) {
    if (re == NULL) return;
    for (int i = 0; i < re->count; i++) free(re->names[i]);
    free(re->names);
    free(re->numbers);
    api.match_data_free(re->data);
    api.code_free(re->code);
    free(re);
}

int ecc_pcre2_group_count(const ecc_pcre2 *re) { return re->count; }

const char *ecc_pcre2_group_name(const ecc_pcre2 *re, int i) { return re->names[i]; }

int ecc_pcre2_match(ecc_pcre2 *re, const char *text, size_t len, int64_t *spans) {
    // Swift strings are valid UTF-8: skip PCRE2's check of the subject, as RE2 does not make one either.
    int rc = api.match(re->code, (PCRE2_SPTR)(text == NULL ? "" : text), len, 0, PCRE2_NO_UTF_CHECK, re->data, NULL);
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc < 0) return rc;
    if (spans != NULL) {
        PCRE2_SIZE *ov = api.ovector(re->data);
        for (int i = 0; i < re->count; i++) {
            int n = re->numbers[i];
            if (n < rc && ov[2 * n] != PCRE2_UNSET) {
                spans[2 * i] = (int64_t)ov[2 * n];
                spans[2 * i + 1] = (int64_t)ov[2 * n + 1];
            } else {
                spans[2 * i] = -1;
                spans[2 * i + 1] = -1;
            }
        }
    }
    return 1;
}

#else  // no pcre2.h at build time: the benchmark skips PCRE2

const char *ecc_pcre2_unavailable(void) { return "built without pcre2.h (apt-get install libpcre2-dev)"; }
const char *ecc_pcre2_version(void) { return ""; }
ecc_pcre2 *ecc_pcre2_new(const char *pattern, size_t len, int jit, char *error, size_t error_capacity) {
    (void)pattern, (void)len, (void)jit;
    if (error_capacity > 0) strncpy(error, ecc_pcre2_unavailable(), error_capacity - 1), error[error_capacity - 1] = 0;
    return NULL;
}
void ecc_pcre2_free(ecc_pcre2 *re) { (void)re; }
int ecc_pcre2_group_count(const ecc_pcre2 *re) { (void)re; return 0; }
const char *ecc_pcre2_group_name(const ecc_pcre2 *re, int i) { (void)re, (void)i; return ""; }
int ecc_pcre2_match(ecc_pcre2 *re, const char *text, size_t len, int64_t *spans) {
    (void)re, (void)text, (void)len, (void)spans;
    return 0;
}

#endif
