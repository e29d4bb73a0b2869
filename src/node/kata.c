/* SPDX-License-Identifier: Apache-2.0 */
/* The node's Kata Containers installation, as the probe reports it (`kata` in the JSON,
 * docs/probe.md): what the install scripts of the guide check by running `kata-runtime
 * check`, read instead from files below the probe's root, never by running anything:
 *   - the shim and runtime binaries in kata-deploy's /opt/kata/bin (and
 *     /opt/kata/runtime-rs/bin), /usr/local/bin and /usr/bin, with the Kata version of the
 *     release tarball's VERSION file (kata-deploy-merge-builds.sh writes `git describe
 *     --tags` beside bin/), when there is one;
 *   - the Kata configuration files under <prefix>/share/defaults/kata-containers (and
 *     runtimes/<name>/, runtime-rs/runtimes/<name>/) and /etc/kata-containers, each with
 *     the TEE it configures (hypervisor confidential_guest / sev_snp_guest; Kata's
 *     configuration-qemu-snp.toml.in and -tdx.toml.in);
 *   - the containerd configuration /etc/containerd/config.toml and the files its
 *     `imports` name (kata-deploy's drop-in), read with the TOML reader of `config lint`:
 *     every runtime whose runtime_type is io.containerd.kata*.v2 under the CRI plugin of
 *     config version 2 (io.containerd.grpc.v1.cri) or 3 (io.containerd.cri.v1.runtime),
 *     its shim (runtime_path, or containerd-shim-<name>-v2 from runtime_type) and its
 *     options.ConfigPath, which must exist and configure the TEE the handler's name says
 *     (kata-qemu-snp: SEV-SNP, kata-qemu-tdx: TDX).
 * Symbolic links are followed inside the root (an absolute target is taken below it). */
#include <ctype.h>
#include <dirent.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/internal.h"
#include "teectl/toml.h"

static const char *const BIN_DIRS[] = {"opt/kata/bin", "opt/kata/runtime-rs/bin", "usr/local/bin",
                                       "usr/bin"};
static const char *const CONFIG_DIRS[] = {"opt/kata/share/defaults/kata-containers",
                                          "usr/share/defaults/kata-containers",
                                          "etc/kata-containers"};
static const char *const CRI_PLUGINS[] = {"io.containerd.grpc.v1.cri",
                                          "io.containerd.cri.v1.runtime"};
#define CONTAINERD_CONFIG "etc/containerd/config.toml"

/* rel ("a/b", no leading '/') resolved below the root: symbolic links followed (at most 16),
 * an absolute target taken below the root. out: the resolved rel path. Returns 1 and *st
 * (stat of the final file) when it exists. */
static int resolve(const probe_ctx *c, const char *rel, char *out, size_t cap, struct stat *st) {
  char cur[PATH_MAX];
  snprintf(cur, sizeof cur, "%s", rel);
  for (int hop = 0; hop < 16; hop++) {
    char *path = probe_join(c, cur);
    if (path == NULL)
      return 0;
    int r = lstat(path, st);
    char target[PATH_MAX];
    ssize_t n = r == 0 && S_ISLNK(st->st_mode) ? readlink(path, target, sizeof target - 1) : -1;
    free(path);
    if (r != 0)
      return 0;
    if (!S_ISLNK(st->st_mode)) {
      snprintf(out, cap, "%s", cur);
      return 1;
    }
    if (n <= 0)
      return 0;
    target[n] = '\0';
    char next[2 * PATH_MAX];
    if (target[0] == '/') {
      snprintf(next, sizeof next, "%s", target + 1);
    } else {
      const char *slash = strrchr(cur, '/');
      snprintf(next, sizeof next, "%.*s%s", slash ? (int)(slash - cur + 1) : 0, cur, target);
    }
    if (strlen(next) >= sizeof cur)
      return 0;
    memcpy(cur, next, strlen(next) + 1);
  }
  return 0;
}

