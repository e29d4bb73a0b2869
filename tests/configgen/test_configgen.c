/* SPDX-License-Identifier: Apache-2.0 */
/* Generated configuration checked against the real Kata Containers / kata-deploy data in
 * vectors/kata (read in place), never against our own output:
 *  - Kata TOML: every key we write has the upstream rendered template's value; the
 *    TEE-relevant keys (those whose value differs between configuration-qemu.toml and the
 *    snp/tdx template, computed here from the two files) are all present with the
 *    template's value, or absent when the TEE template drops them.
 *  - containerd: the same plugin section names, runtime_type, runtime_path, annotations,
 *    ConfigPath (and v3 runtime_platforms) as kata-deploy's v2/v3 drop-ins.
 *  - RuntimeClasses: kata-deploy's handler names and overheads; the nodeSelector TEE label
 *    is one that the host fixtures' expected.json says NFD publishes on such a host. */
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

#include "teectl/kataconfig.h"
#include "teectl/toml.h"
#include "testlib.h"
#include "yamljson.h"

static const char *vectors;

static tc_toml_doc *parse_toml_text(const char *what, const char *text, size_t len) {
  tc_toml_doc *d = NULL;
  tc_error err;
  tc_error_clear(&err);
  if (tc_toml_parse(text, len, 0, &d, &err) != TC_OK)
    fail_msg("%s: %s: %s", what, err.reason, err.detail);
  return d;
}

static tc_toml_doc *parse_toml_file(const char *rel) {
  char *p = test_path(vectors, rel);
  tc_buf b = test_read_file(p);
  tc_toml_doc *d = parse_toml_text(p, (const char *)b.data, b.len);
  tc_buf_free(&b);
  free(p);
  return d;
}

static json_t *tagged(const tc_toml_value *v) {
  return v ? tc_toml_to_tagged_json(v) : NULL;
}

static int same_value(const tc_toml_value *a, const tc_toml_value *b) {
  json_t *ja = tagged(a), *jb = tagged(b);
  int eq = ja && jb && json_equal(ja, jb);
  json_decref(ja);
  json_decref(jb);
  return eq;
}

static char *show(const tc_toml_value *v) {
  json_t *j = tagged(v);
  char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("(absent)");
  json_decref(j);
  return s;
}

static const char *const sections[] = {"hypervisor.qemu", "agent.kata", "runtime"};

typedef struct variant {
  tc_platform platform;
  tc_kata_runtime runtime;
  const char *tee_template; /* rendered template for the platform */
  const char *plain_template;
} variant;

static const variant variants[] = {
    {TC_PLATFORM_SNP, TC_KATA_GO, "kata/rendered/configuration-qemu-snp.toml",
     "kata/rendered/configuration-qemu.toml"},
    {TC_PLATFORM_TDX, TC_KATA_GO, "kata/rendered/configuration-qemu-tdx.toml",
     "kata/rendered/configuration-qemu.toml"},
    {TC_PLATFORM_SNP, TC_KATA_RS, "kata/rendered/runtime-rs/configuration-qemu-snp-runtime-rs.toml",
     "kata/rendered/runtime-rs/configuration-qemu-runtime-rs.toml"},
    {TC_PLATFORM_TDX, TC_KATA_RS, "kata/rendered/runtime-rs/configuration-qemu-tdx-runtime-rs.toml",
     "kata/rendered/runtime-rs/configuration-qemu-runtime-rs.toml"},
    {TC_PLATFORM_SGX, TC_KATA_GO, "kata/rendered/configuration-qemu.toml", NULL},
    {TC_PLATFORM_SGX, TC_KATA_RS, "kata/rendered/runtime-rs/configuration-qemu-runtime-rs.toml",
     NULL},
    {TC_PLATFORM_NONE, TC_KATA_GO, "kata/rendered/configuration-qemu.toml", NULL},
};

