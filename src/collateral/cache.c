/* SPDX-License-Identifier: Apache-2.0 */
/* On-disk collateral cache.
 *
 * Layout under the cache folder:
 *   objects/<sha256 hex>        bytes of a body or an issuer chain (content-addressed)
 *   index/<sha256(key) hex>.json one entry per cache key:
 *     {"version":1, "key", "kind", "url", "body_sha256", "issuer_chain_sha256" (or null),
 *      "fetched_at", "expires_at", "refresh_at" (RFC 3339)}
 * Every file is written with tc_file_write_atomic (temp file + fsync + rename), objects
 * before the index entry that names them, so a crash leaves either the old entry or the
 * new one (plus, at worst, an unreferenced object or a *.tmpXXXXXX file, both ignored).
 * Reads recompute each object's SHA-256 and refuse an entry whose bytes do not match.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collateral/internal.h"
#include "teectl/crypto.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"

static tc_status mkdir_p1(const char *path, tc_error *err) {
  if (mkdir(path, 0755) != 0 && errno != EEXIST)
    return tc_fail(err, TC_ERR_IO, "cache_unwritable", "%s: %s", path, strerror(errno));
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
    return tc_fail(err, TC_ERR_IO, "cache_unwritable", "%s: not a directory", path);
  return TC_OK;
}

tc_status col_cache_open(const char *dir, tc_error *err) {
  char p[4096];
  if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p - 16)
    return tc_fail(err, TC_ERR_IO, "cache_unwritable", "cache path too long");
  /* parents first (mkdir -p) */
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = 0;
      if (mkdir(p, 0755) != 0 && errno != EEXIST)
        return tc_fail(err, TC_ERR_IO, "cache_unwritable", "%s: %s", p, strerror(errno));
      *s = '/';
    }
  tc_status st = mkdir_p1(dir, err);
  if (st != TC_OK)
    return st;
  snprintf(p, sizeof p, "%s/objects", dir);
  if ((st = mkdir_p1(p, err)) != TC_OK)
    return st;
  snprintf(p, sizeof p, "%s/index", dir);
  return mkdir_p1(p, err);
}

void col_cache_entry_free(col_cache_entry *e) {
  if (e == NULL)
    return;
  tc_buf_free(&e->body);
  tc_buf_free(&e->issuer_chain);
}

