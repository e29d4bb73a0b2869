/* SPDX-License-Identifier: Apache-2.0 */
/* deploy/kubernetes/base/nodefeaturerule.yaml against the feature file the probe writes for
 * every host fixture: the rules are evaluated here the way Node Feature Discovery documents
 * them (docs/usage/customization-guide.md of kubernetes-sigs/node-feature-discovery, 0.16
 * and later), and the extended resources they publish must be exactly those the fixture's
 * expected.json calls for:
 *   - local feature source: features.d lines "<key>[=<value>]" (value "true" when absent),
 *     '#' lines are comments, "# +expiry-time=<RFC 3339>" makes the lines after it count only
 *     before that time, "# +no-label" keeps the lines after it out of local.label; a file
 *     over 64 kB is ignored. The labels are the attribute feature "local.label" (element
 *     name = label name as written).
 *   - a rule matches when every matchFeatures term matches (logical AND), a term when every
 *     matchExpressions entry matches; on an attribute feature "Exists" holds when the element
 *     is there, "IsTrue" / "IsFalse" when its value is "true" / "false", "In" when it is one
 *     of the values, a missing element fails all but "DoesNotExist". Other operators are not
 *     used by the file, and this evaluator refuses them (so a new rule cannot pass
 *     untested).
 *   - extendedResources values "@<feature>.<element>" take the element's value (which must
 *     be a resource quantity: here, a decimal integer), others are literal.
 * Expected, from expected.json and the README's rule ("only on nodes where the probe found
 * that TEE usable": a host with dev/kvm and the TEE enabled end to end):
 *   sev-snp.amd.com/esids = sev.es_asids when sev.snp; tdx.intel.com/keys = tdx.keyids when
 *   tdx.module_initialized; sgx.intel.com/epc = sgx.epc_bytes when sgx.supported, flc, driver
 *   and enabled_in_kvm (and epc_bytes is known). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "configgen/yamljson.h"
#include "teectl/probe.h"
#include "teectl/rfc3339.h"
#include "testlib.h"

static const char *VEC, *DEPLOY;

/* local.label from a feature file's text at time now (seconds since the epoch). */
static json_t *local_labels(const char *text, int64_t now) {
  json_t *labels = json_object();
  if (strlen(text) > 64 * 1024)
    return labels; /* NFD ignores the whole file */
  int expired = 0, no_label = 0;
  const char *p = text;
  while (*p) {
    size_t n = strcspn(p, "\n");
    char line[1024];
    snprintf(line, sizeof line, "%.*s", (int)n, p);
    p += n + (p[n] == '\n');
    if (line[0] == '#') {
      int64_t t;
      tc_error err;
      if (strncmp(line, "# +expiry-time=", 15) == 0) {
        assert_int_equal(tc_rfc3339_parse(line + 15, &t, &err), TC_OK);
        expired = t <= now;
      } else if (strcmp(line, "# +no-label") == 0) {
        no_label = 1;
      }
      continue;
    }
    if (line[0] == '\0' || expired || no_label)
      continue;
    char *eq = strchr(line, '=');
    if (eq != NULL)
      *eq = '\0';
    json_object_set_new(labels, line, json_string(eq ? eq + 1 : "true"));
  }
  return labels;
}

static int expression_matches(const json_t *features, const char *feature, const char *key,
                              const json_t *expr) {
  assert_string_equal(feature, "local.label"); /* the only feature the rules read */
  const json_t *v = json_object_get(features, key);
  const char *op = jstr(expr, "op"), *val = json_string_value(v);
  if (strcmp(op, "Exists") == 0)
    return v != NULL;
  if (strcmp(op, "DoesNotExist") == 0)
    return v == NULL;
  if (strcmp(op, "IsTrue") == 0)
    return val != NULL && strcmp(val, "true") == 0;
  if (strcmp(op, "IsFalse") == 0)
    return val != NULL && strcmp(val, "false") == 0;
  if (strcmp(op, "In") == 0) {
    size_t i;
    const json_t *w;
    json_array_foreach(json_object_get(expr, "value"), i,
                       w) if (val != NULL && strcmp(val, json_string_value(w)) == 0) return 1;
    return 0;
  }
  fail_msg("operator %s is not evaluated by this test: add it", op);
  return 0;
}

