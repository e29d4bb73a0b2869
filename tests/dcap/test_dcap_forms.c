/* SPDX-License-Identifier: Apache-2.0 */
/* DCAP verification against what does not depend on how the verifier parses keys or what
 * its cache (tc_dcap_verify_cached) holds:
 *   - certificates whose P-256 key is written in another form (compressed or hybrid point,
 *     specifiedCurve parameters; RFC 5480 section 2, SEC 1 2.3.3) at each place of a forged
 *     hierarchy (root, PCK CA, PCK leaf, TCB signing): the verdict is the one OpenSSL's own
 *     certificate path (d2i_X509, X509_get0_pubkey, X509_check_issued, X509_verify) gives
 *     every link, and the result is the same cold, on a cache warmed by the same hierarchy
 *     in Intel's form, a second time, and that hierarchy's after it;
 *   - the QE report step kept by the cache for a PCK chain taken from the collateral (an SGX
 *     quote whose certification data type is not 5): another platform's chain under the same
 *     CA, and the quote's own chain without the operator trust root it needs, are rejected
 *     as without a cache;
 *   - four threads verifying valid and rejected quotes in turn on one cache of 1 and of 64
 *     entries: every result is its uncached one. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/x509.h>

#include "crypto/x509.h"
#include "dcap_forge.h"
#include "dcap_test_util.h"
#include "teectl/dcap.h"

static const char *g_dir;

/* One verification's status, reason, detail and result object (without verified_at). */
typedef struct {
  tc_status st;
  tc_error err;
  char *res; /* compact JSON, sorted keys */
} outcome;

static void verify(const tc_buf *q, const tc_collateral *col, int64_t at, tc_dcap_cache *cache,
                   outcome *o) {
  json_t *res = NULL;
  tc_error_clear(&o->err);
  o->st = tc_dcap_verify_cached(q->data, q->len, col, at, cache, &res, &o->err);
  json_object_del(res, "verified_at");
  o->res = res != NULL ? json_dumps(res, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
  json_decref(res);
}

static void outcome_free(outcome *o) {
  free(o->res);
  o->res = NULL;
}

/* 1 if a and b are the same status, reason, detail and result object. */
static int same_outcome(const outcome *a, const outcome *b) {
  return a->st == b->st && strcmp(a->err.reason, b->err.reason) == 0 &&
         strcmp(a->err.detail, b->err.detail) == 0 &&
         (a->res == NULL ? b->res == NULL : b->res != NULL && strcmp(a->res, b->res) == 0);
}

static void expect_same(const char *what, const outcome *got, const outcome *want) {
  if (!same_outcome(got, want))
    fail_msg("%s: %d %s (%s), expected %d %s (%s)", what, got->st, got->err.reason, got->err.detail,
             want->st, want->err.reason, want->err.detail);
}

/* ---- key forms ---- */

static const char *form_name(dcap_forge_key_form f) {
  return f == DCAP_KEY_COMPRESSED ? "compressed"
         : f == DCAP_KEY_HYBRID   ? "hybrid"
         : f == DCAP_KEY_EXPLICIT ? "explicit"
                                  : "named";
}

/* The certificate's key is written in form f (not a vacuous test): the first octet of the
 * point, and the parameters an OBJECT (namedCurve) or a SEQUENCE (specifiedCurve). */
static void assert_form(X509 *x, dcap_forge_key_form f) {
  const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);
  assert_non_null(bits);
  const uint8_t *p = ASN1_STRING_get0_data(bits);
  int len = ASN1_STRING_length(bits);
  if (f == DCAP_KEY_COMPRESSED)
    assert_true(len == 33 && (p[0] == 0x02 || p[0] == 0x03));
  else if (f == DCAP_KEY_HYBRID)
    assert_true(len == 65 && (p[0] == 0x06 || p[0] == 0x07));
  else
    assert_true(len == 65 && p[0] == 0x04);
  X509_ALGOR *alg = NULL;
  int ptype = 0;
  const void *pval = NULL;
  assert_int_equal(X509_PUBKEY_get0_param(NULL, NULL, NULL, &alg, X509_get_X509_PUBKEY(x)), 1);
  X509_ALGOR_get0(NULL, &ptype, &pval, alg);
  assert_int_equal(ptype, f == DCAP_KEY_EXPLICIT ? V_ASN1_SEQUENCE : V_ASN1_OBJECT);
}

