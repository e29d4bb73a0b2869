/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the verified-object cache (core/vcache.h): keys against SHA-256 computed
 * independently (python3 hashlib), memoised keys equal to them for every input (also
 * inputs that differ from a memoised one in a single byte), hits and misses, LRU
 * eviction, references that outlive eviction, duplicate puts, a cache of 0 entries, and
 * many threads on one cache for a bounded time with every value destroyed exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "core/vcache.h"
#include "teectl/bytes.h"

/* A value remembers its key, so a lookup can be checked against what was asked. */
typedef struct {
  uint8_t key[TC_VCACHE_KEY_LEN];
  int id;
} val;

static atomic_int g_made, g_destroyed;

static void val_destroy(void *v) {
  atomic_fetch_add(&g_destroyed, 1);
  free(v);
}

static val *val_new(const uint8_t *key, int id) {
  val *v = malloc(sizeof *v);
  assert_non_null(v);
  memcpy(v->key, key, TC_VCACHE_KEY_LEN);
  v->id = id;
  atomic_fetch_add(&g_made, 1);
  return v;
}

static void key_of(int i, uint8_t key[TC_VCACHE_KEY_LEN]) {
  tc_span part = {&i, sizeof i};
  assert_int_equal(tc_vcache_key("test-int", &part, 1, key, NULL), TC_OK);
}

static int id_of(tc_vcache_ref *r) {
  return ((const val *)tc_vcache_value(r))->id;
}

static int reset(void **state) {
  (void)state;
  atomic_store(&g_made, 0);
  atomic_store(&g_destroyed, 0);
  return 0;
}

static void test_key(void **state) {
  (void)state;
  uint8_t key[TC_VCACHE_KEY_LEN], other[TC_VCACHE_KEY_LEN];
  char hex[65];
  /* python3: sha256(b'test\0' + (2).to_bytes(8,'big') + b'ab' + (1).to_bytes(8,'big') + b'c') */
  const tc_span ab_c[2] = {{"ab", 2}, {"c", 1}};
  assert_int_equal(tc_vcache_key("test", ab_c, 2, key, NULL), TC_OK);
  assert_string_equal(tc_hex_encode(key, 32, hex),
                      "c46080dc6e5702646016b54f46dc21df9a6109e422dc12a5db4163c3da6e950b");
  /* the same bytes cut elsewhere are another key */
  const tc_span a_bc[2] = {{"a", 1}, {"bc", 2}};
  assert_int_equal(tc_vcache_key("test", a_bc, 2, other, NULL), TC_OK);
  assert_memory_not_equal(key, other, 32);
  /* python3: sha256(b'test\0'): no parts */
  assert_int_equal(tc_vcache_key("test", NULL, 0, key, NULL), TC_OK);
  assert_string_equal(tc_hex_encode(key, 32, hex),
                      "ceb73749c899693706ede1e30c9929b3fd5dd926163831c2fb8bd41e6efb1126");
  /* another domain, same parts: another key */
  assert_int_equal(tc_vcache_key("test2", ab_c, 2, other, NULL), TC_OK);
  assert_int_equal(tc_vcache_key("test", ab_c, 2, key, NULL), TC_OK);
  assert_memory_not_equal(key, other, 32);
}

/* The key of (domain, parts) through the memo equals tc_vcache_key's. */
static void memo_same(tc_vcache *memo, const char *domain, const tc_span *parts, size_t n,
                      uint8_t key[TC_VCACHE_KEY_LEN]) {
  uint8_t want[TC_VCACHE_KEY_LEN];
  assert_int_equal(tc_vcache_key(domain, parts, n, want, NULL), TC_OK);
  assert_int_equal(tc_vcache_key_memo(memo, domain, parts, n, key, NULL), TC_OK);
  assert_memory_equal(key, want, TC_VCACHE_KEY_LEN);
}

/* tc_vcache_key_memo gives tc_vcache_key's key, memoised or not: the python3 vector of
 * test_key; a 3000-byte part, then each of its 3000 one-byte changes (most of them leave
 * the fingerprint's samples alone, so the memo finds the entry of the original and must
 * see that the bytes differ: the count of hits shows it did), a length one byte shorter;
 * the same bytes cut elsewhere or under another domain; no memo, a memo of 0 entries, and
 * the error of tc_vcache_key for more than 32 parts. */
