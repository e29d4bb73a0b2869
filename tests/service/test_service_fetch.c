/* SPDX-License-Identifier: Apache-2.0 */
/* `teectl serve --fetch`: the attest request carries only the SNP report (no
 * certificates); the service's collateral provider fetches the VCEK, the ASK/ARK chain
 * and the ARK's CRL from a KDS played on loopback (tests/collateral/kds_pcs_server) and
 * caches them. The endorsements come from the test hierarchy (snp_forge), whose ARK is a
 * --trust-root. Checks: the token, one network request per object over two attests (the
 * second is served from the cache), the hit/miss metrics, and a fetch failure (KDS
 * answers 404 for another chip) ending in evidence_invalid, never a token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "kds_pcs_server.h"
#include "snp_forge.h"
#include "teectl/collateral.h"

static snp_forge *F;
static ts_server *KDS;
static srv S;
static char VCEK_PATH[512];
static const uint8_t NONCE_KEY[32] = "fetch-test-nonce-key-32-bytes-!!";

static int setup(void **state) {
  (void)state;
  snp_forge_opts o;
  snp_forge_opts_init(&o, TC_SNP_MILAN, 0);
  F = snp_forge_new(&o);
  if (F == NULL)
    return -1;
  KDS = ts_start();
  /* The VCEK URL for this chip and TCB, as the collateral area builds it (KDS spec). */
  tc_snp_report r;
  snp_forge_report_init(F, 3, &r);
  uint8_t rep[TC_SNP_REPORT_SIZE];
  snp_forge_sign_report(F, &r, rep);
  tc_collateral_needs needs;
  tc_error err;
  char url[512];
  if (tc_collateral_needs_of(TC_TEE_SNP, rep, sizeof rep, TC_SNP_PRODUCT_UNKNOWN, NULL, &needs,
                             &err) != TC_OK ||
      tc_object_url(ts_base(KDS), NULL, TC_PCS_AUTO, &needs.vcek, url, sizeof url, &err) != TC_OK) {
    fprintf(stderr, "needs/url: %s\n", err.detail);
    return -1;
  }
  snprintf(VCEK_PATH, sizeof VCEK_PATH, "%s", url + strlen(ts_base(KDS)));
  const tc_buf *leaf = snp_forge_leaf_der(F), *ask = snp_forge_ask_pem(F),
               *ark = snp_forge_ark_pem(F);
  ts_route(KDS, VCEK_PATH, leaf->data, leaf->len, NULL, NULL);
  size_t n = ask->len + ark->len; /* cert_chain: ASK then ARK (KDS spec) */
  char *chain = malloc(n);
  memcpy(chain, ask->data, ask->len);
  memcpy(chain + ask->len, ark->data, ark->len);
  ts_route(KDS, "/vcek/v1/Milan/cert_chain", chain, n, NULL, NULL);
  free(chain);
  tc_buf crl = {0};
  int64_t now = (int64_t)time(NULL);
  if (snp_forge_crl(F, 0, now - 3600, now + 7 * 86400, &crl) != 0)
    return -1;
  ts_route(KDS, "/vcek/v1/Milan/crl", crl.data, crl.len, NULL, NULL);
  tc_buf_free(&crl);

  srv_init(&S);
  char *root = srv_write(&S, "ark.pem", ark->data, ark->len);
  char *nk = srv_write(&S, "nonce.key", NONCE_KEY, 32);
  char cache[300];
  snprintf(cache, sizeof cache, "%s/cache", S.dir);
  const char *args[] = {
      "--trust-root", root,  "--nonce-key",    nk,  "--fetch", "--kds-url", ts_base(KDS),
      "--cache-dir",  cache, "--kds-interval", "0", NULL};
  int rc = srv_start(&S, args);
  free(root);
  free(nk);
  return rc;
}

static int teardown(void **state) {
  (void)state;
  srv_cleanup(&S);
  ts_stop(KDS);
  snp_forge_free(F);
  return 0;
}