/* OpenSSL's own path over a PEM chain leaf .. last, ending at root (when the chain does not
 * hold it): d2i_X509 parses every certificate with its key, tc_x509_check_issued_by checks
 * each link with X509_check_issued and X509_verify. TC_OK, else its status. */
static tc_status openssl_path(const tc_buf *pem, const tc_buf *root_pem, const char *reason,
                              X509 **leaf, tc_error *err) {
  STACK_OF(X509) *sk = NULL, *root = NULL;
  tc_status st = tc_x509_parse_chain(pem->data, pem->len, &sk, err);
  if (st == TC_OK)
    st = tc_x509_parse_chain(root_pem->data, root_pem->len, &root, err);
  int n = sk != NULL ? sk_X509_num(sk) : 0;
  for (int i = 0; st == TC_OK && i < n; i++) {
    X509 *iss = i + 1 < n ? sk_X509_value(sk, i + 1) : sk_X509_value(root, 0);
    st = tc_x509_check_issued_by(sk_X509_value(sk, i), iss, reason, err);
  }
  if (st == TC_OK && sk_X509_num(root) == 1)
    st = tc_x509_check_issued_by(sk_X509_value(root, 0), sk_X509_value(root, 0), reason, err);
  if (leaf != NULL) {
    *leaf = n > 0 ? sk_X509_value(sk, 0) : NULL;
    if (*leaf != NULL)
      X509_up_ref(*leaf);
  }
  sk_X509_pop_free(sk, X509_free);
  sk_X509_pop_free(root, X509_free);
  return st;
}

typedef struct {
  dcap_forge *f;
  tc_buf quote;
  tc_collateral col;
} forged;

static void forge(dcap_forge_key_form forms[4], int tdx, forged *out) {
  dcap_forge_opts o;
  dcap_forge_opts_init(&o);
  o.root_key_form = forms[0];
  o.ca_key_form = forms[1];
  o.pck_key_form = forms[2];
  o.tcb_key_form = forms[3];
  assert_non_null(out->f = dcap_forge_new(&o));
  assert_int_equal(dcap_forge_quote(out->f, tdx ? 4 : 3, NULL, &out->quote), 0);
  dcap_forge_collateral(out->f, tdx, &out->col);
}

static void forged_free(forged *g) {
  tc_buf_free(&g->quote);
  dcap_forge_free(g->f);
}