/* An absolute path of the node ("/opt/kata/...") as rel below the root. */
static const char *node_rel(const char *abs) {
  while (*abs == '/')
    abs++;
  return abs;
}

/* The Kata version of the release tarball beside a binary: <dir>/../VERSION or
 * <dir>/../../VERSION (runtime-rs/bin), first line, printable, at most 63 characters. */
static json_t *version_near(const probe_ctx *c, const char *bin_rel) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", bin_rel);
  for (int up = 0; up < 3; up++) {
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
      return json_null();
    *slash = '\0';
    if (up == 0)
      continue; /* dir is now the binary's folder; look from its parent on */
    char rel[PATH_MAX + 16];
    snprintf(rel, sizeof rel, "%s/VERSION", dir);
    char *t = probe_read_text(c, rel);
    if (t == NULL)
      continue;
    size_t n = strcspn(t, "\r\n");
    int ok = n > 0 && n < 64;
    for (size_t i = 0; ok && i < n; i++)
      ok = isprint((unsigned char)t[i]);
    json_t *v = ok ? json_stringn(t, n) : json_null();
    free(t);
    return v;
  }
  return json_null();
}

/* {"name", "path" (rel, as found), "version"} for every Kata binary in the bin folders. */
static json_t *find_binaries(const probe_ctx *c) {
  static const char *const names[] = {"containerd-shim-kata-v2", "kata-runtime"};
  json_t *arr = json_array();
  for (size_t d = 0; d < sizeof BIN_DIRS / sizeof BIN_DIRS[0]; d++)
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
      char rel[256], real[PATH_MAX];
      struct stat st;
      snprintf(rel, sizeof rel, "%s/%s", BIN_DIRS[d], names[i]);
      if (!resolve(c, rel, real, sizeof real, &st) || !S_ISREG(st.st_mode))
        continue;
      json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:b}", "name", names[i], "path", rel,
                                           "version", version_near(c, real), "executable",
                                           (st.st_mode & 0111) != 0));
    }
  return arr;
}

/* The TEE a parsed Kata configuration sets up: "snp" (a hypervisor with confidential_guest
 * and sev_snp_guest), "tdx" (confidential_guest with the TDX firmware or the TDX quote
 * generation key of configuration-qemu-tdx), "confidential" (another confidential guest),
 * or "none". */
static const char *config_tee(const tc_toml_value *root) {
  const tc_toml_entry *hv = tc_toml_get(root, "hypervisor");
  if (hv == NULL || hv->value->type != TC_TOML_TABLE)
    return "none";
  for (size_t i = 0; i < hv->value->u.table.len; i++) {
    const tc_toml_value *h = hv->value->u.table.items[i].value;
    const tc_toml_entry *cg = tc_toml_get(h, "confidential_guest");
    if (h->type != TC_TOML_TABLE || cg == NULL || cg->value->type != TC_TOML_BOOL ||
        !cg->value->u.boolean)
      continue;
    const tc_toml_entry *snp = tc_toml_get(h, "sev_snp_guest");
    if (snp != NULL && snp->value->type == TC_TOML_BOOL && snp->value->u.boolean)
      return "snp";
    const tc_toml_entry *fw = tc_toml_get(h, "firmware");
    int tdx_fw = fw != NULL && fw->value->type == TC_TOML_STRING &&
                 strstr(fw->value->u.str.ptr, "tdx") != NULL;
    if (tdx_fw || tc_toml_get(h, "tdx_quote_generation_service_socket_port") != NULL)
      return "tdx";
    return "confidential";
  }
  return "none";
}

/* Parse a TOML file below the root (at most 4 MiB). NULL with *why set when absent or
 * unparsable. */
static tc_toml_doc *read_toml(const probe_ctx *c, const char *rel, char *why, size_t cap) {
  char *text = probe_read_text(c, rel);
  if (text == NULL) {
    if (snprintf(why, cap, "%s cannot be read", rel) < 0) /* (a long path is cut short) */
      why[0] = '\0';
    return NULL;
  }
  tc_toml_doc *doc = NULL;
  tc_error err;
  if (tc_toml_parse(text, strlen(text), 0, &doc, &err) != TC_OK) {
    if (snprintf(why, cap, "%s: %s", rel, err.detail) < 0)
      why[0] = '\0';
    doc = NULL;
  }
  free(text);
  return doc;
}

