/* SPDX-License-Identifier: Apache-2.0 */
/* Collateral provider against a loopback server that plays AMD KDS and Intel PCS/PCCS with
 * the shared vectors' real endorsements (read in place), under the real URL paths.
 *
 * Expected URLs are built here from the vectors' expected.json: the VCEK path from the
 * leaf certificate's own AMD extensions (hwID, SPLs: what KDS served), never from the
 * code under test. The server answers 404 for any other path, so a wrong URL fails. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "collateral/internal.h"
#include "crypto/x509.h"
#include "kds_pcs_server.h"
#include "teectl/collateral.h"
#include "teectl/dcap.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"
#include "teectl/snp.h"
#include "teectl/verify.h"
#include "testlib.h"

static const char *g_vectors;
static ts_server *g_srv;

/* ---- helpers ---- */

static json_t *load_expected(const char *sub, const char *name) {
  char p[4096];
  snprintf(p, sizeof p, "%s/%s/%s/expected.json", g_vectors, sub, name);
  json_error_t je;
  json_t *j = json_load_file(p, 0, &je);
  if (j == NULL)
    fail_msg("%s: %s", p, je.text);
  return j;
}

static tc_buf vec_file(const char *sub, const char *name, const char *file) {
  char p[4096];
  snprintf(p, sizeof p, "%s/%s/%s/%s", g_vectors, sub, name, file);
  return test_read_file(p);
}

static int vec_has(const char *sub, const char *name, const char *file) {
  char p[4096];
  snprintf(p, sizeof p, "%s/%s/%s/%s", g_vectors, sub, name, file);
  return tc_file_exists(p);
}

static tc_buf concat(const tc_buf *a, const tc_buf *b) {
  tc_buf r = {malloc(a->len + b->len + 1), a->len + b->len};
  memcpy(r.data, a->data, a->len);
  memcpy(r.data + a->len, b->data, b->len);
  return r;
}

static int64_t rfc(const char *s) {
  int64_t t = 0;
  tc_error e;
  if (s == NULL || tc_rfc3339_parse(s, &t, &e) != TC_OK)
    fail_msg("bad time '%s'", s ? s : "(null)");
  return t;
}

static const char *jstr(json_t *o, const char *path1, const char *path2, const char *path3) {
  json_t *v = json_object_get(o, path1);
  if (path2)
    v = json_object_get(v, path2);
  if (path3)
    v = json_object_get(v, path3);
  return json_string_value(v);
}

static int jint(json_t *o, const char *a, const char *b, const char *c) {
  json_t *v = json_object_get(json_object_get(o, a), b);
  if (c)
    v = json_object_get(v, c);
  if (!json_is_integer(v))
    fail_msg("missing integer %s.%s.%s", a, b, c ? c : "");
  return (int)json_integer_value(v);
}

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* RFC 3986 percent-encoding of everything but unreserved characters (as Intel PCS does). */
static char *pct_encode(const tc_buf *b) {
  char *o = malloc(b->len * 3 + 1), *w = o;
  for (size_t i = 0; i < b->len; i++) {
    unsigned char c = b->data[i];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~')
      *w++ = (char)c;
    else
      w += sprintf(w, "%%%02X", c);
  }
  *w = 0;
  return o;
}

static char *mktemp_dir(void) {
  char *d = malloc(4096);
  if (d == NULL)
    fail_msg("out of memory");
  return test_mkdtemp("teectl-collateral", d, 4096);
}

static void rm_rf(const char *d) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", d);
}

static tc_provider *provider(const char *cache_dir, int offline) {
  tc_provider_options o;
  tc_provider_options_default(&o);
  o.kds_url = ts_base(g_srv);
  o.pcs_url = ts_base(g_srv);
  o.cache_dir = cache_dir;
  o.offline = offline;
  o.base_delay_s = 0.05;
  o.max_wait_s = 3;
  o.timeout_s = 10;
  o.memory_entries = 0; /* these tests watch the disk cache and the network */
  o.kds_interval_s = 0; /* no KDS pacing here; test_kds_pacing tests it */
  tc_provider *p = NULL;
  tc_error err;
  if (tc_provider_new(&o, &p, &err) != TC_OK)
    fail_msg("provider: %s", err.detail);
  return p;
}

/* Same certificate? (DER of the first certificate in a and b) */
static int same_cert(const tc_buf *a, const tc_buf *b) {
  X509 *x = NULL, *y = NULL;
  tc_error e;
  if (tc_x509_parse(a->data, a->len, &x, &e) != TC_OK ||
      tc_x509_parse(b->data, b->len, &y, &e) != TC_OK) {
    X509_free(x);
    return 0;
  }
  int same = X509_cmp(x, y) == 0;
  X509_free(x);
  X509_free(y);
  return same;
}

/* A DER CRL signed by a throw-away key with the given window (AMD publishes one per
 * product; the vectors have none, and the provider does not judge signatures). */
static tc_buf make_crl(int64_t this_update, int64_t next_update) {
  EVP_PKEY *k = EVP_EC_gen("P-256");
  X509_CRL *crl = X509_CRL_new();
  X509_NAME *n = X509_NAME_new();
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"ARK-Test", -1, -1, 0);
  X509_CRL_set_issuer_name(crl, n);
  ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)this_update);
  X509_CRL_set1_lastUpdate(crl, t);
  ASN1_TIME_set(t, (time_t)next_update);
  X509_CRL_set1_nextUpdate(crl, t);
  ASN1_TIME_free(t);
  X509_CRL_sign(crl, k, EVP_sha256());
  unsigned char *der = NULL;
  int len = i2d_X509_CRL(crl, &der);
  tc_buf b = {malloc((size_t)len), (size_t)len};
  memcpy(b.data, der, (size_t)len);
  OPENSSL_free(der);
  X509_NAME_free(n);
  X509_CRL_free(crl);
  EVP_PKEY_free(k);
  return b;
}

/* ---- SNP: VCEK URLs for Milan, Genoa, Turin from real evidence ---- */

/* The KDS path of a case's VCEK, from the leaf certificate's AMD extensions. */
static void vcek_path_from_cert(json_t *exp, char *out, size_t cap) {
  const char *product = jstr(exp, "product", NULL, NULL);
  json_t *ext =
      json_object_get(json_object_get(json_object_get(exp, "certs"), "leaf"), "amd_extensions");
  const char *hwid = json_string_value(json_object_get(ext, "hwID"));
  assert_non_null(hwid);
  int bl = (int)json_integer_value(json_object_get(ext, "blSPL"));
  int tee = (int)json_integer_value(json_object_get(ext, "teeSPL"));
  int snp = (int)json_integer_value(json_object_get(ext, "snpSPL"));
  int uc = (int)json_integer_value(json_object_get(ext, "ucodeSPL"));
  if (strcmp(product, "Turin") == 0)
    snprintf(out, cap,
             "/vcek/v1/Turin/%s?fmcSPL=%02d&blSPL=%02d&teeSPL=%02d&snpSPL=%02d"
             "&ucodeSPL=%02d",
             hwid, (int)json_integer_value(json_object_get(ext, "fmcSPL")), bl, tee, snp, uc);
  else
    snprintf(out, cap, "/vcek/v1/%s/%s?blSPL=%02d&teeSPL=%02d&snpSPL=%02d&ucodeSPL=%02d", product,
             hwid, bl, tee, snp, uc);
}

/* The request a verifier would make, from the parsed report fields in expected.json. */
static void vcek_request_from_fields(json_t *exp, tc_object_request *q) {
  memset(q, 0, sizeof *q);
  q->kind = TC_OBJ_KDS_VCEK;
  q->product = tc_snp_product_parse(jstr(exp, "product", NULL, NULL));
  size_t n = 0;
  tc_error e;
  assert_int_equal(
      tc_hex_decode(jstr(exp, "fields", "chip_id", NULL), q->hwid, sizeof q->hwid, &n, &e), TC_OK);
  q->hwid_len = n;
  json_t *t = json_object_get(json_object_get(exp, "fields"), "reported_tcb");
  q->bl_spl = (uint8_t)json_integer_value(json_object_get(t, "bootloader"));
  q->tee_spl = (uint8_t)json_integer_value(json_object_get(t, "tee"));
  q->snp_spl = (uint8_t)json_integer_value(json_object_get(t, "snp"));
  q->ucode_spl = (uint8_t)json_integer_value(json_object_get(t, "microcode"));
  q->fmc_spl = (uint8_t)json_integer_value(json_object_get(t, "fmc"));
}

static const char *const vcek_cases[] = {
    "milan-v2-azure-constellation",
    "milan-v3-oak-cb",
    "milan-v5-gcp-teekit",
    "genoa-v3-routex",
    "genoa-v5-oak-oc",
    "turin-v5-oak-oc",
};

static void test_vcek_urls_from_vectors(void **state) {
  (void)state;
  tc_provider *p = provider(NULL, 0);
  for (size_t i = 0; i < sizeof vcek_cases / sizeof vcek_cases[0]; i++) {
    const char *name = vcek_cases[i];
    json_t *exp = load_expected("snp", name);
    char path[512];
    vcek_path_from_cert(exp, path, sizeof path);
    tc_buf vcek = vec_file("snp", name, "vcek.der");
    ts_route(g_srv, path, vcek.data, vcek.len, NULL, NULL);

    tc_object_request q;
    vcek_request_from_fields(exp, &q);
    tc_collateral_answer a;
    tc_error err;
    unsigned before = ts_count(g_srv, path);
    if (tc_provider_get(p, &q, rfc(jstr(exp, "verify_at", NULL, NULL)), &a, &err) != TC_OK)
      fail_msg("%s: %s: %s", name, err.reason, err.detail);
    assert_int_equal(ts_count(g_srv, path), before + 1);
    assert_int_equal(a.origin, TC_ORIGIN_NETWORK);
    assert_int_equal(a.body.len, vcek.len);
    assert_memory_equal(a.body.data, vcek.data, vcek.len);
    assert_int_equal(a.expires_at, rfc(jstr(exp, "certs", "leaf", "not_after")));
    char want[600];
    snprintf(want, sizeof want, "%s%s", ts_base(g_srv), path);
    assert_string_equal(a.url, want);
    tc_collateral_answer_free(&a);

    /* the same request, worked out from the evidence bytes */
    tc_buf report = vec_file("snp", name, "report.bin");
    tc_collateral_needs n;
    tc_snp_product hint = TC_SNP_PRODUCT_UNKNOWN;
    if (jint(exp, "fields", "version", NULL) == 2)
      hint = tc_snp_product_parse(jstr(exp, "product", NULL, NULL));
    if (tc_collateral_needs_of(TC_TEE_UNKNOWN, report.data, report.len, hint, NULL, &n, &err) !=
        TC_OK)
      fail_msg("%s: needs: %s: %s", name, err.reason, err.detail);
    assert_int_equal(n.tee, TC_TEE_SNP);
    assert_int_equal(n.vlek, 0);
    char u[512];
    assert_int_equal(tc_object_url(ts_base(g_srv), NULL, TC_PCS_AUTO, &n.vcek, u, sizeof u, &err),
                     TC_OK);
    assert_string_equal(u, want);
    tc_buf_free(&report);
    tc_buf_free(&vcek);
    json_decref(exp);
  }
  tc_provider_free(p);
}

