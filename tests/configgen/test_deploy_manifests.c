/* SPDX-License-Identifier: Apache-2.0 */
/* Every Kubernetes manifest under deploy/ parses (libyaml) and passes a schema-level
 * check: apiVersion/kind pairs of the Kubernetes API, metadata.name a DNS-1123 name,
 * workload selectors matching their pod template labels, containers with name and
 * image, container security (all capabilities dropped, read-only root filesystem, no
 * privilege escalation, seccomp RuntimeDefault), Services/NetworkPolicies/RuntimeClasses
 * with their required fields. The RuntimeClass files of the overlays must be exactly what
 * `teectl config generate runtimeclass [--form kata-deploy]` writes, the probe DaemonSet
 * must run non-root (but for its one documented init container), on amd64 only, and
 * write into NFD's features.d, and the attestation service must fetch collateral into a
 * volume. kustomization.yaml and JSON 6902 patch files (patch-*.yaml) are not objects:
 * tests/deploy renders and validates them against the Kubernetes schemas. */
#include <ctype.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "testlib.h"
#include "yamljson.h"

static const char *deploy_dir;

static const struct {
  const char *kind, *api;
} kinds[] = {
    {"Namespace", "v1"},
    {"ConfigMap", "v1"},
    {"Secret", "v1"},
    {"Service", "v1"},
    {"ServiceAccount", "v1"},
    {"DaemonSet", "apps/v1"},
    {"Deployment", "apps/v1"},
    {"StatefulSet", "apps/v1"},
    {"Job", "batch/v1"},
    {"CronJob", "batch/v1"},
    {"NetworkPolicy", "networking.k8s.io/v1"},
    {"RuntimeClass", "node.k8s.io/v1"},
    {"PodDisruptionBudget", "policy/v1"},
    {"Role", "rbac.authorization.k8s.io/v1"},
    {"RoleBinding", "rbac.authorization.k8s.io/v1"},
    {"ClusterRole", "rbac.authorization.k8s.io/v1"},
    {"ClusterRoleBinding", "rbac.authorization.k8s.io/v1"},
    {"HorizontalPodAutoscaler", "autoscaling/v2"},
    {"PriorityClass", "scheduling.k8s.io/v1"},
    {"NodeFeatureRule", "nfd.k8s-sigs.io/v1alpha1"},
    {"ServiceMonitor", "monitoring.coreos.com/v1"},
    {"PodMonitor", "monitoring.coreos.com/v1"},
};

static int dns1123(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 253 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-' ||
          s[i] == '.'))
      return 0;
  return 1;
}

static int problems;

