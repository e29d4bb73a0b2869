/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — lint rules for containerd configuration (config.toml and drop-ins) with Kata
 * runtimes.
 *
 * Reference: containerd config schema version 2 (CRI plugin "io.containerd.grpc.v1.cri")
 * and version 3 (containerd 2.x, CRI runtime plugin "io.containerd.cri.v1.runtime");
 * runtime v1 ("io.containerd.runtime.v1.linux") deprecated in containerd 1.4 and removed
 * in 2.0; kata-deploy's drop-in (tools/packaging/kata-deploy/binary/src/runtime/
 * containerd.rs at kata-containers 7c6ba40c54): per shim runtime_type, runtime_path,
 * privileged_without_host_devices = true, pod_annotations = ["io.katacontainers.*"],
 * ConfigPath .../share/defaults/kata-containers/[runtime-rs/]runtimes/<shim>/
 * configuration-<shim>.toml. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"

#define CRI_V2 "io.containerd.grpc.v1.cri"
#define CRI_V3 "io.containerd.cri.v1.runtime"

/* Handlers kata-deploy no longer creates, with what replaced them. */
static const struct {
  const char *handler;
  const char *why;
} removed_handlers[] = {
    {"kata-qemu-sev", "legacy SEV was removed in Kata 3.19.0 (commit ecac3d2d28): "
                      "configuration-qemu-sev.toml is no longer shipped and kata-deploy no longer "
                      "creates kata-qemu-sev; use kata-qemu-snp with configuration-qemu-snp.toml"},
    {"kata-qemu-cca", "configuration-qemu-cca.toml is no longer shipped (removed from "
                      "src/runtime/config)"},
    {"kata-cloud-hypervisor", "the kata-cloud-hypervisor alias was removed from kata-deploy "
                              "(3.25.0); use kata-clh"},
};

static const char *removed_why(const char *handler, const char *config_path) {
  for (size_t i = 0; i < sizeof removed_handlers / sizeof removed_handlers[0]; i++) {
    if (handler && strcmp(handler, removed_handlers[i].handler) == 0)
      return removed_handlers[i].why;
    if (config_path) {
      char want[96];
      snprintf(want, sizeof want, "configuration-%s.toml", removed_handlers[i].handler + 5);
      const char *b = strrchr(config_path, '/');
      if (strcmp(b ? b + 1 : config_path, want) == 0)
        return removed_handlers[i].why;
    }
  }
  return NULL;
}

static const tc_toml_entry *ent(const tc_toml_value *t, const char *k) {
  return t ? tc_toml_get(t, k) : NULL;
}

__attribute__((format(printf, 9, 10))) static void
at(lint_ctx *c, const char *file, const tc_toml_value *t, const char *tpath, const char *k,
   tc_lint_severity sev, const char *rule, const char *fix, const char *fmt, ...) {
  const tc_toml_entry *e = ent(t, k);
  unsigned line = e ? e->line : t->line, col = e ? e->column : t->column;
  char msg[900];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  lint_add(c, file, line, col, tpath, k, sev, rule, fix, "%s", msg);
}

static int jtrue(const json_t *o, const char *a, const char *b) {
  return json_is_true(json_object_get(json_object_get(o, a), b));
}

static int strings_have(const tc_toml_entry *arr, const char *want) {
  if (!arr || arr->value->type != TC_TOML_ARRAY)
    return 0;
  for (size_t i = 0; i < arr->value->u.array.len; i++) {
    const tc_toml_value *x = arr->value->u.array.items[i];
    if (x->type == TC_TOML_STRING &&
        (strcmp(x->u.str.ptr, want) == 0 || strcmp(x->u.str.ptr, "*") == 0))
      return 1;
  }
  return 0;
}

/* With the node's probe: a containerd config is per node, so a TEE handler the node cannot
 * serve is dead there (info: kata-deploy installs every default shim on every node), and on
 * an SGX node kata-qemu must pass the sgx.intel.com/epc annotation. */