/* cert_chain per product and the VLEK (ASVK) chain, through tc_provider_fill_needs. */
static void serve_amd(const char *name, int vlek, int64_t crl_from, int64_t crl_to) {
  json_t *exp = load_expected("snp", name);
  const char *product = jstr(exp, "product", NULL, NULL);
  char path[256];
  tc_buf ask = vec_file("snp", name, "ask.pem"), ark = vec_file("snp", name, "ark.pem");
  tc_buf chain = concat(&ask, &ark);
  snprintf(path, sizeof path, "/%s/v1/%s/cert_chain", vlek ? "vlek" : "vcek", product);
  ts_route(g_srv, path, chain.data, chain.len, NULL, NULL);
  tc_buf crl = make_crl(crl_from, crl_to);
  snprintf(path, sizeof path, "/%s/v1/%s/crl", vlek ? "vlek" : "vcek", product);
  ts_route(g_srv, path, crl.data, crl.len, NULL, NULL);
  if (!vlek) {
    tc_buf vcek = vec_file("snp", name, "vcek.der");
    vcek_path_from_cert(exp, path, sizeof path);
    ts_route(g_srv, path, vcek.data, vcek.len, NULL, NULL);
    tc_buf_free(&vcek);
  }
  tc_buf_free(&crl);
  tc_buf_free(&chain);
  tc_buf_free(&ask);
  tc_buf_free(&ark);
  json_decref(exp);
}

static void test_chains_and_vlek(void **state) {
  (void)state;
  const char *cases[] = {"milan-v3-oak-cb", "genoa-v5-oak-oc", "turin-v5-oak-oc",
                         "milan-v3-vlek-aws-trustee"};
  tc_provider *p = provider(NULL, 0);
  for (size_t i = 0; i < 4; i++) {
    json_t *exp = load_expected("snp", cases[i]);
    int vlek = strcmp(jstr(exp, "signing_key", NULL, NULL), "VLEK") == 0;
    int64_t at = rfc(jstr(exp, "verify_at", NULL, NULL));
    serve_amd(cases[i], vlek, at - 3600, at + 86400 * 7);
    tc_collateral_needs n;
    memset(&n, 0, sizeof n);
    n.tee = TC_TEE_SNP;
    n.product = tc_snp_product_parse(jstr(exp, "product", NULL, NULL));
    n.vlek = vlek;
    if (!vlek)
      vcek_request_from_fields(exp, &n.vcek);
    tc_collateral col;
    memset(&col, 0, sizeof col);
    json_t *report = NULL;
    tc_error err;
    if (tc_provider_fill_needs(p, &n, at, &col, &report, &err) != TC_OK)
      fail_msg("%s: %s: %s", cases[i], err.reason, err.detail);
    tc_buf ask = vec_file("snp", cases[i], "ask.pem"), ark = vec_file("snp", cases[i], "ark.pem");
    assert_true(same_cert(&col.ask, &ask)); /* ASVK for the VLEK case */
    assert_true(same_cert(&col.ark, &ark));
    assert_non_null(col.amd_crl.data);
    if (vlek) {
      assert_null(col.vlek.data); /* KDS does not publish VLEKs */
      assert_null(col.vcek.data);
      char path[128];
      snprintf(path, sizeof path, "/vlek/v1/%s/cert_chain", jstr(exp, "product", NULL, NULL));
      assert_int_equal(ts_count(g_srv, path), 1);
      /* the report names the vlek item as not fetchable */
      int seen = 0;
      for (size_t k = 0; k < json_array_size(report); k++)
        if (strcmp(jstr(json_array_get(report, k), "item", NULL, NULL), "vlek.der") == 0)
          seen = strstr(jstr(json_array_get(report, k), "note", NULL, NULL), "VLEK") != NULL;
      assert_true(seen);
    } else {
      tc_buf vcek = vec_file("snp", cases[i], "vcek.der");
      assert_int_equal(col.vcek.len, vcek.len);
      assert_memory_equal(col.vcek.data, vcek.data, vcek.len);
      tc_buf_free(&vcek);
    }
    /* What was fetched verifies the real report (CRL aside: ours is not AMD-signed). */
    tc_buf_free(&col.amd_crl);
    if (vlek)
      col.vlek = vec_file("snp", cases[i], "vlek.der");
    tc_buf rep = vec_file("snp", cases[i], "report.bin");
    json_t *res = NULL;
    tc_status st = tc_verify_evidence(TC_TEE_SNP, rep.data, rep.len, &col, at, &res, &err);
    if (st != TC_OK)
      fail_msg("%s: fetched collateral does not verify: %s: %s", cases[i], err.reason, err.detail);
    json_decref(res);
    tc_buf_free(&rep);
    tc_buf_free(&ask);
    tc_buf_free(&ark);
    tc_collateral_free(&col);
    json_decref(report);
    json_decref(exp);
  }
  tc_provider_free(p);
}

/* Certificates that came with the evidence (an attest request) are not fetched again. */
static void test_extra_certs_are_not_fetched(void **state) {
  (void)state;
  const char *name = "milan-v3-oak-cb";
  json_t *exp = load_expected("snp", name);
  int64_t at = rfc(jstr(exp, "verify_at", NULL, NULL));
  serve_amd(name, 0, at - 3600, at + 86400 * 7);
  tc_collateral col;
  memset(&col, 0, sizeof col);
  col.n_extra_certs = 3;
  col.extra_certs = calloc(3, sizeof(tc_buf));
  col.extra_certs[0] = vec_file("snp", name, "vcek.der");
  col.extra_certs[1] = vec_file("snp", name, "ark.pem");
  col.extra_certs[2] = vec_file("snp", name, "ask.pem");
  tc_collateral_needs n;
  memset(&n, 0, sizeof n);
  n.tee = TC_TEE_SNP;
  n.product = TC_SNP_MILAN;
  vcek_request_from_fields(exp, &n.vcek);
  tc_provider *p = provider(NULL, 0);
  unsigned total = ts_total(g_srv);
  tc_error err;
  assert_int_equal(tc_provider_fill_needs(p, &n, at, &col, NULL, &err), TC_OK);
  assert_int_equal(ts_total(g_srv), total + 1); /* the CRL only */
  assert_int_equal(ts_count(g_srv, "/vcek/v1/Milan/crl") > 0, 1);
  assert_null(col.vcek.data);
  assert_null(col.ask.data);
  assert_null(col.ark.data);
  assert_non_null(col.amd_crl.data);
  /* a service's pattern: fill a shallow copy, then free only what the fill added */
  tc_collateral base = col;
  tc_buf_free(&base.amd_crl);
  tc_collateral copy = base;
  assert_int_equal(tc_provider_fill_needs(p, &n, at, &copy, NULL, &err), TC_OK);
  assert_non_null(copy.amd_crl.data);
  tc_collateral_free_added(&copy, &base);
  assert_null(copy.amd_crl.data);
  col = base;
  tc_provider_free(p);
  tc_collateral_free(&col);
  json_decref(exp);
}

/* Version-2 reports do not name their product line: the filler asks KDS as Milan, then
 * as Genoa. */
static void test_v2_report_product_probe(void **state) {
  (void)state;
  tc_provider *p = provider(NULL, 0);
  /* a real Milan v2 report: found at the first try */
  const char *name = "milan-v2-azure-constellation";
  json_t *exp = load_expected("snp", name);
  int64_t at = rfc(jstr(exp, "verify_at", NULL, NULL));
  serve_amd(name, 0, at - 3600, at + 86400 * 7);
  tc_buf rep = vec_file("snp", name, "report.bin");
  tc_buf vcek = vec_file("snp", name, "vcek.der");
  tc_collateral col;
  memset(&col, 0, sizeof col);
  tc_error err;
  if (tc_provider_fill(p, TC_TEE_UNKNOWN, rep.data, rep.len, TC_SNP_PRODUCT_UNKNOWN, at, &col, NULL,
                       &err) != TC_OK)
    fail_msg("%s: %s: %s", name, err.reason, err.detail);
  assert_int_equal(col.vcek.len, vcek.len);
  assert_memory_equal(col.vcek.data, vcek.data, vcek.len);
  tc_buf ask = vec_file("snp", name, "ask.pem");
  assert_true(same_cert(&col.ask, &ask));
  tc_buf_free(&ask);
  /* the public needs_of does not guess: it names the problem */
  tc_collateral_needs n;
  assert_int_equal(
      tc_collateral_needs_of(TC_TEE_SNP, rep.data, rep.len, TC_SNP_PRODUCT_UNKNOWN, NULL, &n, &err),
      TC_ERR_PARSE);
  assert_string_equal(err.reason, "snp_product_unknown");
  tc_collateral_free(&col);
  tc_buf_free(&rep);
  tc_buf_free(&vcek);
  json_decref(exp);

  /* a chip KDS knows only as Genoa (simulated: its VCEK served under the Genoa path) */
  name = "milan-v2-gsg-debug-policy";
  exp = load_expected("snp", name);
  serve_amd("genoa-v3-routex", 0, at - 3600, at + 86400 * 7);
  char milan[512], genoa[512];
  vcek_path_from_cert(exp, milan, sizeof milan);
  snprintf(genoa, sizeof genoa, "/vcek/v1/Genoa/%s", milan + strlen("/vcek/v1/Milan/"));
  vcek = vec_file("snp", name, "vcek.der");
  ts_route(g_srv, genoa, vcek.data, vcek.len, NULL, NULL);
  rep = vec_file("snp", name, "report.bin");
  memset(&col, 0, sizeof col);
  unsigned cm = ts_count(g_srv, milan), cg = ts_count(g_srv, genoa);
  if (tc_provider_fill(p, TC_TEE_SNP, rep.data, rep.len, TC_SNP_PRODUCT_UNKNOWN, at, &col, NULL,
                       &err) != TC_OK)
    fail_msg("%s: %s: %s", name, err.reason, err.detail);
  assert_int_equal(ts_count(g_srv, milan), cm + 1); /* 404 */
  assert_int_equal(ts_count(g_srv, genoa), cg + 1);
  assert_int_equal(col.vcek.len, vcek.len);
  tc_buf gask = vec_file("snp", "genoa-v3-routex", "ask.pem");
  assert_true(same_cert(&col.ask, &gask)); /* the chain of the line KDS answered for */
  tc_buf_free(&gask);
  tc_collateral_free(&col);
  tc_buf_free(&rep);
  tc_buf_free(&vcek);
  json_decref(exp);
  tc_provider_free(p);
}

/* ---- cache hits, restarts ---- */

