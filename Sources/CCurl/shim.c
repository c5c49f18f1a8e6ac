#include "CCurl.h"
#include <curl/curl.h>

const char *ecc_curl_version(void) { return curl_version_info(CURLVERSION_NOW)->version; }