static void probe_rules(lint_ctx *c, const char *file, const char *rpath, const char *handler,
                        const tc_toml_value *rt, const tc_toml_entry *pa) {
  const json_t *pr = c->opts->probe;
  if (!pr)
    return;
  const char *role = json_string_value(json_object_get(pr, "role"));
  int host = role && strcmp(role, "host") == 0 && json_is_true(json_object_get(pr, "kvm"));
  int snp = host && jtrue(pr, "sev", "snp");
  int tdx = host && jtrue(pr, "tdx", "host_supported") && jtrue(pr, "tdx", "module_initialized");
  int sgx = host && jtrue(pr, "sgx", "supported") && jtrue(pr, "sgx", "flc") &&
            jtrue(pr, "sgx", "driver") && jtrue(pr, "sgx", "enabled_in_kvm");
  if ((strstr(handler, "-snp") && !snp) || (strstr(handler, "-tdx") && !tdx))
    at(c, file, rt, rpath, "", TC_LINT_INFO, "handler-not-supported",
       "remove the handler on this node, or run it on a node with the TEE",
       "handler '%s' needs %s, which this node's probe does not show: its pods cannot start "
       "here",
       handler, strstr(handler, "-snp") ? "AMD SEV-SNP (sev.snp)" : "Intel TDX (tdx)");
  /* SGX is served by kata-qemu (vectors/hosts README, recommended_runtime_classes) */
  if (sgx && (strcmp(handler, "kata-qemu") == 0 || strcmp(handler, "kata-qemu-runtime-rs") == 0) &&
      !strings_have(pa, "sgx.intel.com/epc"))
    at(c, file, rt, rpath, "pod_annotations", TC_LINT_WARNING, "sgx-annotation",
       "pod_annotations = [\"io.katacontainers.*\", \"sgx.intel.com/epc\"]",
       "this node has SGX: without \"sgx.intel.com/epc\" in pod_annotations containerd drops the "
       "annotation that sizes the sandbox's EPC, and the guest gets no SGX");
}

static void check_runtime(lint_ctx *c, const char *file, const char *rpath, const char *handler,
                          const tc_toml_value *rt) {
  const tc_toml_entry *ty = ent(rt, "runtime_type");
  const char *type = ty && ty->value->type == TC_TOML_STRING ? ty->value->u.str.ptr : NULL;
  if (type && (strcmp(type, "io.containerd.runtime.v1.linux") == 0 ||
               strcmp(type, "io.containerd.runc.v1") == 0)) {
    at(c, file, rt, rpath, "runtime_type", TC_LINT_ERROR, "removed-runtime-v1",
       "runtime_type = \"io.containerd.runc.v2\" (or io.containerd.kata.v2 for Kata)",
       "runtime_type '%s' is the runtime v1 API, removed in containerd 2.0", type);
    return;
  }
  int kata = (type && strstr(type, "kata")) || strncmp(handler, "kata", 4) == 0;
  if (!kata)
    return;
  lint_list_add(c, &c->cd_handlers, &c->n_cd_handlers, handler);
  if (!type)
    at(c, file, rt, rpath, "runtime_type", TC_LINT_ERROR, "missing-key",
       "runtime_type = \"io.containerd.kata.v2\"",
       "Kata handler '%s' has no runtime_type: containerd does not start the Kata shim", handler);
  char opath[600];
  lint_join(opath, sizeof opath, rpath, "options");
  const tc_toml_entry *oe = ent(rt, "options");
  const tc_toml_value *opts = oe && oe->value->type == TC_TOML_TABLE ? oe->value : NULL;
  const tc_toml_entry *cp = ent(opts, "ConfigPath");
  if (ent(rt, "ConfigPath"))
    at(c, file, rt, rpath, "ConfigPath", TC_LINT_ERROR, "misplaced-key",
       "move ConfigPath into the [...runtimes.<handler>.options] table",
       "ConfigPath directly in the runtime table is ignored; the shim reads it from %s.options",
       handler);
  const char *cpath = cp && cp->value->type == TC_TOML_STRING ? cp->value->u.str.ptr : NULL;
  const char *why = removed_why(handler, cpath);
  if (why) {
    if (cp)
      at(c, file, opts, opath, "ConfigPath", TC_LINT_ERROR, "removed-handler",
         "use kata-qemu-snp with configuration-qemu-snp.toml", "%s", why);
    else
      at(c, file, rt, rpath, "", TC_LINT_ERROR, "removed-handler", "remove this handler", "%s",
         why);
  }
  if (cpath && !why) {
    const char *shim = strncmp(handler, "kata-", 5) == 0 ? handler + 5 : handler;
    char want[300];
    snprintf(want, sizeof want, "/runtimes/%s/configuration-%s.toml", shim, shim);
    size_t n = strlen(cpath), m = strlen(want);
    if (n < m || strcmp(cpath + n - m, want) != 0) {
      char fix[600];
      if (strcmp(handler, "kata") == 0)
        snprintf(fix, sizeof fix,
                 "name handlers after their shim (kata-qemu, kata-qemu-snp, ...) with ConfigPath "
                 "= \"/opt/kata/share/defaults/kata-containers/runtimes/<shim>/"
                 "configuration-<shim>.toml\" (see kata-deploy's drop-in)");
      else
        snprintf(fix, sizeof fix,
                 "ConfigPath = \"/opt/kata/share/defaults/kata-containers/%sruntimes/%s/"
                 "configuration-%s.toml\" (see kata-deploy's drop-in)",
                 strstr(shim, "runtime-rs") || strcmp(shim, "dragonball") == 0 ? "runtime-rs/" : "",
                 shim, shim);
      at(c, file, opts, opath, "ConfigPath", TC_LINT_WARNING, "path-layout", fix,
         "kata-deploy (3.25+/4.x) installs one config per shim at "
         "/opt/kata/share/defaults/kata-containers/[runtime-rs/]runtimes/<shim>/"
         "configuration-<shim>.toml; this ConfigPath (%s) does not follow that layout",
         cpath);
    }
  } else if (!cpath && !why) {
    at(c, file, rt, rpath, "ConfigPath", TC_LINT_INFO, "missing-key",
       "set [...options] ConfigPath to the shim's configuration file",
       "no ConfigPath: the shim falls back to its default configuration search path");
  }
  const tc_toml_entry *pa = ent(rt, "pod_annotations");
  int has_kata_ann = 0;
  if (pa && pa->value->type == TC_TOML_ARRAY)
    for (size_t i = 0; i < pa->value->u.array.len; i++) {
      const tc_toml_value *x = pa->value->u.array.items[i];
      if (x->type == TC_TOML_STRING &&
          (strcmp(x->u.str.ptr, "io.katacontainers.*") == 0 || strcmp(x->u.str.ptr, "*") == 0))
        has_kata_ann = 1;
    }
  if (!has_kata_ann)
    at(c, file, rt, rpath, "pod_annotations", TC_LINT_WARNING, pa ? "incomplete" : "missing-key",
       "pod_annotations = [\"io.katacontainers.*\"] (SGX also: \"sgx.intel.com/epc\")",
       "without pod_annotations = [\"io.katacontainers.*\"] containerd drops Kata annotations "
       "(including CoCo initdata and policy) before they reach the shim");
  probe_rules(c, file, rpath, handler, rt, pa);
  const tc_toml_entry *pw = ent(rt, "privileged_without_host_devices");
  if (!pw || pw->value->type != TC_TOML_BOOL || !pw->value->u.boolean)
    at(c, file, rt, rpath, "privileged_without_host_devices", TC_LINT_WARNING,
       pw ? "kata-deploy-value" : "missing-key", "privileged_without_host_devices = true",
       "kata-deploy sets privileged_without_host_devices = true: otherwise a privileged pod "
       "passes all host devices into the VM");
  static const char *const removed_keys[] = {"runtime_engine", "runtime_root"};
  for (size_t i = 0; i < 2; i++)
    if (ent(rt, removed_keys[i]))
      at(c, file, rt, rpath, removed_keys[i], TC_LINT_WARNING, "removed-key", "remove it",
         "'%s' was removed from the CRI runtime options in containerd 2.0", removed_keys[i]);
}