/* The TEE of the Kata configuration at rel, or "unreadable" / "invalid". */
static const char *tee_of_config(const probe_ctx *c, const char *rel) {
  char why[512];
  struct stat st;
  char real[PATH_MAX];
  if (!resolve(c, rel, real, sizeof real, &st) || !S_ISREG(st.st_mode))
    return "unreadable";
  tc_toml_doc *doc = read_toml(c, real, why, sizeof why);
  const char *tee = doc ? config_tee(doc->root) : "invalid";
  tc_toml_doc_free(doc);
  return tee;
}

static void add_config(const probe_ctx *c, json_t *arr, const char *rel) {
  json_array_append_new(arr, json_pack("{s:s, s:s}", "path", rel, "tee", tee_of_config(c, rel)));
}

/* Every configuration*.toml in dir and, one level down, in dir/runtimes/<x>/ and
 * dir/runtime-rs/runtimes/<x>/, sorted. */
static void scan_configs(const probe_ctx *c, const char *dir, json_t *arr) {
  static const char *const subs[] = {"", "/runtimes/", "/runtime-rs/runtimes/"};
  for (size_t s = 0; s < 3; s++) {
    char rel[512];
    snprintf(rel, sizeof rel, "%s%s", dir, s == 0 ? "" : subs[s]);
    size_t n = strlen(rel);
    if (s > 0 && n > 0)
      rel[n - 1] = '\0'; /* the folder itself, without the trailing '/' */
    char **names = probe_dir_list(c, rel, s == 0 ? "configuration" : "");
    for (char **p = names; p != NULL && *p != NULL; p++) {
      char sub[1024];
      if (s == 0) {
        if (strlen(*p) > 5 && strcmp(*p + strlen(*p) - 5, ".toml") == 0) {
          snprintf(sub, sizeof sub, "%s/%s", rel, *p);
          add_config(c, arr, sub);
        }
        continue;
      }
      snprintf(sub, sizeof sub, "%s/%s", rel, *p);
      char **files = probe_dir_list(c, sub, "configuration");
      for (char **f = files; f != NULL && *f != NULL; f++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", sub, *f);
        if (strlen(*f) > 5 && strcmp(*f + strlen(*f) - 5, ".toml") == 0)
          add_config(c, arr, path);
      }
      probe_list_free(files);
    }
    probe_list_free(names);
  }
}

/* ---- containerd ---- */

typedef struct kata_report {
  json_t *problems; /* [{what, fix}] */
} kata_report;

static void problem(kata_report *k, const char *what, const char *fix) {
  json_array_append_new(k->problems, json_pack("{s:s, s:s}", "what", what, "fix", fix));
}

/* The TEE a handler's name asks for: "snp" / "tdx", or NULL. */
static const char *handler_tee(const char *name) {
  if (strstr(name, "snp") != NULL)
    return "snp";
  if (strstr(name, "tdx") != NULL)
    return "tdx";
  return NULL;
}

static const char *tstr(const tc_toml_value *t, const char *key) {
  const tc_toml_entry *e = tc_toml_get(t, key);
  return e != NULL && e->value->type == TC_TOML_STRING ? e->value->u.str.ptr : NULL;
}

/* The shim of a handler below the root: runtime_path, or containerd-shim-<x>-v2 (containerd's
 * name for runtime_type io.containerd.<x>.v2) in the bin folders. out: rel path, or "". */