static void problem(const char *file, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(const char *file, const char *what, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: %s: ", file, what);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  problems++;
}

static int is_true(const json_t *v) {
  return json_is_string(v) && strcmp(json_string_value(v), "true") == 0;
}

/* The one container allowed to run as UID 0: the probe's init container that gives the
 * features.d folder to group 65532, with no capability and nothing else mounted. */
static int root_exception(const char *name, int init, const json_t *c) {
  const json_t *sc = json_object_get(c, "securityContext");
  const json_t *mounts = json_object_get(c, "volumeMounts");
  const char *ape = jstr(sc, "allowPrivilegeEscalation");
  return init && strcmp(name, "teectl-probe") == 0 && jstr(c, "name") &&
         strcmp(jstr(c, "name"), "features-d-owner") == 0 &&
         json_array_size(jpath(sc, "capabilities.add")) == 0 && ape && !strcmp(ape, "false") &&
         json_array_size(mounts) == 1 &&
         !strcmp(jstr(json_array_get(mounts, 0), "mountPath"), "/features.d");
}

/* Checks of one pod spec (workload template). */
static void check_pod(const char *file, const char *name, const json_t *pod, int *root) {
  const json_t *psc = json_object_get(pod, "securityContext");
  const json_t *cs = json_object_get(pod, "containers");
  if (!json_is_array(cs) || json_array_size(cs) == 0) {
    problem(file, name, "no containers");
    return;
  }
  const char *pod_seccomp = jstr(psc, "seccompProfile.type");
  const char *pod_user = jstr(psc, "runAsUser");
  int pod_nonroot = is_true(json_object_get(psc, "runAsNonRoot"));
  for (int init = 0; init < 2; init++) {
    const json_t *list = json_object_get(pod, init ? "initContainers" : "containers");
    size_t i;
    const json_t *c;
    json_array_foreach(list, i, c) {
      const char *cn = jstr(c, "name");
      char where[160];
      snprintf(where, sizeof where, "%s/%s", name, cn ? cn : "?");
      if (cn == NULL || !dns1123(cn))
        problem(file, where, "container name missing or not DNS-1123");
      if (jstr(c, "image") == NULL)
        problem(file, where, "no image");
      const json_t *sc = json_object_get(c, "securityContext");
      if (!is_true(json_object_get(sc, "readOnlyRootFilesystem")))
        problem(file, where, "readOnlyRootFilesystem is not true");
      const json_t *ape = json_object_get(sc, "allowPrivilegeEscalation");
      if (!json_is_string(ape) || strcmp(json_string_value(ape), "false") != 0)
        problem(file, where, "allowPrivilegeEscalation is not false");
      if (is_true(json_object_get(sc, "privileged")))
        problem(file, where, "privileged");
      const json_t *drop = jpath(sc, "capabilities.drop");
      int all = 0;
      size_t k;
      const json_t *d;
      json_array_foreach(drop, k, d) all |=
          json_is_string(d) && strcmp(json_string_value(d), "ALL") == 0;
      if (!all)
        problem(file, where, "capabilities.drop lacks ALL");
      if (json_array_size(jpath(sc, "capabilities.add")) > 0)
        problem(file, where, "adds capabilities");
      const char *seccomp = jstr(sc, "seccompProfile.type");
      if (!((seccomp && strcmp(seccomp, "RuntimeDefault") == 0) ||
            (!seccomp && pod_seccomp && strcmp(pod_seccomp, "RuntimeDefault") == 0)))
        problem(file, where, "seccompProfile is not RuntimeDefault");
      const char *user = jstr(sc, "runAsUser") ? jstr(sc, "runAsUser") : pod_user;
      int nonroot = is_true(json_object_get(sc, "runAsNonRoot")) || pod_nonroot;
      if ((!nonroot || (user && strcmp(user, "0") == 0)) && !root_exception(name, init, c))
        *root = 1;
    }
  }
}

static void check_doc(const char *dir, const char *file, const json_t *d, json_t *seen) {
  const char *api = jstr(d, "apiVersion"), *kind = jstr(d, "kind"),
             *name = jstr(d, "metadata.name");
  if (!api || !kind || !name) {
    problem(file, name ? name : "?", "apiVersion, kind and metadata.name are required");
    return;
  }
  if (!dns1123(name))
    problem(file, name, "metadata.name is not a DNS-1123 name");
  if (json_object_get(d, "__duplicate_key__"))
    problem(file, name, "duplicate key");
  int known = 0;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(kinds[i].kind, kind) == 0) {
      known = 1;
      if (strcmp(kinds[i].api, api) != 0)
        problem(file, name, "kind %s needs apiVersion %s, not %s", kind, kinds[i].api, api);
    }
  if (!known)
    problem(file, name, "unknown kind %s", kind);
  /* One object per folder (the overlays define the same RuntimeClasses in two forms). */
  char key[768];
  const char *ns = jstr(d, "metadata.namespace");
  snprintf(key, sizeof key, "%s:%s/%s/%s", dir, kind, ns ? ns : "", name);
  if (json_object_get(seen, key) && strcmp(kind, "Namespace") != 0)
    problem(file, name, "%s defined twice", key);
  json_object_set_new(seen, key, json_true());

  if (!strcmp(kind, "DaemonSet") || !strcmp(kind, "Deployment") || !strcmp(kind, "StatefulSet") ||
      !strcmp(kind, "Job")) {
    const json_t *tmpl = jpath(d, "spec.template");
    const json_t *ml = jpath(d, "spec.selector.matchLabels");
    const json_t *tl = jpath(tmpl, "metadata.labels");
    if (strcmp(kind, "Job") != 0 && (!json_is_object(ml) || json_object_size(ml) == 0))
      problem(file, name, "spec.selector.matchLabels missing");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)ml, k, v) {
      if (!json_equal((json_t *)v, json_object_get(tl, k)))
        problem(file, name, "selector %s does not match the pod template labels", k);
    }
    int root = 0;
    check_pod(file, name, jpath(tmpl, "spec"), &root);
    if (root)
      problem(file, name, "pods must run as a non-root user (runAsNonRoot, runAsUser != 0)");
  } else if (!strcmp(kind, "Service")) {
    if (json_array_size(jpath(d, "spec.ports")) == 0)
      problem(file, name, "Service without spec.ports");
  } else if (!strcmp(kind, "RuntimeClass")) {
    if (jstr(d, "handler") == NULL || !dns1123(jstr(d, "handler")))
      problem(file, name, "RuntimeClass without a DNS-1123 handler");
  } else if (!strcmp(kind, "NetworkPolicy")) {
    if (!json_is_object(jpath(d, "spec.podSelector")))
      problem(file, name, "NetworkPolicy without spec.podSelector");
    if (json_array_size(jpath(d, "spec.policyTypes")) == 0)
      problem(file, name, "NetworkPolicy without spec.policyTypes");
  } else if (!strcmp(kind, "ConfigMap") || !strcmp(kind, "Secret")) {
    if (!json_is_object(json_object_get(d, "data")) &&
        !json_is_object(json_object_get(d, "stringData")))
      problem(file, name, "%s without data", kind);
  }
}