/* The extended resources the NodeFeatureRule publishes for these local labels. */
static json_t *evaluate(const json_t *rule_doc, const json_t *labels) {
  json_t *out = json_object();
  size_t r;
  const json_t *rule;
  json_array_foreach(jpath(rule_doc, "spec.rules"), r, rule) {
    assert_null(json_object_get(rule, "matchAny")); /* not evaluated here */
    int match = 1;
    size_t t;
    const json_t *term;
    json_array_foreach(json_object_get(rule, "matchFeatures"), t, term) {
      assert_null(json_object_get(term, "matchName"));
      const char *key;
      const json_t *expr;
      json_object_foreach((json_t *)json_object_get(term, "matchExpressions"), key, expr) match &=
          expression_matches(labels, jstr(term, "feature"), key, expr);
    }
    if (!match)
      continue;
    const char *name;
    const json_t *value;
    json_object_foreach((json_t *)json_object_get(rule, "extendedResources"), name, value) {
      const char *s = json_string_value(value);
      if (s[0] == '@') {
        assert_true(strncmp(s, "@local.label.", 13) == 0);
        s = json_string_value(json_object_get(labels, s + 13));
        assert_non_null(s); /* the rule checked Exists */
      }
      assert_true(s[0] != '\0' && strspn(s, "0123456789") == strlen(s)); /* a quantity */
      json_object_set_new(out, name, json_string(s));
    }
  }
  return out;
}

static int jb(const json_t *e, const char *obj, const char *key) {
  return json_is_true(json_object_get(json_object_get(e, obj), key));
}

/* What expected.json says NFD should publish. */
static json_t *expected_resources(const json_t *e) {
  json_t *out = json_object();
  int host = strcmp(json_string_value(json_object_get(e, "role")), "host") == 0;
  if (!host || !json_is_true(json_object_get(e, "kvm")))
    return out;
  char num[32];
  const json_t *sev = json_object_get(e, "sev"), *tdx = json_object_get(e, "tdx"),
               *sgx = json_object_get(e, "sgx");
  if (jb(e, "sev", "snp")) {
    snprintf(num, sizeof num, "%lld",
             (long long)json_integer_value(json_object_get(sev, "es_asids")));
    json_object_set_new(out, "sev-snp.amd.com/esids", json_string(num));
  }
  if (jb(e, "tdx", "module_initialized")) {
    snprintf(num, sizeof num, "%lld",
             (long long)json_integer_value(json_object_get(tdx, "keyids")));
    json_object_set_new(out, "tdx.intel.com/keys", json_string(num));
  }
  if (jb(e, "sgx", "supported") && jb(e, "sgx", "flc") && jb(e, "sgx", "driver") &&
      jb(e, "sgx", "enabled_in_kvm") && json_is_integer(json_object_get(sgx, "epc_bytes"))) {
    snprintf(num, sizeof num, "%lld",
             (long long)json_integer_value(json_object_get(sgx, "epc_bytes")));
    json_object_set_new(out, "sgx.intel.com/epc", json_string(num));
  }
  return out;
}

static json_t *load_rule(void) {
  char *path = test_path(DEPLOY, "kubernetes/base/nodefeaturerule.yaml");
  tc_buf b = test_read_file(path);
  free(path);
  char e[256];
  json_t *docs = yaml_to_json((const char *)b.data, b.len, e, sizeof e);
  tc_buf_free(&b);
  assert_non_null(docs);
  assert_int_equal(json_array_size(docs), 1);
  json_t *rule = json_incref(json_array_get(docs, 0));
  json_decref(docs);
  assert_string_equal(jstr(rule, "kind"), "NodeFeatureRule");
  return rule;
}

/* The feature file of a fixture, written as the DaemonSet writes it (expiry 1800 s ahead of
 * now). */
static char *feature_file(const char *host, int64_t now, json_t **expected) {
  char rel[512];
  snprintf(rel, sizeof rel, "hosts/%s", host);
  char *dir = test_path(VEC, rel);
  char *root = test_path(dir, "root"), *cpuid = test_path(dir, "cpuid.txt"),
       *devs = test_path(dir, "DEVICES.txt"), *exp = test_path(dir, "expected.json");
  tc_probe_opts o = {.root = root, .cpuid_file = cpuid, .char_devices_file = devs};
  json_t *p = NULL;
  tc_error err;
  if (tc_probe_run(&o, &p, &err) != TC_OK)
    fail_msg("%s: %s", host, err.detail);
  char *text = tc_probe_nfd_text(p, now + 1800);
  json_decref(p);
  tc_buf b = test_read_file(exp);
  *expected = json_loadb((const char *)b.data, b.len, 0, NULL);
  tc_buf_free(&b);
  free(dir);
  free(root);
  free(cpuid);
  free(devs);
  free(exp);
  return text;
}

