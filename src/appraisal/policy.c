/* SPDX-License-Identifier: Apache-2.0 */
/* Appraisal policy: parsing and validation of the JSON policy document
 * (format: docs/policy.md). The loaded policy is kept as its effective JSON (defaults
 * filled in, hex normalised to lower case), which tc_appraise reads without modifying.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appraisal/internal.h"
#include "teectl/appraisal.h"
#include "teectl/bytes.h"
#include "teectl/crypto.h"

#define DEFAULT_POLICY_ID "teectl-default-strict"

/* Intel TCB status names (Intel PCS API v4, TCB Info "tcbStatus"; QVL results). */
const char *const tc_tcb_status_names[] = {"UpToDate",
                                           "SWHardeningNeeded",
                                           "ConfigurationNeeded",
                                           "ConfigurationAndSWHardeningNeeded",
                                           "OutOfDate",
                                           "OutOfDateConfigurationNeeded",
                                           "Revoked",
                                           NULL};

const char *tc_ear_status_name(tc_ear_status s) {
  switch (s) {
  case TC_EAR_AFFIRMING:
    return "affirming";
  case TC_EAR_WARNING:
    return "warning";
  case TC_EAR_CONTRAINDICATED:
    return "contraindicated";
  case TC_EAR_NONE:
    break;
  }
  return "none";
}

int tc_ear_status_from_name(const char *name) {
  if (!name)
    return -1;
  if (strcmp(name, "none") == 0)
    return TC_EAR_NONE;
  if (strcmp(name, "affirming") == 0)
    return TC_EAR_AFFIRMING;
  if (strcmp(name, "warning") == 0)
    return TC_EAR_WARNING;
  if (strcmp(name, "contraindicated") == 0)
    return TC_EAR_CONTRAINDICATED;
  return -1;
}

/* ---- schema ------------------------------------------------------------------ */

typedef enum {
  K_BOOL,       /* true / false */
  K_STRING,     /* non-empty string (id) */
  K_UINT,       /* integer in [min, max] */
  K_UINT_LIST,  /* non-empty array of integers in [min, max] */
  K_HEX_LIST,   /* non-empty array of hex strings of exactly `nbytes` bytes */
  K_STR_LIST,   /* array of non-empty strings */
  K_SVN_ARRAY,  /* array of exactly `nbytes` integers 0..255 */
  K_OBJECT,     /* object with the keys `sub`; replaces the default */
  K_SECTION,    /* object with the keys `sub`; merged into the default */
  K_STATUS_MAP, /* {"<Intel TCB status>": "affirming"|"warning"|"contraindicated"} */
  K_RAW_ARRAY,  /* an array kept as written; its entries are judged by their consumer (the
                   key broker's resource rules, src/kbs/rules.c, when the service loads it) */
} key_kind;

struct key {
  const char *name;
  key_kind kind;
  long long min, max; /* K_UINT, K_UINT_LIST */
  size_t nbytes;      /* K_HEX_LIST, K_SVN_ARRAY */
  const struct key *sub;
};

#define END                                                                                        \
  { NULL, K_BOOL, 0, 0, 0, NULL }

static const struct key snp_tcb_keys[] = {
    {"bootloader", K_UINT, 0, 255, 0, NULL}, {"tee", K_UINT, 0, 255, 0, NULL},
    {"snp", K_UINT, 0, 255, 0, NULL},        {"microcode", K_UINT, 0, 255, 0, NULL},
    {"fmc", K_UINT, 0, 255, 0, NULL},        END};
static const struct key snp_abi_keys[] = {
    {"major", K_UINT, 0, 255, 0, NULL}, {"minor", K_UINT, 0, 255, 0, NULL}, END};
static const struct key snp_fw_keys[] = {{"major", K_UINT, 0, 255, 0, NULL},
                                         {"minor", K_UINT, 0, 255, 0, NULL},
                                         {"build", K_UINT, 0, 255, 0, NULL},
                                         END};