static int ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && strcmp(s + a - b, suf) == 0;
}

static void walk(const char *dir, json_t *seen, int *files) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    char *p = test_path(dir, de->d_name);
    struct stat st;
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
      walk(p, seen, files);
    } else if ((ends_with(de->d_name, ".yaml") || ends_with(de->d_name, ".yml")) &&
               strcmp(de->d_name, "kustomization.yaml") != 0 &&
               strncmp(de->d_name, "patch-", 6) != 0) {
      tc_buf b = test_read_file(p);
      char e[256];
      json_t *docs = yaml_to_json((const char *)b.data, b.len, e, sizeof e);
      tc_buf_free(&b);
      if (docs == NULL) {
        problem(de->d_name, "yaml", "%s", e);
      } else {
        size_t i;
        const json_t *doc;
        json_array_foreach(docs, i, doc) check_doc(dir, de->d_name, doc, seen);
        if (json_array_size(docs) == 0)
          problem(de->d_name, "yaml", "no documents");
        json_decref(docs);
      }
      (*files)++;
    }
    free(p);
  }
  closedir(d);
}

static void test_every_manifest(void **state) {
  (void)state;
  json_t *seen = json_object();
  int files = 0;
  problems = 0;
  walk(deploy_dir, seen, &files);
  fprintf(stderr, "%d manifest files, %zu objects, %d problems\n", files, json_object_size(seen),
          problems);
  assert_true(files >= 2);
  assert_int_equal(problems, 0);
  char *base = test_path(deploy_dir, "kubernetes/base");
  char key[768];
  snprintf(key, sizeof key, "%s:DaemonSet/teectl-system/teectl-probe", base);
  assert_non_null(json_object_get(seen, key));
  free(base);
  json_decref(seen);
}

/* The committed RuntimeClasses are the tool's output, byte for byte. */
static void check_generated(const char *rel, const char *args) {
  char *committed = test_path(deploy_dir, rel);
  tc_buf b = test_read_file(committed);
  size_t n = strlen(test_teectl_bin()) + strlen(args) + 64;
  char *cmd = malloc(n);
  snprintf(cmd, n, "'%s' config generate runtimeclass %s", test_teectl_bin(), args);
  FILE *p = popen(cmd, "r");
  char *out = calloc(1, 1 << 16);
  size_t len = fread(out, 1, (1 << 16) - 1, p);
  assert_int_equal(WEXITSTATUS(pclose(p)), 0);
  if (len != b.len || memcmp(out, b.data, len) != 0)
    fail_msg("deploy/%s differs from 'teectl config generate runtimeclass %s'; regenerate it "
             "with --out",
             rel, args);
  free(out);
  free(cmd);
  tc_buf_free(&b);
  free(committed);
}

