/* SPDX-License-Identifier: Apache-2.0 */
/* The key broker with TDX and SGX evidence (quotes from the Intel-like test hierarchy of
 * tests/common/dcap_forge) against real `teectl serve --resources` processes: the wire forms
 * {"quote": base64, "cc_eventlog": null} / {"quote": base64}, the binding in REPORT_DATA,
 * init-data in TDX MRCONFIGID (TD report offset 184, SGX has none), the TEE named at /auth.
 * The SNP flow and every denial are driven by the independent client (test_kbs_http); here
 * the binding is computed with the library's RFC 8785 function, which that client checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <jose/jose.h>
#include <openssl/sha.h>

#include "dcap_forge.h"
#include "harness.h"
#include "teectl/kbs.h"

#define QUOTE_HEADER 48
#define TD_MR_CONFIG_ID_OFF (QUOTE_HEADER + 184) /* TDX TD report: MRCONFIGID, 48 bytes */

static dcap_forge *F;
static srv TDX, SGX;
static json_t *PRIV, *PUB;
static const char INITDATA[] = "version = '0.1.0'\nalgorithm = 'sha384'\n[data]\n\"k\" = 'v'\n";

struct body {
  char *p;
  size_t n;
};

static size_t collect(char *d, size_t s, size_t n, void *u) {
  struct body *b = u;
  char *q = realloc(b->p, b->n + s * n + 1);
  assert_non_null(q);
  memcpy(q + b->n, d, s * n);
  b->p = q;
  b->n += s * n;
  b->p[b->n] = '\0';
  return s * n;
}

/* One request with the session's cookie jar (c); the answer's JSON into *out. */
static long call(CURL *c, const srv *s, const char *path, json_t *post, json_t **out) {
  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%u%s", s->port, path);
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  char *text = post ? json_dumps(post, JSON_COMPACT) : NULL;
  json_decref(post);
  struct body b = {0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, text ? h : NULL);
  curl_easy_setopt(c, CURLOPT_HTTPGET, text ? 0L : 1L);
  if (text)
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  long code = 0;
  assert_int_equal(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(h);
  free(text);
  *out = b.p ? json_loads(b.p, 0, NULL) : NULL;
  if (code != 200)
    print_message("%s: %ld %.300s\n", path, code, b.p ? b.p : "");
  free(b.p);
  return code;
}

static void mk(const srv *s, const char *rel) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", s->dir, rel);
  assert_int_equal(mkdir(p, 0700), 0);
}

static int start(srv *s, int tdx) {
  srv_init(s);
  if (dcap_forge_write_dir(F, tdx, s->dir) != 0)
    return -1;
  const tc_buf *root = dcap_forge_root_pem(F);
  char *rp = srv_write(s, "test_root.pem", root->data, root->len);
  mk(s, "res");
  mk(s, "res/default");
  mk(s, "res/default/tee");
  mk(s, "res/default/cfg");
  free(srv_write(s, "res/default/tee/key", "dcap secret", 11));
  free(srv_write(s, "res/default/cfg/key", "config-bound", 12));
  uint8_t d[48];
  char hex[97], pol[600];
  SHA384((const uint8_t *)INITDATA, sizeof INITDATA - 1, d);
  tc_hex_encode(d, 48, hex);
  snprintf(pol, sizeof pol,
           "{\"resources\":[{\"path\":\"default/tee/*\",\"tee\":[\"%s\"],\"min_status\":"
           "\"warning\"},{\"path\":\"default/cfg/*\",\"min_status\":\"warning\",\"init_data\":"
           "[\"%s\"]}]}",
           tdx ? "tdx" : "sgx", hex);
  char *pp = srv_write(s, "policy.json", pol, strlen(pol));
  char res[300];
  snprintf(res, sizeof res, "%s/res", s->dir);
  const char *args[] = {"--trust-root", rp,  "--collateral", s->dir, "--at", "2025-01-15T00:00:00Z",
                        "--resources",  res, "--policy",     pp,     NULL};
  int rc = srv_start(s, args);
  free(rp);
  free(pp);
  return rc;
}

static int setup(void **state) {
  (void)state;
  dcap_forge_opts o;
  dcap_forge_opts_init(&o);
  F = dcap_forge_new(&o);
  PRIV = json_pack("{s:s,s:s}", "kty", "EC", "crv", "P-256");
  if (F == NULL || !jose_jwk_gen(NULL, PRIV))
    return -1;
  PUB = json_pack("{s:s,s:s,s:s,s:O,s:O}", "kty", "EC", "crv", "P-256", "alg", "ECDH-ES+A256KW",
                  "x", json_object_get(PRIV, "x"), "y", json_object_get(PRIV, "y"));
  return start(&TDX, 1) == 0 && start(&SGX, 0) == 0 ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  srv_cleanup(&TDX);
  srv_cleanup(&SGX);
  dcap_forge_free(F);
  json_decref(PRIV);
  json_decref(PUB);
  return 0;
}

