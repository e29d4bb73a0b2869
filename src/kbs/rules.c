/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — resource policy: the appraisal policy's "resources" list. The first rule whose
 * path matches decides; no matching rule denies (fail closed). Format: docs/kbs.md. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "teectl/appraisal.h"
#include "teectl/kbs.h"

typedef struct rule {
  char *part[3];        /* repository, type, tag patterns: "*", "prefix*" or an exact name */
  unsigned tees;        /* bit (1 << tc_tee) per allowed TEE; 0: any */
  int worst;            /* worst accepted ear.status (TC_EAR_AFFIRMING or TC_EAR_WARNING) */
  json_t *measurements; /* array of lower-case hex strings, or NULL: any */
  json_t *init_data;    /* likewise; an empty array: no init-data */
} rule;

struct tc_kbs_rules {
  rule *r;
  size_t n;
};

void tc_kbs_rules_free(tc_kbs_rules *rs) {
  if (!rs)
    return;
  for (size_t i = 0; i < rs->n; i++) {
    for (int k = 0; k < 3; k++)
      free(rs->r[i].part[k]);
    json_decref(rs->r[i].measurements);
    json_decref(rs->r[i].init_data);
  }
  free(rs->r);
  free(rs);
}

static tc_status bad(tc_error *err, size_t i, const char *key, const char *what) {
  return tc_fail(err, TC_ERR_PARSE, "resource_rules_invalid", "resources[%zu]%s%s: %s", i,
                 key ? "." : "", key ? key : "", what);
}

/* A pattern part: "*", a name, or a name prefix ending in '*'. */
static int pattern_ok(const char *s, size_t n) {
  if (n == 0 || n > TC_KBS_NAME_MAX)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '-' || (c == '*' && i == n - 1);
    if (!ok)
      return 0;
  }
  return 1;
}

static tc_status parse_path(const char *path, rule *r, size_t i, tc_error *err) {
  const char *p = path;
  for (int k = 0; k < 3; k++) {
    const char *end = k < 2 ? strchr(p, '/') : p + strlen(p);
    if (!end || !pattern_ok(p, (size_t)(end - p)))
      return bad(err, i, "path",
                 "expected <repository>/<type>/<tag>, each a name of [A-Za-z0-9._-], \"*\" or "
                 "a prefix ending in \"*\"");
    r->part[k] = strndup(p, (size_t)(end - p));
    if (!r->part[k])
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "resource rules");
    p = end + 1;
  }
  return TC_OK;
}

/* A list of hex strings, lower-cased into a new array. */
static tc_status hex_list(const json_t *v, const char *key, size_t i, json_t **out, tc_error *err) {
  if (!json_is_array(v))
    return bad(err, i, key, "expected a list of hex strings");
  *out = json_array();
  size_t j;
  json_t *x;
  json_array_foreach(v, j, x) {
    const char *s = json_string_value(x);
    size_t n = s ? strlen(s) : 0;
    char buf[129];
    if (!s || n == 0 || n > 128 || n % 2)
      return bad(err, i, key, "each entry must be 2..128 hex digits");
    for (size_t k = 0; k <= n; k++) {
      char c = s[k];
      if (k < n && tc_hex_digit((unsigned char)c) < 0)
        return bad(err, i, key, "each entry must be 2..128 hex digits");
      buf[k] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    if (json_array_append_new(*out, json_string(buf)) != 0)
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "resource rules");
  }
  return TC_OK;
}