static int is_hex64(const char *s) {
  if (s == NULL || strlen(s) != 64)
    return 0;
  for (int i = 0; i < 64; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
  return 1;
}

static int read_object(const char *dir, const char *hash, tc_buf *out, char *why) {
  char p[4096];
  if (!is_hex64(hash)) {
    if (why)
      snprintf(why, 256, "index names a bad object hash");
    return 0;
  }
  snprintf(p, sizeof p, "%s/objects/%s", dir, hash);
  tc_error e;
  if (tc_file_read(p, 16u << 20, out, &e) != TC_OK) {
    if (why)
      snprintf(why, 256, "object %.16s... unreadable", hash);
    return 0;
  }
  char got[65];
  tc_sha256_hex(out->data, out->len, got, NULL);
  if (strcmp(got, hash) != 0) {
    tc_buf_free(out);
    if (why)
      snprintf(why, 256, "object %.16s... is corrupt (SHA-256 mismatch)", hash);
    return 0;
  }
  return 1;
}

static int time_field(json_t *o, const char *name, int64_t *out) {
  const char *s = json_string_value(json_object_get(o, name));
  tc_error e;
  return s != NULL && tc_rfc3339_parse(s, out, &e) == TC_OK;
}

static tc_object_kind kind_from_name(const char *n) {
  for (int k = TC_OBJ_KDS_VCEK; k <= TC_OBJ_PCS_ROOT_CA_CRL; k++)
    if (n != NULL && strcmp(n, tc_object_kind_name((tc_object_kind)k)) == 0)
      return (tc_object_kind)k;
  return (tc_object_kind)0;
}

/* Parse one index file into e (metadata only). 1 ok, 0 bad. */
static int read_index(const char *path, col_cache_entry *e, char *body_hash, char *chain_hash,
                      char *why) {
  tc_buf b;
  tc_error ferr;
  if (tc_file_read(path, 1u << 20, &b, &ferr) != TC_OK) {
    if (why)
      snprintf(why, 256, "index entry unreadable");
    return 0;
  }
  json_t *o = json_loadb((const char *)b.data, b.len, 0, NULL);
  tc_buf_free(&b);
  int ok = json_is_object(o) && json_integer_value(json_object_get(o, "version")) == 1;
  const char *key = json_string_value(json_object_get(o, "key"));
  const char *url = json_string_value(json_object_get(o, "url"));
  const char *bh = json_string_value(json_object_get(o, "body_sha256"));
  json_t *ch = json_object_get(o, "issuer_chain_sha256");
  ok = ok && key && url && is_hex64(bh) && (json_is_null(ch) || is_hex64(json_string_value(ch)));
  ok = ok && time_field(o, "fetched_at", &e->fetched_at) &&
       time_field(o, "expires_at", &e->expires_at) && time_field(o, "refresh_at", &e->refresh_at);
  e->kind = ok ? kind_from_name(json_string_value(json_object_get(o, "kind"))) : 0;
  ok = ok && e->kind != 0 && strlen(key) < sizeof e->key && strlen(url) < sizeof e->url;
  if (ok) {
    snprintf(e->key, sizeof e->key, "%s", key);
    snprintf(e->url, sizeof e->url, "%s", url);
    snprintf(body_hash, 65, "%s", bh);
    snprintf(chain_hash, 65, "%s", json_is_null(ch) ? "" : json_string_value(ch));
  } else if (why) {
    snprintf(why, 256, "index entry malformed");
  }
  json_decref(o);
  return ok;
}

int col_cache_lookup(const char *dir, const char *key, col_cache_entry *e, char *why) {
  memset(e, 0, sizeof *e);
  if (why)
    why[0] = 0;
  char kh[65], p[4096], bh[65], chh[65];
  tc_sha256_hex(key, strlen(key), kh, NULL);
  snprintf(p, sizeof p, "%s/index/%s.json", dir, kh);
  if (!tc_file_exists(p)) {
    if (why)
      snprintf(why, 256, "not cached");
    return 0;
  }
  if (!read_index(p, e, bh, chh, why))
    return 0;
  if (strcmp(e->key, key) != 0) {
    if (why)
      snprintf(why, 256, "index entry belongs to another key");
    return 0;
  }
  if (!read_object(dir, bh, &e->body, why))
    return 0;
  if (chh[0] && !read_object(dir, chh, &e->issuer_chain, why)) {
    col_cache_entry_free(e);
    return 0;
  }
  return 1;
}

static tc_status write_object(const char *dir, const tc_buf *b, char hash[65], tc_error *err) {
  char p[4096];
  tc_sha256_hex(b->data, b->len, hash, NULL);
  snprintf(p, sizeof p, "%s/objects/%s", dir, hash);
  tc_buf cur = {0};
  /* Content-addressed: an intact object with this name is already right. */
  if (read_object(dir, hash, &cur, NULL)) {
    tc_buf_free(&cur);
    return TC_OK;
  }
  tc_status st = tc_file_write_atomic(p, b->data, b->len, err);
  if (st != TC_OK)
    return tc_fail(err, TC_ERR_IO, "cache_unwritable", "%s", err ? err->detail : p);
  return TC_OK;
}

/* 1 if any index entry names object `hash` (or the index cannot be read: keep it). */
static int object_referenced(const char *dir, const char *hash) {
  char p[4096];
  snprintf(p, sizeof p, "%s/index", dir);
  DIR *d = opendir(p);
  if (d == NULL)
    return 1;
  int used = 0;
  struct dirent *de;
  while (!used && (de = readdir(d)) != NULL) {
    if (strlen(de->d_name) != 69 || strcmp(de->d_name + 64, ".json") != 0)
      continue;
    char ip[4200], bh[65], chh[65];
    col_cache_entry e;
    memset(&e, 0, sizeof e);
    if (snprintf(ip, sizeof ip, "%s/%s", p, de->d_name) >= (int)sizeof ip)
      continue;
    if (read_index(ip, &e, bh, chh, NULL))
      used = strcmp(bh, hash) == 0 || strcmp(chh, hash) == 0;
  }
  closedir(d);
  return used;
}

/* After an index entry moved from old objects to new ones, remove old objects no entry
 * names any more. A racing writer that still wanted one finds it missing on its next
 * lookup and fetches again: never wrong bytes, at worst one more request. */
static void drop_unreferenced(const char *dir, const char *old, const char *bh, const char *chh) {
  if (!is_hex64(old) || strcmp(old, bh) == 0 || strcmp(old, chh) == 0 ||
      object_referenced(dir, old))
    return;
  char p[4096];
  snprintf(p, sizeof p, "%s/objects/%s", dir, old);
  unlink(p);
}

tc_status col_cache_store(const char *dir, const col_cache_entry *e, tc_error *err) {
  char bh[65], chh[65] = "";
  /* the objects the entry named so far, for clean-up afterwards */
  char old_bh[65] = "", old_chh[65] = "", kh0[65], ip0[4096];
  col_cache_entry old;
  memset(&old, 0, sizeof old);
  tc_sha256_hex(e->key, strlen(e->key), kh0, NULL);
  snprintf(ip0, sizeof ip0, "%s/index/%s.json", dir, kh0);
  if (!tc_file_exists(ip0) || !read_index(ip0, &old, old_bh, old_chh, NULL))
    old_bh[0] = old_chh[0] = 0;
  tc_status st = write_object(dir, &e->body, bh, err);
  if (st == TC_OK && e->issuer_chain.len > 0)
    st = write_object(dir, &e->issuer_chain, chh, err);
  if (st != TC_OK)
    return st;
  char f[21], x[21], r[21];
  json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "version", 1, "key",
                        e->key, "kind", tc_object_kind_name(e->kind), "url", e->url, "body_sha256",
                        bh, "issuer_chain_sha256", chh[0] ? json_string(chh) : json_null(),
                        "fetched_at", tc_rfc3339_format(e->fetched_at, f), "expires_at",
                        tc_rfc3339_format(e->expires_at, x), "refresh_at",
                        tc_rfc3339_format(e->refresh_at, r));
  char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
  json_decref(o);
  if (text == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "cache index entry");
  char kh[65], p[4096];
  tc_sha256_hex(e->key, strlen(e->key), kh, NULL);
  snprintf(p, sizeof p, "%s/index/%s.json", dir, kh);
  st = tc_file_write_atomic(p, text, strlen(text), err);
  free(text);
  if (st != TC_OK)
    return tc_fail(err, TC_ERR_IO, "cache_unwritable", "%s", err ? err->detail : p);
  drop_unreferenced(dir, old_bh, bh, chh);
  drop_unreferenced(dir, old_chh, bh, chh);
  return TC_OK;
}