/* auth as tee, attest a quote of `version` (init: init-data sent, cfg: MRCONFIGID value or
 * NULL), then GET path; returns the attest status and leaves the resource status in *rs. */
static long flow(const srv *s, const char *tee, int version, const char *init, const uint8_t *cfg,
                 const char *path, long *rs, const char *want_plain) {
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_COOKIEFILE, "");
  json_t *ch = NULL, *ans = NULL;
  assert_int_equal(call(c, s, "/kbs/v0/auth",
                        json_pack("{s:s,s:s,s:{s:[s]}}", "version", "0.4.0", "tee", tee,
                                  "extra-params", "supported-hash-algorithms", "sha384"),
                        &ch),
                   200);
  const char *nonce = json_string_value(json_object_get(ch, "nonce"));
  uint8_t rd[64];
  tc_error err;
  assert_int_equal(tc_kbs_runtime_data_digest(TC_KBS_SHA384, nonce, PUB, "", rd, &err), TC_OK);
  tc_buf q = {0};
  assert_int_equal(dcap_forge_quote(F, version, rd, &q), 0);
  if (cfg) {
    memcpy(q.data + TD_MR_CONFIG_ID_OFF, cfg, 48);
    assert_int_equal(dcap_forge_resign(F, q.data, q.len), 0);
  }
  char *b64 = b64_std(q.data, q.len);
  json_t *ev = version == 4 ? json_pack("{s:s,s:n}", "quote", b64, "cc_eventlog")
                            : json_pack("{s:s}", "quote", b64);
  json_t *msg = json_pack("{s:{s:s,s:O},s:{s:o,s:s}}", "runtime-data", "nonce", nonce, "tee-pubkey",
                          PUB, "tee-evidence", "primary_evidence", ev, "additional_evidence", "");
  json_object_set_new(msg, "init-data",
                      init ? json_pack("{s:s,s:s}", "format", "toml", "body", init) : json_null());
  long st = call(c, s, "/kbs/v0/attest", msg, &ans);
  json_decref(ans);
  *rs = call(c, s, path, NULL, &ans);
  if (*rs == 200) {
    size_t n = 0;
    char *pt = jose_jwe_dec(NULL, ans, NULL, PRIV, &n);
    assert_non_null(pt);
    assert_int_equal(n, strlen(want_plain));
    assert_memory_equal(pt, want_plain, n);
    free(pt);
  }
  json_decref(ans);
  json_decref(ch);
  free(b64);
  tc_buf_free(&q);
  curl_easy_cleanup(c);
  return st;
}

static void test_tdx(void **state) {
  (void)state;
  long rs;
  assert_int_equal(
      flow(&TDX, "tdx", 4, NULL, NULL, "/kbs/v0/resource/default/tee/key", &rs, "dcap secret"),
      200);
  assert_int_equal(rs, 200);
  /* init-data: SHA-384 of the document in MRCONFIGID (48 bytes, no padding needed) */
  uint8_t d[48];
  SHA384((const uint8_t *)INITDATA, sizeof INITDATA - 1, d);
  assert_int_equal(
      flow(&TDX, "tdx", 4, INITDATA, d, "/kbs/v0/resource/default/cfg/key", &rs, "config-bound"),
      200);
  assert_int_equal(rs, 200);
  /* without init-data the cfg rule denies; with another MRCONFIGID the attestation fails */
  assert_int_equal(flow(&TDX, "tdx", 4, NULL, NULL, "/kbs/v0/resource/default/cfg/key", &rs, ""),
                   200);
  assert_int_equal(rs, 403);
  d[47] ^= 1;
  assert_int_equal(flow(&TDX, "tdx", 4, INITDATA, d, "/kbs/v0/resource/default/cfg/key", &rs, ""),
                   401);
  assert_int_equal(rs, 401);
  /* an SGX quote on a session that said tdx: the verifier refuses it as TDX evidence */
  assert_int_equal(flow(&TDX, "tdx", 3, NULL, NULL, "/kbs/v0/resource/default/tee/key", &rs, ""),
                   401);
  assert_int_equal(rs, 401);
}

static void test_sgx(void **state) {
  (void)state;
  long rs;
  assert_int_equal(
      flow(&SGX, "sgx", 3, NULL, NULL, "/kbs/v0/resource/default/tee/key", &rs, "dcap secret"),
      200);
  assert_int_equal(rs, 200);
  /* SGX has no init-data field: refused, not ignored */
  assert_int_equal(
      flow(&SGX, "sgx", 3, INITDATA, NULL, "/kbs/v0/resource/default/tee/key", &rs, ""), 401);
  assert_int_equal(rs, 401);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_tdx), cmocka_unit_test(test_sgx)};
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  curl_global_cleanup();
  return rc;
}