static const struct key snp_keys[] = {{"report_versions", K_UINT_LIST, 1, 0xffffffffLL, 0, NULL},
                                      {"allow_debug", K_BOOL, 0, 0, 0, NULL},
                                      {"allow_migration_agent", K_BOOL, 0, 0, 0, NULL},
                                      {"allow_smt", K_BOOL, 0, 0, 0, NULL},
                                      {"min_abi", K_OBJECT, 0, 0, 0, snp_abi_keys},
                                      {"min_firmware", K_OBJECT, 0, 0, 0, snp_fw_keys},
                                      {"vmpls", K_UINT_LIST, 0, 3, 0, NULL},
                                      {"host_data", K_HEX_LIST, 0, 0, 32, NULL},
                                      {"family_id", K_HEX_LIST, 0, 0, 16, NULL},
                                      {"image_id", K_HEX_LIST, 0, 0, 16, NULL},
                                      {"min_guest_svn", K_UINT, 0, 0xffffffffLL, 0, NULL},
                                      {"min_tcb", K_OBJECT, 0, 0, 0, snp_tcb_keys},
                                      {"min_committed_tcb", K_OBJECT, 0, 0, 0, snp_tcb_keys},
                                      {"measurements", K_HEX_LIST, 0, 0, 48, NULL},
                                      END};

static const struct key tdx_keys[] = {
    {"quote_versions", K_UINT_LIST, 1, 0xffff, 0, NULL},
    {"allow_debug", K_BOOL, 0, 0, 0, NULL},
    {"require_sept_ve_disable", K_BOOL, 0, 0, 0, NULL},
    {"tcb_status", K_STATUS_MAP, 0, 0, 0, NULL},
    {"rejected_advisory_ids", K_STR_LIST, 0, 0, 0, NULL},
    {"min_tee_tcb_svn", K_SVN_ARRAY, 0, 0, 16, NULL},
    {"min_tcb_evaluation_data_number", K_UINT, 0, 0x7fffffff, 0, NULL},
    {"mr_seam", K_HEX_LIST, 0, 0, 48, NULL},
    {"mr_config_id", K_HEX_LIST, 0, 0, 48, NULL},
    {"mr_owner", K_HEX_LIST, 0, 0, 48, NULL},
    {"mr_owner_config", K_HEX_LIST, 0, 0, 48, NULL},
    {"mr_td", K_HEX_LIST, 0, 0, 48, NULL},
    {"rtmr0", K_HEX_LIST, 0, 0, 48, NULL},
    {"rtmr1", K_HEX_LIST, 0, 0, 48, NULL},
    {"rtmr2", K_HEX_LIST, 0, 0, 48, NULL},
    {"rtmr3", K_HEX_LIST, 0, 0, 48, NULL},
    END};

static const struct key sgx_keys[] = {
    {"quote_versions", K_UINT_LIST, 1, 0xffff, 0, NULL},
    {"allow_debug", K_BOOL, 0, 0, 0, NULL},
    {"tcb_status", K_STATUS_MAP, 0, 0, 0, NULL},
    {"rejected_advisory_ids", K_STR_LIST, 0, 0, 0, NULL},
    {"mr_enclave", K_HEX_LIST, 0, 0, 32, NULL},
    {"mr_signer", K_HEX_LIST, 0, 0, 32, NULL},
    {"isv_prod_id", K_UINT_LIST, 0, 0xffff, 0, NULL},
    {"min_isv_svn", K_UINT, 0, 0xffff, 0, NULL},
    {"min_tcb_evaluation_data_number", K_UINT, 0, 0x7fffffff, 0, NULL},
    END};

static const struct key top_keys[] = {{"id", K_STRING, 0, 0, 0, NULL},
                                      {"require_nonce", K_BOOL, 0, 0, 0, NULL},
                                      {"require_vendor_pinned", K_BOOL, 0, 0, 0, NULL},
                                      {"snp", K_SECTION, 0, 0, 0, snp_keys},
                                      {"tdx", K_SECTION, 0, 0, 0, tdx_keys},
                                      {"sgx", K_SECTION, 0, 0, 0, sgx_keys},
                                      {"resources", K_RAW_ARRAY, 0, 0, 0, NULL},
                                      END};

/* ---- defaults -------------------------------------------------------------------- */

static json_t *default_status_map(void) {
  return json_pack("{s:s}", "UpToDate", "affirming");
}

static json_t *default_policy_json(void) {
  return json_pack("{s:s, s:b, s:b,"
                   " s:{s:[i,i,i], s:b, s:b, s:b},"
                   " s:{s:[i,i], s:b, s:b, s:o},"
                   " s:{s:[i], s:b, s:o}}",
                   "id", DEFAULT_POLICY_ID, "require_nonce", 1,                      //
                   "require_vendor_pinned", 0,                                       //
                   "snp", "report_versions", 2, 3, 5, "allow_debug", 0,              //
                   "allow_migration_agent", 0, "allow_smt", 1,                       //
                   "tdx", "quote_versions", 4, 5, "allow_debug", 0,                  //
                   "require_sept_ve_disable", 0, "tcb_status", default_status_map(), //
                   "sgx", "quote_versions", 3, "allow_debug", 0, "tcb_status",       //
                   default_status_map());
}