/* Every fixture: the rule publishes exactly the resources expected.json calls for; once the
 * file's expiry has passed, none. At least one fixture publishes each resource (so the test
 * would see a rule that never fires). */
static void test_capacity_per_fixture(void **state) {
  (void)state;
  json_t *rule = load_rule();
  char *hosts = test_path(VEC, "hosts");
  DIR *d = opendir(hosts);
  assert_non_null(d);
  const int64_t now = 1767225600; /* 2026-01-01T00:00:00Z */
  json_t *seen = json_object();
  struct dirent *de;
  int n = 0;
  while ((de = readdir(d)) != NULL) {
    char exp_rel[512];
    struct stat st;
    snprintf(exp_rel, sizeof exp_rel, "%s/%s/expected.json", hosts, de->d_name);
    if (de->d_name[0] == '.' || stat(exp_rel, &st) != 0)
      continue;
    json_t *e = NULL;
    char *text = feature_file(de->d_name, now, &e);
    json_t *labels = local_labels(text, now);
    json_t *got = evaluate(rule, labels), *want = expected_resources(e);
    char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT),
         *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
    print_message("%s: %s\n", de->d_name, g);
    if (!json_equal(got, want))
      fail_msg("%s: the rule publishes %s, expected.json calls for %s\nfeature file:\n%s",
               de->d_name, g, w, text);
    json_object_update(seen, got);
    json_decref(labels);
    json_decref(got);
    /* past the expiry NFD takes none of the file's labels: no resources */
    labels = local_labels(text, now + 1800);
    got = evaluate(rule, labels);
    assert_int_equal(json_object_size(got), 0);
    json_decref(labels);
    json_decref(got);
    json_decref(want);
    json_decref(e);
    free(g);
    free(w);
    free(text);
    n++;
  }
  closedir(d);
  assert_true(n >= 5);
  assert_non_null(json_object_get(seen, "sev-snp.amd.com/esids"));
  assert_non_null(json_object_get(seen, "tdx.intel.com/keys"));
  assert_non_null(json_object_get(seen, "sgx.intel.com/epc"));
  json_decref(seen);
  json_decref(rule);
  free(hosts);
}

/* The evaluator itself: IsTrue wants "true", Exists the key, a line after "# +no-label" is no
 * label, an expired section drops its lines. */
static void test_evaluator(void **state) {
  (void)state;
  json_t *rule = load_rule();
  const int64_t now = 1767225600;
  json_t *l = local_labels("teectl.io/sev-snp=false\nteectl.io/sev-es-asids=99\n", now);
  json_t *r = evaluate(rule, l);
  assert_int_equal(json_object_size(r), 0);
  json_decref(l);
  json_decref(r);
  l = local_labels("teectl.io/sev-snp\nteectl.io/sev-es-asids=99\n", now); /* value "true" */
  r = evaluate(rule, l);
  assert_string_equal(json_string_value(json_object_get(r, "sev-snp.amd.com/esids")), "99");
  json_decref(l);
  json_decref(r);
  l = local_labels("teectl.io/tdx=true\n# +no-label\nteectl.io/tdx-keyids=63\n", now);
  r = evaluate(rule, l);
  assert_int_equal(json_object_size(r), 0);
  json_decref(l);
  json_decref(r);
  l = local_labels("# +expiry-time=2025-01-01T00:00:00Z\nteectl.io/sgx=true\n"
                   "teectl.io/sgx-epc-bytes=4096\n",
                   now);
  r = evaluate(rule, l);
  assert_int_equal(json_object_size(r), 0);
  json_decref(l);
  json_decref(r);
  json_decref(rule);
}

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--deploy"))
      DEPLOY = argv[i + 1];
  if (DEPLOY == NULL) {
    fprintf(stderr, "usage: %s --deploy DIR\n", argv[0]);
    return 2;
  }
  VEC = test_vectors_dir(argc, argv, "hosts");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_evaluator),
      cmocka_unit_test(test_capacity_per_fixture),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