static void test_kata_matches_templates(void **state) {
  (void)state;
  for (size_t vi = 0; vi < sizeof variants / sizeof variants[0]; vi++) {
    const variant *v = &variants[vi];
    tc_gen_opts o = {.runtime = v->runtime};
    char *text = NULL;
    tc_error err;
    assert_int_equal(tc_gen_kata_config(v->platform, &o, &text, &err), TC_OK);
    char what[128];
    snprintf(what, sizeof what, "generated %s/%s", tc_platform_name(v->platform),
             v->runtime == TC_KATA_RS ? "rs" : "go");
    tc_toml_doc *ours = parse_toml_text(what, text, strlen(text));
    tc_toml_doc *tee = parse_toml_file(v->tee_template);
    int bad = 0, compared = 0;
    /* 1. every key we write has the template's value */
    for (size_t s = 0; s < 3; s++) {
      const tc_toml_value *ot = tc_toml_path(ours->root, sections[s]);
      const tc_toml_value *tt = tc_toml_path(tee->root, sections[s]);
      assert_non_null(ot);
      assert_non_null(tt);
      for (size_t i = 0; i < ot->u.table.len; i++) {
        const tc_toml_entry *e = &ot->u.table.items[i];
        const tc_toml_entry *t = tc_toml_get(tt, e->key);
        compared++;
        if (t == NULL || !same_value(e->value, t->value)) {
          char *a = show(e->value), *b = show(t ? t->value : NULL);
          fprintf(stderr, "%s: [%s] %s = %s, template %s has %s\n", what, sections[s], e->key, a,
                  v->tee_template, b);
          free(a);
          free(b);
          bad++;
        }
      }
    }
    /* runtime-rs TEE templates add the coco guest extension image */
    const tc_toml_value *ext_t = tc_toml_path(tee->root, "hypervisor.qemu.guest_extension_images");
    const tc_toml_value *ext_o = tc_toml_path(ours->root, "hypervisor.qemu.guest_extension_images");
    if ((ext_t != NULL) != (ext_o != NULL) || (ext_t && !same_value(ext_t, ext_o))) {
      fprintf(stderr, "%s: guest_extension_images differ from %s\n", what, v->tee_template);
      bad++;
    }
    /* 2. the TEE-relevant keys, computed from the plain and TEE templates */
    if (v->plain_template) {
      tc_toml_doc *plain = parse_toml_file(v->plain_template);
      int relevant = 0;
      for (size_t s = 0; s < 3; s++) {
        const tc_toml_value *pt = tc_toml_path(plain->root, sections[s]);
        const tc_toml_value *tt = tc_toml_path(tee->root, sections[s]);
        const tc_toml_value *ot = tc_toml_path(ours->root, sections[s]);
        for (int pass = 0; pass < 2; pass++) {
          const tc_toml_value *from = pass == 0 ? tt : pt;
          for (size_t i = 0; i < from->u.table.len; i++) {
            const char *key = from->u.table.items[i].key;
            const tc_toml_entry *te = tc_toml_get(tt, key), *pe = tc_toml_get(pt, key);
            if (pass == 1 && te != NULL)
              continue; /* seen in pass 0 */
            if (te && pe && same_value(te->value, pe->value))
              continue;
            if (te && te->value->type == TC_TOML_TABLE)
              continue;
            relevant++;
            const tc_toml_entry *oe = tc_toml_get(ot, key);
            if (te == NULL ? oe != NULL : (oe == NULL || !same_value(oe->value, te->value))) {
              char *a = show(oe ? oe->value : NULL), *b = show(te ? te->value : NULL);
              fprintf(stderr, "%s: TEE-relevant [%s] %s: ours %s, %s has %s\n", what, sections[s],
                      key, a, v->tee_template, b);
              free(a);
              free(b);
              bad++;
            }
          }
        }
      }
      assert_true(relevant >= 10); /* the templates really differ in these keys */
      tc_toml_doc_free(plain);
    }
    /* 3. never cbitpos / reduced-phys-bits; SGX has no TOML key */
    const tc_toml_value *acc = tc_toml_path(ours->root, "hypervisor.qemu.machine_accelerators");
    assert_non_null(acc);
    assert_null(strstr(acc->u.str.ptr, "cbitpos"));
    assert_null(strstr(acc->u.str.ptr, "reduced-phys-bits"));
    if (v->platform == TC_PLATFORM_SGX || v->platform == TC_PLATFORM_NONE) {
      const tc_toml_value *cg = tc_toml_path(ours->root, "hypervisor.qemu.confidential_guest");
      assert_true(cg == NULL || cg->u.boolean == 0);
      for (size_t s = 0; s < 3; s++) {
        const tc_toml_value *ot = tc_toml_path(ours->root, sections[s]);
        for (size_t i = 0; i < ot->u.table.len; i++)
          if (strstr(ot->u.table.items[i].key, "sgx") || strstr(ot->u.table.items[i].key, "epc"))
            fail_msg("%s: SGX key %s in TOML", what, ot->u.table.items[i].key);
      }
    }
    fprintf(stderr, "%s: %d keys compared with %s, %d mismatches\n", what, compared,
            v->tee_template, bad);
    assert_int_equal(bad, 0);
    tc_toml_doc_free(tee);
    tc_toml_doc_free(ours);
    free(text);
  }
}

