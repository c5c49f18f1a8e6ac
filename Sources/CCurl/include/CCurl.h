// C shim over libcurl (libcurl4-openssl-dev) for eccd's notification channels: SMTP (STARTTLS,
// implicit TLS, AUTH) and HTTP(S). curl_easy_setopt is variadic, which Swift cannot call, so the
// shim exposes plain functions over plain types.
#ifndef CCURL_H
#define CCURL_H

#include <stddef.h>
#include <stdint.h>

/// libcurl's version string (e.g. "7.88.1"), for logs.
const char *ecc_curl_version(void);

#endif
