/* SPDX-License-Identifier: Apache-2.0 */
/* Every single-bit flip anywhere in every real valid report of the shared vectors is
 * rejected (the report is 0x4A0 bytes = 9472 bits per case), on a warm chain cache: the
 * unmodified report verifies first (so that a rejection is due to the flip, and the chain
 * is cached), then each flipped report on the same cache; for every 32nd bit the reason
 * and detail are those of a verification without the cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "snp_testutil.h"
#include "teectl/snp.h"
#include "testlib.h"

static const char *g_snp_dir;

/* Bits k, k+step, k+2*step, ... of the report, each verified on the warm chain cache:
 * returns the number of flips that were accepted, or whose reason (every 32nd bit) is not
 * the reason of a verification without the cache. */
static int flip_range(const char *name, const snp_case *c, tc_snp_chain_cache *cache, size_t k,
                      size_t step) {
  uint8_t buf[TC_SNP_REPORT_SIZE];
  memcpy(buf, c->report.data, sizeof buf);
  int wrong = 0;
  tc_error err, cold;
  for (size_t bit = k; bit < 8 * sizeof buf; bit += step) {
    buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    tc_status st = tc_snp_verify_cached(buf, sizeof buf, &c->col, c->verify_at, cache, NULL, &err);
    if (st == TC_OK) {
      fprintf(stderr, "%s: flipping bit %zu of byte 0x%03zx was accepted\n", name, bit % 8,
              bit / 8);
      wrong++;
    } else if (bit % 32 == 0 &&
               (tc_snp_verify(buf, sizeof buf, &c->col, c->verify_at, NULL, &cold) != st ||
                strcmp(cold.reason, err.reason) != 0 || strcmp(cold.detail, err.detail) != 0)) {
      fprintf(stderr, "%s: bit %zu of byte 0x%03zx: warm %s: %s, cold %s: %s\n", name, bit % 8,
              bit / 8, err.reason, err.detail, cold.reason, cold.detail);
      wrong++;
    }
    buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  /* the chain came from the cache (a flip that changes SIGNING_KEY looks up another key) */
  uint64_t hits, misses;
  size_t entries;
  tc_snp_chain_cache_counts(cache, &hits, &misses, &entries);
  if (hits < (8 * sizeof buf / step) / 8 || entries != 1) {
    fprintf(stderr, "%s: %llu cache hits, %zu entries\n", name, (unsigned long long)hits, entries);
    wrong++;
  }
  return wrong;
}

static void flip_case(void **state) {
  const char *name = *state;
  snp_case c;
  snp_case_load(g_snp_dir, name, &c);
  tc_error err;
  assert_int_equal(c.report.len, TC_SNP_REPORT_SIZE);
  /* The unmodified report verifies, in full and then twice on one chain cache (the second
   * time from the cache), and against a chain verified on its own. */
  tc_status st = tc_snp_verify(c.report.data, c.report.len, &c.col, c.verify_at, NULL, &err);
  if (st != TC_OK)
    fail_msg("%s: the unmodified report does not verify: %s: %s", name, err.reason, err.detail);
  tc_snp_chain_cache *cache = NULL;
  assert_int_equal(tc_snp_chain_cache_new(4, &cache, &err), TC_OK);
  for (int k = 0; k < 2; k++)
    assert_int_equal(
        tc_snp_verify_cached(c.report.data, c.report.len, &c.col, c.verify_at, cache, NULL, &err),
        TC_OK);
  uint64_t hits, misses;
  size_t entries;
  tc_snp_chain_cache_counts(cache, &hits, &misses, &entries);
  assert_int_equal(hits, 1);
  assert_int_equal(misses, 1);
  assert_int_equal(entries, 1);
  uint8_t signing_key = (uint8_t)((c.report.data[0x48] >> 2) & 7);
  tc_snp_chain *chain = NULL;
  st = tc_snp_chain_verify(&c.col, signing_key, c.verify_at, &chain, &err);
  if (st != TC_OK)
    fail_msg("%s: chain: %s: %s", name, err.reason, err.detail);
  assert_int_equal(tc_snp_verify_with_chain(c.report.data, c.report.len, chain, NULL, &err), TC_OK);
  /* Every flip on the warm cache, spread over the CPUs (one child process per CPU, each
   * with its copy of the warm cache): parse + time and trust checks of the cached chain +
   * binding + signature. */
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  size_t workers = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (size_t)ncpu;
  pid_t pids[8];
  for (size_t w = 0; w < workers; w++) {
    pids[w] = fork();
    assert_true(pids[w] >= 0);
    if (pids[w] == 0)
      _exit(flip_range(name, &c, cache, w, workers) == 0 ? 0 : 1);
  }
  int failed = 0;
  for (size_t w = 0; w < workers; w++) {
    int ws = 0;
    if (waitpid(pids[w], &ws, 0) != pids[w] || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
      failed++;
  }
  tc_snp_chain_cache_free(cache);
  tc_snp_chain_free(chain);
  snp_case_free(&c);
  if (failed)
    fail_msg("%s: %d worker(s) found accepted flips or crashed (see above)", name, failed);
}

int main(int argc, char **argv) {
  char *snp = NULL;
  size_t n = 0, k = 0;
  char **names = snp_case_names(argc, argv, &snp, &n);
  g_snp_dir = snp;
  struct CMUnitTest *tests = calloc(n + 1, sizeof *tests);
  assert_non_null(tests);
  for (size_t i = 0; i < n; i++) {
    /* Valid cases only: expected.json verdict "valid". */
    char *dir = test_path(snp, names[i]);
    char *ep = test_path(dir, "expected.json");
    json_t *e = json_load_file(ep, 0, NULL);
    const char *v = json_string_value(json_object_get(e, "verdict"));
    if (v != NULL && strcmp(v, "valid") == 0) {
      tests[k].name = names[i];
      tests[k].test_func = flip_case;
      tests[k].initial_state = names[i];
      k++;
    }
    json_decref(e);
    free(ep);
    free(dir);
  }
  if (k == 0) {
    fprintf(stderr, "FAIL: no valid cases in %s/INDEX.tsv\n", snp);
    free(tests);
    return 1;
  }
  int rc = _cmocka_run_group_tests("snp_bitflip", tests, k, NULL, NULL);
  free(tests);
  test_free_list(names);
  free(snp);
  return rc;
}