/* ---- validation -------------------------------------------------------------------- */

static tc_status bad(tc_error *err, const char *src, const char *path, const char *what) {
  return tc_fail(err, TC_ERR_PARSE, "policy_value_invalid", "%s: %s: %s", src, path, what);
}

/* Key path for messages ("snp.min_tcb.snp"); a path too long for out ends in "...". */
static void join_path(char *out, size_t cap, const char *parent, const char *name) {
  int n = parent[0] ? snprintf(out, cap, "%s.%s", parent, name) : snprintf(out, cap, "%s", name);
  if (n < 0 || (size_t)n >= cap)
    memcpy(out + cap - 4, "...", 4);
}

static int is_uint_in(const json_t *v, long long min, long long max) {
  if (!json_is_integer(v))
    return 0;
  json_int_t i = json_integer_value(v);
  return i >= min && i <= max;
}

/* The keys of `in` against the schema `keys`, normalised into `out` (below). */
static tc_status validate_keys(const struct key *keys, json_t *in, json_t *out, const char *path,
                               const char *src, tc_error *err);

/* One entry e of a list key k at ipath, normalised into *norm (new ref): integers as
 * written, hex in lower case. */
static tc_status validate_item(const struct key *k, json_t *e, const char *ipath, const char *src,
                               json_t **norm, tc_error *err) {
  char msg[200];
  *norm = NULL;
  if (k->kind == K_UINT_LIST || k->kind == K_SVN_ARRAY) {
    long long lo = k->kind == K_SVN_ARRAY ? 0 : k->min;
    long long hi = k->kind == K_SVN_ARRAY ? 255 : k->max;
    if (!is_uint_in(e, lo, hi)) {
      snprintf(msg, sizeof msg, "expected an integer from %lld to %lld", lo, hi);
      return bad(err, src, ipath, msg);
    }
    *norm = json_incref(e);
    return TC_OK;
  }
  if (k->kind == K_STR_LIST) {
    if (!json_is_string(e) || json_string_length(e) == 0)
      return bad(err, src, ipath, "expected a non-empty string");
    *norm = json_incref(e);
    return TC_OK;
  }
  const char *s = json_string_value(e); /* K_HEX_LIST */
  size_t want = 2 * k->nbytes;
  int ok = s && json_string_length(e) == want;
  for (size_t j = 0; ok && j < want; j++)
    ok = isxdigit((unsigned char)s[j]) != 0;
  if (!ok) {
    snprintf(msg, sizeof msg, "expected %zu hex digits (%zu bytes)", want, k->nbytes);
    return bad(err, src, ipath, msg);
  }
  char lower[129];
  for (size_t j = 0; j < want; j++)
    lower[j] = (char)tolower((unsigned char)s[j]);
  lower[want] = '\0';
  *norm = json_string(lower);
  return *norm ? TC_OK : tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "policy");
}

/* K_UINT_LIST, K_HEX_LIST, K_STR_LIST, K_SVN_ARRAY: an array of the right length whose
 * entries each pass validate_item; *out the normalised array. */
static tc_status validate_list(const struct key *k, json_t *v, json_t **out, const char *path,
                               const char *src, tc_error *err) {
  char msg[200];
  if (!json_is_array(v))
    return bad(err, src, path, "expected an array");
  size_t n = json_array_size(v);
  if (k->kind == K_SVN_ARRAY && n != k->nbytes) {
    snprintf(msg, sizeof msg, "expected exactly %zu integers from 0 to 255", k->nbytes);
    return bad(err, src, path, msg);
  }
  if ((k->kind == K_UINT_LIST || k->kind == K_HEX_LIST) && n == 0)
    return bad(err, src, path, "expected a non-empty array (an empty list allows nothing)");
  json_t *arr = json_array();
  if (!arr)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "policy");
  for (size_t i = 0; i < n; i++) {
    char ipath[300];
    int pn = snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
    if (pn < 0 || (size_t)pn >= sizeof ipath)
      memcpy(ipath + sizeof ipath - 4, "...", 4);
    json_t *norm = NULL;
    tc_status st = validate_item(k, json_array_get(v, i), ipath, src, &norm, err);
    if (st == TC_OK && json_array_append_new(arr, norm) != 0)
      st = tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "policy");
    if (st != TC_OK) {
      json_decref(arr);
      return st;
    }
  }
  *out = arr;
  return TC_OK;
}