static void test_key_forms(void **state) {
  (void)state;
  static const char *places[4] = {"root", "PCK CA", "PCK leaf", "TCB signing"};
  static const dcap_forge_key_form forms[] = {DCAP_KEY_COMPRESSED, DCAP_KEY_HYBRID,
                                              DCAP_KEY_EXPLICIT};
  dcap_forge_opts o;
  dcap_forge_opts_init(&o);
  tc_dcap_cache *cache = NULL;
  tc_error err;
  assert_int_equal(tc_dcap_cache_new(64, &cache, &err), TC_OK);
  size_t n = 0, valid = 0;
  for (int tdx = 0; tdx < 2; tdx++)
    for (int place = 0; place < 4; place++)
      for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
        dcap_forge_key_form f[4] = {DCAP_KEY_NAMED, DCAP_KEY_NAMED, DCAP_KEY_NAMED, DCAP_KEY_NAMED};
        forged base, odd;
        forge(f, tdx, &base);
        f[place] = forms[k];
        forge(f, tdx, &odd);
        char what[96];
        snprintf(what, sizeof what, "%s %s key %s", tdx ? "TDX" : "SGX", places[place],
                 form_name(forms[k]));
        /* the certificate at that place is written in that form */
        STACK_OF(X509) *pck = NULL, *tcb = NULL;
        assert_int_equal(
            tc_x509_parse_chain(odd.col.pck_chain.data, odd.col.pck_chain.len, &pck, &err), TC_OK);
        assert_int_equal(tc_x509_parse_chain(odd.col.tcb_info_issuer_chain.data,
                                             odd.col.tcb_info_issuer_chain.len, &tcb, &err),
                         TC_OK);
        assert_true(sk_X509_num(pck) >= 2 && sk_X509_num(tcb) == 2);
        X509 *at_place = place == 0   ? sk_X509_value(tcb, 1)
                         : place == 1 ? sk_X509_value(pck, 1)
                         : place == 2 ? sk_X509_value(pck, 0)
                                      : sk_X509_value(tcb, 0);
        assert_form(at_place, forms[k]);
        sk_X509_pop_free(pck, X509_free);
        sk_X509_pop_free(tcb, X509_free);
        /* OpenSSL's path: every link of both chains; the PCK leaf key OpenSSL decodes */
        tc_error e1, e2;
        const tc_buf *root = dcap_forge_root_pem(odd.f);
        X509 *leaf = NULL;
        tc_status s1 = openssl_path(&odd.col.pck_chain, root, "pck_chain_invalid", &leaf, &e1);
        tc_status s2 =
            openssl_path(&odd.col.tcb_info_issuer_chain, root, "tcb_info_chain_invalid", NULL, &e2);
        int leaf_key = leaf != NULL && X509_get0_pubkey(leaf) != NULL;
        X509_free(leaf);
        outcome cold, warm, twice, again, base_cold;
        verify(&odd.quote, &odd.col, o.at, NULL, &cold);
        if (s1 == TC_OK && s2 == TC_OK && leaf_key) {
          if (cold.st != TC_OK)
            fail_msg("%s: OpenSSL's path takes every link, the verifier says %s (%s)", what,
                     cold.err.reason, cold.err.detail);
          valid++;
        } else {
          const tc_error *want = s1 != TC_OK ? &e1 : &e2;
          if (cold.st == TC_OK ||
              (s1 != TC_OK || s2 != TC_OK ? strcmp(cold.err.reason, want->reason) != 0
                                          : strcmp(cold.err.reason, "qe_report_signature_invalid")))
            fail_msg("%s: OpenSSL's path refuses (%s), the verifier says %d %s (%s)", what,
                     want->detail, cold.st, cold.err.reason, cold.err.detail);
        }
        /* the cache: the same hierarchy in Intel's form first, then this one twice, then
         * that one again */
        verify(&base.quote, &base.col, o.at, NULL, &base_cold);
        assert_int_equal(base_cold.st, TC_OK);
        verify(&base.quote, &base.col, o.at, cache, &again);
        expect_same("named form, warming", &again, &base_cold);
        outcome_free(&again);
        verify(&odd.quote, &odd.col, o.at, cache, &warm);
        verify(&odd.quote, &odd.col, o.at, cache, &twice);
        verify(&base.quote, &base.col, o.at, cache, &again);
        expect_same(what, &warm, &cold);
        expect_same(what, &twice, &cold);
        expect_same("named form after it", &again, &base_cold);
        outcome_free(&cold);
        outcome_free(&warm);
        outcome_free(&twice);
        outcome_free(&again);
        outcome_free(&base_cold);
        forged_free(&base);
        forged_free(&odd);
        n++;
      }
  print_message("  %zu hierarchies with a key in another form, %zu valid as OpenSSL's path\n", n,
                valid);
  assert_int_equal(n, 24);
  tc_dcap_cache_free(cache);
}

/* ---- the QE report step with the PCK chain from the collateral ---- */

static uint16_t le16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}

/* Offset of the certification data type of an SGX v3 quote (header 48, report body 384,
 * signature data length 4, signature 64, attestation key 64, QE report 384, its signature
 * 64, authentication data length 2 and the data: Intel SGX ECDSA Quote Library Reference,
 * Quote Format). */
static size_t v3_cert_type_at(const tc_buf *q) {
  size_t auth = 48 + 384 + 4 + 64 + 64 + 384 + 64;
  assert_true(q->len > auth + 2);
  size_t at = auth + 2 + le16(q->data + auth);
  assert_true(at + 6 <= q->len);
  assert_int_equal(le16(q->data + at), 5);
  return at;
}

