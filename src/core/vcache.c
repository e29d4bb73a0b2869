/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded cache of verified objects, sharded by key, LRU per shard (see core/vcache.h). */
#include "core/vcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SHARDS 16

struct tc_vcache_ref {
  uint8_t key[TC_VCACHE_KEY_LEN];
  void *value;
  tc_vcache_destroy_fn destroy;
  atomic_uint refs;                    /* holders, the cache being one while cached */
  struct tc_vcache_ref *hnext;         /* hash chain of the shard */
  struct tc_vcache_ref *newer, *older; /* LRU list of the shard */
};

typedef struct tc_vcache_ref entry;

struct shard {
  pthread_mutex_t mu;
  entry **buckets;
  size_t mask; /* buckets - 1 (a power of two) */
  entry *newest, *oldest;
  size_t n, cap;
  uint64_t hits, misses, inserts, evictions;
} __attribute__((aligned(64))); /* one cache line each: no false sharing between shards */

struct tc_vcache {
  tc_vcache_destroy_fn destroy;
  size_t n_shards;
  struct shard *shards;
};

/* The key is a SHA-256: any 8 of its bytes are uniform. Bytes 0..7 pick the shard,
 * bytes 8..15 the bucket. */
static uint64_t key_word(const uint8_t *key, size_t at) {
  uint64_t w;
  memcpy(&w, key + at, sizeof w);
  return w;
}

static struct shard *shard_of(tc_vcache *c, const uint8_t *key) {
  return &c->shards[key_word(key, 0) % c->n_shards];
}

static entry **bucket_of(struct shard *s, const uint8_t *key) {
  return &s->buckets[key_word(key, 8) & s->mask];
}

void tc_vcache_release(tc_vcache_ref *e) {
  if (e == NULL)
    return;
  if (atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1) {
    e->destroy(e->value);
    free(e);
  }
}

static void hold(entry *e) {
  atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
}

/* --- the lists of a shard (caller holds s->mu) --- */

static void lru_unlink(struct shard *s, entry *e) {
  if (e->newer)
    e->newer->older = e->older;
  else
    s->newest = e->older;
  if (e->older)
    e->older->newer = e->newer;
  else
    s->oldest = e->newer;
  e->newer = e->older = NULL;
}

static void lru_push(struct shard *s, entry *e) {
  e->older = s->newest;
  e->newer = NULL;
  if (s->newest)
    s->newest->newer = e;
  s->newest = e;
  if (s->oldest == NULL)
    s->oldest = e;
}

static entry *find(struct shard *s, const uint8_t *key) {
  for (entry *e = *bucket_of(s, key); e != NULL; e = e->hnext)
    if (memcmp(e->key, key, TC_VCACHE_KEY_LEN) == 0)
      return e;
  return NULL;
}

/* Take e out of the shard; the cache's reference is the caller's to release (after
 * unlocking: destroying a value may be slow). */
static void remove_entry(struct shard *s, entry *e) {
  entry **p = bucket_of(s, e->key);
  while (*p != e)
    p = &(*p)->hnext;
  *p = e->hnext;
  e->hnext = NULL;
  lru_unlink(s, e);
  s->n--;
}

/* --- life cycle --- */

static void shards_free(struct shard *shards, size_t n) {
  for (size_t i = 0; i < n; i++) {
    pthread_mutex_destroy(&shards[i].mu);
    free(shards[i].buckets);
  }
  free(shards);
}

tc_status tc_vcache_new(size_t max_entries, tc_vcache_destroy_fn destroy, tc_vcache **out,
                        tc_error *err) {
  *out = NULL;
  if (destroy == NULL || max_entries > TC_VCACHE_MAX_ENTRIES)
    return tc_fail(err, TC_ERR_USAGE, "bad_argument",
                   "cache of %zu entries: at most %u, and a destroy function", max_entries,
                   TC_VCACHE_MAX_ENTRIES);
  tc_vcache *c = calloc(1, sizeof *c);
  if (c == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "cache");
  c->destroy = destroy;
  /* A shard per 4 entries up to 16: small caches keep one exact LRU order. */
  size_t n = max_entries / 4;
  c->n_shards = max_entries == 0 ? 0 : n < 1 ? 1 : n > MAX_SHARDS ? MAX_SHARDS : n;
  if (c->n_shards > 0) {
    c->shards = aligned_alloc(64, c->n_shards * sizeof *c->shards);
    if (c->shards == NULL) {
      free(c);
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "cache shards");
    }
    memset(c->shards, 0, c->n_shards * sizeof *c->shards);
  }
  for (size_t i = 0; i < c->n_shards; i++) {
    struct shard *s = &c->shards[i];
    /* max_entries split as evenly as it goes: the caps add up to max_entries exactly */
    s->cap = max_entries / c->n_shards + (i < max_entries % c->n_shards ? 1 : 0);
    size_t nb = 4;
    while (nb < s->cap)
      nb *= 2;
    s->mask = nb - 1;
    s->buckets = calloc(nb, sizeof(entry *));
    if (s->buckets == NULL || pthread_mutex_init(&s->mu, NULL) != 0) {
      free(s->buckets);
      shards_free(c->shards, i);
      free(c);
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "cache shards");
    }
  }
  *out = c;
  return TC_OK;
}

