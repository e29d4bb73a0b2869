/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL's error queue into a tc_error (crypto/ossl.h). */
#include "crypto/ossl.h"

#include <stdio.h>
#include <string.h>

void tc_error_add_openssl(tc_error *err) {
  unsigned long e;
  char buf[256];
  while ((e = ERR_get_error()) != 0) {
    if (err == NULL)
      continue;
    ERR_error_string_n(e, buf, sizeof buf);
    size_t len = strlen(err->detail);
    if (len + 3 < sizeof err->detail)
      snprintf(err->detail + len, sizeof err->detail - len, "%s%s", len ? "; " : "", buf);
  }
}