static void test_qe_step_collateral_chain(void **state) {
  (void)state;
  dcap_test_case a, b;
  dcap_test_case_load(g_dir, "sgx-v3-phala-00a067110000-2025", &a);
  /* another platform of the same FMSPC and PCK CA whose quote verifies with a's collateral */
  dcap_test_case_load(g_dir, "sgx-v3-automata-debug-00a067110000", &b);
  tc_error err;
  assert_int_equal(tc_dcap_verify(b.quote.data, b.quote.len, &a.col, a.at, NULL, &err), TC_OK);
  /* a's quote with certification data type 3 (the chain comes from the collateral) */
  tc_buf q = {malloc(a.quote.len), a.quote.len};
  assert_non_null(q.data);
  memcpy(q.data, a.quote.data, q.len);
  q.data[v3_cert_type_at(&q)] = 3;
  tc_collateral col = a.col;
  assert_non_null(col.pck_chain.data); /* a's PCK chain, as the quote carries it */
  tc_dcap_cache *cache = NULL;
  assert_int_equal(tc_dcap_cache_new(64, &cache, &err), TC_OK);
  outcome cold, warm;
  verify(&q, &col, a.at, NULL, &cold);
  assert_int_equal(cold.st, TC_OK);
  verify(&q, &col, a.at, cache, &warm);
  expect_same("type 3, own chain", &warm, &cold);
  outcome_free(&cold);
  outcome_free(&warm);
  /* the same QE report under b's chain (passes every chain and collateral check): its key
   * did not sign a's QE report */
  col.pck_chain = b.col.pck_chain;
  for (int i = 0; i < 2; i++) {
    verify(&q, &col, a.at, NULL, &cold);
    assert_int_equal(cold.st, TC_ERR_VERIFY);
    assert_string_equal(cold.err.reason, "qe_report_signature_invalid");
    verify(&q, &col, a.at, cache, &warm);
    expect_same("type 3, another platform's chain", &warm, &cold);
    outcome_free(&cold);
    outcome_free(&warm);
  }
  tc_buf_free(&q);
  tc_dcap_cache_free(cache);
  dcap_test_case_free(&b);
  dcap_test_case_free(&a);
}

/* A forged quote verified with its operator trust root keeps its QE report step; the same
 * bytes without that root, or with another certificate as the only root, are untrusted. */
static void test_qe_step_trust(void **state) {
  (void)state;
  dcap_forge_key_form f[4] = {DCAP_KEY_NAMED, DCAP_KEY_NAMED, DCAP_KEY_NAMED, DCAP_KEY_NAMED};
  dcap_forge_opts o;
  dcap_forge_opts_init(&o);
  for (int tdx = 0; tdx < 2; tdx++) {
    forged g, other;
    forge(f, tdx, &g);
    forge(f, tdx, &other);
    tc_dcap_cache *cache = NULL;
    tc_error err;
    assert_int_equal(tc_dcap_cache_new(64, &cache, &err), TC_OK);
    outcome cold, warm;
    for (int i = 0; i < 2; i++) {
      verify(&g.quote, &g.col, o.at, cache, &warm);
      assert_int_equal(warm.st, TC_OK);
      outcome_free(&warm);
    }
    tc_collateral col = g.col;
    tc_buf other_root = *dcap_forge_root_pem(other.f);
    const struct {
      tc_buf *roots;
      size_t n;
    } trust[] = {{NULL, 0}, {&other_root, 1}};
    for (size_t t = 0; t < sizeof trust / sizeof trust[0]; t++) {
      col.trust_roots = trust[t].roots;
      col.n_trust_roots = trust[t].n;
      verify(&g.quote, &col, o.at, NULL, &cold);
      assert_int_equal(cold.st, TC_ERR_VERIFY);
      assert_string_equal(cold.err.reason, "pck_chain_untrusted");
      verify(&g.quote, &col, o.at, cache, &warm);
      expect_same(t == 0 ? "no trust root" : "another trust root", &warm, &cold);
      outcome_free(&cold);
      outcome_free(&warm);
    }
    tc_dcap_cache_free(cache);
    forged_free(&g);
    forged_free(&other);
  }
}

/* ---- threads ---- */

#define N_INPUTS 8

typedef struct {
  tc_buf quote;
  tc_collateral col;
  int64_t at;
  outcome want;
} input;