static void test_cache_hits_make_no_request(void **state) {
  (void)state;
  char *dir = mktemp_dir();
  const char *name = "genoa-v3-routex";
  json_t *exp = load_expected("snp", name);
  int64_t at = rfc(jstr(exp, "verify_at", NULL, NULL));
  serve_amd(name, 0, at - 3600, at + 86400 * 7);
  char path[512];
  vcek_path_from_cert(exp, path, sizeof path);
  tc_object_request q;
  vcek_request_from_fields(exp, &q);
  unsigned before = ts_count(g_srv, path), total0 = ts_total(g_srv);
  tc_collateral_answer a;
  tc_error err;
  tc_provider *p = provider(dir, 0);
  assert_int_equal(tc_provider_get(p, &q, at, &a, &err), TC_OK);
  assert_int_equal(a.origin, TC_ORIGIN_NETWORK);
  tc_collateral_answer_free(&a);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(tc_provider_get(p, &q, at + i * 3600, &a, &err), TC_OK);
    assert_int_equal(a.origin, TC_ORIGIN_CACHE);
    assert_int_equal(a.stale, 0);
    assert_int_equal(a.fetched_at, at);
    tc_collateral_answer_free(&a);
  }
  tc_provider_free(p);
  /* a restart: a new provider over the same folder */
  p = provider(dir, 0);
  assert_int_equal(tc_provider_get(p, &q, at + 60, &a, &err), TC_OK);
  assert_int_equal(a.origin, TC_ORIGIN_CACHE);
  tc_buf vcek = vec_file("snp", name, "vcek.der");
  assert_int_equal(a.body.len, vcek.len);
  assert_memory_equal(a.body.data, vcek.data, vcek.len);
  tc_collateral_answer_free(&a);
  tc_provider_free(p);
  assert_int_equal(ts_count(g_srv, path), before + 1);
  assert_int_equal(ts_total(g_srv), total0 + 1);
  /* tc_cache_list sees it, fresh */
  json_t *list = NULL;
  assert_int_equal(tc_cache_list(dir, at, &list, &err), TC_OK);
  assert_int_equal(json_array_size(list), 1);
  assert_string_equal(jstr(json_array_get(list, 0), "state", NULL, NULL), "fresh");
  assert_string_equal(jstr(json_array_get(list, 0), "kind", NULL, NULL), "vcek");
  json_decref(list);
  tc_buf_free(&vcek);
  json_decref(exp);
  rm_rf(dir);
  free(dir);
}

/* The in-memory layer: repeated gets in one provider touch neither network nor disk. */
static void test_memory_layer(void **state) {
  (void)state;
  const char *name = "turin-v5-oak-oc";
  json_t *exp = load_expected("snp", name);
  int64_t at = rfc(jstr(exp, "verify_at", NULL, NULL));
  serve_amd(name, 0, at - 3600, at + 86400 * 7);
  char path[512];
  vcek_path_from_cert(exp, path, sizeof path);
  tc_object_request q;
  vcek_request_from_fields(exp, &q);
  tc_provider_options o;
  tc_provider_options_default(&o);
  o.kds_url = ts_base(g_srv);
  assert_int_equal(o.memory_entries, 256);
  tc_provider *p = NULL;
  tc_error err;
  assert_int_equal(tc_provider_new(&o, &p, &err), TC_OK);
  unsigned c0 = ts_count(g_srv, path);
  tc_collateral_answer a;
  assert_int_equal(tc_provider_get(p, &q, at, &a, &err), TC_OK);
  assert_int_equal(a.origin, TC_ORIGIN_NETWORK);
  int64_t refresh_at = a.refresh_at;
  tc_collateral_answer_free(&a);
  assert_int_equal(tc_provider_get(p, &q, at + 86400, &a, &err), TC_OK);
  assert_int_equal(a.origin, TC_ORIGIN_CACHE);
  tc_buf vcek = vec_file("snp", name, "vcek.der");
  assert_int_equal(a.body.len, vcek.len);
  assert_memory_equal(a.body.data, vcek.data, vcek.len);
  tc_collateral_answer_free(&a);
  assert_int_equal(ts_count(g_srv, path), c0 + 1);
  /* past its refresh time the memory copy is not used */
  assert_int_equal(tc_provider_get(p, &q, refresh_at, &a, &err), TC_OK);
  assert_int_equal(a.origin, TC_ORIGIN_NETWORK);
  tc_collateral_answer_free(&a);
  assert_int_equal(ts_count(g_srv, path), c0 + 2);
  tc_provider_free(p);
  tc_buf_free(&vcek);
  json_decref(exp);
}

/* ---- 429 / 503 ---- */

/* Serve the ASK + ARK chain of an SNP vector case at path (/vcek/v1/<product>/cert_chain);
 * returns the chain's bytes (caller frees). */
static tc_buf route_chain(const char *case_name, const char *path) {
  tc_buf ark = vec_file("snp", case_name, "ark.pem");
  tc_buf ask = vec_file("snp", case_name, "ask.pem");
  tc_buf chain = concat(&ask, &ark);
  ts_route(g_srv, path, chain.data, chain.len, NULL, NULL);
  tc_buf_free(&ask);
  tc_buf_free(&ark);
  return chain;
}

