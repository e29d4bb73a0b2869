/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — a bounded, thread-safe cache of verified objects (private, src/core).
 *
 * What a verifier established about endorsements that do not change between requests (an
 * SNP certificate chain, a DCAP collateral set) is kept here so that the next request
 * with the same bytes does not parse and signature-check them again. The cache is an
 * object owned by whoever runs the verifications (a service, a long-lived verifier
 * context); there is no global cache.
 *
 * - Keys are 32 bytes: the SHA-256 of the exact input bytes the object was built from
 *   (tc_vcache_key), so different bytes are a different entry: a changed certificate or
 *   CRL is never answered by an old entry, it is verified afresh.
 * - Values are immutable once put and owned by the cache; the destroy function passed to
 *   tc_vcache_new frees them. A lookup returns a held reference (tc_vcache_ref): the value
 *   stays alive until the last holder releases it, even if it is evicted or the cache is
 *   cleared or freed meanwhile.
 * - Bounded by entry count, least recently used evicted first. The entries are split over
 *   up to 16 shards by key (each with its own mutex, held only for a hash lookup and a list
 *   update, never while verifying or destroying); LRU order is per shard, and the total is
 *   never above max_entries.
 * - Callers put only what verified: a failure is never cached (there is no negative entry).
 *
 * Every function is thread-safe for one cache shared by many threads.
 */
#ifndef TEECTL_CORE_VCACHE_H
#define TEECTL_CORE_VCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "teectl/crypto.h"
#include "teectl/error.h"

/** Key length in bytes (a SHA-256). */
#define TC_VCACHE_KEY_LEN 32
/** Largest max_entries tc_vcache_new accepts. */
#define TC_VCACHE_MAX_ENTRIES (1u << 20)

typedef struct tc_vcache tc_vcache;
/** A held entry: its value is valid until tc_vcache_release. */
typedef struct tc_vcache_ref tc_vcache_ref;
/** Frees one value (called once, by whoever drops the last reference). */
typedef void (*tc_vcache_destroy_fn)(void *value);

/** Counters since tc_vcache_new (tc_vcache_stats). */
typedef struct tc_vcache_counters {
  uint64_t hits, misses; /* tc_vcache_get found / did not find the key */
  uint64_t inserts;      /* tc_vcache_put added a new entry */
  uint64_t evictions;    /* entries dropped to stay within max_entries */
  size_t entries;        /* entries in the cache now */
} tc_vcache_counters;

/**
 * A new cache of at most max_entries entries (0: nothing is kept; every put hands back a
 * reference of its own) whose values destroy frees. Errors: TC_ERR_USAGE "bad_argument"
 * (destroy NULL, max_entries above TC_VCACHE_MAX_ENTRIES), TC_ERR_NOMEM "out_of_memory".
 */
tc_status tc_vcache_new(size_t max_entries, tc_vcache_destroy_fn destroy, tc_vcache **out,
                        tc_error *err);

/** Drop every entry (held references stay valid) and free the cache. NULL-safe. */
void tc_vcache_free(tc_vcache *c);

/** Drop every entry (held references stay valid); the cache stays usable. NULL-safe. */
void tc_vcache_clear(tc_vcache *c);

/**
 * The key of an object built from n_parts byte ranges: SHA-256 over the domain string (a
 * NUL-terminated name of the kind of object, e.g. "snp-chain") and each part preceded by
 * its length as 8 bytes big-endian, so that no two different part lists (or kinds) share
 * a key. Errors: TC_ERR_INTERNAL "internal_error" (the digest could not be computed).
 */
tc_status tc_vcache_key(const char *domain, const tc_span *parts, size_t n_parts,
                        uint8_t key[TC_VCACHE_KEY_LEN], tc_error *err);

/**
 * tc_vcache_key(domain, parts, n_parts) without hashing the bytes again when memo holds
 * an exact copy of them: the same key, or the same error, for every input. memo is a cache
 * made with tc_vcache_new(n, free, ...) and used for nothing else (NULL: plain
 * tc_vcache_key). Its entries are found by a fingerprint (not a digest: the number and
 * lengths of the parts and about 250 bytes sampled from each, mixed without cryptography)
 * and an entry is used only when its copy of the domain and of every part equals the
 * given bytes (memcmp over all of them; about ten times faster than SHA-256 with the SHA
 * extensions); otherwise the key is computed and a copy put (a fingerprint another input
 * holds keeps the present entry). The hit costs a compare of every byte, so memo a key
 * over inputs of a few KB and more that recur (endorsements), not over small ones.
 * Errors: those of tc_vcache_key.
 */
tc_status tc_vcache_key_memo(tc_vcache *memo, const char *domain, const tc_span *parts,
                             size_t n_parts, uint8_t key[TC_VCACHE_KEY_LEN], tc_error *err);

/** The entry of key, held (release it), or NULL when absent or c is NULL. Marks it most
 *  recently used. */
tc_vcache_ref *tc_vcache_get(tc_vcache *c, const uint8_t key[TC_VCACHE_KEY_LEN]);

/**
 * Put value (which the cache now owns, in every case) under key and hand back a held
 * reference in *out. If key is already present (another thread put it first), the value
 * there is kept, the new one destroyed, and *out holds the present one. With max_entries 0,
 * *out holds value alone (destroyed on its release). May evict the least recently used
 * entry of the key's shard. Errors: TC_ERR_NOMEM "out_of_memory" (value destroyed, *out
 * NULL); TC_ERR_USAGE "bad_argument" when c is NULL (the one case where value is not taken).
 */
tc_status tc_vcache_put(tc_vcache *c, const uint8_t key[TC_VCACHE_KEY_LEN], void *value,
                        tc_vcache_ref **out, tc_error *err);

/** The value of a held reference. */
const void *tc_vcache_value(const tc_vcache_ref *ref);

/** Give a reference back; the last one destroys the value. NULL-safe. */
void tc_vcache_release(tc_vcache_ref *ref);

/** Counters of c (all zero for NULL). */
void tc_vcache_stats(tc_vcache *c, tc_vcache_counters *out);

#endif
