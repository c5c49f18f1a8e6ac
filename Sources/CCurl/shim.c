#include "CCurl.h"
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

const char *ecc_curl_version(void) { return curl_version_info(CURLVERSION_NOW)->version; }

struct buffer {
    uint8_t *data;
    size_t len, cap;
};

struct ecc_curl {
    CURL *easy;
    struct curl_slist *headers;
    struct curl_slist *rcpt;
    CURLcode setup_error;
    CURLcode result;
    char error[CURL_ERROR_SIZE];
    uint8_t *upload;
    size_t upload_len, upload_pos;
    struct buffer body, head;
    size_t max_body;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_result = CURLE_OK;
static void global_init(void) { init_result = curl_global_init(CURL_GLOBAL_DEFAULT); }

static int append(struct buffer *b, const void *data, size_t n, size_t max) {
    if (b->len >= max) return 0;
    if (n > max - b->len) n = max - b->len;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1) cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p) return -1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
    ecc_curl *h = userdata;
    size_t n = size * nmemb;
    if (append(&h->body, ptr, n, h->max_body) < 0) return 0;
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata) {
    ecc_curl *h = userdata;
    size_t n = size * nmemb;
    if (append(&h->head, ptr, n, 256 * 1024) < 0) return 0;
    return n;
}

static size_t on_read(char *ptr, size_t size, size_t nmemb, void *userdata) {
    ecc_curl *h = userdata;
    size_t room = size * nmemb, left = h->upload_len - h->upload_pos;
    size_t n = left < room ? left : room;
    if (n) memcpy(ptr, h->upload + h->upload_pos, n);
    h->upload_pos += n;
    return n;
}

#define SET(h, opt, val)                                                                                               \
    do {                                                                                                               \
        CURLcode rc_ = curl_easy_setopt((h)->easy, opt, val);                                                          \
        if (rc_ != CURLE_OK && (h)->setup_error == CURLE_OK) (h)->setup_error = rc_;                                   \
    } while (0)

ecc_curl *ecc_curl_new(void) {
    pthread_once(&init_once, global_init);
    if (init_result != CURLE_OK) return NULL;
    ecc_curl *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->easy = curl_easy_init();
    if (!h->easy) {
        free(h);
        return NULL;
    }
    h->max_body = 1024 * 1024;
    SET(h, CURLOPT_NOSIGNAL, 1L);
    SET(h, CURLOPT_ERRORBUFFER, h->error);
    SET(h, CURLOPT_WRITEFUNCTION, on_write);
    SET(h, CURLOPT_WRITEDATA, h);
    SET(h, CURLOPT_HEADERFUNCTION, on_header);
    SET(h, CURLOPT_HEADERDATA, h);
    SET(h, CURLOPT_FOLLOWLOCATION, 0L);
    return h;
}

void ecc_curl_free(ecc_curl *h) {
    if (!h) return;
    curl_easy_cleanup(h->easy);
    curl_slist_free_all(h->headers);
    curl_slist_free_all(h->rcpt);
    free(h->upload);
    free(h->body.data);
    free(h->head.data);
    free(h);
}

void ecc_curl_set_url(ecc_curl *h, const char *url) { SET(h, CURLOPT_URL, url); }
void ecc_curl_set_protocols(ecc_curl *h, const char *protocols) { SET(h, CURLOPT_PROTOCOLS_STR, protocols); }

void ecc_curl_set_method(ecc_curl *h, const char *method) {
    if (strcmp(method, "GET") == 0) {
        SET(h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "POST") == 0) {
        SET(h, CURLOPT_POST, 1L);
    } else {
        SET(h, CURLOPT_CUSTOMREQUEST, method);
    }
}

void ecc_curl_add_header(ecc_curl *h, const char *line) {
    struct curl_slist *l = curl_slist_append(h->headers, line);
    if (!l) {
        if (h->setup_error == CURLE_OK) h->setup_error = CURLE_OUT_OF_MEMORY;
        return;
    }
    h->headers = l;
}

