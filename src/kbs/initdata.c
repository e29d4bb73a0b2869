/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — init-data (Trustee kbs/docs/initdata.md): a TOML or JSON document {version
 * "0.1.0", algorithm, data: {name: string}} the host hands to the guest at launch. Its
 * digest, with the algorithm the document names, over the document's bytes as sent, is
 * what the TEE's init-data field holds: SNP HOST_DATA (32 bytes), TDX MRCONFIGID (48
 * bytes), the digest zero-padded or truncated to the field's size.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/crypto.h"
#include "teectl/kbs.h"
#include "teectl/toml.h"

void tc_kbs_initdata_clear(tc_kbs_initdata *d) {
  if (!d)
    return;
  json_decref(d->data_keys);
  memset(d, 0, sizeof *d);
}

static tc_status invalid(tc_error *err, const char *what) {
  return tc_fail(err, TC_ERR_PARSE, "init_data_invalid", "init-data: %s", what);
}

/* The document's fields from TOML. */
static tc_status from_toml(const char *body, size_t len, tc_kbs_initdata *out, tc_error *err) {
  tc_toml_doc *doc = NULL;
  tc_status st = tc_toml_parse(body, len, 0, &doc, err);
  if (st != TC_OK) {
    char why[sizeof err->detail] = "";
    if (err)
      memcpy(why, err->detail, sizeof why);
    return tc_fail(err, TC_ERR_PARSE, "init_data_invalid", "init-data TOML: %s", why);
  }
  const tc_toml_entry *v = tc_toml_get(doc->root, "version");
  const tc_toml_entry *a = tc_toml_get(doc->root, "algorithm");
  const tc_toml_entry *d = tc_toml_get(doc->root, "data");
  if (!v || v->value->type != TC_TOML_STRING || !a || a->value->type != TC_TOML_STRING)
    st = invalid(err, "\"version\" and \"algorithm\" must be strings");
  else if (d && d->value->type != TC_TOML_TABLE)
    st = invalid(err, "\"data\" must be a table");
  else if (v->value->u.str.len >= sizeof out->version)
    st = invalid(err, "\"version\" too long");
  if (st == TC_OK) {
    memcpy(out->version, v->value->u.str.ptr, v->value->u.str.len + 1);
    out->algorithm = tc_kbs_hash_from_name(a->value->u.str.ptr);
    if (!out->algorithm)
      st = tc_fail(err, TC_ERR_VERIFY, "init_data_unsupported",
                   "init-data algorithm \"%s\" (expected sha256, sha384 or sha512)",
                   a->value->u.str.ptr);
    for (size_t i = 0; st == TC_OK && d && i < d->value->u.table.len; i++) {
      const tc_toml_entry *e = &d->value->u.table.items[i];
      if (e->value->type != TC_TOML_STRING || strlen(e->key) != e->key_len)
        st = invalid(err, "every \"data\" entry must be a string under a plain name");
      else if (json_array_append_new(out->data_keys, json_string(e->key)) != 0)
        st = tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "init-data");
    }
  }
  tc_toml_doc_free(doc);
  return st;
}

static tc_status from_json(const char *body, size_t len, tc_kbs_initdata *out, tc_error *err) {
  json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
  const char *version = json_string_value(json_object_get(root, "version"));
  const char *alg = json_string_value(json_object_get(root, "algorithm"));
  const json_t *data = json_object_get(root, "data");
  tc_status st = TC_OK;
  if (!json_is_object(root) || !version || !alg || (data && !json_is_object(data)))
    st = invalid(err, "JSON document needs string \"version\", \"algorithm\" and object \"data\"");
  else if (strlen(version) >= sizeof out->version)
    st = invalid(err, "\"version\" too long");
  else if (!(out->algorithm = tc_kbs_hash_from_name(alg)))
    st = tc_fail(err, TC_ERR_VERIFY, "init_data_unsupported",
                 "init-data algorithm \"%s\" (expected sha256, sha384 or sha512)", alg);
  if (st == TC_OK) {
    strcpy(out->version, version);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)data, key, v) {
      if (!json_is_string(v))
        st = invalid(err, "every \"data\" entry must be a string");
      else if (json_array_append_new(out->data_keys, json_string(key)) != 0)
        st = tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "init-data");
    }
  }
  json_decref(root);
  return st;
}

static int str_cmp(const void *a, const void *b) {
  return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

tc_status tc_kbs_initdata_parse(const char *format, const char *body, size_t len,
                                tc_kbs_initdata *out, tc_error *err) {
  memset(out, 0, sizeof *out);
  out->data_keys = json_array();
  if (!out->data_keys)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "init-data");
  tc_status st;
  if (format && strcmp(format, "toml") == 0)
    st = from_toml(body, len, out, err);
  else if (format && strcmp(format, "json") == 0)
    st = from_json(body, len, out, err);
  else
    st = tc_fail(err, TC_ERR_VERIFY, "init_data_unsupported",
                 "init-data format \"%s\" (expected toml or json)", format ? format : "");
  if (st == TC_OK && strcmp(out->version, "0.1.0") != 0)
    st = tc_fail(err, TC_ERR_VERIFY, "init_data_unsupported",
                 "init-data version \"%s\" (expected 0.1.0)", out->version);
  if (st == TC_OK) {
    out->digest_len = tc_kbs_hash_len(out->algorithm);
    st = tc_kbs_digest(out->algorithm, body, len, out->digest, err);
  }
  if (st == TC_OK) {
    /* sort the names (jansson arrays have no sort: rebuild) */
    size_t n = json_array_size(out->data_keys);
    json_t **items = n ? malloc(n * sizeof *items) : NULL;
    if (n && !items) {
      st = tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "init-data");
    } else if (n) {
      for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(out->data_keys, i));
      qsort(items, n, sizeof *items, str_cmp);
      json_array_clear(out->data_keys);
      for (size_t i = 0; i < n; i++)
        json_array_append_new(out->data_keys, items[i]);
      free(items);
    }
  }
  if (st != TC_OK)
    tc_kbs_initdata_clear(out);
  return st;
}

tc_status tc_kbs_initdata_check(const tc_kbs_initdata *d, const uint8_t *field, size_t field_len,
                                tc_error *err) {
  uint8_t want[64] = {0};
  size_t n = d->digest_len < field_len ? d->digest_len : field_len;
  if (field_len > sizeof want)
    return tc_fail(err, TC_ERR_USAGE, "init_data_field_invalid", "field of %zu bytes", field_len);
  memcpy(want, d->digest, n);
  if (!tc_ct_equal(want, field, field_len)) {
    char w[129], g[129];
    tc_hex_encode(want, field_len, w);
    tc_hex_encode(field, field_len, g);
    return tc_fail(err, TC_ERR_VERIFY, "init_data_mismatch",
                   "init-data digest (%s) does not match the evidence: expected %s, evidence "
                   "has %s",
                   tc_kbs_hash_name(d->algorithm), w, g);
  }
  return TC_OK;
}