void tc_vcache_clear(tc_vcache *c) {
  for (size_t i = 0; c != NULL && i < c->n_shards; i++) {
    struct shard *s = &c->shards[i];
    pthread_mutex_lock(&s->mu);
    entry *list = s->newest;
    for (entry *e = list; e != NULL; e = e->older)
      e->hnext = NULL;
    memset(s->buckets, 0, (s->mask + 1) * sizeof(entry *));
    s->newest = s->oldest = NULL;
    s->n = 0;
    pthread_mutex_unlock(&s->mu);
    while (list != NULL) {
      entry *next = list->older;
      list->newer = list->older = NULL;
      tc_vcache_release(list);
      list = next;
    }
  }
}

void tc_vcache_free(tc_vcache *c) {
  if (c == NULL)
    return;
  tc_vcache_clear(c);
  shards_free(c->shards, c->n_shards);
  free(c);
}

/* --- keys, lookups --- */

tc_status tc_vcache_key(const char *domain, const tc_span *parts, size_t n_parts,
                        uint8_t key[TC_VCACHE_KEY_LEN], tc_error *err) {
  enum { MAX_PARTS = 32 };
  if (n_parts > MAX_PARTS)
    return tc_fail(err, TC_ERR_USAGE, "bad_argument", "cache key of %zu parts (at most %d)",
                   n_parts, MAX_PARTS);
  tc_span all[1 + 2 * MAX_PARTS];
  uint8_t lens[MAX_PARTS][8];
  all[0] = (tc_span){domain, strlen(domain) + 1};
  for (size_t i = 0; i < n_parts; i++) {
    uint64_t l = parts[i].len;
    for (int b = 0; b < 8; b++)
      lens[i][b] = (uint8_t)(l >> (56 - 8 * b));
    all[1 + 2 * i] = (tc_span){lens[i], 8};
    all[2 + 2 * i] = parts[i];
  }
  return tc_hash(TC_HASH_SHA256, all, 1 + 2 * n_parts, key, err);
}

tc_vcache_ref *tc_vcache_get(tc_vcache *c, const uint8_t key[TC_VCACHE_KEY_LEN]) {
  if (c == NULL || c->n_shards == 0)
    return NULL;
  struct shard *s = shard_of(c, key);
  pthread_mutex_lock(&s->mu);
  entry *e = find(s, key);
  if (e != NULL) {
    hold(e);
    if (s->newest != e) {
      lru_unlink(s, e);
      lru_push(s, e);
    }
    s->hits++;
  } else {
    s->misses++;
  }
  pthread_mutex_unlock(&s->mu);
  return e;
}

tc_status tc_vcache_put(tc_vcache *c, const uint8_t key[TC_VCACHE_KEY_LEN], void *value,
                        tc_vcache_ref **out, tc_error *err) {
  *out = NULL;
  if (c == NULL)
    return tc_fail(err, TC_ERR_USAGE, "bad_argument", "no cache to put into");
  entry *e = calloc(1, sizeof *e);
  if (e == NULL) {
    c->destroy(value);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "cache entry");
  }
  memcpy(e->key, key, TC_VCACHE_KEY_LEN);
  e->value = value;
  e->destroy = c->destroy;
  atomic_init(&e->refs, 1); /* the caller's */
  if (c->n_shards == 0) {
    *out = e; /* not cached: the caller's reference is the only one */
    return TC_OK;
  }
  struct shard *s = shard_of(c, key);
  entry *evicted = NULL;
  pthread_mutex_lock(&s->mu);
  entry *present = find(s, key);
  if (present != NULL) {
    hold(present);
    pthread_mutex_unlock(&s->mu);
    tc_vcache_release(e); /* destroys the duplicate */
    *out = present;
    return TC_OK;
  }
  hold(e); /* the cache's */
  entry **b = bucket_of(s, key);
  e->hnext = *b;
  *b = e;
  lru_push(s, e);
  s->n++;
  s->inserts++;
  if (s->n > s->cap) {
    evicted = s->oldest;
    remove_entry(s, evicted);
    s->evictions++;
  }
  pthread_mutex_unlock(&s->mu);
  tc_vcache_release(evicted);
  *out = e;
  return TC_OK;
}

const void *tc_vcache_value(const tc_vcache_ref *ref) {
  return ref->value;
}

void tc_vcache_stats(tc_vcache *c, tc_vcache_counters *out) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; c != NULL && i < c->n_shards; i++) {
    struct shard *s = &c->shards[i];
    pthread_mutex_lock(&s->mu);
    out->hits += s->hits;
    out->misses += s->misses;
    out->inserts += s->inserts;
    out->evictions += s->evictions;
    out->entries += s->n;
    pthread_mutex_unlock(&s->mu);
  }
}