static long attest_report(tc_snp_report *r, json_t **resp) {
  uint8_t raw[SRV_NONCE_BYTES];
  char *n = srv_challenge(&S, raw);
  assert_non_null(n);
  SHA512(raw, SRV_NONCE_BYTES, r->report_data);
  uint8_t rep[TC_SNP_REPORT_SIZE];
  assert_int_equal(snp_forge_sign_report(F, r, rep), 0);
  char *ev = b64_std(rep, sizeof rep);
  long st = http_json(&S, "/v1/attest",
                      json_pack("{s:s, s:s, s:s}", "tee", "snp", "evidence", ev, "nonce", n), resp);
  free(ev);
  free(n);
  return st;
}

static void test_fetch_then_cache(void **state) {
  (void)state;
  /* KDS answers the first CRL request 429 (Retry-After 0): retried, and counted */
  ts_fail_next(KDS, "/vcek/v1/Milan/crl", 1, 429, "0");
  for (int round = 0; round < 2; round++) {
    tc_snp_report r;
    snp_forge_report_init(F, 3, &r);
    json_t *resp;
    long st = attest_report(&r, &resp);
    if (st != 200) {
      char *t = json_dumps(resp, 0);
      fprintf(stderr, "round %d: %ld %s\n", round, st, t);
      free(t);
    }
    assert_int_equal(st, 200);
    json_t *expect = json_pack("{s:s, s:s}", "tee", "snp", "status", "warning");
    assert_int_equal(check_token(&S, json_string_value(json_object_get(resp, "token")), expect), 0);
    json_decref(resp);
    /* One network request per object, whatever the number of attests. */
    assert_int_equal(ts_count(KDS, VCEK_PATH), 1);
    assert_int_equal(ts_count(KDS, "/vcek/v1/Milan/cert_chain"), 1);
    assert_int_equal(ts_count(KDS, "/vcek/v1/Milan/crl"), 2); /* the 429, then the CRL */
  }
  char *body = NULL;
  assert_int_equal(http(&S, "GET", "/metrics", NULL, NULL, 0, &body), 200);
  /* Round 1: VCEK, chain (ARK, ASK) and CRL from the network = misses; round 2 the same
   * items from the cache = hits. */
  const char *hit = strstr(body, "teectl_collateral_cache_requests_total{result=\"hit\"} ");
  const char *miss = strstr(body, "teectl_collateral_cache_requests_total{result=\"miss\"} ");
  assert_non_null(hit);
  assert_non_null(miss);
  long h = strtol(strchr(hit, '}') + 2, NULL, 10), m = strtol(strchr(miss, '}') + 2, NULL, 10);
  print_message("collateral hits %ld misses %ld\n", h, m);
  assert_true(m >= 3);
  assert_int_equal(h, m); /* the second round found in the cache what the first fetched */
  assert_non_null(strstr(body, "teectl_collateral_rate_limited_total{service=\"kds\"} 1\n"));
  assert_non_null(strstr(body, "teectl_collateral_rate_limited_total{service=\"pcs\"} 0\n"));
  free(body);
}

static void test_fetch_failure_is_rejection(void **state) {
  (void)state;
  /* Another chip: KDS has no VCEK for it (404), so the collateral stays missing. */
  tc_snp_report r;
  snp_forge_report_init(F, 3, &r);
  r.chip_id[0] ^= 0xff;
  json_t *resp;
  long st = attest_report(&r, &resp);
  assert_int_equal(st, 403);
  assert_string_equal(resp_error(resp), "evidence_invalid");
  assert_null(json_object_get(resp, "token"));
  json_decref(resp);
  assert_int_equal(audit_count(&S, "\"collateral_error\":\"collateral_not_found"), 1);
  assert_int_equal(srv_stop(&S), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fetch_then_cache),
      cmocka_unit_test(test_fetch_failure_is_rejection),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
