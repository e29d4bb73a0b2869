/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of src/kbs. Expected values come from the RFCs' examples, from hand-written
 * spec layouts, or were computed independently with python3 (json.dumps(sort_keys=True,
 * separators=(',',':')) equals RFC 8785 for these ASCII documents; hmac/hashlib for HKDF). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <jose/b64.h>
#include <jose/jwe.h>
#include <jose/jwk.h>
#include <jose/openssl.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "teectl/appraisal.h"
#include "teectl/kbs.h"
#include "testlib.h"

static const char *EC_JWK = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ECDH-ES+A256KW\","
                            "\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
                            "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}";

static json_t *J(const char *text) {
  json_t *v = json_loads(text, 0, NULL);
  assert_non_null(v);
  return v;
}

/* ---------------------------------------------------------------- RFC 8785 */

static void test_jcs_rfc8785_sorting_and_escapes(void **state) {
  (void)state;
  /* RFC 8785 section 3.2.3: members sorted by UTF-16 code units (U+1F600 as surrogates
   * sorts before U+FB33... here: "\r" < "1" < "\u0080" < "\u00f6" < "\u20ac" < "\ud83d\ude00"
   * < "\ufb33"). */
  json_t *v = J("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew "
                "Letter Dalet With Dagesh\",\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning "
                "Face\",\"\\u0080\":\"Control\",\"\\u00f6\":\"Latin Small Letter O With "
                "Diaeresis\"}");
  char *out = NULL;
  tc_error err;
  assert_int_equal(tc_kbs_jcs(v, &out, &err), TC_OK);
  const char *want = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
                     "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":"
                     "\"Euro Sign\",\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\",\"\xef\xac\xb3\":"
                     "\"Hebrew Letter Dalet With Dagesh\"}";
  assert_string_equal(out, want);
  free(out);
  json_decref(v);
  /* section 3.2.2.2 escapes; '/' and DEL are not escaped */
  v = J("[\"\\u000f\\n\\\"\\\\/\\u007f\", 12, true, null, false, {}]");
  assert_int_equal(tc_kbs_jcs(v, &out, &err), TC_OK);
  assert_string_equal(out, "[\"\\u000f\\n\\\"\\\\/\x7f\",12,true,null,false,{}]");
  free(out);
  json_decref(v);
  v = J("[1.5]");
  assert_int_equal(tc_kbs_jcs(v, &out, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "jcs_number_unsupported");
  json_decref(v);
}

static void test_runtime_data_binding(void **state) {
  (void)state;
  json_t *jwk = J(EC_JWK);
  uint8_t rd[64];
  tc_error err;
  const char *nonce = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  assert_int_equal(tc_kbs_runtime_data_digest(TC_KBS_SHA384, nonce, jwk, "", rd, &err), TC_OK);
  /* python3: sha384(json.dumps(rd, sort_keys=True, separators=(',',':'))) */
  char hex[129];
  tc_hex_encode(rd, 64, hex);
  assert_string_equal(hex, "8a6244441b1b1171b3a1d56a693d4ce116c1f9ca1ae558bc5f59d46dada54cf4"
                           "9e92a361ab2472c434652fed5887f16d"
                           "00000000000000000000000000000000");
  assert_int_equal(tc_kbs_binding_check(TC_KBS_SHA384, rd, nonce, jwk, "", &err), TC_OK);
  assert_int_equal(tc_kbs_binding_check(TC_KBS_SHA384, rd, nonce, jwk, "{}", &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "binding_mismatch");
  rd[50] = 1; /* the padding is bound too */
  assert_int_equal(tc_kbs_binding_check(TC_KBS_SHA384, rd, nonce, jwk, "", &err), TC_ERR_VERIFY);
  json_decref(jwk);
}

static void test_thumbprint_rfc7638(void **state) {
  (void)state;
  /* RFC 7638 section 3.1 */
  json_t *k = J("{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4"
                "cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4"
                "Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c"
                "7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr"
                "3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\","
                "\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}");
  char tp[44];
  tc_error err;
  assert_int_equal(tc_kbs_jwk_thumbprint(k, tp, &err), TC_OK);
  assert_string_equal(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  json_decref(k);
}

/* ----------------------------------------------------------- protocol messages */

static void test_auth_request(void **state) {
  (void)state;
  tc_kbs_auth a;
  tc_error err;
  const char *ok = "{\"version\":\"0.4.0\",\"tee\":\"snp\",\"extra-params\":"
                   "{\"supported-hash-algorithms\":[\"sha256\",\"sha384\",\"sha512\",\"sm3\"]}}";
  assert_int_equal(tc_kbs_auth_parse(ok, strlen(ok), &a, &err), TC_OK);
  assert_int_equal(a.tee, TC_TEE_SNP);
  assert_int_equal(a.hash, TC_KBS_SHA384);
  const char *only512 =
      "{\"version\":\"0.4.0\",\"tee\":\"tdx\",\"extra-params\":{\"supported-hash-algorithms\":"
      "[\"sha512\"]}}";
  assert_int_equal(tc_kbs_auth_parse(only512, strlen(only512), &a, &err), TC_OK);
  assert_int_equal(a.tee, TC_TEE_TDX);
  assert_int_equal(a.hash, TC_KBS_SHA512);
  const char *old = "{\"version\":\"0.4.0\",\"tee\":\"sgx\",\"extra-params\":\"\"}";
  assert_int_equal(tc_kbs_auth_parse(old, strlen(old), &a, &err), TC_OK);
  assert_int_equal(a.hash, TC_KBS_SHA384);
  static const struct {
    const char *body, *reason;
    tc_status st;
  } bad[] = {
      {"{\"version\":\"0.3.0\",\"tee\":\"snp\",\"extra-params\":{}}", "kbs_version_unsupported",
       TC_ERR_VERIFY},
      {"{\"version\":\"0.4.0-rc1\",\"tee\":\"snp\",\"extra-params\":{}}", "kbs_version_unsupported",
       TC_ERR_VERIFY},
      {"{\"version\":\"0.4.0\",\"tee\":\"cca\",\"extra-params\":{}}", "kbs_tee_unsupported",
       TC_ERR_VERIFY},
      {"{\"version\":\"0.4.0\",\"tee\":\"nosuch\",\"extra-params\":{}}", "kbs_tee_unsupported",
       TC_ERR_VERIFY},
      {"{\"version\":\"0.4.0\",\"tee\":\"snp\",\"extra-params\":{\"supported-hash-algorithms\":"
       "[\"sm3\"]}}",
       "kbs_hash_unsupported", TC_ERR_VERIFY},
      {"{\"version\":\"0.4.0\",\"tee\":\"snp\"}", "kbs_request_invalid", TC_ERR_PARSE},
      {"[1]", "kbs_request_invalid", TC_ERR_PARSE},
      {"{\"version\":\"0.4.0\",\"version\":\"0.4.0\",\"tee\":\"snp\",\"extra-params\":{}}",
       "kbs_request_invalid", TC_ERR_PARSE},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(tc_kbs_auth_parse(bad[i].body, strlen(bad[i].body), &a, &err), bad[i].st);
    assert_string_equal(err.reason, bad[i].reason);
  }
}

static void test_challenge(void **state) {
  (void)state;
  uint8_t nonce[32];
  for (int i = 0; i < 32; i++)
    nonce[i] = (uint8_t)i;
  json_t *c = tc_kbs_challenge(nonce, TC_KBS_SHA384);
  char *text = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
  /* RFC 4648 standard base64 of bytes 0..31 (python3 base64.b64encode) */
  assert_string_equal(text, "{\"extra-params\":{\"selected-hash-algorithm\":\"sha384\"},"
                            "\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}");
  free(text);
  json_decref(c);
}

static char *attestation(const char *rd_extra, const char *jwk, const char *additional) {
  char *s = NULL;
  assert_true(asprintf(&s,
                       "{\"init-data\":null,\"runtime-data\":{\"nonce\":\"n\",\"tee-pubkey\":%s%s},"
                       "\"tee-evidence\":{\"primary_evidence\":{},\"additional_evidence\":%s}}",
                       jwk, rd_extra, additional) > 0);
  return s;
}

static void test_attestation_message(void **state) {
  (void)state;
  tc_kbs_attestation a;
  tc_error err;
  char *s = attestation("", EC_JWK, "\"\"");
  assert_int_equal(tc_kbs_attestation_parse(s, strlen(s), &a, &err), TC_OK);
  assert_string_equal(a.nonce, "n");
  assert_null(a.init_data_format);
  assert_string_equal(a.additional_evidence, "");
  tc_kbs_attestation_free(&a);
  free(s);
  static const struct {
    const char *extra, *jwk, *add, *reason;
  } bad[] = {
      {",\"x\":1", NULL, "\"\"", "kbs_attestation_invalid"},
      {"", NULL, "\"{\\\"tdx\\\":{}}\"", "additional_evidence_unsupported"},
      {"", "{\"kty\":\"RSA\",\"alg\":\"RSA1_5\",\"n\":\"AQAB\",\"e\":\"AQAB\"}", "\"\"",
       "tee_pubkey_invalid"},
      /* y of the RFC 7517 point with its last character changed: off the curve */
      {"",
       "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ECDH-ES+A256KW\",\"x\":"
       "\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\",\"y\":"
       "\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyA\"}",
       "\"\"", "tee_pubkey_invalid"},
      {"",
       "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ECDH-ES+A256KW\",\"kid\":\"k\",\"x\":"
       "\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\",\"y\":"
       "\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}",
       "\"\"", "tee_pubkey_invalid"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    s = attestation(bad[i].extra, bad[i].jwk ? bad[i].jwk : EC_JWK, bad[i].add);
    assert_int_not_equal(tc_kbs_attestation_parse(s, strlen(s), &a, &err), TC_OK);
    assert_string_equal(err.reason, bad[i].reason);
    assert_null(a.root);
    free(s);
  }
}

/* ---------------------------------------------------------------- sessions */

static void test_session_key_hkdf(void **state) {
  (void)state;
  uint8_t secret[32];
  for (int i = 0; i < 32; i++)
    secret[i] = (uint8_t)i;
  tc_kbs_session_key k;
  tc_error err;
  assert_int_equal(tc_kbs_session_key_derive(secret, 32, &k, &err), TC_OK);
  char hex[65];
  /* python3: HKDF-SHA-256 (RFC 5869) with hmac/hashlib, salt 32 zero bytes, one block */
  assert_string_equal(tc_hex_encode(k.k, 32, hex),
                      "234d715179e5c1f8c69682d52cf2f21e7dcb47adc9ba0955b59d1bba1b41dc2b");
  assert_int_equal(tc_kbs_session_key_derive(secret, 31, &k, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "session_key_too_short");
}

static void test_session_seal_open(void **state) {
  (void)state;
  uint8_t secret[32] = {1}, other[32] = {2}, iv[12] = {9};
  tc_kbs_session_key k, k2;
  tc_error err;
  assert_int_equal(tc_kbs_session_key_derive(secret, 32, &k, &err), TC_OK);
  assert_int_equal(tc_kbs_session_key_derive(other, 32, &k2, &err), TC_OK);
  tc_kbs_session s = {0};
  s.tee = TC_TEE_SNP;
  s.hash = TC_KBS_SHA384;
  s.nonce[0] = 0xAB;
  s.expires_at = 1000;
  char *c = NULL;
  assert_int_equal(tc_kbs_session_seal(&k, &s, iv, &c, &err), TC_OK);
  tc_kbs_session o;
  assert_int_equal(tc_kbs_session_open(&k, c, 1000, &o, &err), TC_OK);
  assert_int_equal(o.attested, 0);
  assert_int_equal(o.tee, TC_TEE_SNP);
  assert_int_equal(o.hash, TC_KBS_SHA384);
  assert_memory_equal(o.nonce, s.nonce, 32);
  assert_int_equal(o.expires_at, 1000);
  tc_kbs_session_clear(&o);
  assert_int_equal(tc_kbs_session_open(&k, c, 1001, &o, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "session_expired");
  assert_int_equal(tc_kbs_session_open(&k2, c, 10, &o, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "session_forged");
  /* every single-character change of the sealed text is rejected */
  size_t n = strlen(c);
  for (size_t i = 0; i < n; i++) {
    char saved = c[i];
    c[i] = saved == 'A' ? 'B' : 'A';
    assert_int_equal(tc_kbs_session_open(&k, c, 10, &o, &err), TC_ERR_VERIFY);
    c[i] = saved;
  }
  /* one text per session: the same bytes spelled with non-zero unused low bits in the last
   * character (RFC 4648 section 3.5) are refused, not opened. With "exp":10000 the sealed
   * bytes are 1 + 12 + 101 + 16 = 130, so the last character carries 4 unused bits. */
  {
    static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    tc_kbs_session s2 = s;
    s2.expires_at = 10000;
    char *c2 = NULL;
    assert_int_equal(tc_kbs_session_seal(&k, &s2, iv, &c2, &err), TC_OK);
    size_t n2 = strlen(c2);
    assert_int_equal(n2, (130 * 4 + 2) / 3);
    assert_int_equal(tc_kbs_session_open(&k, c2, 10, &o, &err), TC_OK);
    tc_kbs_session_clear(&o);
    c2[n2 - 1] = url[(strchr(url, c2[n2 - 1]) - url) ^ 1];
    assert_int_equal(tc_kbs_session_open(&k, c2, 10, &o, &err), TC_ERR_VERIFY);
    assert_string_equal(err.reason, "session_malformed");
    free(c2);
  }
  assert_int_equal(tc_kbs_session_open(&k, "not a cookie!", 10, &o, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "session_malformed");
  assert_int_equal(tc_kbs_session_open(&k, "", 10, &o, &err), TC_ERR_VERIFY);
  free(c);
  /* attested */
  s.attested = 1;
  strcpy(s.jti, "jti-1");
  strcpy(s.jkt, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  strcpy(s.status, "affirming");
  strcpy(s.measurement, "ab");
  s.tee_pubkey = J(EC_JWK);
  assert_int_equal(tc_kbs_session_seal(&k, &s, iv, &c, &err), TC_OK);
  assert_int_equal(tc_kbs_session_open(&k, c, 10, &o, &err), TC_OK);
  assert_int_equal(o.attested, 1);
  assert_string_equal(o.jti, "jti-1");
  assert_string_equal(o.jkt, s.jkt);
  assert_string_equal(o.status, "affirming");
  assert_string_equal(o.measurement, "ab");
  assert_string_equal(o.init_data, "");
  assert_true(json_equal(o.tee_pubkey, s.tee_pubkey));
  tc_kbs_session_clear(&o);
  tc_kbs_session_clear(&s);
  free(c);
}

/* -------------------------------------------------------------- DCAP forms */

static void test_dcap_forms(void **state) {
  (void)state;
  tc_buf q;
  tc_error err;
  json_t *v = J("{\"quote\":\"AAEC/w==\",\"cc_eventlog\":null}");
  assert_int_equal(tc_kbs_dcap_evidence(TC_TEE_TDX, v, &q, &err), TC_OK);
  assert_int_equal(q.len, 4);
  assert_memory_equal(q.data, "\x00\x01\x02\xff", 4);
  tc_buf_free(&q);
  /* SGX evidence has no event log */
  assert_int_equal(tc_kbs_dcap_evidence(TC_TEE_SGX, v, &q, &err), TC_ERR_PARSE);
  json_decref(v);
  static const char *const bad[] = {"{\"quote\":\"AAEC/w\"}", "{\"quote\":\"AAF=\"}",
                                    "{\"quote\":\"AA-_\"}", "{\"quote\":\"\"}", "{\"quote\":1}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    v = J(bad[i]);
    assert_int_equal(tc_kbs_dcap_evidence(TC_TEE_SGX, v, &q, &err), TC_ERR_PARSE);
    assert_string_equal(err.reason, "dcap_evidence_invalid");
    json_decref(v);
  }
}

/* ------------------------------------------------------------ resource store */

static char *tmpdir(void) {
  char *d = malloc(4096);
  assert_non_null(d);
  return test_mkdtemp("teectl-kbs", d, 4096);
}

static void put(const char *dir, const char *rel, const char *text) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void mk(const char *dir, const char *rel) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  assert_int_equal(mkdir(p, 0700), 0);
}

static void test_resource_path(void **state) {
  (void)state;
  char r[129], t[129], g[129];
  tc_error err;
  assert_int_equal(tc_kbs_resource_path("default/sev-app/key_1.v2", r, t, g, &err), TC_OK);
  assert_string_equal(r, "default");
  assert_string_equal(t, "sev-app");
  assert_string_equal(g, "key_1.v2");
  static const char *const bad[] = {
      "default/..%2f/x", "../a/b", "a/../b",      "a/b/..",      "a/b",
      "a/b/c/d",         "a//c",   "a/b/",        ".hidden/b/c", "a/b/..data",
      "a/b/c d",         "",       "a/b/\xc3\xa9"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(tc_kbs_resource_path(bad[i], r, t, g, &err), TC_ERR_USAGE);
    assert_string_equal(err.reason, "resource_path_invalid");
  }
}

static void test_resource_store(void **state) {
  (void)state;
  char *d = tmpdir(), *outside = tmpdir();
  mk(d, "default");
  mk(d, "default/app");
  put(d, "default/app/key", "secret-bytes\n");
  put(outside, "key", "outside");
  char p[512], q[512];
  /* a symlink as the resource, and a symlinked type folder leading out of DIR */
  snprintf(p, sizeof p, "%s/default/app/key", d);
  snprintf(q, sizeof q, "%s/default/app/link", d);
  assert_int_equal(symlink(p, q), 0);
  snprintf(q, sizeof q, "%s/default/out", d);
  assert_int_equal(symlink(outside, q), 0);
  /* a link that stays inside DIR (how a Kubernetes Secret volume is laid out) */
  mk(d, "..data");
  mk(d, "..data/k8s");
  put(d, "..data/k8s/key", "k8s");
  snprintf(q, sizeof q, "%s/k8s", d);
  assert_int_equal(symlink("..data/k8s", q), 0);
  snprintf(q, sizeof q, "%s/default/app/fifo", d);
  assert_int_equal(mkfifo(q, 0600), 0);
  tc_buf b;
  tc_error err;
  assert_int_equal(tc_kbs_resource_read(d, "default", "app", "key", &b, &err), TC_OK);
  assert_int_equal(b.len, 13);
  assert_memory_equal(b.data, "secret-bytes\n", 13);
  tc_buf_free(&b);
  assert_int_equal(tc_kbs_resource_read(d, "default", "app", "link", &b, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "resource_refused");
  assert_int_equal(tc_kbs_resource_read(d, "default", "out", "key", &b, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "resource_refused");
  assert_int_equal(tc_kbs_resource_read(d, "default", "app", "fifo", &b, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "resource_refused");
  assert_int_equal(tc_kbs_resource_read(d, "default", "app", "none", &b, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "resource_not_found");
  assert_int_equal(tc_kbs_resource_read(d, "default", "key", "x", &b, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "resource_not_found");
  assert_int_equal(tc_kbs_resource_read(d, "..", "default", "app", &b, &err), TC_ERR_USAGE);
  assert_int_equal(tc_kbs_resource_read(d, "k8s", "x", "y", &b, &err), TC_ERR_IO);
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", d, outside);
  assert_int_equal(system(cmd), 0);
  free(d);
  free(outside);
}

/* ------------------------------------------------------------------ rules */

static void test_rules(void **state) {
  (void)state;
  json_t *v = J("[{\"path\":\"default/sev-app/*\",\"tee\":[\"snp\"],\"min_status\":\"warning\","
                "\"measurements\":[\"AB01\"]},"
                "{\"path\":\"default/strict/key\",\"init_data\":[\"cd\"]},"
                "{\"path\":\"default/none/*\",\"init_data\":[]},"
                "{\"path\":\"default/*/*\",\"tee\":[\"tdx\"]}]");
  tc_kbs_rules *r = NULL;
  tc_error err;
  assert_int_equal(tc_kbs_rules_parse(v, &r, &err), TC_OK);
  json_decref(v);
  tc_kbs_grant g = {TC_TEE_SNP, TC_EAR_WARNING, "ab01", ""};
  int idx;
  assert_int_equal(tc_kbs_rules_judge(r, "default", "sev-app", "k", &g, &idx, &err), TC_OK);
  assert_int_equal(idx, 0);
  g.status = TC_EAR_CONTRAINDICATED;
  assert_int_equal(tc_kbs_rules_judge(r, "default", "sev-app", "k", &g, &idx, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "policy_denied");
  g.status = TC_EAR_AFFIRMING;
  g.measurement = "ab02";
  assert_int_equal(tc_kbs_rules_judge(r, "default", "sev-app", "k", &g, &idx, &err), TC_ERR_VERIFY);
  g.tee = TC_TEE_TDX; /* first match decides: rule 0 denies a TDX guest, rule 3 is not asked */
  g.measurement = "ab01";
  assert_int_equal(tc_kbs_rules_judge(r, "default", "sev-app", "k", &g, &idx, &err), TC_ERR_VERIFY);
  assert_int_equal(idx, 0);
  assert_int_equal(tc_kbs_rules_judge(r, "default", "other", "k", &g, &idx, &err), TC_OK);
  assert_int_equal(idx, 3);
  g.init_data = "CD";
  assert_int_equal(tc_kbs_rules_judge(r, "default", "strict", "key", &g, &idx, &err), TC_OK);
  assert_int_equal(tc_kbs_rules_judge(r, "default", "none", "key", &g, &idx, &err), TC_ERR_VERIFY);
  g.init_data = "";
  assert_int_equal(tc_kbs_rules_judge(r, "default", "strict", "key", &g, &idx, &err),
                   TC_ERR_VERIFY);
  assert_int_equal(tc_kbs_rules_judge(r, "default", "none", "key", &g, &idx, &err), TC_OK);
  assert_int_equal(tc_kbs_rules_judge(r, "other", "x", "y", &g, &idx, &err), TC_ERR_VERIFY);
  assert_int_equal(idx, -1);
  tc_kbs_rules_free(r);
  /* no rules at all: default deny */
  assert_int_equal(tc_kbs_rules_parse(NULL, &r, &err), TC_OK);
  assert_int_equal(tc_kbs_rules_judge(r, "a", "b", "c", &g, &idx, &err), TC_ERR_VERIFY);
  tc_kbs_rules_free(r);
  static const char *const bad[] = {"[{\"path\":\"a/b\"}]",
                                    "[{\"path\":\"a/b/c\",\"x\":1}]",
                                    "[{\"path\":\"a/*b/c\"}]",
                                    "[{\"path\":\"a/b/c\",\"tee\":[\"sev\"]}]",
                                    "[{\"path\":\"a/b/c\",\"min_status\":\"contraindicated\"}]",
                                    "[{\"path\":\"a/b/c\",\"measurements\":[\"xyz\"]}]",
                                    "{}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    v = J(bad[i]);
    assert_int_equal(tc_kbs_rules_parse(v, &r, &err), TC_ERR_PARSE);
    assert_string_equal(err.reason, "resource_rules_invalid");
    json_decref(v);
  }
}

/* -------------------------------------------------------------------- JWE */

static void test_protected_header_text(void **state) {
  (void)state;
  /* kbs-types ProtectedHeader: alg, enc, then the flattened map (serde_json's BTreeMap: sorted
   * keys, nested maps sorted too), compact */
  json_t *h = J("{\"zz\":1,\"epk\":{\"y\":\"b\",\"x\":\"a\",\"kty\":\"EC\",\"crv\":\"P-256\"},"
                "\"enc\":\"A256GCM\",\"apu\":\"u\",\"alg\":\"ECDH-ES+A256KW\"}");
  char *t = tc_kbs_protected_header_text(h);
  assert_string_equal(t, "{\"alg\":\"ECDH-ES+A256KW\",\"enc\":\"A256GCM\",\"apu\":\"u\","
                         "\"epk\":{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"a\",\"y\":\"b\"},"
                         "\"zz\":1}");
  free(t);
  json_decref(h);
  h = J("{\"enc\":\"A256GCM\",\"alg\":\"RSA-OAEP-256\"}");
  t = tc_kbs_protected_header_text(h);
  /* the kbs-types test vector eyJhbGciOiJmYWtlYWxnIiwiZW5jIjoiZmFrZWVuYyJ9 has this shape */
  assert_string_equal(t, "{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\"}");
  free(t);
  json_decref(h);
}

static json_t *gen_key(const char *tmpl) {
  json_t *k = J(tmpl);
  assert_true(jose_jwk_gen(NULL, k));
  return k;
}

static void jwe_roundtrip(const char *tmpl, const char *alg, const char *crv) {
  json_t *priv = gen_key(tmpl);
  json_t *pub = json_deep_copy(priv);
  assert_true(jose_jwk_pub(NULL, pub));
  json_object_del(pub, "key_ops");
  json_object_set_new(pub, "alg", json_string(alg));
  const char *pt = "the secret \x00 bytes";
  json_t *jwe = NULL;
  tc_error err;
  tc_status st = tc_kbs_jwe_encrypt(pub, (const uint8_t *)pt, 19, &jwe, &err);
  if (st != TC_OK)
    fprintf(stderr, "%s: %s\n", err.reason, err.detail);
  assert_int_equal(st, TC_OK);
  assert_int_equal(json_object_size(jwe), 5);
  assert_null(json_object_get(jwe, "aad"));
  assert_null(json_object_get(jwe, "header"));
  /* the protected header in the kbs-types form */
  json_t *ph = jose_b64_dec_load(json_object_get(jwe, "protected"));
  assert_non_null(ph);
  char *want = tc_kbs_protected_header_text(ph);
  const char *p = json_string_value(json_object_get(jwe, "protected"));
  char dec[1024];
  size_t dl = jose_b64_dec_buf(p, strlen(p), dec, sizeof dec);
  assert_int_equal(dl, strlen(want));
  assert_memory_equal(dec, want, dl);
  assert_memory_equal(dec, "{\"alg\":\"", 8);
  assert_string_equal(json_string_value(json_object_get(ph, "alg")), alg);
  assert_string_equal(json_string_value(json_object_get(ph, "enc")), "A256GCM");
  if (crv) {
    json_t *epk = json_object_get(ph, "epk");
    assert_string_equal(json_string_value(json_object_get(epk, "crv")), crv);
    assert_null(json_object_get(epk, "d"));
    assert_int_equal(json_object_size(ph), 3);
  } else {
    assert_int_equal(json_object_size(ph), 2);
  }
  free(want);
  json_decref(ph);
  /* another JOSE implementation (libjose's decryption) recovers the plaintext with the
   * private key; python3-jwcrypto does the same in the integration test */
  size_t ptl = 0;
  uint8_t *back = NULL;
  if (crv) {
    back = jose_jwe_dec(NULL, jwe, NULL, priv, &ptl);
  } else {
    /* Debian's libjose 11 has no RSA-OAEP (see src/kbs/jwe.c): unwrap with OpenSSL, then let
     * libjose decrypt the content with the CEK */
    EVP_PKEY *pk = jose_openssl_jwk_to_EVP_PKEY(NULL, priv);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
    uint8_t ek[512], k[512];
    size_t ekl = jose_b64_dec(json_object_get(jwe, "encrypted_key"), ek, sizeof ek), kl = sizeof k;
    assert_int_equal(ekl, 256);
    assert_true(EVP_PKEY_decrypt_init(c) > 0);
    assert_true(EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) > 0);
    assert_true(EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha256()) > 0);
    assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()) > 0);
    assert_true(EVP_PKEY_decrypt(c, k, &kl, ek, ekl) > 0);
    assert_int_equal(kl, 32);
    json_t *cek = json_pack("{s:s,s:o}", "kty", "oct", "k", jose_b64_enc(k, kl));
    back = jose_jwe_dec_cek(NULL, jwe, cek, &ptl);
    json_decref(cek);
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(pk);
  }
  assert_non_null(back);
  assert_int_equal(ptl, 19);
  assert_memory_equal(back, pt, 19);
  free(back);
  json_decref(jwe);
  json_decref(pub);
  json_decref(priv);
}

static void test_jwe(void **state) {
  (void)state;
  jwe_roundtrip("{\"kty\":\"EC\",\"crv\":\"P-256\"}", "ECDH-ES+A256KW", "P-256");
  jwe_roundtrip("{\"kty\":\"EC\",\"crv\":\"P-521\"}", "ECDH-ES+A256KW", "P-521");
  jwe_roundtrip("{\"kty\":\"RSA\",\"bits\":2048}", "RSA-OAEP-256", NULL);
  json_t *jwe = NULL;
  tc_error err;
  json_t *bad = J("{\"kty\":\"oct\",\"k\":\"AAAA\"}");
  assert_int_equal(tc_kbs_jwe_encrypt(bad, (const uint8_t *)"x", 1, &jwe, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "tee_pubkey_invalid");
  assert_null(jwe);
  json_decref(bad);
}

/* ----------------------------------------------------------- error bodies */

static void test_problem(void **state) {
  (void)state;
  char *t = tc_kbs_problem(403, "policy_denied", "no rule matches a/b/c");
  json_t *v = J(t);
  assert_string_equal(json_string_value(json_object_get(v, "type")),
                      "urn:teectl:kbs:error:policy_denied");
  assert_string_equal(json_string_value(json_object_get(v, "title")), "Forbidden");
  assert_int_equal(json_integer_value(json_object_get(v, "status")), 403);
  assert_string_equal(json_string_value(json_object_get(v, "detail")), "no rule matches a/b/c");
  json_decref(v);
  free(t);
  static const struct {
    const char *reason;
    tc_status st;
    unsigned code;
  } map[] = {
      {"policy_denied", TC_ERR_VERIFY, 403},        {"resource_not_found", TC_ERR_IO, 404},
      {"resource_path_invalid", TC_ERR_USAGE, 404}, {"session_forged", TC_ERR_VERIFY, 401},
      {"binding_mismatch", TC_ERR_VERIFY, 401},     {"kbs_request_invalid", TC_ERR_PARSE, 401},
      {"jwe_failed", TC_ERR_INTERNAL, 500}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    tc_error e;
    tc_fail(&e, map[i].st, map[i].reason, "x");
    assert_int_equal(tc_kbs_status_of(&e), map[i].code);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jcs_rfc8785_sorting_and_escapes),
      cmocka_unit_test(test_runtime_data_binding),
      cmocka_unit_test(test_thumbprint_rfc7638),
      cmocka_unit_test(test_auth_request),
      cmocka_unit_test(test_challenge),
      cmocka_unit_test(test_attestation_message),
      cmocka_unit_test(test_session_key_hkdf),
      cmocka_unit_test(test_session_seal_open),
      cmocka_unit_test(test_dcap_forms),
      cmocka_unit_test(test_resource_path),
      cmocka_unit_test(test_resource_store),
      cmocka_unit_test(test_rules),
      cmocka_unit_test(test_protected_header_text),
      cmocka_unit_test(test_jwe),
      cmocka_unit_test(test_problem),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
