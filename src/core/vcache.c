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

static void be64(uint8_t out[8], uint64_t v) {
  for (int b = 0; b < 8; b++)
    out[b] = (uint8_t)(v >> (56 - 8 * b));
}

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
    be64(lens[i], parts[i].len);
    all[1 + 2 * i] = (tc_span){lens[i], 8};
    all[2 + 2 * i] = parts[i];
  }
  return tc_hash(TC_HASH_SHA256, all, 1 + 2 * n_parts, key, err);
}

/* --- memoised keys --- */

/* A memo entry: a key and the exact input it was computed from, as tc_vcache_key hashes
 * it (domain and its NUL, then each part's 8-byte big-endian length and bytes). */
typedef struct {
  uint8_t key[TC_VCACHE_KEY_LEN];
  size_t n_parts, len;
  uint8_t in[];
} memo_entry;

static uint64_t mix64(uint64_t h, uint64_t w) {
  h ^= w;
  h *= 0x100000001b3ull; /* FNV-1a 64-bit prime */
  return h ^ (h >> 29);
}

static uint64_t word_at(const uint8_t *p, size_t len, size_t at) {
  uint64_t w = 0;
  if (len - at >= 8)
    memcpy(&w, p + at, 8); /* a load */
  else
    memcpy(&w, p + at, len - at);
  return w;
}

/* The fingerprint of an input: four 64-bit lanes over the domain, the part count and, for
 * each part, its length and the 8-byte words at 8 places at its start, 8 at its end and 16
 * spread between, each lane finished by splitmix64 (the cache takes shard and bucket from
 * bytes 0..15). Only an index: a match is confirmed byte for byte. */
static void fingerprint(const char *domain, const tc_span *parts, size_t n_parts,
                        uint8_t fp[TC_VCACHE_KEY_LEN]) {
  uint64_t h[4] = {0xcbf29ce484222325ull, 0x9e3779b97f4a7c15ull, 0xd6e8feb86659fd93ull,
                   0xa0761d6478bd642full};
  size_t dl = strlen(domain);
  for (size_t i = 0; i < dl; i += 8)
    h[0] = mix64(h[0], word_at((const uint8_t *)domain, dl, i));
  h[1] = mix64(h[1], n_parts);
  for (size_t i = 0; i < n_parts; i++) {
    const uint8_t *p = parts[i].data;
    size_t len = parts[i].len;
    h[(i + 2) % 4] = mix64(h[(i + 2) % 4], len);
    if (len == 0)
      continue;
    for (size_t k = 0; k < 32; k++) {
      size_t at = k < 8    ? k * 8
                  : k < 16 ? (len > 64 ? len - 64 : 0) + (k - 8) * 8
                           : (len / 16) * (k - 16);
      if (at < len)
        h[k % 4] = mix64(h[k % 4], word_at(p, len, at));
    }
  }
  for (int l = 0; l < 4; l++) {
    uint64_t z = h[l] + 0x9e3779b97f4a7c15ull * (uint64_t)(l + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    memcpy(fp + 8 * l, &z, 8);
  }
}

/* 1 when e holds exactly (domain, parts). */
static int memo_equal(const memo_entry *e, const char *domain, const tc_span *parts,
                      size_t n_parts) {
  size_t dl = strlen(domain) + 1, at = dl;
  if (e->n_parts != n_parts || e->len < dl || memcmp(e->in, domain, dl) != 0)
    return 0;
  for (size_t i = 0; i < n_parts; i++) {
    uint8_t l[8];
    be64(l, parts[i].len);
    if (e->len - at < 8 || memcmp(e->in + at, l, 8) != 0 || e->len - at - 8 < parts[i].len ||
        (parts[i].len > 0 && memcmp(e->in + at + 8, parts[i].data, parts[i].len) != 0))
      return 0;
    at += 8 + parts[i].len;
  }
  return at == e->len;
}

/* A new entry of key over (domain, parts); NULL when it cannot be allocated. */
static memo_entry *memo_new(const uint8_t *key, const char *domain, const tc_span *parts,
                            size_t n_parts) {
  size_t dl = strlen(domain) + 1, len = dl;
  for (size_t i = 0; i < n_parts; i++) {
    if (parts[i].len > SIZE_MAX / 2 - len - 8)
      return NULL;
    len += 8 + parts[i].len;
  }
  memo_entry *e = malloc(sizeof *e + len);
  if (e == NULL)
    return NULL;
  memcpy(e->key, key, TC_VCACHE_KEY_LEN);
  e->n_parts = n_parts;
  e->len = len;
  memcpy(e->in, domain, dl);
  size_t at = dl;
  for (size_t i = 0; i < n_parts; i++) {
    be64(e->in + at, parts[i].len);
    if (parts[i].len > 0)
      memcpy(e->in + at + 8, parts[i].data, parts[i].len);
    at += 8 + parts[i].len;
  }
  return e;
}

tc_status tc_vcache_key_memo(tc_vcache *memo, const char *domain, const tc_span *parts,
                             size_t n_parts, uint8_t key[TC_VCACHE_KEY_LEN], tc_error *err) {
  if (memo == NULL || memo->n_shards == 0)
    return tc_vcache_key(domain, parts, n_parts, key, err);
  uint8_t fp[TC_VCACHE_KEY_LEN];
  fingerprint(domain, parts, n_parts, fp);
  tc_vcache_ref *ref = tc_vcache_get(memo, fp);
  int held = ref != NULL, same = 0;
  if (held) {
    const memo_entry *e = tc_vcache_value(ref);
    if ((same = memo_equal(e, domain, parts, n_parts)) != 0)
      memcpy(key, e->key, TC_VCACHE_KEY_LEN);
    tc_vcache_release(ref);
  }
  if (same)
    return TC_OK;
  tc_status st = tc_vcache_key(domain, parts, n_parts, key, err);
  /* another input under this fingerprint stays: it would be kept anyway */
  memo_entry *e = st == TC_OK && !held ? memo_new(key, domain, parts, n_parts) : NULL;
  if (e != NULL && tc_vcache_put(memo, fp, e, &ref, NULL) == TC_OK)
    tc_vcache_release(ref);
  return st;
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
