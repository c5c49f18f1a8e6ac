// C shim over libcurl (libcurl4-openssl-dev) for eccd's notification channels: SMTP (STARTTLS,
// implicit TLS, AUTH) and HTTP(S). curl_easy_setopt is variadic, which Swift cannot call, so the
// shim exposes plain functions over plain types. One ecc_curl handle is one transfer: create it,
// set it up, perform it once, read the result, free it. A handle is used by one thread at a time;
// separate handles may run on separate threads at once (curl_global_init runs once, under a
// pthread_once, when the first handle is made).
#ifndef CCURL_H
#define CCURL_H

#include <stddef.h>
#include <stdint.h>

/// libcurl's version string (e.g. "7.88.1"), for logs.
const char *ecc_curl_version(void);

/// One transfer (an easy handle with its header list, recipients, upload and response buffers).
typedef struct ecc_curl ecc_curl;

/// A new transfer, or NULL when libcurl cannot make one (out of memory, global init failed).
ecc_curl *ecc_curl_new(void);
void ecc_curl_free(ecc_curl *h);

/// Setters copy their strings. A setter that libcurl refuses is remembered: ecc_curl_perform then
/// returns that error without connecting.
void ecc_curl_set_url(ecc_curl *h, const char *url);
/// Comma-separated schemes the transfer may use, e.g. "smtp,smtps" or "http,https".
void ecc_curl_set_protocols(ecc_curl *h, const char *protocols);
/// "GET", "POST" or any other method (sent as a custom request).
void ecc_curl_set_method(ecc_curl *h, const char *method);
/// One "Name: value" request header.
void ecc_curl_add_header(ecc_curl *h, const char *line);
/// The HTTP request body (copied).
void ecc_curl_set_body(ecc_curl *h, const uint8_t *data, size_t len);
/// The bytes to upload (SMTP DATA), fed by a read callback (copied).
void ecc_curl_set_upload(ecc_curl *h, const uint8_t *data, size_t len);
/// SMTP envelope.
void ecc_curl_set_mail_from(ecc_curl *h, const char *address);
void ecc_curl_add_rcpt(ecc_curl *h, const char *address);
/// 0 = no TLS, 1 = STARTTLS when offered (CURLUSESSL_TRY), 2 = STARTTLS required (CURLUSESSL_ALL).
void ecc_curl_set_use_ssl(ecc_curl *h, int level);
/// Username and password; `login_options` (e.g. "AUTH=PLAIN") may be NULL.
void ecc_curl_set_login(ecc_curl *h, const char *user, const char *password, const char *login_options);
/// CA bundle (NULL = the system's) and whether to verify the peer's certificate and name.
void ecc_curl_set_tls(ecc_curl *h, const char *ca_file, int verify);
/// Connect and total timeouts in milliseconds (0 = libcurl's default).
void ecc_curl_set_timeouts(ecc_curl *h, long connect_ms, long total_ms);
/// The most response body bytes kept (the rest is read and dropped). Default 1 MiB.
void ecc_curl_set_max_body(ecc_curl *h, size_t max);

/// Runs the transfer. Returns libcurl's CURLcode (0 = success).
int ecc_curl_perform(ecc_curl *h);

/// CURLINFO_RESPONSE_CODE: the HTTP status or the last SMTP reply code (0 when none came).
long ecc_curl_response_code(ecc_curl *h);
/// The error buffer's text, or curl_easy_strerror of the last result when the buffer is empty.
const char *ecc_curl_error_text(ecc_curl *h);
/// The response body collected by the write callback (not NUL-terminated).
const uint8_t *ecc_curl_body(ecc_curl *h, size_t *len);
/// Raw header lines as received (HTTP headers; for SMTP, every server reply line).
const char *ecc_curl_headers(ecc_curl *h, size_t *len);

/// What kind of failure a CURLcode is.
enum ecc_curl_failure {
    ECC_CURL_OK = 0,
    /// DNS, refused, unreachable.
    ECC_CURL_CONNECT = 1,
    ECC_CURL_TIMEOUT = 2,
    /// Send/receive errors, connection reset, unexpected server answers.
    ECC_CURL_IO = 3,
    /// TLS handshake, certificate verification, STARTTLS unavailable.
    ECC_CURL_TLS = 4,
    ECC_CURL_LOGIN_DENIED = 5,
    /// Malformed URL, unsupported or disallowed scheme, an option libcurl does not know.
    ECC_CURL_BAD_REQUEST = 6,
    ECC_CURL_OTHER = 7,
};
int ecc_curl_failure_kind(int code);

#endif