static void handler_shim(const probe_ctx *c, const char *runtime_type, const char *runtime_path,
                         char *out, size_t cap) {
  char real[PATH_MAX];
  struct stat st;
  out[0] = '\0';
  if (runtime_path != NULL) {
    if (resolve(c, node_rel(runtime_path), real, sizeof real, &st) && S_ISREG(st.st_mode))
      snprintf(out, cap, "%s", node_rel(runtime_path));
    return;
  }
  const char *x = runtime_type + strlen("io.containerd.");
  const char *dot = strrchr(x, '.');
  if (dot == NULL)
    return;
  for (size_t d = 0; d < sizeof BIN_DIRS / sizeof BIN_DIRS[0]; d++) {
    char rel[512];
    snprintf(rel, sizeof rel, "%s/containerd-shim-%.*s-%s", BIN_DIRS[d], (int)(dot - x), x,
             dot + 1);
    if (resolve(c, rel, real, sizeof real, &st) && S_ISREG(st.st_mode)) {
      snprintf(out, cap, "%s", rel);
      return;
    }
  }
}

/* One Kata handler of a containerd file: its JSON entry; problems added to k. */
static json_t *check_handler(const probe_ctx *c, kata_report *k, const char *file, const char *name,
                             const tc_toml_value *rt) {
  const char *type = tstr(rt, "runtime_type"), *rpath = tstr(rt, "runtime_path");
  const tc_toml_value *opts = tc_toml_path(rt, "options");
  const char *cfg = opts != NULL && opts->type == TC_TOML_TABLE ? tstr(opts, "ConfigPath") : NULL;
  const char *want = handler_tee(name);
  char shim[512], what[1024], fix[512];
  handler_shim(c, type, rpath, shim, sizeof shim);
  const char *got = cfg != NULL ? tee_of_config(c, node_rel(cfg)) : NULL;
  int cfg_ok = got != NULL && strcmp(got, "unreadable") != 0 && strcmp(got, "invalid") != 0;
  int ok = 1;
  if (shim[0] == '\0') {
    ok = 0;
    snprintf(what, sizeof what, "%s (%s): its shim %s is not there", name, file,
             rpath ? rpath : "containerd-shim-<name>-v2");
    problem(k, what,
            "install Kata Containers (kata-deploy), or point runtime_path at "
            "containerd-shim-kata-v2");
  }
  if (cfg == NULL && want != NULL) {
    ok = 0;
    snprintf(what, sizeof what,
             "%s (%s): no options.ConfigPath: the default configuration is "
             "not a %s one",
             name, file, want);
    snprintf(fix, sizeof fix,
             "set ConfigPath to a %s configuration: teectl config generate "
             "containerd",
             want);
    problem(k, what, fix);
  } else if (cfg != NULL && !cfg_ok) {
    ok = 0;
    snprintf(what, sizeof what, "%s (%s): ConfigPath %s is %s", name, file, cfg,
             strcmp(got, "invalid") == 0 ? "not valid TOML" : "not there");
    problem(k, what,
            "install the configuration (kata-deploy ships it) or point ConfigPath at "
            "an existing file; teectl config lint FILE");
  } else if (cfg != NULL && want != NULL && strcmp(got, want) != 0) {
    ok = 0;
    snprintf(what, sizeof what, "%s (%s): ConfigPath %s configures %s, not %s", name, file, cfg,
             got, want);
    snprintf(fix, sizeof fix,
             "point %s at a qemu-%s configuration (confidential_guest = true%s): teectl config "
             "generate kata --platform %s",
             name, want, strcmp(want, "snp") == 0 ? ", sev_snp_guest = true" : "", want);
    problem(k, what, fix);
  }
  json_t *h = json_pack("{s:s, s:s, s:s?}", "name", name, "file", file, "runtime_type", type);
  json_object_set_new(h, "shim", shim[0] ? json_string(shim) : json_null());
  json_object_set_new(h, "config_path", cfg ? json_string(cfg) : json_null());
  json_object_set_new(h, "config_tee", got ? json_string(got) : json_null());
  json_object_set_new(h, "tee", want ? json_string(want) : json_null());
  json_object_set_new(h, "ok", json_boolean(ok));
  return h;
}