static tc_status parse_rule(const json_t *o, rule *r, size_t i, tc_error *err) {
  if (!json_is_object(o))
    return bad(err, i, NULL, "expected an object");
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)o, key, v) {
    if (strcmp(key, "path") && strcmp(key, "tee") && strcmp(key, "min_status") &&
        strcmp(key, "measurements") && strcmp(key, "init_data"))
      return bad(err, i, key, "unknown key");
  }
  const char *path = json_string_value(json_object_get(o, "path"));
  if (!path)
    return bad(err, i, "path", "required string");
  tc_status st = parse_path(path, r, i, err);
  if (st != TC_OK)
    return st;
  r->worst = TC_EAR_AFFIRMING;
  const json_t *ms = json_object_get(o, "min_status");
  if (ms) {
    const char *s = json_string_value(ms);
    if (s && strcmp(s, "affirming") == 0)
      r->worst = TC_EAR_AFFIRMING;
    else if (s && strcmp(s, "warning") == 0)
      r->worst = TC_EAR_WARNING;
    else
      return bad(err, i, "min_status", "expected \"affirming\" or \"warning\"");
  }
  const json_t *tees = json_object_get(o, "tee");
  if (tees) {
    size_t j;
    json_t *x;
    if (!json_is_array(tees) || json_array_size(tees) == 0)
      return bad(err, i, "tee", "expected a non-empty list of \"snp\", \"tdx\", \"sgx\"");
    json_array_foreach(tees, j, x) {
      const char *t = json_string_value(x);
      if (!t || (strcmp(t, "snp") && strcmp(t, "tdx") && strcmp(t, "sgx")))
        return bad(err, i, "tee", "expected a non-empty list of \"snp\", \"tdx\", \"sgx\"");
      r->tees |= 1u << tc_tee_from_name(t);
    }
  }
  if (json_object_get(o, "measurements") &&
      (st = hex_list(json_object_get(o, "measurements"), "measurements", i, &r->measurements,
                     err)) != TC_OK)
    return st;
  if (json_object_get(o, "init_data") &&
      (st = hex_list(json_object_get(o, "init_data"), "init_data", i, &r->init_data, err)) != TC_OK)
    return st;
  return TC_OK;
}

tc_status tc_kbs_rules_parse(const json_t *rules, tc_kbs_rules **out, tc_error *err) {
  *out = NULL;
  if (rules && !json_is_array(rules))
    return tc_fail(err, TC_ERR_PARSE, "resource_rules_invalid", "resources: expected a list");
  tc_kbs_rules *rs = calloc(1, sizeof *rs);
  size_t n = rules ? json_array_size(rules) : 0;
  if (!rs || !(rs->r = calloc(n ? n : 1, sizeof *rs->r))) {
    free(rs);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "resource rules");
  }
  for (size_t i = 0; i < n; i++) {
    rs->n = i + 1;
    tc_status st = parse_rule(json_array_get(rules, i), &rs->r[i], i, err);
    if (st != TC_OK) {
      tc_kbs_rules_free(rs);
      return st;
    }
  }
  rs->n = n;
  *out = rs;
  return TC_OK;
}

static int part_matches(const char *pat, const char *name) {
  size_t n = strlen(pat);
  if (n && pat[n - 1] == '*')
    return strncmp(pat, name, n - 1) == 0;
  return strcmp(pat, name) == 0;
}

static int in_list(const json_t *list, const char *hex) {
  size_t j;
  json_t *x;
  json_array_foreach(list, j, x) {
    if (strcasecmp(json_string_value(x), hex) == 0)
      return 1;
  }
  return 0;
}

tc_status tc_kbs_rules_judge(const tc_kbs_rules *rs, const char *repo, const char *type,
                             const char *tag, const tc_kbs_grant *g, int *rule_index,
                             tc_error *err) {
  *rule_index = -1;
  for (size_t i = 0; rs && i < rs->n; i++) {
    const rule *r = &rs->r[i];
    if (!part_matches(r->part[0], repo) || !part_matches(r->part[1], type) ||
        !part_matches(r->part[2], tag))
      continue;
    *rule_index = (int)i;
    const char *why = NULL;
    if (r->tees && !(r->tees & (1u << g->tee)))
      why = "tee not allowed";
    else if (g->status != TC_EAR_AFFIRMING &&
             !(g->status == TC_EAR_WARNING && r->worst == TC_EAR_WARNING))
      why = "attestation result status below min_status";
    else if (r->measurements && !in_list(r->measurements, g->measurement ? g->measurement : ""))
      why = "measurement not in the rule's measurements";
    else if (r->init_data && g->init_data && strcmp(g->init_data, TC_KBS_INIT_DATA_UNBOUND) == 0)
      why = "HOST_DATA / MRCONFIGID is set but no init-data was sent to check it against";
    else if (r->init_data && json_array_size(r->init_data) == 0 && g->init_data && g->init_data[0])
      why = "init-data present but the rule allows none";
    else if (r->init_data && json_array_size(r->init_data) > 0 &&
             !in_list(r->init_data, g->init_data ? g->init_data : ""))
      why = "init-data digest not in the rule's init_data";
    if (why)
      return tc_fail(err, TC_ERR_VERIFY, "policy_denied", "resources[%zu] (%s/%s/%s): %s", i,
                     r->part[0], r->part[1], r->part[2], why);
    return TC_OK;
  }
  return tc_fail(err, TC_ERR_VERIFY, "policy_denied", "no resource rule matches %s/%s/%s", repo,
                 type, tag);
}