static void test_runtimeclasses_are_generated(void **state) {
  (void)state;
  check_generated("kubernetes/overlays/standalone/runtimeclasses.yaml", "");
  check_generated("kubernetes/overlays/kata-deploy/runtimeclasses.yaml", "--form kata-deploy");
}

/* Documents of one manifest file (relative to deploy/). */
static json_t *load_docs(const char *rel) {
  char *path = test_path(deploy_dir, rel);
  tc_buf b = test_read_file(path);
  char e[256];
  json_t *docs = yaml_to_json((const char *)b.data, b.len, e, sizeof e);
  tc_buf_free(&b);
  free(path);
  assert_non_null(docs);
  return docs;
}

static const json_t *find_kind(const json_t *docs, const char *kind, const char *name) {
  size_t i;
  const json_t *d;
  json_array_foreach(docs, i, d) if (!strcmp(jstr(d, "kind"), kind) &&
                                     (!name || !strcmp(jstr(d, "metadata.name"), name))) return d;
  fail_msg("no %s %s", kind, name ? name : "");
  return NULL;
}

/* The probe DaemonSet writes NFD's feature file where nfd-worker reads it. */
static void test_probe_daemonset(void **state) {
  (void)state;
  json_t *docs = load_docs("kubernetes/base/probe-daemonset.yaml");
  const json_t *ds = find_kind(docs, "DaemonSet", "teectl-probe");
  size_t i;
  const json_t *d;
  const json_t *pod = jpath(ds, "spec.template.spec");
  /* CPUID runs in the container: amd64 nodes only. */
  assert_string_equal(
      json_string_value(json_object_get(jpath(pod, "nodeSelector"), "kubernetes.io/arch")),
      "amd64");
  const json_t *c = json_array_get(json_object_get(pod, "containers"), 0);
  const json_t *args = json_object_get(c, "args");
  int nfd = 0, out = 0;
  json_array_foreach(args, i, d) {
    nfd |= !strcmp(json_string_value(d), "--nfd");
    out |= !strcmp(json_string_value(d), "--out");
  }
  assert_true(nfd && out);
  int features_d = 0;
  json_array_foreach(json_object_get(pod, "volumes"), i, d) {
    const char *hp = jstr(d, "hostPath.path");
    features_d |= hp && !strcmp(hp, "/etc/kubernetes/node-feature-discovery/features.d");
  }
  assert_true(features_d);
  /* No manual node preparation: the init container makes features.d group-writable for
   * the probe's group before the probe starts. */
  const json_t *init = json_array_get(json_object_get(pod, "initContainers"), 0);
  assert_string_equal(jstr(init, "name"), "features-d-owner");
  /* without a shell: teectl itself (its --prepare-dir uses the process's group, 65532) */
  const json_t *cmd = json_object_get(init, "command"), *init_args = json_object_get(init, "args");
  assert_int_equal(json_array_size(cmd), 1);
  assert_string_equal(json_string_value(json_array_get(cmd, 0)), "teectl");
  assert_int_equal(json_array_size(init_args), 3);
  assert_string_equal(json_string_value(json_array_get(init_args, 0)), "probe");
  assert_string_equal(json_string_value(json_array_get(init_args, 1)), "--prepare-dir");
  assert_string_equal(json_string_value(json_array_get(init_args, 2)), "/features.d");
  assert_string_equal(jstr(init, "securityContext.runAsGroup"), "65532");
  assert_string_equal(jstr(pod, "securityContext.runAsGroup"), "65532");
  /* Not system-node-critical (refused outside kube-system on some managed clusters). */
  assert_string_equal(jstr(pod, "priorityClassName"), "teectl-node-agent");
  json_decref(docs);
}

/* The exporter DaemonSet's liveness and readiness probes use the exporter's /healthz
 * (200 "ok" without a scrape) on the metrics port. */