/* The Kata handlers of one parsed containerd file, appended to handlers (a later file's
 * handler of the same name replaces an earlier one, as containerd merges imports). */
static void file_handlers(const probe_ctx *c, kata_report *k, const char *file,
                          const tc_toml_value *root, json_t *handlers) {
  const tc_toml_value *plugins = tc_toml_path(root, "plugins");
  for (size_t p = 0; plugins && p < sizeof CRI_PLUGINS / sizeof CRI_PLUGINS[0]; p++) {
    const tc_toml_entry *cri = tc_toml_get(plugins, CRI_PLUGINS[p]);
    const tc_toml_value *rts = cri ? tc_toml_path(cri->value, "containerd.runtimes") : NULL;
    if (rts == NULL || rts->type != TC_TOML_TABLE)
      continue;
    for (size_t i = 0; i < rts->u.table.len; i++) {
      const tc_toml_entry *e = &rts->u.table.items[i];
      const char *type = e->value->type == TC_TOML_TABLE ? tstr(e->value, "runtime_type") : NULL;
      if (type == NULL || strncmp(type, "io.containerd.kata", 18) != 0)
        continue;
      size_t j;
      json_t *old;
      json_array_foreach(handlers, j, old) {
        if (strcmp(json_string_value(json_object_get(old, "name")), e->key) == 0) {
          json_array_remove(handlers, j);
          break;
        }
      }
      json_array_append_new(handlers, check_handler(c, k, file, e->key, e->value));
    }
  }
}

/* The files of the containerd configuration: config.toml, then what its `imports` name
 * (absolute, or relative to its folder; glob patterns as containerd expands them). */
static json_t *containerd_files(const probe_ctx *c, const tc_toml_value *root) {
  json_t *files = json_pack("[s]", CONTAINERD_CONFIG);
  const tc_toml_entry *imp = tc_toml_get(root, "imports");
  if (imp == NULL || imp->value->type != TC_TOML_ARRAY)
    return files;
  for (size_t i = 0; i < imp->value->u.array.len; i++) {
    const tc_toml_value *v = imp->value->u.array.items[i];
    if (v->type != TC_TOML_STRING)
      continue;
    char rel[1024];
    if (v->u.str.ptr[0] == '/')
      snprintf(rel, sizeof rel, "%s", node_rel(v->u.str.ptr));
    else
      snprintf(rel, sizeof rel, "etc/containerd/%s", v->u.str.ptr);
    char *pattern = probe_join(c, rel);
    glob_t g;
    if (pattern != NULL && glob(pattern, 0, NULL, &g) == 0) {
      size_t skip = strlen(c->root) + 1;
      for (size_t m = 0; m < g.gl_pathc; m++)
        json_array_append_new(files, json_string(g.gl_pathv[m] + skip));
      globfree(&g);
    }
    free(pattern);
  }
  return files;
}

static json_t *containerd_report(const probe_ctx *c, kata_report *k) {
  json_t *out = json_object(), *handlers = json_array();
  char why[1024];
  tc_toml_doc *main_doc = read_toml(c, CONTAINERD_CONFIG, why, sizeof why);
  char *probe_path = probe_join(c, CONTAINERD_CONFIG);
  struct stat st;
  int present = probe_path != NULL && stat(probe_path, &st) == 0;
  free(probe_path);
  if (main_doc == NULL) {
    json_object_set_new(out, "files", json_array());
    json_object_set_new(out, "handlers", handlers);
    if (present) {
      problem(k, why, "fix the containerd configuration: teectl config lint FILE");
      json_object_set_new(out, "error", json_string(why));
    } else {
      problem(k, CONTAINERD_CONFIG " is absent: containerd registers no Kata handler",
              "register the Kata handlers: kata-deploy, or teectl config generate containerd");
    }
    return out;
  }
  json_t *files = containerd_files(c, main_doc->root);
  size_t i;
  json_t *f;
  json_array_foreach(files, i, f) {
    const char *rel = json_string_value(f);
    tc_toml_doc *doc = i == 0 ? main_doc : read_toml(c, rel, why, sizeof why);
    if (doc == NULL) {
      problem(k, why, "fix the containerd configuration: teectl config lint FILE");
      continue;
    }
    file_handlers(c, k, rel, doc->root, handlers);
    if (doc != main_doc)
      tc_toml_doc_free(doc);
  }
  tc_toml_doc_free(main_doc);
  json_object_set_new(out, "files", files);
  json_object_set_new(out, "handlers", handlers);
  return out;
}