void ecc_curl_set_body(ecc_curl *h, const uint8_t *data, size_t len) {
    SET(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    SET(h, CURLOPT_COPYPOSTFIELDS, len ? (const char *)data : "");
}

void ecc_curl_set_upload(ecc_curl *h, const uint8_t *data, size_t len) {
    free(h->upload);
    h->upload = malloc(len ? len : 1);
    if (!h->upload) {
        if (h->setup_error == CURLE_OK) h->setup_error = CURLE_OUT_OF_MEMORY;
        return;
    }
    if (len) memcpy(h->upload, data, len);
    h->upload_len = len;
    h->upload_pos = 0;
    SET(h, CURLOPT_UPLOAD, 1L);
    SET(h, CURLOPT_READFUNCTION, on_read);
    SET(h, CURLOPT_READDATA, h);
    SET(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
}

void ecc_curl_set_mail_from(ecc_curl *h, const char *address) { SET(h, CURLOPT_MAIL_FROM, address); }

void ecc_curl_add_rcpt(ecc_curl *h, const char *address) {
    struct curl_slist *l = curl_slist_append(h->rcpt, address);
    if (!l) {
        if (h->setup_error == CURLE_OK) h->setup_error = CURLE_OUT_OF_MEMORY;
        return;
    }
    h->rcpt = l;
}

void ecc_curl_set_use_ssl(ecc_curl *h, int level) {
    long v = level == 2 ? (long)CURLUSESSL_ALL : level == 1 ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE;
    SET(h, CURLOPT_USE_SSL, v);
}

void ecc_curl_set_login(ecc_curl *h, const char *user, const char *password, const char *login_options) {
    SET(h, CURLOPT_USERNAME, user);
    SET(h, CURLOPT_PASSWORD, password);
    if (login_options) SET(h, CURLOPT_LOGIN_OPTIONS, login_options);
}

void ecc_curl_set_tls(ecc_curl *h, const char *ca_file, int verify) {
    if (ca_file) SET(h, CURLOPT_CAINFO, ca_file);
    SET(h, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
    SET(h, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
}

void ecc_curl_set_timeouts(ecc_curl *h, long connect_ms, long total_ms) {
    if (connect_ms > 0) SET(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    if (total_ms > 0) SET(h, CURLOPT_TIMEOUT_MS, total_ms);
}

void ecc_curl_set_max_body(ecc_curl *h, size_t max) { h->max_body = max; }

int ecc_curl_perform(ecc_curl *h) {
    if (h->setup_error != CURLE_OK) {
        h->result = h->setup_error;
        return (int)h->result;
    }
    if (h->headers) {
        CURLcode rc = curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, h->headers);
        if (rc != CURLE_OK) return (int)(h->result = rc);
    }
    if (h->rcpt) {
        CURLcode rc = curl_easy_setopt(h->easy, CURLOPT_MAIL_RCPT, h->rcpt);
        if (rc != CURLE_OK) return (int)(h->result = rc);
    }
    h->error[0] = 0;
    h->result = curl_easy_perform(h->easy);
    return (int)h->result;
}

long ecc_curl_response_code(ecc_curl *h) {
    long code = 0;
    if (curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK) return 0;
    return code;
}

const char *ecc_curl_error_text(ecc_curl *h) {
    if (h->error[0]) return h->error;
    return curl_easy_strerror(h->result);
}

const uint8_t *ecc_curl_body(ecc_curl *h, size_t *len) {
    *len = h->body.len;
    return h->body.data;
}

const char *ecc_curl_headers(ecc_curl *h, size_t *len) {
    *len = h->head.len;
    return (const char *)h->head.data;
}

int ecc_curl_failure_kind(int code) {
    switch ((CURLcode)code) {
    case CURLE_OK: return ECC_CURL_OK;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT: return ECC_CURL_CONNECT;
    case CURLE_OPERATION_TIMEDOUT: return ECC_CURL_TIMEOUT;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_READ_ERROR:
    case CURLE_WRITE_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_UPLOAD_FAILED: return ECC_CURL_IO;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_SHUTDOWN_FAILED: return ECC_CURL_TLS;
    case CURLE_LOGIN_DENIED: return ECC_CURL_LOGIN_DENIED;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT: return ECC_CURL_BAD_REQUEST;
    default: return ECC_CURL_OTHER;
    }
}
