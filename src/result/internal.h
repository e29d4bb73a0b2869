/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to the result area: the keyset. */
#ifndef TEECTL_RESULT_INTERNAL_H
#define TEECTL_RESULT_INTERNAL_H

#include <jansson.h>

#include "crypto/ecdsa.h"

struct tc_keyset {
  json_t *signing;       /* private JWK: kty, crv, x, y, d, kid, alg ES256, use sig */
  EVP_PKEY *signing_key; /* the same key, made once: every token is signed with it */
  char *kid;             /* kid of the signing key */
  char *jws_header;      /* the tokens' protected header, base64url: made once at load */
  json_t *keys;          /* public JWKs of the JWKS, signing key first */
};

/* 1 if jwk is a usable ES256 (EC P-256) JWK; else 0 and *why says what is wrong. */
int result_jwk_is_es256(const json_t *jwk, int need_private, const char **why);

#endif