static void test_rate_limit_retry_after(void **state) {
  (void)state;
  const char *path = "/vcek/v1/Milan/cert_chain";
  tc_buf chain = route_chain("milan-v3-oak-cb", path);
  tc_provider *p = provider(NULL, 0);
  tc_object_request q;
  memset(&q, 0, sizeof q);
  q.kind = TC_OBJ_KDS_VCEK_CHAIN;
  q.product = TC_SNP_MILAN;
  tc_collateral_answer a;
  tc_error err;

  /* 429 with Retry-After: 1 -> one wait of ~1 s, then success */
  unsigned c0 = ts_count(g_srv, path);
  ts_fail_next(g_srv, path, 1, 429, "1");
  double t0 = mono();
  assert_int_equal(tc_provider_get(p, &q, 0, &a, &err), TC_OK);
  double dt = mono() - t0;
  assert_true(dt >= 0.95);
  assert_true(dt < 2.5);
  assert_int_equal(ts_count(g_srv, path), c0 + 2);
  assert_int_equal(a.body.len, chain.len);
  assert_non_null(strstr(a.note, "2 attempts"));
  tc_collateral_answer_free(&a);

  /* 503 without Retry-After, twice -> exponential back-off from 0.05 s, well under 1 s */
  ts_fail_next(g_srv, path, 2, 503, NULL);
  t0 = mono();
  assert_int_equal(tc_provider_get(p, &q, 0, &a, &err), TC_OK);
  dt = mono() - t0;
  assert_true(dt < 1.0);
  assert_int_equal(ts_count(g_srv, path), c0 + 5);
  tc_collateral_answer_free(&a);

  /* Retry-After beyond the wait budget (3 s): give up at once with the reason */
  ts_fail_next(g_srv, path, 1, 429, "100");
  t0 = mono();
  assert_int_equal(tc_provider_get(p, &q, 0, &a, &err), TC_ERR_IO);
  dt = mono() - t0;
  assert_true(dt < 1.0);
  assert_string_equal(err.reason, "collateral_rate_limited");
  assert_non_null(strstr(err.detail, "Retry-After: 100"));
  assert_int_equal(ts_count(g_srv, path), c0 + 6);
  /* and the server's Retry-After is honoured across calls: no request before it passes */
  assert_int_equal(tc_provider_get(p, &q, 50, &a, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "collateral_rate_limited");
  assert_non_null(strstr(err.detail, "no new attempt before 1970-01-01T00:01:41Z"));
  assert_int_equal(ts_count(g_srv, path), c0 + 6);
  assert_int_equal(tc_provider_get(p, &q, 101, &a, &err), TC_OK);
  assert_int_equal(ts_count(g_srv, path), c0 + 7);
  tc_collateral_answer_free(&a);

  /* 404 is final: no retry */
  unsigned t_before = ts_total(g_srv);
  q.kind = TC_OBJ_KDS_VLEK_CRL; /* /vlek/v1/Genoa/crl: never served here */
  q.product = TC_SNP_GENOA;
  assert_int_equal(tc_provider_get(p, &q, 0, &a, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "collateral_not_found");
  assert_int_equal(ts_total(g_srv), t_before + 1);
  tc_provider_free(p);
  tc_buf_free(&chain);
}

/* ---- per-host back-off after failures ---- */

static tc_provider *backoff_provider(const char *kds_url) {
  tc_provider_options o;
  tc_provider_options_default(&o);
  o.kds_url = kds_url;
  o.pcs_url = kds_url;
  o.base_delay_s = 0.01;
  o.max_wait_s = 3;
  o.timeout_s = 5;
  o.memory_entries = 0;
  o.kds_interval_s = 0;
  o.failure_holdoff_s = 0; /* the per-key hold-off is tested elsewhere: only the host here */
  o.host_backoff_s = 2;
  o.host_backoff_max_s = 5;
  tc_provider *p = NULL;
  tc_error err;
  if (tc_provider_new(&o, &p, &err) != TC_OK)
    fail_msg("provider: %s", err.detail);
  return p;
}

static void chain_request(tc_object_request *q, tc_snp_product product) {
  memset(q, 0, sizeof *q);
  q->kind = TC_OBJ_KDS_VCEK_CHAIN;
  q->product = product;
}

/* A host that fails (HTTP 5xx after the retries, or no answer at all) is not asked again,
 * for any object, until a short back-off has passed (2 s, doubling per failure in a row, at
 * most 5 s here); the cached failure says so with the seconds left; any answer ends it. */
static void test_host_backoff(void **state) {
  (void)state;
  tc_buf ark = vec_file("snp", "milan-v3-oak-cb", "ark.pem");
  tc_buf ask = vec_file("snp", "milan-v3-oak-cb", "ask.pem");
  tc_buf milan = concat(&ask, &ark);
  tc_buf_free(&ark);
  tc_buf_free(&ask);
  ark = vec_file("snp", "genoa-v3-routex", "ark.pem");
  ask = vec_file("snp", "genoa-v3-routex", "ask.pem");
  tc_buf genoa = concat(&ask, &ark);
  const char *mpath = "/vcek/v1/Milan/cert_chain", *gpath = "/vcek/v1/Genoa/cert_chain";
  ts_route(g_srv, mpath, milan.data, milan.len, NULL, NULL);
  ts_route(g_srv, gpath, genoa.data, genoa.len, NULL, NULL);
  tc_provider *p = backoff_provider(ts_base(g_srv));
  tc_object_request qm, qg;
  chain_request(&qm, TC_SNP_MILAN);
  chain_request(&qg, TC_SNP_GENOA);
  tc_collateral_answer a;
  tc_error err;
  unsigned m0 = ts_count(g_srv, mpath), g0 = ts_count(g_srv, gpath);

  /* Milan: HTTP 500 on every attempt (4). */
  ts_fail_next(g_srv, mpath, 4, 500, NULL);
  assert_int_equal(tc_provider_get(p, &qm, 1000, &a, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "collateral_unavailable");
  assert_int_equal(ts_count(g_srv, mpath), m0 + 4);
  /* Genoa, same host, another object: no request, the failure with the time left. */
  assert_int_equal(tc_provider_get(p, &qg, 1000, &a, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "collateral_unavailable");
  assert_non_null(strstr(err.detail, "for another 2 s"));
  assert_non_null(strstr(err.detail, "failed 1 time in a row"));
  assert_non_null(strstr(err.detail, "HTTP 500"));
  assert_int_equal(tc_provider_get(p, &qg, 1001, &a, &err), TC_ERR_IO);
  assert_non_null(strstr(err.detail, "for another 1 s"));
  assert_int_equal(ts_count(g_srv, gpath), g0);
  /* The back-off over: the request goes out and its answer is served. */
  assert_int_equal(tc_provider_get(p, &qg, 1002, &a, &err), TC_OK);
  assert_int_equal(a.body.len, genoa.len);
  tc_collateral_answer_free(&a);
  assert_int_equal(ts_count(g_srv, gpath), g0 + 1);

  /* Failures in a row double the back-off (2, 4, then the 5 s bound); an answer resets it. */
  ts_fail_next(g_srv, gpath, 12, 503, NULL);
  assert_int_equal(tc_provider_get(p, &qg, 2000, &a, &err), TC_ERR_IO);
  assert_int_equal(tc_provider_get(p, &qm, 2001, &a, &err), TC_ERR_IO);
  assert_non_null(strstr(err.detail, "for another 1 s"));
  assert_int_equal(tc_provider_get(p, &qg, 2002, &a, &err), TC_ERR_IO); /* 4 more 503s */
  assert_int_equal(tc_provider_get(p, &qm, 2002, &a, &err), TC_ERR_IO);
  assert_non_null(strstr(err.detail, "for another 4 s"));
  assert_non_null(strstr(err.detail, "failed 2 times in a row"));
  assert_int_equal(tc_provider_get(p, &qg, 2006, &a, &err), TC_ERR_IO); /* 4 more 503s */
  assert_int_equal(tc_provider_get(p, &qm, 2006, &a, &err), TC_ERR_IO);
  assert_non_null(strstr(err.detail, "for another 5 s")); /* 8 s bounded to 5 */
  assert_int_equal(ts_count(g_srv, gpath), g0 + 13);
  assert_int_equal(ts_count(g_srv, mpath), m0 + 4); /* Milan never asked while backed off */
  assert_int_equal(tc_provider_get(p, &qm, 2011, &a, &err), TC_OK);
  tc_collateral_answer_free(&a);
  assert_int_equal(ts_count(g_srv, mpath), m0 + 5);
  /* A final answer that is not a failure of the host (404) backs nothing off. */
  tc_object_request qc;
  memset(&qc, 0, sizeof qc);
  qc.kind = TC_OBJ_KDS_VLEK_CRL; /* never served here */
  qc.product = TC_SNP_GENOA;
  assert_int_equal(tc_provider_get(p, &qc, 3000, &a, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "collateral_not_found");
  assert_int_equal(tc_provider_get(p, &qm, 3000, &a, &err), TC_OK);
  tc_collateral_answer_free(&a);
  assert_int_equal(ts_count(g_srv, mpath), m0 + 6);
  tc_provider_free(p);

  /* A host that does not answer at all (nothing listens on its port). */
  ts_server *dead = ts_start();
  char *base = strdup(ts_base(dead));
  ts_stop(dead);
  p = backoff_provider(base);
  assert_int_equal(tc_provider_get(p, &qm, 1000, &a, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "collateral_unavailable");
  assert_int_equal(tc_provider_get(p, &qg, 1000, &a, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "collateral_unavailable");
  assert_non_null(strstr(err.detail, "for another 2 s"));
  tc_provider_free(p);
  free(base);
  tc_buf_free(&genoa);
  tc_buf_free(&milan);
  tc_buf_free(&ask);
  tc_buf_free(&ark);
}

/* ---- KDS pacing, one wait budget per fill, 429 counter (issue 13 item 5) ---- */

static void test_kds_pacing(void **state) {
  (void)state;
  tc_buf ark = vec_file("snp", "milan-v3-oak-cb", "ark.pem");
  tc_buf ask = vec_file("snp", "milan-v3-oak-cb", "ask.pem");
  tc_buf chain = concat(&ask, &ark);
  const char *paths[] = {"/vcek/v1/Milan/cert_chain", "/vcek/v1/Genoa/cert_chain",
                         "/vcek/v1/Turin/cert_chain", "/vlek/v1/Milan/cert_chain"};
  for (size_t i = 0; i < 4; i++)
    ts_route(g_srv, paths[i], chain.data, chain.len, NULL, NULL);
  const tc_snp_product prods[] = {TC_SNP_MILAN, TC_SNP_GENOA, TC_SNP_TURIN, TC_SNP_MILAN};
  tc_provider_options o;
  tc_provider_options_default(&o);
  assert_true(o.kds_interval_s == 10); /* the default: KDS's one request per 10 s */
  assert_int_equal(o.kds_burst, 3);
  o.kds_url = ts_base(g_srv);
  o.memory_entries = 0;
  o.kds_interval_s = 0.4; /* scaled down from 10 s */
  o.kds_burst = 1;
  o.max_wait_s = 0.6;
  tc_provider *p = NULL;
  tc_error err;
  assert_int_equal(tc_provider_new(&o, &p, &err), TC_OK);
  tc_object_request q;
  memset(&q, 0, sizeof q);
  tc_collateral_answer a;
  double budget = o.max_wait_s, t0 = mono();
  /* first: at once (the burst); second: one interval later, out of the shared budget */
  for (size_t i = 0; i < 2; i++) {
    q.kind = TC_OBJ_KDS_VCEK_CHAIN;
    q.product = prods[i];
    assert_int_equal(tc_provider_get_within(p, &q, 0, &budget, &a, &err), TC_OK);
    tc_collateral_answer_free(&a);
  }
  double dt = mono() - t0;
  assert_true(dt >= 0.35 && dt < 1.5);
  assert_true(budget < 0.25 && budget >= 0); /* 0.6 - ~0.4 */
  /* third: the next slot would take the fill past its budget: refused before any request */
  unsigned before = ts_total(g_srv);
  q.product = prods[2];
  assert_int_equal(tc_provider_get_within(p, &q, 0, &budget, &a, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "collateral_rate_limited");
  assert_non_null(strstr(err.detail, "cumulative wait"));
  assert_non_null(strstr(err.detail, "beyond its 0."));
  assert_int_equal(ts_total(g_srv), before);
  tc_provider_free(p);

  /* 429 answers are counted (KDS and PCS apart) */
  o.kds_interval_s = 0;
  o.max_wait_s = 3;
  o.base_delay_s = 0.05;
  assert_int_equal(tc_provider_new(&o, &p, &err), TC_OK);
  tc_provider_counters n;
  tc_provider_stats(p, &n);
  assert_int_equal(n.kds_429, 0);
  ts_fail_next(g_srv, paths[3], 2, 429, "0");
  q.kind = TC_OBJ_KDS_VLEK_CHAIN;
  q.product = prods[3];
  assert_int_equal(tc_provider_get(p, &q, 0, &a, &err), TC_OK);
  tc_collateral_answer_free(&a);
  tc_provider_stats(p, &n);
  assert_int_equal(n.kds_429, 2);
  assert_int_equal(n.pcs_429, 0);
  tc_provider_free(p);
  tc_buf_free(&chain);
  tc_buf_free(&ask);
  tc_buf_free(&ark);
}

/* ---- single flight ---- */

struct worker {
  pthread_barrier_t *start;
  tc_provider *p;
  tc_object_request q;
  tc_status st;
  size_t len;
};

static void *worker_run(void *arg) {
  struct worker *w = arg;
  pthread_barrier_wait(w->start); /* all ask at once, inside the server's delay */
  tc_collateral_answer a;
  tc_error err;
  w->st = tc_provider_get(w->p, &w->q, 0, &a, &err);
  w->len = a.body.len;
  tc_collateral_answer_free(&a);
  return NULL;
}

static void run_concurrent(const char *cache_dir, const char *product, const char *case_name) {
  tc_buf ark = vec_file("snp", case_name, "ark.pem");
  tc_buf ask = vec_file("snp", case_name, "ask.pem");
  tc_buf chain = concat(&ask, &ark);
  char path[128];
  snprintf(path, sizeof path, "/vcek/v1/%s/cert_chain", product);
  ts_route(g_srv, path, chain.data, chain.len, NULL, NULL);
  unsigned c0 = ts_count(g_srv, path);
  tc_provider *p = provider(cache_dir, 0);
  ts_delay_ms(g_srv, 400);
  enum { N = 8 };
  struct worker w[N];
  pthread_t th[N];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, N);
  for (int i = 0; i < N; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].start = &start;
    w[i].p = p;
    w[i].q.kind = TC_OBJ_KDS_VCEK_CHAIN;
    w[i].q.product = tc_snp_product_parse(product);
    pthread_create(&th[i], NULL, worker_run, &w[i]);
  }
  for (int i = 0; i < N; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(w[i].st, TC_OK);
    assert_int_equal(w[i].len, chain.len);
  }
  pthread_barrier_destroy(&start);
  ts_delay_ms(g_srv, 0);
  assert_int_equal(ts_count(g_srv, path), c0 + 1);
  tc_provider_free(p);
  tc_buf_free(&chain);
  tc_buf_free(&ask);
  tc_buf_free(&ark);
}

static void test_concurrent_misses_one_request(void **state) {
  (void)state;
  run_concurrent(NULL, "Genoa", "genoa-v3-routex");
  char *dir = mktemp_dir();
  run_concurrent(dir, "Turin", "turin-v5-oak-oc");
  rm_rf(dir);
  free(dir);
}

/* A request leading the fetch of one object at `now`, in its own thread. */
struct leader {
  tc_provider *p;
  tc_object_request q;
  int64_t now;
  tc_status st;
  tc_collateral_answer a;
  pthread_t th;
};

static void *leader_run(void *arg) {
  struct leader *l = arg;
  tc_error err;
  l->st = tc_provider_get(l->p, &l->q, l->now, &l->a, &err);
  return NULL;
}

/* Start l's fetch and return once the server has its request (then it is in flight). */
static void leader_start(struct leader *l, const char *path) {
  unsigned c0 = ts_count(g_srv, path);
  pthread_create(&l->th, NULL, leader_run, l);
  for (int i = 0; i < 5000 && ts_count(g_srv, path) == c0; i++)
    usleep(1000);
  assert_int_equal(ts_count(g_srv, path), c0 + 1);
}

/* A request joining another's fetch of the same object waits no longer than its own
 * deadline: then it is refused with the reason, or, when the cache holds a copy past its
 * refresh time, gets that copy marked stale with the reason as its note. The leader's fetch
 * goes on and completes. */
static void test_joined_fetch_deadline(void **state) {
  (void)state;
  const char *path = "/vcek/v1/Milan/cert_chain";
  tc_buf chain = route_chain("milan-v3-oak-cb", path);
  char *dir = mktemp_dir();
  tc_provider *p = provider(dir, 0);
  struct leader l;
  memset(&l, 0, sizeof l);
  l.p = p;
  chain_request(&l.q, TC_SNP_MILAN);
  tc_collateral_answer a;
  tc_error err;
  ts_delay_ms(g_srv, 1500);

  /* nothing cached: refused once the deadline (0.2 s) passes, long before the leader ends */
  leader_start(&l, path);
  double t0 = col_http_mono();
  assert_int_equal(col_provider_get_until(p, &l.q, 0, NULL, t0 + 0.2, &a, &err), TC_ERR_IO);
  assert_true(col_http_mono() - t0 < 1.0);
  assert_string_equal(err.reason, "collateral_unavailable");
  assert_non_null(strstr(err.detail, path));
  assert_non_null(strstr(err.detail, ": the request's deadline passed while another request "
                                     "fetched it"));
  pthread_join(l.th, NULL);
  assert_int_equal(l.st, TC_OK);
  assert_int_equal(l.a.origin, TC_ORIGIN_NETWORK);
  assert_int_equal(l.a.body.len, chain.len);
  int64_t later = l.a.refresh_at;
  tc_collateral_answer_free(&l.a);

  /* a cached copy due for refresh: served stale, the reason in its note */
  l.now = later;
  leader_start(&l, path);
  t0 = col_http_mono();
  assert_int_equal(col_provider_get_until(p, &l.q, later, NULL, t0 + 0.2, &a, &err), TC_OK);
  assert_true(col_http_mono() - t0 < 1.0);
  assert_int_equal(a.origin, TC_ORIGIN_CACHE);
  assert_int_equal(a.stale, 1);
  assert_int_equal(a.body.len, chain.len);
  assert_memory_equal(a.body.data, chain.data, chain.len);
  assert_non_null(strstr(a.note, "refresh failed (collateral_unavailable: "));
  assert_non_null(strstr(a.note, "deadline passed while another request fetched it); serving "
                                 "the cached copy"));
  tc_collateral_answer_free(&a);
  pthread_join(l.th, NULL);
  assert_int_equal(l.st, TC_OK);
  assert_int_equal(l.a.origin, TC_ORIGIN_NETWORK);
  tc_collateral_answer_free(&l.a);

  ts_delay_ms(g_srv, 0);
  tc_provider_free(p);
  rm_rf(dir);
  free(dir);
  tc_buf_free(&chain);
}

/* A request that names no object, or one the service cannot serve, is refused before any
 * network request, with the reason. */
static void test_bad_request_makes_no_request(void **state) {
  (void)state;
  tc_provider *p = provider(NULL, 0);
  tc_object_request q;
  memset(&q, 0, sizeof q);
  q.kind = TC_OBJ_PCS_PCK_CRL; /* without ca processor|platform */
  tc_collateral_answer a;
  tc_error err;
  unsigned t0 = ts_total(g_srv);
  assert_int_equal(tc_provider_get(p, &q, 0, &a, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "bad_request");
  assert_string_equal(err.detail, "PCK CRL request needs ca processor or platform");
  tc_provider_free(p);
  /* Intel's PCS has no Root CA CRL endpoint: the URL must come with the request */
  tc_provider_options o;
  tc_provider_options_default(&o);
  o.pcs_url = "https://api.trustedservices.intel.com";
  assert_int_equal(tc_provider_new(&o, &p, &err), TC_OK);
  memset(&q, 0, sizeof q);
  q.kind = TC_OBJ_PCS_ROOT_CA_CRL;
  assert_int_equal(tc_provider_get(p, &q, 0, &a, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "bad_request");
  assert_non_null(strstr(err.detail, "Intel PCS serves no Root CA CRL endpoint"));
  tc_provider_free(p);
  assert_int_equal(ts_total(g_srv), t0);
}

/* col_http_get's refusals, each with its reason and what was asked: a final HTTP status,
 * a deadline already passed, a pacing slot past the deadline or the budget, an issuer
 * chain that is not percent-encoded, a body over 16 MiB. */
static void test_http_get_refusals(void **state) {
  (void)state;
  char url[512];
  col_http_retry r = {.max_attempts = 3, .max_wait_s = 3, .base_delay_s = 0.01, .timeout_s = 10};
  col_http_response resp;
  tc_error err;
  const char *path = "/http-get/refusals";
  snprintf(url, sizeof url, "%s%s", ts_base(g_srv), path);
  ts_route(g_srv, path, "ok", 2, NULL, NULL);
  unsigned c0 = ts_count(g_srv, path);

  /* 403 is final: one attempt */
  ts_fail_next(g_srv, path, 1, 403, NULL);
  assert_int_equal(col_http_get(url, &r, &resp, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "collateral_unavailable");
  char want[700];
  snprintf(want, sizeof want, "%s: HTTP 403", url);
  assert_string_equal(err.detail, want);
  assert_int_equal(resp.attempts, 1);
  assert_int_equal(ts_count(g_srv, path), c0 + 1);

  /* the deadline passed before the first attempt: none is made */
  r.deadline = col_http_mono() - 1;
  assert_int_equal(col_http_get(url, &r, &resp, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "collateral_unavailable");
  snprintf(want, sizeof want, "%s: the request's deadline passed after 0 attempts", url);
  assert_string_equal(err.detail, want);
  assert_int_equal(resp.attempts, 0);
  assert_int_equal(ts_count(g_srv, path), c0 + 1);

  /* one request per 10 s: the next slot would pass a deadline 2 s away (budget 20 s) */
  r.pacer = col_http_pacer_new(10, 1);
  assert_non_null(r.pacer);
  assert_true(col_http_pacer_take(r.pacer, url, 1) == 0); /* the burst's one token */
  r.deadline = col_http_mono() + 2;
  r.max_wait_s = 20;
  assert_int_equal(col_http_get(url, &r, &resp, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "collateral_rate_limited");
  assert_non_null(strstr(err.detail, "spaced to stay within the service's rate limit; waiting "));
  assert_non_null(strstr(err.detail, " s for the next slot would pass the request's deadline"));
  assert_int_equal(resp.attempts, 0);
  col_http_pacer_free(r.pacer);

  /* a 503, then the next slot (10 s) beyond the 3 s budget: the retries stop there */
  r.pacer = col_http_pacer_new(10, 1);
  r.deadline = 0;
  r.max_wait_s = 3;
  ts_fail_next(g_srv, path, 1, 503, NULL);
  assert_int_equal(col_http_get(url, &r, &resp, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "collateral_rate_limited");
  snprintf(want, sizeof want, "%s: HTTP 503 (waiting ", url);
  assert_ptr_equal(strstr(err.detail, want), err.detail);
  assert_non_null(strstr(err.detail, "s next request slot would bring the cumulative wait to "));
  assert_non_null(strstr(err.detail, "beyond the 3.0 s budget) after 1 attempts"));
  assert_int_equal(resp.attempts, 1);
  assert_int_equal(ts_count(g_srv, path), c0 + 2);
  col_http_pacer_free(r.pacer);
  r.pacer = NULL;

  /* an issuer chain with a bad percent escape: refused, nothing kept */
  ts_route(g_srv, path, "ok", 2, "TCB-Info-Issuer-Chain", "-----BEGIN%zz");
  assert_int_equal(col_http_get(url, &r, &resp, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "bad_percent_encoding");
  assert_null(resp.body.data);
  assert_int_equal(resp.body.len, 0);

  /* a body over 16 MiB: not retried */
  size_t big = (16u << 20) + 1;
  uint8_t *body = calloc(1, big);
  assert_non_null(body);
  ts_route(g_srv, path, body, big, NULL, NULL);
  free(body);
  unsigned c1 = ts_count(g_srv, path);
  assert_int_equal(col_http_get(url, &r, &resp, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "collateral_unavailable");
  snprintf(want, sizeof want, "%s: response larger than 16777216 bytes", url);
  assert_string_equal(err.detail, want);
  assert_int_equal(resp.attempts, 1);
  assert_int_equal(resp.host_failed, 0);
  assert_int_equal(ts_count(g_srv, path), c1 + 1);
  ts_route(g_srv, path, "ok", 2, NULL, NULL);
}

/* ---- crash safety and corruption ---- */

#define BIG (1u << 20)

static void fill_pattern(uint8_t *b, uint32_t i) {
  memset(b, (int)(i & 0xff), BIG);
  memcpy(b, &i, sizeof i);
}

static void test_kill_during_write(void **state) {
  (void)state;
  char *dir = mktemp_dir();
  tc_error err;
  assert_int_equal(col_cache_open(dir, &err), TC_OK);
  const char *key = "kds:/vcek/v1/Milan/crl";
  for (int round = 0; round < 3; round++) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      uint8_t *b = malloc(BIG);
      for (uint32_t i = 1;; i++) {
        fill_pattern(b, i);
        col_cache_entry e;
        memset(&e, 0, sizeof e);
        snprintf(e.key, sizeof e.key, "%s", key);
        snprintf(e.url, sizeof e.url, "http://x/vcek/v1/Milan/crl");
        e.kind = TC_OBJ_KDS_VCEK_CRL;
        e.fetched_at = i;
        e.expires_at = 1000000000;
        e.refresh_at = 1000000000;
        e.body.data = b;
        e.body.len = BIG;
        tc_error ce;
        if (col_cache_store(dir, &e, &ce) != TC_OK)
          _exit(3);
      }
    }
    struct timespec ts = {0, (long)(40 + 37 * round) * 1000000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status));
    col_cache_entry e;
    char why[256];
    if (col_cache_lookup(dir, key, &e, why)) {
      /* whatever is served is one complete, intact write */
      assert_int_equal(e.body.len, BIG);
      uint32_t i;
      memcpy(&i, e.body.data, sizeof i);
      assert_int_equal((int64_t)i, e.fetched_at);
      uint8_t *want = malloc(BIG);
      fill_pattern(want, i);
      assert_memory_equal(e.body.data, want, BIG);
      free(want);
      col_cache_entry_free(&e);
    } else {
      assert_string_equal(why, "not cached"); /* killed before the first index write */
    }
    json_t *list = NULL;
    assert_int_equal(tc_cache_list(dir, 0, &list, &err), TC_OK);
    for (size_t k = 0; k < json_array_size(list); k++)
      assert_string_not_equal(jstr(json_array_get(list, k), "state", NULL, NULL), "corrupt");
    json_decref(list);
  }
  rm_rf(dir);
  free(dir);
}

static void test_corrupt_entry_is_refetched(void **state) {
  (void)state;
  char *dir = mktemp_dir();
  tc_buf ark = vec_file("snp", "genoa-v5-oak-oc", "ark.pem");
  tc_buf ask = vec_file("snp", "genoa-v5-oak-oc", "ask.pem");
  tc_buf chain = concat(&ask, &ark);
  const char *path = "/vcek/v1/Genoa/cert_chain";
  ts_route(g_srv, path, chain.data, chain.len, NULL, NULL);
  tc_provider *p = provider(dir, 0);
  tc_object_request q;
  memset(&q, 0, sizeof q);
  q.kind = TC_OBJ_KDS_VCEK_CHAIN;
  q.product = TC_SNP_GENOA;
  tc_collateral_answer a;
  tc_error err;
  unsigned c0 = ts_count(g_srv, path);
  assert_int_equal(tc_provider_get(p, &q, 0, &a, &err), TC_OK);
  tc_collateral_answer_free(&a);
  /* flip one byte of the stored object (named by its SHA-256, computed here) */
  unsigned char md[32];
  unsigned int ml = 0;
  EVP_Digest(chain.data, chain.len, md, &ml, EVP_sha256(), NULL);
  char hex[65], obj[4096];
  tc_hex_encode(md, 32, hex);
  snprintf(obj, sizeof obj, "%s/objects/%s", dir, hex);
  tc_buf stored = test_read_file(obj);
  assert_int_equal(stored.len, chain.len);
  stored.data[100] ^= 1;
  FILE *f = fopen(obj, "wb");
  fwrite(stored.data, 1, stored.len, f);
  fclose(f);
  tc_buf_free(&stored);
  json_t *list = NULL;
  assert_int_equal(tc_cache_list(dir, 0, &list, &err), TC_OK);
  assert_string_equal(jstr(json_array_get(list, 0), "state", NULL, NULL), "corrupt");
  json_decref(list);
  /* never served: the provider fetches again and repairs the entry */
  assert_int_equal(tc_provider_get(p, &q, 0, &a, &err), TC_OK);
  assert_int_equal(a.origin, TC_ORIGIN_NETWORK);
  assert_memory_equal(a.body.data, chain.data, chain.len);
  tc_collateral_answer_free(&a);
  assert_int_equal(ts_count(g_srv, path), c0 + 2);
  assert_int_equal(tc_provider_get(p, &q, 0, &a, &err), TC_OK);
  assert_int_equal(a.origin, TC_ORIGIN_CACHE);
  tc_collateral_answer_free(&a);
  /* offline with only a corrupt copy: an error, not the bad bytes */
  f = fopen(obj, "wb");
  fwrite("garbage", 1, 7, f);
  fclose(f);
  tc_provider *off = provider(dir, 1);
  assert_int_equal(tc_provider_get(off, &q, 0, &a, &err), TC_ERR_IO);
  assert_non_null(strstr(err.detail, "corrupt"));
  tc_provider_free(off);
  /* a leftover temp file from a killed writer is ignored */
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s/index/0123.json.tmpAbCdEf", dir);
  f = fopen(tmp, "wb");
  fwrite("{", 1, 1, f);
  fclose(f);
  assert_int_equal(tc_cache_list(dir, 0, &list, &err), TC_OK);
  assert_int_equal(json_array_size(list), 1);
  json_decref(list);
  tc_provider_free(p);
  tc_buf_free(&chain);
  tc_buf_free(&ask);
  tc_buf_free(&ark);
  rm_rf(dir);
  free(dir);
}

/* ---- expiry ---- */

static void test_expired_object_is_refreshed(void **state) {
  (void)state;
  char *dir = mktemp_dir();
  int64_t t0 = tc_utc_seconds(2025, 3, 1, 0, 0, 0);
  const char *path = "/vcek/v1/Turin/crl";
  tc_buf crl1 = make_crl(t0 - 3600, t0 + 2 * 86400);
  ts_route(g_srv, path, crl1.data, crl1.len, NULL, NULL);
  tc_provider *p = provider(dir, 0);
  tc_object_request q;
  memset(&q, 0, sizeof q);
  q.kind = TC_OBJ_KDS_VCEK_CRL;
  q.product = TC_SNP_TURIN;
  tc_collateral_answer a;
  tc_error err;
  unsigned c0 = ts_count(g_srv, path);
  assert_int_equal(tc_provider_get(p, &q, t0, &a, &err), TC_OK);
  assert_int_equal(a.expires_at, t0 + 2 * 86400);
  assert_true(a.refresh_at > t0 && a.refresh_at < a.expires_at);
  tc_collateral_answer_free(&a);
  assert_int_equal(tc_provider_get(p, &q, t0 + 3600, &a, &err), TC_OK);
  assert_int_equal(a.origin, TC_ORIGIN_CACHE);
  tc_collateral_answer_free(&a);
  assert_int_equal(ts_count(g_srv, path), c0 + 1);
  /* AMD publishes a new CRL; past the old one's nextUpdate we must fetch it */
  tc_buf crl2 = make_crl(t0 + 2 * 86400, t0 + 30 * 86400);
  ts_route(g_srv, path, crl2.data, crl2.len, NULL, NULL);
  assert_int_equal(tc_provider_get(p, &q, t0 + 3 * 86400, &a, &err), TC_OK);
  assert_int_equal(a.origin, TC_ORIGIN_NETWORK);
  assert_int_equal(a.expired, 0);
  assert_int_equal(a.expires_at, t0 + 30 * 86400);
  assert_int_equal(a.body.len, crl2.len);
  assert_memory_equal(a.body.data, crl2.data, crl2.len);
  tc_collateral_answer_free(&a);
  assert_int_equal(ts_count(g_srv, path), c0 + 2);
  /* and the cache now holds the new one */
  col_cache_entry e;
  char k[512];
  assert_int_equal(tc_object_key(&q, k, sizeof k, &err), TC_OK);
  assert_int_equal(col_cache_lookup(dir, k, &e, NULL), 1);
  assert_int_equal(e.expires_at, t0 + 30 * 86400);
  col_cache_entry_free(&e);
  /* the replaced CRL's object was removed; the new one is there */
  char obj[4300], hex[65];
  unsigned char md[32];
  unsigned int ml = 0;
  EVP_Digest(crl1.data, crl1.len, md, &ml, EVP_sha256(), NULL);
  snprintf(obj, sizeof obj, "%s/objects/%s", dir, tc_hex_encode(md, 32, hex));
  assert_false(tc_file_exists(obj));
  EVP_Digest(crl2.data, crl2.len, md, &ml, EVP_sha256(), NULL);
  snprintf(obj, sizeof obj, "%s/objects/%s", dir, tc_hex_encode(md, 32, hex));
  assert_true(tc_file_exists(obj));
  tc_provider_free(p);
  tc_buf_free(&crl1);
  tc_buf_free(&crl2);
  rm_rf(dir);
  free(dir);
}

/* ---- Intel PCS / PCCS, offline with a stale cache ---- */

struct dcap_routes {
  char tcb[128], qe[128], pckcrl[128];
};

static void serve_dcap(const char *name, json_t *exp, struct dcap_routes *r) {
  const char *tee = jstr(exp, "tee", NULL, NULL);
  char fm[13];
  snprintf(fm, sizeof fm, "%s", jstr(exp, "fmspc", NULL, NULL));
  for (char *c = fm; *c; c++)
    if (*c >= 'a' && *c <= 'f')
      *c = (char)(*c - 'a' + 'A');
  const char *issuer = jstr(exp, "pck_tcb", "issuer_ca", NULL);
  snprintf(r->tcb, sizeof r->tcb, "/%s/certification/v4/tcb?fmspc=%s", tee, fm);
  snprintf(r->qe, sizeof r->qe, "/%s/certification/v4/qe/identity", tee);
  snprintf(r->pckcrl, sizeof r->pckcrl, "/sgx/certification/v4/pckcrl?ca=%s&encoding=der",
           strstr(issuer, "Processor") ? "processor" : "platform");
  struct {
    const char *uri, *file, *chain, *header;
  } routes[] = {
      {r->tcb, "tcb_info.json", "tcb_info_issuer_chain.pem", "TCB-Info-Issuer-Chain"},
      {r->qe, "qe_identity.json", "qe_identity_issuer_chain.pem",
       "SGX-Enclave-Identity-Issuer-Chain"},
      {r->pckcrl, "pck_crl.der", "pck_crl_issuer_chain.pem", "SGX-PCK-CRL-Issuer-Chain"},
      {"/sgx/certification/v4/rootcacrl", "root_ca_crl.der", NULL, NULL},
  };
  for (size_t i = 0; i < 4; i++) {
    tc_buf body = vec_file("dcap", name, routes[i].file);
    char *hv = NULL;
    if (routes[i].chain) {
      tc_buf ch = vec_file("dcap", name, routes[i].chain);
      hv = pct_encode(&ch);
      tc_buf_free(&ch);
    }
    ts_route(g_srv, routes[i].uri, body.data, body.len, routes[i].header, hv);
    free(hv);
    tc_buf_free(&body);
  }
}

static void assert_file_eq(const tc_buf *got, const char *name, const char *file) {
  tc_buf want = vec_file("dcap", name, file);
  if (got->len != want.len || memcmp(got->data, want.data, want.len) != 0)
    fail_msg("%s/%s: fetched bytes differ (%zu vs %zu bytes)", name, file, got->len, want.len);
  tc_buf_free(&want);
}

static const char *const dcap_cases[] = {"sgx-v3-phala-00a067110000-2025",
                                         "tdx-v4-phala-b0c06f000000"};

static void test_pcs_fetch_and_offline_stale(void **state) {
  (void)state;
  for (size_t ci = 0; ci < 2; ci++) {
    const char *name = dcap_cases[ci];
    assert_true(vec_has("dcap", name, "pck_crl_issuer_chain.pem"));
    json_t *exp = load_expected("dcap", name);
    struct dcap_routes r;
    serve_dcap(name, exp, &r);
    int64_t at = rfc(jstr(exp, "verify_at", NULL, NULL));
    tc_collateral_needs n;
    memset(&n, 0, sizeof n);
    n.tee = tc_tee_from_name(jstr(exp, "tee", NULL, NULL));
    size_t fl = 0;
    tc_error err;
    assert_int_equal(tc_hex_decode(jstr(exp, "fmspc", NULL, NULL), n.fmspc, 6, &fl, &err), TC_OK);
    n.ca = strstr(jstr(exp, "pck_tcb", "issuer_ca", NULL), "Processor") ? TC_PCK_CA_PROCESSOR
                                                                        : TC_PCK_CA_PLATFORM;
    tc_buf quote = vec_file("dcap", name, "quote.bin");
    /* the needs worked out from the quote agree with expected.json */
    tc_collateral_needs nq;
    if (tc_collateral_needs_of(TC_TEE_UNKNOWN, quote.data, quote.len, TC_SNP_PRODUCT_UNKNOWN, NULL,
                               &nq, &err) != TC_OK)
      fail_msg("%s: needs: %s: %s", name, err.reason, err.detail);
    assert_int_equal(nq.tee, n.tee);
    assert_memory_equal(nq.fmspc, n.fmspc, 6);
    assert_int_equal(nq.ca, n.ca);
    /* the CRL distribution point of the Intel SGX Root CA in the quote's PCK chain */
    assert_string_equal(nq.root_ca_crl_url,
                        "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der");
    char *dir = mktemp_dir();
    tc_provider *p = provider(dir, 0);
    tc_collateral col;
    memset(&col, 0, sizeof col);
    json_t *report = NULL;
    unsigned c_tcb = ts_count(g_srv, r.tcb);
    if (tc_provider_fill_needs(p, &n, at, &col, &report, &err) != TC_OK)
      fail_msg("%s: fill: %s: %s", name, err.reason, err.detail);
    assert_int_equal(ts_count(g_srv, r.tcb), c_tcb + 1);
    assert_file_eq(&col.tcb_info, name, "tcb_info.json");
    assert_file_eq(&col.tcb_info_issuer_chain, name, "tcb_info_issuer_chain.pem");
    assert_file_eq(&col.qe_identity, name, "qe_identity.json");
    assert_file_eq(&col.qe_identity_issuer_chain, name, "qe_identity_issuer_chain.pem");
    assert_file_eq(&col.pck_crl, name, "pck_crl.der");
    assert_file_eq(&col.pck_crl_issuer_chain, name, "pck_crl_issuer_chain.pem");
    assert_file_eq(&col.root_ca_crl, name, "root_ca_crl.der");
    for (size_t k = 0; k < json_array_size(report); k++)
      assert_string_equal(jstr(json_array_get(report, k), "origin", NULL, NULL), "network");
    json_decref(report);
    tc_collateral_free(&col);
    tc_provider_free(p);

    /* Later, the network is gone: past the refresh time (max_age 1 day) the cached copies
     * are served, marked stale; the evidence still verifies at its verification time. */
    tc_provider_options o;
    tc_provider_options_default(&o);
    o.cache_dir = dir;
    o.pcs_url = "http://127.0.0.1:9"; /* discard port: connection refused */
    o.max_attempts = 1;
    tc_provider *dead = NULL;
    assert_int_equal(tc_provider_new(&o, &dead, &err), TC_OK);
    memset(&col, 0, sizeof col);
    unsigned total = ts_total(g_srv);
    int64_t later = at + 2 * 86400;
    if (tc_provider_fill_needs(dead, &n, later, &col, &report, &err) != TC_OK)
      fail_msg("%s: offline fill: %s: %s", name, err.reason, err.detail);
    assert_int_equal(ts_total(g_srv), total);
    assert_int_equal(json_array_size(report), 4);
    for (size_t k = 0; k < json_array_size(report); k++) {
      json_t *it = json_array_get(report, k);
      assert_string_equal(jstr(it, "origin", NULL, NULL), "cache");
      assert_true(json_is_true(json_object_get(it, "stale")));
      assert_non_null(strstr(jstr(it, "note", NULL, NULL), "refresh failed"));
    }
    json_decref(report);
    assert_file_eq(&col.tcb_info, name, "tcb_info.json");
    json_t *res = NULL;
    tc_status st = tc_verify_evidence(TC_TEE_UNKNOWN, quote.data, quote.len, &col, at, &res, &err);
    if (strcmp(jstr(exp, "verdict", NULL, NULL), "valid") == 0 && st != TC_OK)
      fail_msg("%s: stale cached collateral does not verify: %s: %s", name, err.reason, err.detail);
    json_decref(res);
    tc_collateral_free(&col);
    tc_provider_free(dead);

    /* offline mode (no network at all) answers the same way */
    tc_provider *off = provider(dir, 1);
    memset(&col, 0, sizeof col);
    assert_int_equal(tc_provider_fill_needs(off, &n, later, &col, NULL, &err), TC_OK);
    assert_file_eq(&col.root_ca_crl, name, "root_ca_crl.der");
    tc_collateral_free(&col);
    tc_provider_free(off);
    tc_buf_free(&quote);
    rm_rf(dir);
    free(dir);
    json_decref(exp);
  }
}

static void test_root_ca_crl_location_and_api_key(void **state) {
  (void)state;
  const char *name = dcap_cases[0];
  tc_buf root = vec_file("dcap", name, "intel_sgx_root_ca.pem");
  char url[512];
  tc_error err;
  assert_int_equal(tc_x509_crl_dp_url(root.data, root.len, url, sizeof url, &err), TC_OK);
  assert_string_equal(url, "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der");
  tc_buf_free(&root);
  /* the last cert of an issuer chain is the root */
  tc_buf chain = vec_file("dcap", name, "tcb_info_issuer_chain.pem");
  assert_int_equal(tc_x509_crl_dp_url(chain.data, chain.len, url, sizeof url, &err), TC_OK);
  assert_string_equal(url, "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der");
  tc_buf_free(&chain);
  /* the PCS subscription key header is sent when configured */
  json_t *exp = load_expected("dcap", name);
  struct dcap_routes r;
  serve_dcap(name, exp, &r);
  tc_provider_options o;
  tc_provider_options_default(&o);
  o.pcs_url = ts_base(g_srv);
  o.api_key = "0123456789abcdef";
  tc_provider *p = NULL;
  assert_int_equal(tc_provider_new(&o, &p, &err), TC_OK);
  tc_object_request q;
  memset(&q, 0, sizeof q);
  q.kind = TC_OBJ_PCS_QE_IDENTITY;
  q.tee = TC_TEE_SGX;
  tc_collateral_answer a;
  assert_int_equal(tc_provider_get(p, &q, 0, &a, &err), TC_OK);
  assert_string_equal(ts_last_header(g_srv, r.qe, "Ocp-Apim-Subscription-Key"), "0123456789abcdef");
  tc_collateral_answer_free(&a);
  tc_provider_free(p);
  json_decref(exp);
}

/* Against Intel's PCS (no rootcacrl endpoint) the Root CA CRL comes from the CRL
 * distribution point of the root certificate at the end of the issuer chain. Here a
 * generated root names the loopback server as its distribution point. */
static tc_buf make_root_with_dp(const char *dp_uri, int64_t not_after) {
  EVP_PKEY *k = EVP_EC_gen("P-256");
  X509 *x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_NAME *n = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Test SGX Root CA", -1,
                             -1, 0);
  X509_set_issuer_name(x, n);
  ASN1_TIME_set(X509_getm_notBefore(x), 0);
  ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after);
  X509_set_pubkey(x, k);
  char val[600];
  snprintf(val, sizeof val, "URI:%s", dp_uri);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_crl_distribution_points, val);
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x, k, EVP_sha256());
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char *d;
  long len = BIO_get_mem_data(b, &d);
  tc_buf out = {malloc((size_t)len), (size_t)len};
  memcpy(out.data, d, (size_t)len);
  BIO_free(b);
  X509_free(x);
  EVP_PKEY_free(k);
  return out;
}

static void test_intel_pcs_root_ca_crl_from_dp(void **state) {
  (void)state;
  const char *name = dcap_cases[0];
  json_t *exp = load_expected("dcap", name);
  struct dcap_routes r;
  serve_dcap(name, exp, &r);
  int64_t at = rfc(jstr(exp, "verify_at", NULL, NULL));
  char dp[256];
  snprintf(dp, sizeof dp, "%s/IntelSGXRootCA.der", ts_base(g_srv));
  tc_buf root = make_root_with_dp(dp, at + 365 * 86400);
  char *hv = pct_encode(&root);
  tc_buf ti = vec_file("dcap", name, "tcb_info.json");
  ts_route(g_srv, r.tcb, ti.data, ti.len, "TCB-Info-Issuer-Chain", hv);
  tc_buf crl = make_crl(at - 86400, at + 30 * 86400);
  ts_route(g_srv, "/IntelSGXRootCA.der", crl.data, crl.len, NULL, NULL);
  tc_provider_options o;
  tc_provider_options_default(&o);
  o.pcs_url = ts_base(g_srv);
  o.pcs_flavour = TC_PCS_INTEL;
  tc_provider *p = NULL;
  tc_error err;
  assert_int_equal(tc_provider_new(&o, &p, &err), TC_OK);
  tc_collateral_needs n;
  memset(&n, 0, sizeof n);
  n.tee = TC_TEE_SGX;
  size_t fl;
  assert_int_equal(tc_hex_decode(jstr(exp, "fmspc", NULL, NULL), n.fmspc, 6, &fl, &err), TC_OK);
  n.ca = TC_PCK_CA_PROCESSOR;
  tc_collateral col;
  memset(&col, 0, sizeof col);
  unsigned rc0 = ts_count(g_srv, "/sgx/certification/v4/rootcacrl");
  unsigned dp0 = ts_count(g_srv, "/IntelSGXRootCA.der");
  json_t *report = NULL;
  if (tc_provider_fill_needs(p, &n, at, &col, &report, &err) != TC_OK)
    fail_msg("fill: %s: %s", err.reason, err.detail);
  assert_int_equal(ts_count(g_srv, "/IntelSGXRootCA.der"), dp0 + 1);
  assert_int_equal(ts_count(g_srv, "/sgx/certification/v4/rootcacrl"), rc0);
  assert_int_equal(col.root_ca_crl.len, crl.len);
  assert_memory_equal(col.root_ca_crl.data, crl.data, crl.len);
  json_t *last = json_array_get(report, json_array_size(report) - 1);
  assert_string_equal(jstr(last, "item", NULL, NULL), "root_ca_crl.der");
  assert_string_equal(jstr(last, "url", NULL, NULL), dp);
  json_decref(report);
  tc_collateral_free(&col);
  tc_provider_free(p);
  /* restore the real issuer chain for later tests */
  serve_dcap(name, exp, &r);
  free(hv);
  tc_buf_free(&root);
  tc_buf_free(&ti);
  tc_buf_free(&crl);
  json_decref(exp);
}

/* ---- CLI: teectl collateral fetch / show, then teectl verify --collateral ---- */

/* Run the teectl binary with args (NULL-terminated), stdout to out_path (or /dev/null). */
/* Run teectl with args, stdout to out_path (NULL: discarded). max_bytes > 0 sets a file size
 * limit: a write past it raises SIGXFSZ, which kills the process in the middle of writing (the
 * "killed mid-write" and "full disk" cases). Returns the exit code, or 128 + the signal. */
static int run_teectl_limited(const char *out_path, rlim_t max_bytes, const char *const *args) {
  const char *bin = test_teectl_bin();
  if (bin == NULL)
    fail_msg("TEECTL_BIN is not set");
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    FILE *o = freopen(out_path ? out_path : "/dev/null", "w", stdout);
    (void)o;
    struct rlimit rl = {max_bytes, max_bytes};
    if (max_bytes > 0 && setrlimit(RLIMIT_FSIZE, &rl) != 0)
      _exit(126);
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)bin;
    for (; args[n - 1] != NULL && n < 31; n++)
      argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    execv(bin, argv);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_teectl(const char *out_path, const char *const *args) {
  int rc = run_teectl_limited(out_path, 0, args);
  return rc >= 128 ? -1 : rc;
}

/* A DCAP vector case served by the test server, with a new folder for the CLI's cache
 * (cache) and output (out) and the quote's path. */
struct cli_case {
  const char *name;
  json_t *exp;
  struct dcap_routes r;
  char *tmp;
  char cache[4200], out[4200], quote[4200];
};

static void cli_case_open(struct cli_case *c, const char *name) {
  c->name = name;
  c->exp = load_expected("dcap", name);
  serve_dcap(name, c->exp, &c->r);
  c->tmp = mktemp_dir();
  snprintf(c->cache, sizeof c->cache, "%s/cache", c->tmp);
  snprintf(c->out, sizeof c->out, "%s/out", c->tmp);
  snprintf(c->quote, sizeof c->quote, "%s/dcap/%s/quote.bin", g_vectors, name);
}

static void cli_case_close(struct cli_case *c) {
  rm_rf(c->tmp);
  free(c->tmp);
  json_decref(c->exp);
}

static void test_cli_fetch_then_verify(void **state) {
  (void)state;
  struct cli_case c;
  cli_case_open(&c, dcap_cases[1]);
  const char *name = c.name, *tmp = c.tmp, *cache = c.cache, *out = c.out, *quote = c.quote;
  json_t *exp = c.exp;
  char listing[4200];
  snprintf(listing, sizeof listing, "%s/show.json", tmp);
  /* no network, nothing cached: exit 1 and nothing written */
  const char *off[] = {"collateral", "fetch", "--offline", "--cache-dir", cache,
                       "--out",      out,     quote,       NULL};
  assert_int_equal(run_teectl(NULL, off), 1);
  assert_false(tc_file_exists(out));
  const char *fetch[] = {"collateral", "fetch", "--pcs-url", ts_base(g_srv), "--cache-dir",
                         cache,        "--out", out,         quote,          NULL};
  assert_int_equal(run_teectl(NULL, fetch), 0);
  const char *files[] = {"tcb_info.json",    "tcb_info_issuer_chain.pem",
                         "qe_identity.json", "qe_identity_issuer_chain.pem",
                         "pck_crl.der",      "pck_crl_issuer_chain.pem",
                         "root_ca_crl.der"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char p[4300];
    snprintf(p, sizeof p, "%s/%s", out, files[i]);
    tc_buf got = test_read_file(p);
    assert_file_eq(&got, name, files[i]);
    tc_buf_free(&got);
  }
  /* exactly those files */
  char cmd[4400];
  snprintf(cmd, sizeof cmd, "test $(ls '%s' | wc -l) -eq 7", out);
  assert_int_equal(system(cmd), 0);
  /* the folder is what verify reads */
  const char *verify[] = {
      "verify", "--collateral", out, "--at", jstr(exp, "verify_at", NULL, NULL), quote, NULL};
  int vrc = run_teectl(NULL, verify);
  assert_int_equal(vrc, strcmp(jstr(exp, "verdict", NULL, NULL), "valid") == 0 ? 0 : 1);
  /* verify --fetch fills the same collateral itself (from the cache or the server) */
  const char *vfetch[] = {"verify",      "--fetch", "--pcs-url", ts_base(g_srv),
                          "--cache-dir", cache,     "--at",      jstr(exp, "verify_at", NULL, NULL),
                          quote,         NULL};
  vrc = run_teectl(NULL, vfetch);
  assert_int_equal(vrc, strcmp(jstr(exp, "verdict", NULL, NULL), "valid") == 0 ? 0 : 1);
  const char *vnofetch[] = {"verify", "--pcs-url", ts_base(g_srv), quote, NULL};
  assert_int_equal(run_teectl(NULL, vnofetch), 2);
  /* show lists the four cached objects */
  const char *show[] = {"collateral", "show", "--cache-dir", cache, "--format", "json", NULL};
  assert_int_equal(run_teectl(listing, show), 0);
  json_error_t je;
  json_t *list = json_load_file(listing, 0, &je);
  assert_non_null(list);
  assert_int_equal(json_array_size(list), 4);
  const char *kinds[] = {"pck_crl", "qe_identity", "root_ca_crl", "tcb_info"};
  int seen[4] = {0};
  for (size_t i = 0; i < json_array_size(list); i++)
    for (int k = 0; k < 4; k++)
      if (strcmp(jstr(json_array_get(list, i), "kind", NULL, NULL), kinds[k]) == 0)
        seen[k]++;
  for (int k = 0; k < 4; k++)
    assert_int_equal(seen[k], 1);
  json_decref(list);
  /* usage errors exit 2 */
  const char *bad[] = {"collateral", "fetch", "--nope", NULL};
  assert_int_equal(run_teectl(NULL, bad), 2);
  const char *noout[] = {"collateral", "fetch", quote, NULL};
  assert_int_equal(run_teectl(NULL, noout), 2);
  /* an --out that can never be written is a usage error before any fetching (offline, so a
   * fetch would have answered 1) */
  char badout[4300];
  snprintf(badout, sizeof badout, "%s/missing/out", tmp);
  const char *outs[] = {badout, quote};
  for (int k = 0; k < 2; k++) {
    const char *o2[] = {"collateral", "fetch", "--offline", "--cache-dir", tmp,
                        "--out",      outs[k], quote,       NULL};
    assert_int_equal(run_teectl(NULL, o2), 2);
  }
  /* show: a named cache folder that does not exist is a usage error */
  const char *nocache[] = {"collateral", "show", "--cache-dir", badout, NULL};
  assert_int_equal(run_teectl(NULL, nocache), 2);
  cli_case_close(&c);
}

/* collateral fetch --format json: the report of each item and whether the folder was
 * written; the options reach the fetch (--api-key-file's key is the header PCS gets, --tee
 * names the evidence); an offline fetch with nothing cached writes nothing and says so. */
static void test_cli_fetch_json_and_options(void **state) {
  (void)state;
  struct cli_case c;
  cli_case_open(&c, dcap_cases[1]);
  const char *tmp = c.tmp, *cache = c.cache, *out = c.out, *quote = c.quote;
  char report[4200], key[4200];
  snprintf(report, sizeof report, "%s/report.json", tmp);
  snprintf(key, sizeof key, "%s/key", tmp);
  FILE *f = fopen(key, "w");
  assert_non_null(f);
  fputs("fedcba9876543210\n", f);
  fclose(f);
  const char *fetch[] = {"collateral",
                         "fetch",
                         "--format",
                         "json",
                         "--tee",
                         "tdx",
                         "--pcs-url",
                         ts_base(g_srv),
                         "--kds-url",
                         ts_base(g_srv),
                         "--api-key-file",
                         key,
                         "--max-wait",
                         "5",
                         "--kds-interval",
                         "0",
                         "--cache-dir",
                         cache,
                         "--out",
                         out,
                         quote,
                         NULL};
  assert_int_equal(run_teectl(report, fetch), 0);
  assert_string_equal(ts_last_header(g_srv, c.r.qe, "Ocp-Apim-Subscription-Key"),
                      "fedcba9876543210");
  json_error_t je;
  json_t *j = json_load_file(report, 0, &je);
  assert_non_null(j);
  assert_string_equal(jstr(j, "out", NULL, NULL), out);
  assert_true(json_is_true(json_object_get(j, "written")));
  json_t *items = json_object_get(j, "items");
  assert_true(json_array_size(items) >= 4);
  for (size_t i = 0; i < json_array_size(items); i++)
    assert_null(json_object_get(json_array_get(items, i), "error"));
  json_decref(j);
  char p[4300];
  snprintf(p, sizeof p, "%s/tcb_info.json", out);
  tc_buf got = test_read_file(p);
  assert_file_eq(&got, c.name, "tcb_info.json");
  tc_buf_free(&got);
  /* --tee that does not match the evidence: nothing fetched or written (exit 2) */
  char out2[4300];
  snprintf(out2, sizeof out2, "%s/out2", tmp);
  const char *wrong[] = {"collateral", "fetch", "--tee", "snp", "--offline", "--cache-dir",
                         cache,        "--out", out2,    quote, NULL};
  assert_int_equal(run_teectl(NULL, wrong), 2);
  assert_false(tc_file_exists(out2));
  /* offline with an empty cache: exit 1, "written": false, the failed items named */
  char empty[4300];
  snprintf(empty, sizeof empty, "%s/empty-cache", tmp);
  const char *off[] = {"collateral", "fetch", "--format", "json", "--offline", "--cache-dir",
                       empty,        "--out", out2,       quote,  NULL};
  assert_int_equal(run_teectl(report, off), 1);
  assert_false(tc_file_exists(out2));
  j = json_load_file(report, 0, &je);
  assert_non_null(j);
  assert_true(json_is_false(json_object_get(j, "written")));
  items = json_object_get(j, "items");
  int failed = 0;
  for (size_t i = 0; i < json_array_size(items); i++) {
    const char *e = jstr(json_array_get(items, i), "error", NULL, NULL);
    failed += e != NULL && strcmp(e, "collateral_unavailable") == 0;
  }
  assert_true(failed >= 1);
  json_decref(j);
  cli_case_close(&c);
}

static int count_entries(const char *dir) {
  char cmd[4400];
  snprintf(cmd, sizeof cmd, "exit $(ls -A '%s' | wc -l)", dir);
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* `collateral fetch --out DIR` is all or nothing (issue 14 item 8), and a malformed CRL from
 * the server is a "no" (exit 1), not a usage error (item 9). */
static void test_cli_fetch_out_all_or_nothing(void **state) {
  (void)state;
  const char *name = dcap_cases[1];
  json_t *exp = load_expected("dcap", name);
  struct dcap_routes r;
  serve_dcap(name, exp, &r);
  char *tmp = mktemp_dir();
  char out[4200], quote[4200], p[4300];
  snprintf(out, sizeof out, "%s/out", tmp);
  snprintf(quote, sizeof quote, "%s/dcap/%s/quote.bin", g_vectors, name);
  const char *fetch[] = {"collateral", "fetch", "--pcs-url", ts_base(g_srv), "--no-cache", "--out",
                         out,          quote,   NULL};
  /* killed while writing the first file (tcb_info.json is 3089 bytes): no DIR at all */
  assert_int_equal(run_teectl_limited(NULL, 2048, fetch), 128 + SIGXFSZ);
  assert_false(tc_file_exists(out));
  rm_rf(tmp);
  assert_int_equal(mkdir(tmp, 0700), 0);

  assert_int_equal(run_teectl(NULL, fetch), 0);
  assert_int_equal(count_entries(out), 7);
  assert_int_equal(count_entries(tmp), 1); /* no temporary folder left beside it */
  /* an earlier fetch's folder is replaced as a whole: a stale collateral file goes */
  snprintf(p, sizeof p, "%s/crl.der", out);
  assert_int_equal(tc_file_write_atomic(p, "old", 3, NULL), TC_OK);
  assert_int_equal(run_teectl(NULL, fetch), 0);
  assert_int_equal(count_entries(out), 7);
  assert_false(tc_file_exists(p));
  assert_int_equal(count_entries(tmp), 1);
  /* a folder holding anything else is refused and left alone */
  snprintf(p, sizeof p, "%s/notes.txt", out);
  assert_int_equal(tc_file_write_atomic(p, "mine", 4, NULL), TC_OK);
  assert_int_equal(run_teectl(NULL, fetch), 2);
  assert_int_equal(count_entries(out), 8);
  assert_true(tc_file_exists(p));
  assert_int_equal(count_entries(tmp), 1);

  /* the server sends a PCK CRL that does not parse: exit 1, nothing written */
  ts_route(g_srv, r.pckcrl, "not a CRL", 9, NULL, NULL);
  char out2[4200];
  snprintf(out2, sizeof out2, "%s/out2", tmp);
  const char *bad[] = {"collateral", "fetch", "--pcs-url", ts_base(g_srv), "--no-cache", "--out",
                       out2,         quote,   NULL};
  assert_int_equal(run_teectl(NULL, bad), 1);
  assert_false(tc_file_exists(out2));
  assert_int_equal(count_entries(tmp), 1);
  /* verify --fetch --format json answers JSON even then (issue 13 item 6) */
  char cache2[4200], vout[4200];
  snprintf(cache2, sizeof cache2, "%s/cache2", tmp);
  snprintf(vout, sizeof vout, "%s/verify.json", tmp);
  const char *vbad[] = {"verify",      "--fetch", "--pcs-url", ts_base(g_srv),
                        "--cache-dir", cache2,    "--at",      jstr(exp, "verify_at", NULL, NULL),
                        "--format",    "json",    quote,       NULL};
  assert_int_equal(run_teectl(vout, vbad), 1);
  json_error_t je;
  json_t *v = json_load_file(vout, 0, &je);
  if (v == NULL)
    fail_msg("verify --fetch --format json printed no JSON: %s", je.text);
  assert_string_equal(jstr(v, "verdict", NULL, NULL), "invalid");
  assert_string_equal(jstr(v, "reason", NULL, NULL), "collateral_malformed");
  assert_non_null(strstr(jstr(v, "detail", NULL, NULL), "pck_crl.der"));
  assert_true(json_is_array(json_object_get(v, "collateral")));
  json_decref(v);
  serve_dcap(name, exp, &r);
  rm_rf(tmp);
  free(tmp);
  json_decref(exp);
}

static int setup(void **state) {
  (void)state;
  g_srv = ts_start();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  ts_stop(g_srv);
  return 0;
}

int main(int argc, char **argv) {
  g_vectors = test_vectors_dir(argc, argv, "snp");
  (void)test_vectors_dir(argc, argv, "dcap");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vcek_urls_from_vectors),
      cmocka_unit_test(test_chains_and_vlek),
      cmocka_unit_test(test_extra_certs_are_not_fetched),
      cmocka_unit_test(test_v2_report_product_probe),
      cmocka_unit_test(test_cache_hits_make_no_request),
      cmocka_unit_test(test_memory_layer),
      cmocka_unit_test(test_rate_limit_retry_after),
      cmocka_unit_test(test_host_backoff),
      cmocka_unit_test(test_kds_pacing),
      cmocka_unit_test(test_concurrent_misses_one_request),
      cmocka_unit_test(test_joined_fetch_deadline),
      cmocka_unit_test(test_bad_request_makes_no_request),
      cmocka_unit_test(test_http_get_refusals),
      cmocka_unit_test(test_kill_during_write),
      cmocka_unit_test(test_corrupt_entry_is_refetched),
      cmocka_unit_test(test_expired_object_is_refreshed),
      cmocka_unit_test(test_pcs_fetch_and_offline_stale),
      cmocka_unit_test(test_root_ca_crl_location_and_api_key),
      cmocka_unit_test(test_intel_pcs_root_ca_crl_from_dp),
      cmocka_unit_test(test_cli_fetch_then_verify),
      cmocka_unit_test(test_cli_fetch_json_and_options),
      cmocka_unit_test(test_cli_fetch_out_all_or_nothing),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