static void test_key_memo(void **state) {
  (void)state;
  tc_vcache *memo = NULL;
  assert_int_equal(tc_vcache_new(8, free, &memo, NULL), TC_OK);
  uint8_t key[TC_VCACHE_KEY_LEN], orig[TC_VCACHE_KEY_LEN];
  char hex[65];
  const tc_span ab_c[2] = {{"ab", 2}, {"c", 1}}, a_bc[2] = {{"a", 1}, {"bc", 2}};
  for (int i = 0; i < 2; i++) { /* a miss, then a hit */
    memo_same(memo, "test", ab_c, 2, key);
    assert_string_equal(tc_hex_encode(key, 32, hex),
                        "c46080dc6e5702646016b54f46dc21df9a6109e422dc12a5db4163c3da6e950b");
  }
  memo_same(memo, "test", a_bc, 2, key);
  memo_same(memo, "test2", ab_c, 2, key);
  uint8_t *big = malloc(3000);
  assert_non_null(big);
  for (size_t i = 0; i < 3000; i++)
    big[i] = (uint8_t)(i * 7 + 3);
  const tc_span parts[2] = {{"x", 1}, {big, 3000}};
  memo_same(memo, "test", parts, 2, orig);
  tc_vcache_counters before, after;
  tc_vcache_stats(memo, &before);
  for (size_t i = 0; i < 3000; i++) {
    big[i] ^= 0x20;
    memo_same(memo, "test", parts, 2, key);
    assert_memory_not_equal(key, orig, TC_VCACHE_KEY_LEN);
    big[i] ^= 0x20;
  }
  tc_vcache_stats(memo, &after);
  assert_true(after.hits - before.hits > 2000); /* the fingerprint matched, the bytes not */
  memo_same(memo, "test", parts, 2, key);
  assert_memory_equal(key, orig, TC_VCACHE_KEY_LEN);
  const tc_span shorter[2] = {{"x", 1}, {big, 2999}};
  memo_same(memo, "test", shorter, 2, key);
  /* without a memo, with one of 0 entries */
  memo_same(NULL, "test", parts, 2, key);
  tc_vcache *none = NULL;
  assert_int_equal(tc_vcache_new(0, free, &none, NULL), TC_OK);
  memo_same(none, "test", parts, 2, key);
  tc_vcache_free(none);
  tc_span many[33];
  for (size_t i = 0; i < 33; i++)
    many[i] = (tc_span){"p", 1};
  tc_error err;
  assert_int_equal(tc_vcache_key_memo(memo, "test", many, 33, key, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "bad_argument");
  free(big);
  tc_vcache_free(memo);
}

static void test_get_put(void **state) {
  (void)state;
  tc_vcache *c = NULL;
  tc_error err;
  assert_int_equal(tc_vcache_new(8, val_destroy, &c, &err), TC_OK);
  uint8_t k1[32], k2[32];
  key_of(1, k1);
  key_of(2, k2);
  assert_null(tc_vcache_get(c, k1));
  tc_vcache_ref *r = NULL;
  assert_int_equal(tc_vcache_put(c, k1, val_new(k1, 1), &r, &err), TC_OK);
  assert_int_equal(id_of(r), 1);
  tc_vcache_release(r);
  assert_int_equal(atomic_load(&g_destroyed), 0); /* the cache still holds it */
  r = tc_vcache_get(c, k1);
  assert_non_null(r);
  assert_int_equal(id_of(r), 1);
  assert_memory_equal(((const val *)tc_vcache_value(r))->key, k1, 32);
  tc_vcache_release(r);
  assert_null(tc_vcache_get(c, k2));
  /* a second put of the same key keeps the first value and destroys the new one */
  assert_int_equal(tc_vcache_put(c, k1, val_new(k1, 99), &r, &err), TC_OK);
  assert_int_equal(id_of(r), 1);
  assert_int_equal(atomic_load(&g_destroyed), 1);
  tc_vcache_release(r);
  tc_vcache_counters n;
  tc_vcache_stats(c, &n);
  assert_int_equal(n.hits, 1);
  assert_int_equal(n.misses, 2);
  assert_int_equal(n.inserts, 1);
  assert_int_equal(n.evictions, 0);
  assert_int_equal(n.entries, 1);
  tc_vcache_free(c);
  assert_int_equal(atomic_load(&g_destroyed), 2);
  assert_int_equal(atomic_load(&g_made), 2);
}

/* A cache of 4 entries is one shard: exact LRU order. */
static void test_lru_eviction(void **state) {
  (void)state;
  tc_vcache *c = NULL;
  assert_int_equal(tc_vcache_new(4, val_destroy, &c, NULL), TC_OK);
  uint8_t k[6][32];
  tc_vcache_ref *r;
  for (int i = 1; i <= 5; i++)
    key_of(i, k[i]);
  for (int i = 1; i <= 4; i++) {
    assert_int_equal(tc_vcache_put(c, k[i], val_new(k[i], i), &r, NULL), TC_OK);
    tc_vcache_release(r);
  }
  /* use 1: now 2 is the least recently used */
  r = tc_vcache_get(c, k[1]);
  assert_non_null(r);
  tc_vcache_release(r);
  assert_int_equal(tc_vcache_put(c, k[5], val_new(k[5], 5), &r, NULL), TC_OK);
  tc_vcache_release(r);
  assert_int_equal(atomic_load(&g_destroyed), 1); /* 2, held by nobody */
  assert_null(tc_vcache_get(c, k[2]));
  int present[] = {1, 3, 4, 5};
  for (int i = 0; i < 4; i++) {
    r = tc_vcache_get(c, k[present[i]]);
    assert_non_null(r);
    assert_int_equal(id_of(r), present[i]);
    tc_vcache_release(r);
  }
  tc_vcache_counters n;
  tc_vcache_stats(c, &n);
  assert_int_equal(n.entries, 4);
  assert_int_equal(n.evictions, 1);
  tc_vcache_free(c);
  assert_int_equal(atomic_load(&g_destroyed), 5);
}

/* A held reference keeps its value alive through eviction, clear and free. */
static void test_ref_outlives(void **state) {
  (void)state;
  tc_vcache *c = NULL;
  assert_int_equal(tc_vcache_new(1, val_destroy, &c, NULL), TC_OK);
  uint8_t k1[32], k2[32];
  key_of(1, k1);
  key_of(2, k2);
  tc_vcache_ref *held = NULL, *r = NULL;
  assert_int_equal(tc_vcache_put(c, k1, val_new(k1, 1), &held, NULL), TC_OK);
  assert_int_equal(tc_vcache_put(c, k2, val_new(k2, 2), &r, NULL), TC_OK); /* evicts 1 */
  assert_null(tc_vcache_get(c, k1));
  assert_int_equal(atomic_load(&g_destroyed), 0);
  assert_int_equal(id_of(held), 1);
  tc_vcache_clear(c);
  assert_null(tc_vcache_get(c, k2));
  assert_int_equal(atomic_load(&g_destroyed), 0); /* 2 is held by r */
  tc_vcache_free(c);
  assert_int_equal(id_of(r), 2);
  tc_vcache_release(r);
  assert_int_equal(atomic_load(&g_destroyed), 1);
  tc_vcache_release(held);
  assert_int_equal(atomic_load(&g_destroyed), 2);
}

static void test_zero_entries_and_bounds(void **state) {
  (void)state;
  tc_vcache *c = NULL;
  tc_error err;
  assert_int_equal(tc_vcache_new(0, val_destroy, &c, &err), TC_OK);
  uint8_t k1[32];
  key_of(1, k1);
  tc_vcache_ref *r = NULL;
  assert_int_equal(tc_vcache_put(c, k1, val_new(k1, 1), &r, &err), TC_OK);
  assert_int_equal(id_of(r), 1);
  assert_null(tc_vcache_get(c, k1));
  tc_vcache_release(r);
  assert_int_equal(atomic_load(&g_destroyed), 1);
  tc_vcache_free(c);
  /* arguments out of range */
  assert_int_equal(tc_vcache_new(TC_VCACHE_MAX_ENTRIES + 1, val_destroy, &c, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "bad_argument");
  assert_null(c);
  assert_int_equal(tc_vcache_new(4, NULL, &c, &err), TC_ERR_USAGE);
  assert_int_equal(tc_vcache_put(NULL, k1, NULL, &r, &err), TC_ERR_USAGE);
  assert_null(r);
  assert_null(tc_vcache_get(NULL, k1));
  /* many keys through a sharded cache: never above its bound */
  assert_int_equal(tc_vcache_new(64, val_destroy, &c, &err), TC_OK);
  for (int i = 0; i < 1000; i++) {
    uint8_t k[32];
    key_of(i, k);
    assert_int_equal(tc_vcache_put(c, k, val_new(k, i), &r, &err), TC_OK);
    tc_vcache_release(r);
  }
  tc_vcache_counters n;
  tc_vcache_stats(c, &n);
  assert_int_equal(n.entries, 64);
  assert_int_equal(n.inserts, 1000);
  assert_int_equal(n.evictions, 1000 - 64);
  assert_int_equal(atomic_load(&g_destroyed), 1 + 1000 - 64);
  tc_vcache_free(c);
  assert_int_equal(atomic_load(&g_destroyed), atomic_load(&g_made));
}

/* --- threads --- */

#define N_THREADS 4
#define N_KEYS 48

struct worker {
  tc_vcache *c;
  struct timespec until;
  long ops, wrong;
};

static int past(const struct timespec *t) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* get-or-put random keys (a key set larger than the cache: evictions all the time), and
 * check every value handed back belongs to the key asked for. */
static void *work(void *arg) {
  struct worker *w = arg;
  unsigned seed = (unsigned)(uintptr_t)w;
  while (!past(&w->until)) {
    for (int j = 0; j < 256; j++) {
      int i = rand_r(&seed) % N_KEYS;
      uint8_t k[32];
      tc_span part = {&i, sizeof i};
      if (tc_vcache_key("test-int", &part, 1, k, NULL) != TC_OK) {
        w->wrong++;
        continue;
      }
      tc_vcache_ref *r = tc_vcache_get(w->c, k);
      if (r == NULL) {
        val *v = malloc(sizeof *v);
        if (v == NULL)
          continue;
        memcpy(v->key, k, 32);
        v->id = i;
        atomic_fetch_add(&g_made, 1);
        if (tc_vcache_put(w->c, k, v, &r, NULL) != TC_OK) {
          w->wrong++;
          continue;
        }
      }
      const val *v = tc_vcache_value(r);
      if (v->id != i || memcmp(v->key, k, 32) != 0)
        w->wrong++;
      if (j % 16 == 0)
        tc_vcache_clear(w->c); /* invalidation racing with lookups */
      tc_vcache_release(r);
      w->ops++;
    }
  }
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  tc_vcache *c = NULL;
  assert_int_equal(tc_vcache_new(24, val_destroy, &c, NULL), TC_OK);
  struct worker w[N_THREADS];
  pthread_t t[N_THREADS];
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_nsec += 400 * 1000000L; /* 0.4 s */
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  for (int i = 0; i < N_THREADS; i++) {
    w[i] = (struct worker){.c = c, .until = until};
    assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
  }
  long ops = 0;
  for (int i = 0; i < N_THREADS; i++) {
    assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(w[i].wrong, 0);
    ops += w[i].ops;
  }
  assert_true(ops > 0);
  tc_vcache_counters n;
  tc_vcache_stats(c, &n);
  assert_true(n.entries <= 24);
  assert_int_equal(n.hits + n.misses, (uint64_t)ops);
  assert_true(n.hits > 0 && n.misses > 0);
  tc_vcache_free(c);
  /* every value made was destroyed exactly once (no leak, no double free) */
  assert_int_equal(atomic_load(&g_destroyed), atomic_load(&g_made));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_key, reset),
      cmocka_unit_test_setup(test_key_memo, reset),
      cmocka_unit_test_setup(test_get_put, reset),
      cmocka_unit_test_setup(test_lru_eviction, reset),
      cmocka_unit_test_setup(test_ref_outlives, reset),
      cmocka_unit_test_setup(test_zero_entries_and_bounds, reset),
      cmocka_unit_test_setup(test_threads, reset),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