/* ---- containerd ---- */

static void check_containerd(int version, tc_kata_runtime rt) {
  char rel[128];
  snprintf(rel, sizeof rel, "kata/deploy/containerd-v%d-kata-deploy-dropin.toml", version);
  tc_toml_doc *kd = parse_toml_file(rel);
  const tc_platform ps[] = {TC_PLATFORM_SNP, TC_PLATFORM_TDX};
  tc_gen_opts o = {
      .runtime = rt, .containerd_version = version, .snapshotter = "nydus-for-kata-tee"};
  char *text = NULL;
  tc_error err;
  assert_int_equal(tc_gen_containerd_dropin(ps, 2, &o, &text, &err), TC_OK);
  assert_null(strstr(text, "io.containerd.runtime.v1"));
  tc_toml_doc *ours = parse_toml_text("generated containerd", text, strlen(text));
  assert_null(tc_toml_get(ours->root, "version")); /* the main config.toml carries it */
  /* the same top-level plugin ids, and ours are a subset of kata-deploy's */
  const tc_toml_value *op = tc_toml_path(ours->root, "plugins");
  const tc_toml_value *kp = tc_toml_path(kd->root, "plugins");
  assert_non_null(op);
  for (size_t i = 0; i < op->u.table.len; i++)
    if (tc_toml_get(kp, op->u.table.items[i].key) == NULL)
      fail_msg("v%d: plugin section '%s' is not in kata-deploy's drop-in", version,
               op->u.table.items[i].key);
  const char *cri = version == 2 ? "io.containerd.grpc.v1.cri" : "io.containerd.cri.v1.runtime";
  const tc_toml_entry *ocri = tc_toml_get(op, cri), *kcri = tc_toml_get(kp, cri);
  assert_non_null(ocri);
  assert_non_null(kcri);
  const tc_toml_value *oruns = tc_toml_path(ocri->value, "containerd.runtimes");
  const tc_toml_value *kruns = tc_toml_path(kcri->value, "containerd.runtimes");
  assert_non_null(oruns);
  assert_int_equal(oruns->u.table.len, 3);
  for (size_t i = 0; i < oruns->u.table.len; i++) {
    const char *h = oruns->u.table.items[i].key;
    const tc_toml_value *mine = oruns->u.table.items[i].value;
    const tc_toml_entry *theirs = tc_toml_get(kruns, h);
    if (theirs == NULL)
      fail_msg("v%d: handler %s is not a kata-deploy handler", version, h);
    /* every key kata-deploy writes, with its value (options table included) */
    const tc_toml_value *tv = theirs->value;
    for (size_t k = 0; k < tv->u.table.len; k++) {
      const tc_toml_entry *te = &tv->u.table.items[k];
      const tc_toml_entry *me = tc_toml_get(mine, te->key);
      if (me == NULL || !same_value(me->value, te->value)) {
        char *a = show(me ? me->value : NULL), *b = show(te->value);
        fail_msg("v%d %s: %s = %s, kata-deploy has %s", version, h, te->key, a, b);
      }
    }
    if (tv->u.table.len != mine->u.table.len)
      fail_msg("v%d %s: %zu keys, kata-deploy has %zu", version, h, mine->u.table.len,
               tv->u.table.len);
  }
  /* v3 only: the images plugin's runtime_platforms for the snapshotter */
  const tc_toml_entry *oimg = tc_toml_get(op, "io.containerd.cri.v1.images");
  if (version == 2) {
    assert_null(oimg);
  } else {
    assert_non_null(oimg);
    const tc_toml_value *rp = tc_toml_path(oimg->value, "runtime_platforms");
    const tc_toml_value *krp =
        tc_toml_path(tc_toml_get(kp, "io.containerd.cri.v1.images")->value, "runtime_platforms");
    assert_non_null(rp);
    for (size_t i = 0; i < rp->u.table.len; i++) {
      const tc_toml_entry *t = tc_toml_get(krp, rp->u.table.items[i].key);
      assert_non_null(t);
      assert_true(same_value(rp->u.table.items[i].value, t->value));
    }
    assert_int_equal(rp->u.table.len, 2); /* snp and tdx, not plain kata-qemu */
  }
  tc_toml_doc_free(ours);
  tc_toml_doc_free(kd);
  free(text);
}