static void test_exporter_daemonset_probes(void **state) {
  (void)state;
  json_t *docs = load_docs("kubernetes/base/exporter-daemonset.yaml");
  const json_t *ds = find_kind(docs, "DaemonSet", "teectl-exporter");
  const json_t *c =
      json_array_get(json_object_get(jpath(ds, "spec.template.spec"), "containers"), 0);
  const char *probe_kinds[] = {"livenessProbe", "readinessProbe"};
  for (size_t k = 0; k < 2; k++) {
    const json_t *probe = json_object_get(c, probe_kinds[k]);
    assert_non_null(probe);
    assert_string_equal(jstr(probe, "httpGet.path"), "/healthz");
    assert_string_equal(jstr(probe, "httpGet.port"), "metrics");
  }
  json_decref(docs);
}

/* The attestation service verifies all three TEEs out of the box: collateral fetching on,
 * its cache folder on a writable volume; a PodDisruptionBudget and a NetworkPolicy that
 * select its pods, topology spread over nodes. */
static void test_attestation_service(void **state) {
  (void)state;
  json_t *docs = load_docs("kubernetes/base/attestation-service.yaml");
  const json_t *cm = find_kind(docs, "ConfigMap", "teectl-attestation-config");
  json_error_t je;
  json_t *cfg =
      json_loads(json_string_value(json_object_get(json_object_get(cm, "data"), "config.json")),
                 JSON_REJECT_DUPLICATES, &je);
  assert_non_null(cfg);
  assert_true(json_is_true(json_object_get(cfg, "fetch")));
  const char *cache = json_string_value(json_object_get(cfg, "cache-dir"));
  assert_non_null(cache);
  const json_t *dep = find_kind(docs, "Deployment", "teectl-attestation");
  const json_t *pod = jpath(dep, "spec.template.spec");
  const json_t *c = json_array_get(json_object_get(pod, "containers"), 0);
  /* the cache folder lies on a writable (not readOnly) mount of an emptyDir */
  const char *vol = NULL;
  size_t i;
  const json_t *m;
  json_array_foreach(json_object_get(c, "volumeMounts"), i, m) {
    const char *mp = jstr(m, "mountPath");
    if (mp && strncmp(cache, mp, strlen(mp)) == 0 && cache[strlen(mp)] == '/' &&
        !is_true(json_object_get(m, "readOnly")))
      vol = jstr(m, "name");
  }
  assert_non_null(vol);
  int empty_dir = 0;
  json_array_foreach(json_object_get(pod, "volumes"), i, m) empty_dir |=
      !strcmp(jstr(m, "name"), vol) && json_is_object(json_object_get(m, "emptyDir"));
  assert_true(empty_dir);
  const json_t *labels = jpath(dep, "spec.template.metadata.labels");
  const char *kinds_selecting[] = {"PodDisruptionBudget", "NetworkPolicy"};
  for (size_t k = 0; k < 2; k++) {
    const json_t *o = find_kind(docs, kinds_selecting[k], "teectl-attestation");
    const json_t *ml =
        jpath(o, k == 0 ? "spec.selector.matchLabels" : "spec.podSelector.matchLabels");
    assert_true(json_object_size(ml) > 0);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)ml, key, v)
        assert_true(json_equal((json_t *)v, json_object_get(labels, key)));
  }
  assert_true(json_array_size(json_object_get(pod, "topologySpreadConstraints")) >= 1);
  /* /metrics on its own port, which the public Service does not carry */
  const char *ml = json_string_value(json_object_get(cfg, "metrics-listen"));
  assert_non_null(ml);
  const char *mport = strrchr(ml, ':') + 1;
  const json_t *svc = find_kind(docs, "Service", "attestation");
  json_array_foreach(jpath(svc, "spec.ports"), i, m) {
    assert_string_not_equal(jstr(m, "targetPort"), "metrics");
    assert_string_not_equal(jstr(m, "targetPort"), mport);
  }
  json_decref(cfg);
  json_decref(docs);
}

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--deploy"))
      deploy_dir = argv[i + 1];
  if (deploy_dir == NULL) {
    fprintf(stderr, "usage: %s --deploy DIR\n", argv[0]);
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_manifest),
      cmocka_unit_test(test_runtimeclasses_are_generated),
      cmocka_unit_test(test_probe_daemonset),
      cmocka_unit_test(test_exporter_daemonset_probes),
      cmocka_unit_test(test_attestation_service),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