/* A usable TEE of the node needs a Kata handler for it that passed (tee NULL: a handler
 * without a TEE, e.g. kata-qemu for SGX). */
static void need_handler(kata_report *k, const json_t *handlers, const char *tee, const char *node,
                         const char *handler) {
  size_t i;
  const json_t *h;
  json_array_foreach(handlers, i, h) {
    const char *t = json_string_value(json_object_get(h, "tee"));
    if ((tee == NULL ? t == NULL : t != NULL && strcmp(t, tee) == 0) &&
        json_is_true(json_object_get(h, "ok")))
      return;
  }
  char what[256], fix[256];
  snprintf(what, sizeof what,
           "%s is usable on this node, but containerd has no working %s "
           "handler",
           node, handler);
  snprintf(fix, sizeof fix,
           "register %s: kata-deploy (its %s shim), or teectl config generate "
           "containerd",
           handler, handler);
  problem(k, what, fix);
}

json_t *probe_kata(const probe_ctx *c, const json_t *probe) {
  kata_report k = {.problems = json_array()};
  json_t *bins = find_binaries(c);
  json_t *configs = json_array();
  for (size_t i = 0; i < sizeof CONFIG_DIRS / sizeof CONFIG_DIRS[0]; i++)
    scan_configs(c, CONFIG_DIRS[i], configs);
  int shim = 0;
  json_t *version = json_null();
  size_t i;
  json_t *b;
  json_array_foreach(bins, i, b) {
    if (strcmp(json_string_value(json_object_get(b, "name")), "containerd-shim-kata-v2") == 0) {
      shim = 1;
      if (json_is_null(version))
        version = json_object_get(b, "version");
    }
  }
  json_incref(version);
  if (!shim)
    problem(&k, "no containerd-shim-kata-v2 in opt/kata/bin, usr/local/bin or usr/bin",
            "install Kata Containers (kata-deploy, or the kata-static release tarball into "
            "/opt/kata)");
  json_t *ctrd = containerd_report(c, &k);
  const json_t *handlers = json_object_get(ctrd, "handlers");
  if (json_array_size(handlers) == 0 && json_object_get(ctrd, "error") == NULL &&
      json_array_size(json_object_get(ctrd, "files")) > 0)
    problem(&k, "containerd registers no Kata handler (no runtime_type io.containerd.kata*)",
            "register the Kata handlers: kata-deploy, or teectl config generate containerd");
  if (tc_probe_tee_kind_usable(probe, TC_PROBE_TEE_SNP))
    need_handler(&k, handlers, "snp", "SEV-SNP", "kata-qemu-snp");
  if (tc_probe_tee_kind_usable(probe, TC_PROBE_TEE_TDX))
    need_handler(&k, handlers, "tdx", "TDX", "kata-qemu-tdx");
  if (tc_probe_tee_kind_usable(probe, TC_PROBE_TEE_SGX))
    need_handler(&k, handlers, NULL, "SGX", "kata-qemu");
  int ready = json_array_size(k.problems) == 0;
  const char *fix =
      ready ? NULL : json_string_value(json_object_get(json_array_get(k.problems, 0), "fix"));
  json_t *o =
      json_pack("{s:b, s:b, s:o, s:o, s:o, s:o}", "ready", ready, "installed", shim, "version",
                version, "binaries", bins, "configs", configs, "containerd", ctrd);
  json_object_set_new(o, "problems", k.problems);
  json_object_set_new(o, "fix", fix ? json_string(fix) : json_null());
  return o;
}