/* K_OBJECT (replaces the default: at least one key) and K_SECTION (merged into `existing`,
 * the default's section): the keys of k->sub. */
static tc_status validate_object(const struct key *k, json_t *v, json_t *existing, json_t **out,
                                 const char *path, const char *src, tc_error *err) {
  if (!json_is_object(v))
    return bad(err, src, path, "expected an object");
  json_t *obj =
      (k->kind == K_SECTION && json_is_object(existing)) ? json_deep_copy(existing) : json_object();
  if (!obj)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "policy");
  if (k->kind == K_OBJECT && json_object_size(v) == 0) {
    json_decref(obj);
    return bad(err, src, path, "expected at least one key");
  }
  tc_status st = validate_keys(k->sub, v, obj, path, src, err);
  if (st != TC_OK) {
    json_decref(obj);
    return st;
  }
  *out = obj;
  return TC_OK;
}

/* One entry of a K_STATUS_MAP at kpath: an Intel TCB status name (tc_tcb_status_names)
 * mapped to affirming, warning or contraindicated; Revoked only to contraindicated. */
static tc_status validate_status_entry(const char *name, const json_t *val, const char *kpath,
                                       const char *src, tc_error *err) {
  int known = 0;
  for (size_t i = 0; tc_tcb_status_names[i]; i++)
    known |= strcmp(tc_tcb_status_names[i], name) == 0;
  if (!known)
    return tc_fail(err, TC_ERR_PARSE, "policy_unknown_key",
                   "%s: %s: not an Intel TCB status (UpToDate, SWHardeningNeeded, "
                   "ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate, "
                   "OutOfDateConfigurationNeeded, Revoked)",
                   src, kpath);
  int s = tc_ear_status_from_name(json_string_value(val));
  if (s != TC_EAR_AFFIRMING && s != TC_EAR_WARNING && s != TC_EAR_CONTRAINDICATED)
    return bad(err, src, kpath, "expected \"affirming\", \"warning\" or \"contraindicated\"");
  if (strcmp(name, "Revoked") == 0 && s != TC_EAR_CONTRAINDICATED)
    return bad(err, src, kpath, "a revoked TCB can only be \"contraindicated\"");
  return TC_OK;
}

/* K_STATUS_MAP: entries merged into `existing` (else the default map). */
static tc_status validate_status_map(json_t *v, json_t *existing, json_t **out, const char *path,
                                     const char *src, tc_error *err) {
  if (!json_is_object(v))
    return bad(err, src, path, "expected an object mapping TCB status names to ear.status");
  json_t *map = json_is_object(existing) ? json_deep_copy(existing) : default_status_map();
  if (!map)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "policy");
  const char *name;
  json_t *val;
  json_object_foreach(v, name, val) {
    char kpath[300];
    join_path(kpath, sizeof kpath, path, name);
    tc_status st = validate_status_entry(name, val, kpath, src, err);
    if (st == TC_OK && json_object_set(map, name, val) != 0)
      st = tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "policy");
    if (st != TC_OK) {
      json_decref(map);
      return st;
    }
  }
  *out = map;
  return TC_OK;
}

/* Validate one value v of key k at path; store the normalised copy into *out (new ref). */
static tc_status validate_value(const struct key *k, json_t *v, json_t *existing, json_t **out,
                                const char *path, const char *src, tc_error *err) {
  char msg[200];
  *out = NULL;
  switch (k->kind) {
  case K_BOOL:
    if (!json_is_boolean(v))
      return bad(err, src, path, "expected true or false");
    *out = json_incref(v);
    return TC_OK;
  case K_STRING:
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 200)
      return bad(err, src, path, "expected a non-empty string of at most 200 bytes");
    *out = json_incref(v);
    return TC_OK;
  case K_UINT:
    if (!is_uint_in(v, k->min, k->max)) {
      snprintf(msg, sizeof msg, "expected an integer from %lld to %lld", k->min, k->max);
      return bad(err, src, path, msg);
    }
    *out = json_incref(v);
    return TC_OK;
  case K_UINT_LIST:
  case K_HEX_LIST:
  case K_STR_LIST:
  case K_SVN_ARRAY:
    return validate_list(k, v, out, path, src, err);
  case K_OBJECT:
  case K_SECTION:
    return validate_object(k, v, existing, out, path, src, err);
  case K_RAW_ARRAY:
    if (!json_is_array(v))
      return bad(err, src, path, "expected an array");
    *out = json_incref(v);
    return TC_OK;
  case K_STATUS_MAP:
    return validate_status_map(v, existing, out, path, src, err);
  }
  return tc_fail(err, TC_ERR_INTERNAL, "internal_error", "policy schema");
}