/* Walk plugins.<cri>.containerd.runtimes.* */
static void check_runtimes(lint_ctx *c, const char *file, const tc_toml_value *plugins,
                           const char *cri) {
  const tc_toml_entry *pe = ent(plugins, cri);
  if (!pe || pe->value->type != TC_TOML_TABLE)
    return;
  const tc_toml_entry *ce = ent(pe->value, "containerd");
  if (!ce || ce->value->type != TC_TOML_TABLE)
    return;
  const tc_toml_entry *re = ent(ce->value, "runtimes");
  if (!re || re->value->type != TC_TOML_TABLE)
    return;
  char base[200];
  snprintf(base, sizeof base, "plugins.\"%s\".containerd.runtimes", cri);
  for (size_t i = 0; i < re->value->u.table.len; i++) {
    const tc_toml_entry *h = &re->value->u.table.items[i];
    if (h->value->type != TC_TOML_TABLE)
      continue;
    char rpath[400];
    lint_join(rpath, sizeof rpath, base, h->key);
    check_runtime(c, file, rpath, h->key, h->value);
  }
}

void lint_containerd(lint_ctx *c, const char *file, const tc_toml_doc *doc) {
  const tc_toml_value *root = doc->root;
  const tc_toml_entry *ve = ent(root, "version");
  int64_t version = 0;
  if (ve && ve->value->type == TC_TOML_INTEGER)
    version = ve->value->u.integer;
  if (ve && ve->value->type != TC_TOML_INTEGER)
    lint_add(c, file, ve->value->line, ve->value->column, "", "version", TC_LINT_ERROR,
             "wrong-type", "version = 3", "version must be an integer, not a %s",
             tc_toml_type_name(ve->value->type));
  if (version == 2)
    lint_add(c, file, ve->line, ve->column, "", "version", TC_LINT_INFO, "config-version",
             "version = 3 on containerd >= 2.0 (CRI runtime plugin io.containerd.cri.v1.runtime)",
             "containerd 2.x's native config schema is version 3; version 2 is migrated at "
             "every load");
  else if (version == 1)
    lint_add(c, file, ve->line, ve->column, "", "version", TC_LINT_WARNING, "config-version",
             "version = 3 (containerd 2.x) or 2 (containerd 1.x)",
             "config version 1 is deprecated; Kata documentation and kata-deploy use 2 or 3");
  else if (ve && version > 3)
    lint_add(c, file, ve->line, ve->column, "", "version", TC_LINT_ERROR, "config-version",
             "version = 3", "unknown containerd config version %lld", (long long)version);
  const tc_toml_entry *pe = ent(root, "plugins");
  if (!pe || pe->value->type != TC_TOML_TABLE)
    return;
  const tc_toml_value *plugins = pe->value;
  const tc_toml_entry *v1 = ent(plugins, "io.containerd.runtime.v1.linux");
  if (v1 && v1->value->type == TC_TOML_TABLE) {
    const char *tp = "plugins.\"io.containerd.runtime.v1.linux\"";
    const tc_toml_value *t = v1->value;
    const char *msg = "the runtime v1 plugin io.containerd.runtime.v1.linux was deprecated in "
                      "containerd 1.4 and removed in 2.0; it is irrelevant to the "
                      "io.containerd.kata.v2 shims";
    if (t->u.table.len == 0)
      lint_add(c, file, t->line, t->column, tp, "", TC_LINT_ERROR, "removed-plugin",
               "delete the section", "%s", msg);
    for (size_t i = 0; i < t->u.table.len; i++)
      lint_add(c, file, t->u.table.items[i].line, t->u.table.items[i].column, tp,
               t->u.table.items[i].key, TC_LINT_ERROR, "removed-plugin", "delete the section", "%s",
               msg);
  }
  const tc_toml_entry *p2 = ent(plugins, CRI_V2);
  const tc_toml_entry *p3 = ent(plugins, CRI_V3);
  if (version >= 3 && p2 && p2->value->type == TC_TOML_TABLE && ent(p2->value, "containerd"))
    lint_add(c, file, p2->line, p2->column, "plugins.\"" CRI_V2 "\"", "", TC_LINT_ERROR,
             "plugin-for-other-version",
             "use [plugins.\"" CRI_V3 "\".containerd.runtimes.<handler>]",
             "config version 3 takes CRI runtimes from plugins.\"" CRI_V3
             "\"; runtimes under plugins.\"" CRI_V2 "\" are ignored");
  if (version == 2 && p3 && p3->value->type == TC_TOML_TABLE)
    lint_add(c, file, p3->line, p3->column, "plugins.\"" CRI_V3 "\"", "", TC_LINT_ERROR,
             "plugin-for-other-version",
             "use [plugins.\"" CRI_V2 "\".containerd.runtimes.<handler>] or set version = 3",
             "plugins.\"" CRI_V3 "\" is the version-3 plugin id; a version-2 config puts CRI "
             "runtimes under plugins.\"" CRI_V2 "\"");
  /* [plugins.cri...] is the version-1 short name of the CRI plugin; version 2 and 3 files
   * name plugins by their full id, so containerd ignores the section there and the runtimes
   * in it are never registered. */
  const tc_toml_entry *ps = ent(plugins, "cri");
  if (version >= 2 && ps && ps->value->type == TC_TOML_TABLE)
    lint_add(c, file, ps->line, ps->column, "plugins.cri", "", TC_LINT_ERROR, "short-plugin-name",
             version == 2 ? "use [plugins.\"" CRI_V2 "\".containerd.runtimes.<handler>]"
                          : "use [plugins.\"" CRI_V3 "\".containerd.runtimes.<handler>]",
             "config version %lld names the CRI plugin by its full id (\"%s\"); [plugins.cri] is "
             "the version-1 short name, which containerd ignores here: the runtimes under it "
             "are not registered",
             (long long)version, version == 2 ? CRI_V2 : CRI_V3);
  check_runtimes(c, file, plugins, CRI_V2);
  check_runtimes(c, file, plugins, CRI_V3);
}