static void test_containerd_matches_kata_deploy(void **state) {
  (void)state;
  check_containerd(2, TC_KATA_GO);
  check_containerd(3, TC_KATA_GO);
  check_containerd(2, TC_KATA_RS);
  check_containerd(3, TC_KATA_RS);
}

static void test_containerd_sgx_and_errors(void **state) {
  (void)state;
  const tc_platform sgx[] = {TC_PLATFORM_SGX};
  tc_gen_opts o = {.containerd_version = 2};
  char *text = NULL;
  tc_error err;
  assert_int_equal(tc_gen_containerd_dropin(sgx, 1, &o, &text, &err), TC_OK);
  tc_toml_doc *d = parse_toml_text("sgx", text, strlen(text));
  const tc_toml_value *pa = tc_toml_path(
      tc_toml_get(tc_toml_path(d->root, "plugins"), "io.containerd.grpc.v1.cri")->value,
      "containerd.runtimes.kata-qemu.pod_annotations");
  assert_non_null(pa);
  assert_int_equal(pa->type, TC_TOML_ARRAY);
  int found = 0;
  for (size_t i = 0; i < pa->u.array.len; i++)
    found |= strcmp(pa->u.array.items[i]->u.str.ptr, "sgx.intel.com/epc") == 0;
  assert_true(found);
  tc_toml_doc_free(d);
  free(text);
  o.containerd_version = 1;
  assert_int_equal(tc_gen_containerd_dropin(sgx, 1, &o, &text, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "bad_option");
  assert_null(text);
  o.containerd_version = 3;
  o.prefix = "relative/path";
  assert_int_equal(tc_gen_containerd_dropin(sgx, 1, &o, &text, &err), TC_ERR_USAGE);
  o.prefix = "/opt/\"x";
  assert_int_equal(tc_gen_kata_config(TC_PLATFORM_SNP, &o, &text, &err), TC_ERR_USAGE);
  o.prefix = NULL;
  o.snapshotter = "a\"b";
  assert_int_equal(tc_gen_containerd_dropin(sgx, 1, &o, &text, &err), TC_ERR_USAGE);
}

/* ---- RuntimeClasses ---- */

static json_t *load_yaml_file(const char *path) {
  tc_buf b = test_read_file(path);
  char e[256];
  json_t *docs = yaml_to_json((const char *)b.data, b.len, e, sizeof e);
  tc_buf_free(&b);
  if (docs == NULL)
    fail_msg("%s: %s", path, e);
  return docs;
}

static const json_t *find_named(const json_t *docs, const char *name) {
  size_t i;
  const json_t *d;
  json_array_foreach(docs, i, d) {
    const char *n = jstr(d, "metadata.name");
    if (n && strcmp(n, name) == 0)
      return d;
  }
  return NULL;
}

/* The NFD labels the host fixture for a platform expects (expected.json nfd_labels). */
static json_t *fixture_labels(const char *host) {
  char rel[128];
  snprintf(rel, sizeof rel, "hosts/%s/expected.json", host);
  char *p = test_path(vectors, rel);
  json_error_t je;
  json_t *e = json_load_file(p, 0, &je);
  if (e == NULL)
    fail_msg("%s: %s", p, je.text);
  free(p);
  json_t *l = json_incref(json_object_get(e, "nfd_labels"));
  json_decref(e);
  return l;
}

/* RuntimeClasses for SNP, TDX and SGX with options o, parsed (YAML documents). */
static json_t *gen_runtimeclasses(const tc_gen_opts *o) {
  const tc_platform ps[] = {TC_PLATFORM_SNP, TC_PLATFORM_TDX, TC_PLATFORM_SGX};
  char *text = NULL;
  tc_error err;
  assert_int_equal(tc_gen_runtimeclasses(ps, 3, o, &text, &err), TC_OK);
  char e[256];
  json_t *docs = yaml_to_json(text, strlen(text), e, sizeof e);
  if (docs == NULL)
    fail_msg("generated RuntimeClasses: %s", e);
  free(text);
  return docs;
}

static void test_runtimeclasses_match_kata_deploy(void **state) {
  (void)state;
  char *p = test_path(vectors, "kata/deploy/runtimeclasses-rendered-default.yaml");
  json_t *kd = load_yaml_file(p);
  free(p);
  const struct {
    tc_platform p;
    const char *host;
  } tee[] = {{TC_PLATFORM_SNP, "milan-snp-host"},
             {TC_PLATFORM_TDX, "tdx-host"},
             {TC_PLATFORM_SGX, "sgx-host-icelake"}};
  for (int rs = 0; rs < 2; rs++) {
    tc_gen_opts o = {.runtime = rs ? TC_KATA_RS : TC_KATA_GO};
    json_t *ours = gen_runtimeclasses(&o);
    assert_int_equal(json_array_size(ours), 4);
    size_t i;
    const json_t *d;
    json_array_foreach(ours, i, d) {
      assert_string_equal(jstr(d, "apiVersion"), "node.k8s.io/v1");
      assert_string_equal(jstr(d, "kind"), "RuntimeClass");
      const char *handler = jstr(d, "handler");
      assert_non_null(handler);
      /* the handler and its overhead are kata-deploy's */
      const json_t *k = find_named(kd, handler);
      if (k == NULL)
        fail_msg("handler %s is not a kata-deploy RuntimeClass", handler);
      assert_string_equal(jstr(k, "handler"), handler);
      assert_string_equal(jstr(d, "overhead.podFixed.memory"), jstr(k, "overhead.podFixed.memory"));
      assert_string_equal(jstr(d, "overhead.podFixed.cpu"), jstr(k, "overhead.podFixed.cpu"));
      const json_t *sel = jpath(d, "scheduling.nodeSelector");
      assert_string_equal(json_string_value(json_object_get(sel, "katacontainers.io/kata-runtime")),
                          "true");
    }
    /* each TEE class selects on a label NFD publishes on that kind of host */
    for (size_t t = 0; t < 3; t++) {
      const char *name = tee[t].p == TC_PLATFORM_SGX
                             ? (rs ? "kata-qemu-sgx-runtime-rs" : "kata-qemu-sgx")
                             : tc_kata_handler(tee[t].p, o.runtime);
      const json_t *d2 = find_named(ours, name);
      if (d2 == NULL)
        fail_msg("no RuntimeClass %s", name);
      json_t *labels = fixture_labels(tee[t].host);
      const json_t *sel = jpath(d2, "scheduling.nodeSelector");
      int nfd_keys = 0;
      const char *key;
      const json_t *val;
      json_object_foreach((json_t *)sel, key, val) {
        const char *pre = "feature.node.kubernetes.io/";
        if (strncmp(key, pre, strlen(pre)) != 0)
          continue;
        nfd_keys++;
        const json_t *want = json_object_get(labels, key + strlen(pre));
        if (want == NULL || !json_equal(want, (json_t *)val))
          fail_msg("%s selects %s, which %s's NFD labels do not have", name, key, tee[t].host);
      }
      assert_int_equal(nfd_keys, 1);
      json_decref(labels);
    }
    json_decref(ours);
  }
  json_decref(kd);
}

/* --form kata-deploy, checked against kata-deploy's own rendered RuntimeClasses: every
 * partial class names an existing kata-deploy class with the same handler (the handler
 * is immutable: a different one would make server-side apply fail), carries no overhead
 * (kata-deploy's stays), and adds only NFD keys to kata-deploy's nodeSelector; the one
 * full object is a class kata-deploy does not have. */
static void test_runtimeclasses_kata_deploy_form(void **state) {
  (void)state;
  char *p = test_path(vectors, "kata/deploy/runtimeclasses-rendered-default.yaml");
  json_t *kd = load_yaml_file(p);
  free(p);
  tc_gen_opts o = {.runtime = TC_KATA_GO, .rc_kata_deploy = 1};
  json_t *ours = gen_runtimeclasses(&o);
  assert_null(find_named(ours, "kata-qemu")); /* nothing to add to plain kata-qemu */
  int partial = 0, full = 0;
  size_t i;
  const json_t *d;
  json_array_foreach(ours, i, d) {
    const char *name = jstr(d, "metadata.name");
    const json_t *k = find_named(kd, name);
    if (json_object_get(d, "overhead") == NULL) {
      partial++;
      if (k == NULL)
        fail_msg("partial RuntimeClass %s has no kata-deploy class to merge into", name);
      assert_string_equal(jstr(d, "handler"), jstr(k, "handler"));
      assert_null(jpath(d, "metadata.labels")); /* kata-deploy's object, not ours */
      const char *key;
      const json_t *val;
      json_object_foreach(jpath(d, "scheduling.nodeSelector"), key, val) {
        if (strncmp(key, "feature.node.kubernetes.io/cpu-security.", 40) != 0)
          fail_msg("%s: adds the non-NFD selector key %s", name, key);
        const json_t *theirs = json_object_get(jpath(k, "scheduling.nodeSelector"), key);
        if (theirs != NULL && !json_equal(theirs, (json_t *)val))
          fail_msg("%s: changes kata-deploy's selector %s", name, key);
      }
    } else {
      full++;
      if (k != NULL)
        fail_msg("%s is kata-deploy's own class but generated in full", name);
    }
  }
  assert_int_equal(partial, 2); /* kata-qemu-snp, kata-qemu-tdx */
  assert_int_equal(full, 1);    /* kata-qemu-sgx */
  json_decref(ours);
  json_decref(kd);
}

/* ---- CLI ---- */

static int run(const char *args, char **out) {
  size_t n = strlen(test_teectl_bin()) + strlen(args) + 32;
  char *cmd = malloc(n);
  snprintf(cmd, n, "'%s' %s 2>/dev/null", test_teectl_bin(), args);
  FILE *p = popen(cmd, "r");
  size_t cap = 1 << 16, len = 0, got;
  char *buf = malloc(cap);
  while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
    len += got;
    if (cap - len < 2)
      buf = realloc(buf, cap *= 2);
  }
  buf[len] = '\0';
  int st = pclose(p);
  free(cmd);
  if (out)
    *out = buf;
  else
    free(buf);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli(void **state) {
  (void)state;
  char *out = NULL, args[1024];
  /* stdout and --out give the same bytes */
  assert_int_equal(run("config generate kata --platform tdx", &out), 0);
  char tmp[256];
  int fd = test_mkstemp("teectl-gen", tmp, sizeof tmp);
  close(fd);
  snprintf(args, sizeof args, "config generate kata --platform tdx --out %s", tmp);
  assert_int_equal(run(args, NULL), 0);
  tc_buf b = test_read_file(tmp);
  assert_int_equal(b.len, strlen(out));
  assert_memory_equal(b.data, out, b.len);
  tc_buf_free(&b);
  free(out);
  /* auto from probe results of host fixtures */
  const struct {
    const char *host, *want;
    int rc;
  } cases[] = {{"milan-snp-host", "sev_snp_guest = true", 0},
               {"tdx-host", "OVMF.inteltdx.fd", 0},
               {"sgx-host-icelake", "shared_fs = \"virtio-fs\"", 0},
               {"plain-no-tee", NULL, 1},
               {"snp-guest", NULL, 1}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *h = test_path(vectors, "hosts");
    snprintf(args, sizeof args,
             "probe --format json --root '%s/%s/root' --cpuid '%s/%s/cpuid.txt' "
             "--char-devices '%s/%s/DEVICES.txt' --out %s",
             h, cases[i].host, h, cases[i].host, h, cases[i].host, tmp);
    free(h);
    int prc = run(args, NULL);
    assert_true(prc == 0 || prc == 1);
    snprintf(args, sizeof args, "config generate kata --platform auto --probe %s", tmp);
    int rc = run(args, &out);
    if (rc != cases[i].rc)
      fail_msg("%s: exit %d, expected %d", cases[i].host, rc, cases[i].rc);
    if (cases[i].want && strstr(out, cases[i].want) == NULL)
      fail_msg("%s: output lacks '%s'", cases[i].host, cases[i].want);
    free(out);
    /* an explicit platform with a probe: generated (a warning when the node lacks it) */
    snprintf(args, sizeof args, "config generate kata --platform snp --probe %s", tmp);
    assert_int_equal(run(args, NULL), 0);
  }
  unlink(tmp);
  /* usage errors */
  assert_int_equal(run("config generate", NULL), 2);
  assert_int_equal(run("config generate kata", NULL), 2);
  assert_int_equal(run("config generate kata --platform sev", NULL), 2);
  assert_int_equal(run("config generate kata --platform snp,tdx", NULL), 2);
  assert_int_equal(run("config generate containerd", NULL), 2);
  assert_int_equal(run("config generate containerd --version 1", NULL), 2);
  assert_int_equal(run("config generate runtimeclass --bogus", NULL), 2);
  assert_int_equal(run("config generate runtimeclass --form partial", NULL), 2);
  assert_int_equal(run("config generate kata --platform snp --form kata-deploy", NULL), 2);
  assert_int_equal(run("config generate nothing", NULL), 2);
  assert_int_equal(run("config generate kata --platform snp --probe /nonexistent", NULL), 2);
  assert_int_equal(run("config generate --help", NULL), 0);
  assert_int_equal(run("config generate runtimeclass --platform snp", &out), 0);
  assert_non_null(strstr(out, "name: kata-qemu-snp\n"));
  assert_null(strstr(out, "kata-qemu-tdx"));
  free(out);
}

/* Run teectl with args: exit code; stdout in *out, stderr in *err (malloc'd). */
static int run_err(const char *args, char **out, char **err) {
  char dir[256], cmd[2048];
  assert_non_null(test_mkdtemp("teectl-gen-cli", dir, sizeof dir));
  char *po = test_path(dir, "out"), *pe = test_path(dir, "err");
  snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", test_teectl_bin(), args, po, pe);
  int st = system(cmd);
  tc_buf bo = test_read_file(po), be = test_read_file(pe);
  *out = strndup((const char *)bo.data, bo.len);
  *err = strndup((const char *)be.data, be.len);
  tc_buf_free(&bo);
  tc_buf_free(&be);
  unlink(po);
  unlink(pe);
  rmdir(dir);
  free(po);
  free(pe);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Each option reaches the output, and each misuse is refused (exit 2) with one line saying
 * what is wrong. */
static void test_cli_options_and_refusals(void **state) {
  (void)state;
  char *o, *e, *o2, *e2;
  assert_int_equal(run_err("config generate kata --platform snp --prefix /opt/kx", &o, &e), 0);
  assert_non_null(strstr(o, "\npath = \"/opt/kx/bin/qemu-system-x86_64\"\n"));
  assert_null(strstr(o, "/opt/kata/"));
  free(o), free(e);
  assert_int_equal(run_err("config generate containerd --version 3 --platform snp --snapshotter "
                           "nydus",
                           &o, &e),
                   0);
  assert_non_null(strstr(o, "\nsnapshotter = \"nydus\"\n"));
  free(o), free(e);
  /* --form full is the default */
  assert_int_equal(run_err("config generate runtimeclass --form full", &o, &e), 0);
  assert_int_equal(run_err("config generate runtimeclass", &o2, &e2), 0);
  assert_non_null(strstr(o, "name: kata-qemu-snp\n"));
  assert_string_equal(o, o2);
  free(o), free(e), free(o2), free(e2);
  /* containerd without --platform asks the probe; a node with no TEE gets plain kata-qemu */
  char dir[256];
  assert_non_null(test_mkdtemp("teectl-gen-probe", dir, sizeof dir));
  char *probe = test_path(dir, "guest.json"), args[1024];
  FILE *f = fopen(probe, "w");
  assert_non_null(f);
  fputs("{\"role\":\"guest\"}\n", f);
  fclose(f);
  snprintf(args, sizeof args, "config generate containerd --version 3 --probe '%s'", probe);
  assert_int_equal(run_err(args, &o, &e), 0);
  assert_non_null(strstr(o, ".containerd.runtimes.kata-qemu]\n"));
  assert_null(strstr(o, "kata-qemu-snp"));
  assert_string_equal(e, "teectl config generate: note: this is a guest, not a host: Kata TEE "
                         "sandboxes need a bare-metal host; registering plain kata-qemu only\n");
  free(o), free(e);
  unlink(probe);
  free(probe);
  rmdir(dir);
  const struct {
    const char *args, *err;
  } refused[] = {
      {"config generate kata --platform snp --runtime java",
       "teectl config generate: --runtime must be go or rs, not 'java' (see 'teectl config "
       "generate --help')\n"},
      {"config generate kata --platform",
       "teectl config generate: option '--platform' needs a value (see 'teectl config generate "
       "--help')\n"},
      {"config generate kata --platform snp extra",
       "teectl config generate: unexpected argument 'extra' (see 'teectl config generate "
       "--help')\n"},
      {"config generate kata --platform snp --version 3",
       "teectl config generate: --version and --snapshotter are for containerd (see 'teectl "
       "config generate --help')\n"},
      {"config generate kata --platform snp --prefix opt/kata",
       "teectl config generate: bad_option: --prefix 'opt/kata' must be an absolute path "
       "without quotes or control characters\n"},
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    int rc = run_err(refused[i].args, &o, &e);
    if (rc != 2 || strcmp(e, refused[i].err) != 0 || o[0] != '\0')
      fail_msg("teectl %s: exit %d, stderr '%s', stdout %zu bytes", refused[i].args, rc, e,
               strlen(o));
    free(o), free(e);
  }
}

/* The generated files lint clean with `teectl config lint` (another area's checker:
 * Kata schema, SNP/TDX/SGX rules, containerd handlers vs RuntimeClasses). */
static void test_generated_lint_clean(void **state) {
  (void)state;
  char dir[256];
  assert_non_null(test_mkdtemp("teectl-genlint", dir, sizeof dir));
  const char *plats[] = {"snp", "tdx", "sgx", "none"};
  const char *rts[] = {"go", "rs"};
  char args[1024];
  for (size_t r = 0; r < 2; r++) {
    for (size_t i = 0; i < 4; i++) {
      snprintf(args, sizeof args,
               "config generate kata --platform %s --runtime %s --out %s/configuration-%s.toml",
               plats[i], rts[r], dir, plats[i]);
      assert_int_equal(run(args, NULL), 0);
      snprintf(args, sizeof args, "config lint --runtime %s %s/configuration-%s.toml", rts[r], dir,
               plats[i]);
      if (run(args, NULL) != 0)
        fail_msg("teectl %s: findings", args);
    }
    for (int v = 2; v <= 3; v++) {
      snprintf(args, sizeof args,
               "config generate containerd --version %d --platform all --runtime %s --out "
               "%s/kata.toml",
               v, rts[r], dir);
      assert_int_equal(run(args, NULL), 0);
      snprintf(args, sizeof args, "config generate runtimeclass --runtime %s --out %s/rc.yaml",
               rts[r], dir);
      assert_int_equal(run(args, NULL), 0);
      snprintf(args, sizeof args, "config lint %s/kata.toml %s/rc.yaml", dir, dir);
      if (run(args, NULL) != 0)
        fail_msg("teectl %s: findings", args);
    }
  }
  const char *files[] = {"configuration-snp.toml",
                         "configuration-tdx.toml",
                         "configuration-sgx.toml",
                         "configuration-none.toml",
                         "kata.toml",
                         "rc.yaml"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char *p = test_path(dir, files[i]);
    unlink(p);
    free(p);
  }
  rmdir(dir);
}

int main(int argc, char **argv) {
  vectors = test_vectors_dir(argc, argv, "kata");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kata_matches_templates),
      cmocka_unit_test(test_containerd_matches_kata_deploy),
      cmocka_unit_test(test_containerd_sgx_and_errors),
      cmocka_unit_test(test_runtimeclasses_match_kata_deploy),
      cmocka_unit_test(test_runtimeclasses_kata_deploy_form),
      cmocka_unit_test(test_cli),
      cmocka_unit_test(test_cli_options_and_refusals),
      cmocka_unit_test(test_generated_lint_clean),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