static int cmp_key(const void *a, const void *b) {
  json_t *const *x = a, *const *y = b;
  return strcmp(json_string_value(json_object_get(*x, "key")),
                json_string_value(json_object_get(*y, "key")));
}

tc_status tc_cache_list(const char *cache_dir, int64_t now, json_t **out, tc_error *err) {
  *out = NULL;
  char p[4096];
  snprintf(p, sizeof p, "%s/index", cache_dir);
  DIR *d = opendir(p);
  if (d == NULL) {
    if (errno == ENOENT) {
      *out = json_array();
      return TC_OK;
    }
    return tc_fail(err, TC_ERR_IO, "cache_unreadable", "%s: %s", p, strerror(errno));
  }
  size_t n = 0, cap = 0;
  json_t **rows = NULL;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    size_t nl = strlen(de->d_name);
    if (nl != 69 || strcmp(de->d_name + 64, ".json") != 0)
      continue; /* temp files and anything else */
    char ip[4096], bh[65], chh[65], why[256] = "";
    if (snprintf(ip, sizeof ip, "%s/%s", p, de->d_name) >= (int)sizeof ip)
      continue;
    col_cache_entry e;
    memset(&e, 0, sizeof e);
    json_t *row;
    if (!read_index(ip, &e, bh, chh, why)) {
      row = json_pack("{s:s, s:s, s:s}", "key", de->d_name, "state", "corrupt", "note", why);
    } else {
      col_cache_entry full;
      int intact = col_cache_lookup(cache_dir, e.key, &full, why);
      char f[21], x[21], r[21];
      const char *state = !intact               ? "corrupt"
                          : now >= e.expires_at ? "expired"
                          : now >= e.refresh_at ? "refresh_due"
                                                : "fresh";
      row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "key", e.key, "kind",
                      tc_object_kind_name(e.kind), "url", e.url, "fetched_at",
                      tc_rfc3339_format(e.fetched_at, f), "expires_at",
                      tc_rfc3339_format(e.expires_at, x), "refresh_at",
                      tc_rfc3339_format(e.refresh_at, r), "state", state, "size",
                      (json_int_t)(intact ? full.body.len : 0));
      if (!intact && row)
        json_object_set_new(row, "note", json_string(why));
      if (intact)
        col_cache_entry_free(&full);
    }
    if (row == NULL)
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      json_t **nr = realloc(rows, cap * sizeof(json_t *));
      if (nr == NULL) {
        json_decref(row);
        break;
      }
      rows = nr;
    }
    rows[n++] = row;
  }
  closedir(d);
  if (n > 1)
    qsort(rows, n, sizeof(json_t *), cmp_key);
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(arr, rows[i]);
  free(rows);
  *out = arr;
  return TC_OK;
}