typedef struct {
  input *in;
  tc_dcap_cache *cache;
  int start, mismatches, valid;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  for (int i = 0; i < 48; i++) {
    input *x = &w->in[(w->start + i * (w->start + 1)) % N_INPUTS];
    outcome got;
    verify(&x->quote, &x->col, x->at, w->cache, &got);
    w->mismatches += !same_outcome(&got, &x->want);
    w->valid += got.st == TC_OK;
    outcome_free(&got);
  }
  return NULL;
}

static tc_buf copy_flipped(const tc_buf *b, size_t at) {
  tc_buf out = {malloc(b->len), b->len};
  assert_non_null(out.data);
  memcpy(out.data, b->data, b->len);
  if (at < b->len)
    out.data[at] ^= 0x10;
  return out;
}

static void test_threads(void **state) {
  (void)state;
  dcap_test_case t, s;
  dcap_test_case_load(g_dir, "tdx-v4-gcp-cos-00806f050000", &t);
  dcap_test_case_load(g_dir, "sgx-v3-phala-00a067110000-2025", &s);
  dcap_forge_key_form f[4] = {DCAP_KEY_NAMED, DCAP_KEY_COMPRESSED, DCAP_KEY_NAMED,
                              DCAP_KEY_EXPLICIT};
  forged g;
  forge(f, 1, &g);
  dcap_forge_opts o;
  dcap_forge_opts_init(&o);
  tc_collateral untrusted = g.col;
  untrusted.trust_roots = NULL;
  untrusted.n_trust_roots = 0;
  /* QE report signature (v4: after header 48, body 584, length 4, signature 64, key 64,
   * type 2, size 4, QE report 384), QE authentication data (v3: after header 48, body 384,
   * length 4, signature 64, key 64, QE report 384, signature 64, its length 2) */
  input in[N_INPUTS] = {
      {copy_flipped(&t.quote, SIZE_MAX), t.col, t.at, {0}},
      {copy_flipped(&s.quote, SIZE_MAX), s.col, s.at, {0}},
      {copy_flipped(&t.quote, 48 + 584 + 4 + 64 + 64 + 6 + 384 + 9), t.col, t.at, {0}},
      {copy_flipped(&s.quote, 48 + 384 + 4 + 64 + 64 + 384 + 64 + 2 + 3), s.col, s.at, {0}},
      {copy_flipped(&t.quote, SIZE_MAX), t.col, t.at + 3650 * 86400, {0}},
      {copy_flipped(&g.quote, SIZE_MAX), g.col, o.at, {0}},
      {copy_flipped(&g.quote, SIZE_MAX), untrusted, o.at, {0}},
      {copy_flipped(&s.quote, SIZE_MAX), s.col, s.at - 3650 * 86400, {0}},
  };
  int want_valid = 0;
  for (int i = 0; i < N_INPUTS; i++) {
    verify(&in[i].quote, &in[i].col, in[i].at, NULL, &in[i].want);
    want_valid += in[i].want.st == TC_OK;
  }
  assert_int_equal(want_valid, 3); /* the three unchanged quotes at their time */
  static const size_t sizes[] = {1, 64};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    tc_dcap_cache *cache = NULL;
    tc_error err;
    assert_int_equal(tc_dcap_cache_new(sizes[k], &cache, &err), TC_OK);
    worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
      w[i] = (worker){in, cache, i, 0, 0};
      assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    int mismatches = 0, valid = 0;
    for (int i = 0; i < 4; i++) {
      pthread_join(th[i], NULL);
      mismatches += w[i].mismatches;
      valid += w[i].valid;
    }
    assert_int_equal(mismatches, 0);
    assert_true(valid > 0);
    tc_dcap_cache_free(cache);
  }
  for (int i = 0; i < N_INPUTS; i++) {
    tc_buf_free(&in[i].quote);
    outcome_free(&in[i].want);
  }
  forged_free(&g);
  dcap_test_case_free(&t);
  dcap_test_case_free(&s);
}

int main(int argc, char **argv) {
  const char *vec = test_vectors_dir(argc, argv, "dcap");
  char *dir = test_path(vec, "dcap");
  g_dir = dir;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_forms),
      cmocka_unit_test(test_qe_step_collateral_chain),
      cmocka_unit_test(test_qe_step_trust),
      cmocka_unit_test(test_threads),
  };
  int rc = cmocka_run_group_tests_name("dcap_forms", tests, NULL, NULL);
  free(dir);
  return rc;
}
