/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — ownership by scope (private header).
 *
 * A variable declared with TC_AUTO(type) is released when it goes out of scope, on
 * every return path, with the free function of its type (GCC/Clang cleanup attribute).
 * Hand ownership to the caller by clearing the variable: `*out = x; x = NULL;`.
 *
 *   TC_AUTO(tc_trust_store) *ts = NULL;  tc_trust_store_free
 *   TC_AUTO_BUF b = {0};             a tc_buf, tc_buf_free
 *   json_auto_t *j = NULL;           jansson's own (json_decref)
 *
 * The OpenSSL types (X509, EVP_PKEY, ...) have their releasers in crypto/ossl.h, the
 * crypto module's private header, so that this one needs no OpenSSL header.
 */
#ifndef TEECTL_CORE_AUTO_H
#define TEECTL_CORE_AUTO_H

#include <jansson.h>

#include "teectl/bytes.h"
#include "teectl/verify.h"

#if !defined(__GNUC__) && !defined(__clang__)
#error "teectl needs the cleanup attribute of GCC or Clang"
#endif

#define TC_AUTO(type) __attribute__((cleanup(tc_autofree_##type))) type
#define TC_AUTO_BUF __attribute__((cleanup(tc_buf_free))) tc_buf

/* One releaser per type: takes the address of the variable, tolerates NULL. */
#define TC_AUTOFREE_DEFINE(type, release)                                                          \
  static inline void tc_autofree_##type(type **p) {                                                \
    if (*p != NULL)                                                                                \
      release(*p);                                                                                 \
    *p = NULL;                                                                                     \
  }

TC_AUTOFREE_DEFINE(tc_trust_store, tc_trust_store_free)

#endif