static tc_status validate_keys(const struct key *keys, json_t *in, json_t *out, const char *path,
                               const char *src, tc_error *err) {
  const char *name;
  json_t *v;
  json_object_foreach(in, name, v) {
    char kpath[300];
    join_path(kpath, sizeof kpath, path, name);
    const struct key *k = NULL;
    for (size_t i = 0; keys[i].name; i++)
      if (strcmp(keys[i].name, name) == 0)
        k = &keys[i];
    if (!k)
      return tc_fail(err, TC_ERR_PARSE, "policy_unknown_key", "%s: unknown key '%s'", src, kpath);
    json_t *norm = NULL;
    tc_status st = validate_value(k, v, json_object_get(out, name), &norm, kpath, src, err);
    if (st != TC_OK)
      return st;
    if (json_object_set_new(out, name, norm) != 0)
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "policy");
  }
  return TC_OK;
}

/* ---- public ----------------------------------------------------------------------- */

static tc_policy *policy_new(json_t *eff, const char *id) {
  tc_policy *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->eff = eff;
  p->id = strdup(id);
  if (!p->id) {
    free(p);
    return NULL;
  }
  p->require_nonce = json_is_true(json_object_get(eff, "require_nonce"));
  return p;
}

tc_status tc_policy_parse(const char *text, size_t len, const char *source_name, tc_policy **out,
                          tc_error *err) {
  const char *src = source_name ? source_name : "policy";
  if (!out || (!text && len))
    return tc_fail(err, TC_ERR_USAGE, "policy_json_invalid", "%s: no policy text", src);
  *out = NULL;
  /* JSON if the first character that is not white space or a '#' comment line is '{',
   * else YAML. */
  size_t i = 0;
  while (i < len) {
    if (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')
      i++;
    else if (text[i] == '#')
      while (i < len && text[i] != '\n')
        i++;
    else
      break;
  }
  json_t *doc = NULL;
  if (i < len && text[i] == '{') {
    /* leading '#' comment lines are not JSON: parse from the '{', count the lines skipped */
    int skipped = 0;
    for (size_t k = 0; k < i; k++)
      skipped += text[k] == '\n';
    json_error_t jerr;
    doc = json_loadb(text + i, len - i, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
      return tc_fail(err, TC_ERR_PARSE, "policy_json_invalid", "%s:%d:%d: %s", src,
                     jerr.line + skipped, jerr.column, jerr.text);
  } else {
    tc_status yst = policy_yaml_to_json(text ? text : "", len, src, &doc, err);
    if (yst != TC_OK)
      return yst;
  }
  if (!json_is_object(doc)) {
    json_decref(doc);
    return tc_fail(err, TC_ERR_PARSE, "policy_json_invalid",
                   "%s: expected a JSON object / YAML mapping", src);
  }
  json_t *eff = default_policy_json();
  if (!eff) {
    json_decref(doc);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "policy");
  }
  tc_status st = validate_keys(top_keys, doc, eff, "", src, err);
  int has_id = json_is_string(json_object_get(doc, "id"));
  json_decref(doc);
  if (st != TC_OK) {
    json_decref(eff);
    return st;
  }
  char id[80];
  if (!has_id) {
    uint8_t md[TC_SHA256_LEN];
    tc_sha256(text ? text : "", len, md, NULL);
    memcpy(id, "sha256:", 7);
    tc_hex_encode(md, sizeof md, id + 7);
    if (json_object_set_new(eff, "id", json_string(id)) != 0) {
      json_decref(eff);
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "policy");
    }
  }
  tc_policy *p = policy_new(eff, json_string_value(json_object_get(eff, "id")));
  if (!p) {
    json_decref(eff);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "policy");
  }
  *out = p;
  return TC_OK;
}

tc_policy *tc_policy_default(void) {
  json_t *eff = default_policy_json();
  if (!eff)
    return NULL;
  tc_policy *p = policy_new(eff, DEFAULT_POLICY_ID);
  if (!p)
    json_decref(eff);
  return p;
}

const char *tc_policy_id(const tc_policy *p) {
  return p ? p->id : NULL;
}

bool tc_policy_require_nonce(const tc_policy *p) {
  return p ? p->require_nonce : true;
}

const json_t *tc_policy_json(const tc_policy *p) {
  return p ? p->eff : NULL;
}

void tc_policy_free(tc_policy *p) {
  if (!p)
    return;
  json_decref(p->eff);
  free(p->id);
  free(p);
}
