/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — lint of Kata Containers configuration files (configuration-*.toml): the file's
 * dialect (Go runtime or runtime-rs), every key against the schema of kata_schema.c (known
 * mistakes, removed keys, keys of the other runtime or another table, value types),
 * shell syntax in strings; lint_kata_platform.c then checks what the file configures.
 *
 * Reference: Kata Containers 4.1 (kata-containers 7c6ba40c54) templates
 * src/runtime/config/<name>.toml.in (Go runtime) and src/runtime-rs/config/<name>.toml.in, the
 * key schema in kata_schema.c, and the facts listed with each key (commits that removed
 * keys, runtime behaviour). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/lint_kata_internal.h"

static const char *dialect_name(tc_lint_runtime d) {
  return d == TC_LINT_RUNTIME_RS ? "runtime-rs" : "Go runtime";
}

static tc_lint_runtime other_dialect(tc_lint_runtime d) {
  return d == TC_LINT_RUNTIME_RS ? TC_LINT_RUNTIME_GO : TC_LINT_RUNTIME_RS;
}

/* ---------- schema ---------- */

/* Keys that are known mistakes: a specific message and severity instead of "unknown". */
static const struct mistake {
  tc_kata_section sec;
  const char *key;
  tc_lint_severity sev;
  const char *rule;
  const char *msg;
  const char *fix;
} mistakes[] = {
    {TC_KSEC_HYPERVISOR, "mem_prealloc", TC_LINT_ERROR, "unknown-key",
     "'mem_prealloc' is not a Kata key (the Go runtime silently ignores unknown keys in the main "
     "file); the key is enable_mem_prealloc",
     "remove it; keep enable_mem_prealloc = true"},
    {TC_KSEC_HYPERVISOR, "file_mem_backend", TC_LINT_ERROR, "removed-key",
     "'file_mem_backend' was removed in Kata 3.32.0 (commit 70d8f1bf3d) and is silently "
     "ignored; /dev/shm is used automatically for virtio-fs",
     "remove it"},
    {TC_KSEC_HYPERVISOR, "valid_file_mem_backends", TC_LINT_WARNING, "removed-key",
     "'valid_file_mem_backends' was removed with file_mem_backend in Kata 3.32.0 (commit "
     "70d8f1bf3d) and is silently ignored",
     "remove it"},
    {TC_KSEC_HYPERVISOR, "sgx_epc_size", TC_LINT_ERROR, "unknown-key",
     "'sgx_epc_size' was never a Kata key: the SGX EPC size of a sandbox comes from the "
     "sgx.intel.com/epc annotation (set by the Intel SGX device plugin's webhook from the "
     "pod's resource request)",
     "remove it; request sgx.intel.com/epc in the pod"},
    {TC_KSEC_RUNTIME, "disable_selinux", TC_LINT_WARNING, "misplaced-key",
     "'disable_selinux' is a [hypervisor.<name>] key in both runtimes; in [runtime] it is "
     "ignored",
     "move it to the [hypervisor.<name>] table"},
};

static const char *const ccv0_keys[] = {
    "guest_pre_attestation",
    "guest_pre_attestation_proxy",
    "guest_pre_attestation_keyset",
    "guest_pre_attestation_secret_guid",
    "guest_pre_attestation_secret_type",
    "guest_pre_attestation_kbs_uri",
    "guest_pre_attestation_kbs_mode",
    "sev_guest_policy",
    "sev_cert_chain",
};

static const char *ktype_name(tc_kata_ktype t) {
  switch (t) {
  case TC_KTYPE_BOOL:
    return "boolean";
  case TC_KTYPE_INT:
    return "integer";
  case TC_KTYPE_FLOAT:
    return "number";
  case TC_KTYPE_STRING:
    return "string";
  case TC_KTYPE_STRINGS:
    return "array of strings";
  case TC_KTYPE_TABLES:
    return "array of tables";
  }
  return "?";
}

static int type_ok(tc_kata_ktype t, const tc_toml_value *v) {
  switch (t) {
  case TC_KTYPE_BOOL:
    return v->type == TC_TOML_BOOL;
  case TC_KTYPE_INT:
    return v->type == TC_TOML_INTEGER;
  case TC_KTYPE_FLOAT:
    return v->type == TC_TOML_FLOAT || v->type == TC_TOML_INTEGER;
  case TC_KTYPE_STRING:
    return v->type == TC_TOML_STRING;
  case TC_KTYPE_STRINGS:
  case TC_KTYPE_TABLES:
    if (v->type != TC_TOML_ARRAY)
      return 0;
    for (size_t i = 0; i < v->u.array.len; i++)
      if (v->u.array.items[i]->type != (t == TC_KTYPE_STRINGS ? TC_TOML_STRING : TC_TOML_TABLE))
        return 0;
    return 1;
  }
  return 0;
}

/* Is key known in any section class of dialect d other than sec? Returns that class. */
static int known_elsewhere(tc_lint_runtime d, tc_kata_section sec, const char *key,
                           tc_kata_section *where) {
  for (int s = TC_KSEC_RUNTIME; s <= TC_KSEC_HV_FACTORY; s++)
    if (s != (int)sec && tc_kata_schema_find(d, (tc_kata_section)s, key)) {
      *where = (tc_kata_section)s;
      return 1;
    }
  return 0;
}

static const char *sec_name(tc_kata_section s) {
  switch (s) {
  case TC_KSEC_RUNTIME:
    return "[runtime]";
  case TC_KSEC_AGENT:
    return "[agent.kata]";
  case TC_KSEC_AGENT_MEM:
    return "[agent.kata.mem_agent]";
  case TC_KSEC_FACTORY:
    return "[factory]";
  case TC_KSEC_HYPERVISOR:
    return "[hypervisor.<name>]";
  case TC_KSEC_HV_FACTORY:
    return "[hypervisor.<name>.factory]";
  }
  return "?";
}

static void check_key(kfile *f, const char *tpath, tc_kata_section sec, const tc_toml_entry *e) {
  const char *k = e->key;
  const tc_kata_key *row = tc_kata_schema_find(f->dialect, sec, k);
  if (f->counting) {
    if (!row) {
      f->unknown++;
      if (tc_kata_schema_find(other_dialect(f->dialect), sec, k))
        f->other_only++;
    }
    return;
  }
  for (size_t i = 0; i < sizeof mistakes / sizeof mistakes[0]; i++)
    if (mistakes[i].sec == sec && strcmp(mistakes[i].key, k) == 0 && !row) {
      lint_add(f->c, f->file, e->line, e->column, tpath, k, mistakes[i].sev, mistakes[i].rule,
               mistakes[i].fix, "%s", mistakes[i].msg);
      return;
    }
  if (sec == TC_KSEC_HYPERVISOR)
    for (size_t i = 0; i < sizeof ccv0_keys / sizeof ccv0_keys[0]; i++)
      if (strcmp(ccv0_keys[i], k) == 0) {
        lint_add(f->c, f->file, e->line, e->column, tpath, k, TC_LINT_WARNING, "unknown-key",
                 "remove it; use SEV-SNP (sev_snp_guest = true) with remote attestation",
                 "'%s' is a confidential-containers CCv0 SEV pre-attestation key, not a key of "
                 "any current Kata runtime: it is silently ignored (legacy SEV was removed in "
                 "Kata 3.19.0)",
                 k);
        return;
      }
  if (row) {
    if (sec == TC_KSEC_HYPERVISOR && f->hv && row->hypervisors && !(row->hypervisors & f->hv))
      lint_add(f->c, f->file, e->line, e->column, tpath, k, TC_LINT_INFO, "not-for-hypervisor",
               "remove it unless you know this hypervisor reads it",
               "no upstream %s template sets '%s' for [hypervisor.%s]: the key is accepted (all "
               "hypervisor tables share one struct) but is meant for other hypervisors",
               dialect_name(f->dialect), k, f->hv_name);
    if (!type_ok(row->type, e->value))
      lint_add(f->c, f->file, e->value->line, e->value->column, tpath, k, TC_LINT_ERROR,
               "wrong-type", "write a value of the right type",
               "'%s' must be a %s, not a %s: the %s fails to load the file", k,
               ktype_name(row->type), tc_toml_type_name(e->value->type), dialect_name(f->dialect));
    return;
  }
  int rs_strict =
      f->dialect == TC_LINT_RUNTIME_RS && (sec == TC_KSEC_AGENT || sec == TC_KSEC_AGENT_MEM);
  tc_lint_severity sev = rs_strict ? TC_LINT_ERROR : TC_LINT_WARNING;
  const char *why = rs_strict ? "runtime-rs rejects unknown keys in [agent.*] "
                                "(deny_unknown_fields): the file fails to load"
                              : "it is silently ignored";
  tc_kata_section where;
  if (tc_kata_schema_find(other_dialect(f->dialect), sec, k)) {
    char fix[128];
    snprintf(fix, sizeof fix, "remove it, or lint with --runtime %s if the file is for %s",
             f->dialect == TC_LINT_RUNTIME_RS ? "go" : "rs",
             dialect_name(other_dialect(f->dialect)));
    lint_add(f->c, f->file, e->line, e->column, tpath, k, sev, "other-runtime-key", fix,
             "'%s' is a %s key, unknown to the %s: %s", k, dialect_name(other_dialect(f->dialect)),
             dialect_name(f->dialect), why);
  } else if (known_elsewhere(f->dialect, sec, k, &where)) {
    lint_add(f->c, f->file, e->line, e->column, tpath, k, sev, "misplaced-key",
             "move it to the right table", "'%s' belongs in %s, not here: %s", k, sec_name(where),
             why);
  } else {
    lint_add(f->c, f->file, e->line, e->column, tpath, k, sev, "unknown-key",
             "remove it or fix its spelling", "unknown key '%s' for the %s: %s", k,
             dialect_name(f->dialect), why);
  }
}

static void check_section(kfile *f, const char *tpath, const tc_toml_value *t,
                          tc_kata_section sec) {
  for (size_t i = 0; i < t->u.table.len; i++) {
    const tc_toml_entry *e = &t->u.table.items[i];
    char sub[512];
    lint_join(sub, sizeof sub, tpath, e->key);
    if (e->value->type == TC_TOML_TABLE) {
      if (sec == TC_KSEC_HYPERVISOR && strcmp(e->key, "factory") == 0 &&
          f->dialect == TC_LINT_RUNTIME_RS) {
        check_section(f, sub, e->value, TC_KSEC_HV_FACTORY);
        continue;
      }
      if (sec == TC_KSEC_AGENT && strcmp(e->key, "mem_agent") == 0 &&
          f->dialect == TC_LINT_RUNTIME_RS) {
        check_section(f, sub, e->value, TC_KSEC_AGENT_MEM);
        continue;
      }
      if (f->counting) {
        f->unknown++;
        continue;
      }
      lint_add(f->c, f->file, e->line, e->column, sub, "", TC_LINT_WARNING, "unknown-table",
               "remove the table or fix its name", "unknown table [%s] for the %s: ignored", sub,
               dialect_name(f->dialect));
      continue;
    }
    check_key(f, tpath, sec, e);
  }
}

static void check_schema(kfile *f) {
  const tc_toml_value *r = f->root;
  for (size_t i = 0; i < r->u.table.len; i++) {
    const tc_toml_entry *e = &r->u.table.items[i];
    const tc_toml_value *v = e->value;
    if (v->type != TC_TOML_TABLE) {
      if (f->counting) {
        f->unknown++;
        continue;
      }
      lint_add(f->c, f->file, e->line, e->column, "", e->key, TC_LINT_WARNING, "unknown-key",
               "put the key in its table ([runtime], [hypervisor.<name>], [agent.kata], ...)",
               "key '%s' outside any table is not a Kata key: it is ignored", e->key);
      continue;
    }
    if (strcmp(e->key, "hypervisor") == 0 || strcmp(e->key, "agent") == 0) {
      int hv = e->key[0] == 'h';
      for (size_t j = 0; j < v->u.table.len; j++) {
        const tc_toml_entry *s = &v->u.table.items[j];
        char path[256];
        lint_join(path, sizeof path, e->key, s->key);
        if (s->value->type != TC_TOML_TABLE) {
          if (!f->counting)
            lint_add(f->c, f->file, s->line, s->column, e->key, s->key, TC_LINT_WARNING,
                     "unknown-key", "put the key in a [hypervisor.<name>] or [agent.kata] table",
                     "key '%s' directly in [%s] is ignored", s->key, e->key);
          continue;
        }
        int known =
            hv ? tc_kata_hypervisor_bit(f->dialect, s->key) != 0 : strcmp(s->key, "kata") == 0;
        if (!known && !f->counting) {
          int other = hv && tc_kata_hypervisor_bit(other_dialect(f->dialect), s->key);
          lint_add(f->c, f->file, s->line, s->column, path, "", TC_LINT_WARNING,
                   other ? "other-runtime-table" : "unknown-table",
                   hv ? "use a hypervisor this runtime supports" : "use [agent.kata]",
                   other ? "[%s] is a %s hypervisor, not supported by the %s"
                         : "unknown table [%s%s%s]: ignored",
                   path, other ? dialect_name(other_dialect(f->dialect)) : "",
                   other ? dialect_name(f->dialect) : "");
        }
        if (!known && f->counting)
          f->unknown++;
        f->hv = hv ? tc_kata_hypervisor_bit(f->dialect, s->key) : 0;
        f->hv_name = s->key;
        check_section(f, path, s->value, hv ? TC_KSEC_HYPERVISOR : TC_KSEC_AGENT);
        f->hv = 0;
      }
    } else if (strcmp(e->key, "runtime") == 0) {
      check_section(f, "runtime", v, TC_KSEC_RUNTIME);
    } else if (strcmp(e->key, "factory") == 0) {
      if (f->dialect == TC_LINT_RUNTIME_GO) {
        check_section(f, "factory", v, TC_KSEC_FACTORY);
      } else if (f->counting) {
        f->unknown++;
        f->other_only++;
      } else {
        lint_add(f->c, f->file, e->line, e->column, "factory", "", TC_LINT_WARNING,
                 "other-runtime-table", "remove it; runtime-rs reads [hypervisor.<name>.factory]",
                 "[factory] is a Go runtime table%s; runtime-rs ignores it",
                 v->u.table.len ? "" : " (empty here)");
      }
    } else if (strcmp(e->key, "image") == 0) {
      if (f->counting) {
        f->unknown++;
        continue;
      }
      lint_add(f->c, f->file, e->line, e->column, "image", "", TC_LINT_WARNING, "removed-table",
               "remove the [image] table",
               "[image] was removed with its only key service_offload by commit 9856fe5bea "
               "(\"runtime: remove ServiceOffload parameter\", 2024): ignored%s",
               v->u.table.len ? "" : " (empty here)");
      for (size_t j = 0; j < v->u.table.len; j++) {
        const tc_toml_entry *s = &v->u.table.items[j];
        lint_add(f->c, f->file, s->line, s->column, "image", s->key, TC_LINT_WARNING, "removed-key",
                 "remove it", "'%s' in [image] is a removed key: ignored", s->key);
      }
    } else {
      if (f->counting) {
        f->unknown++;
        continue;
      }
      lint_add(f->c, f->file, e->line, e->column, e->key, "", TC_LINT_WARNING, "unknown-table",
               "remove the table or fix its name", "unknown table [%s]: ignored", e->key);
    }
  }
}

/* Strings with shell syntax are taken literally by TOML and Kata. */
static void shell_vars(kfile *f, const char *tpath, const tc_toml_value *t, int depth) {
  if (depth > 8)
    return;
  for (size_t i = 0; i < t->u.table.len; i++) {
    const tc_toml_entry *e = &t->u.table.items[i];
    char sub[512];
    lint_join(sub, sizeof sub, tpath, e->key);
    if (e->value->type == TC_TOML_TABLE) {
      shell_vars(f, sub, e->value, depth + 1);
    } else if (e->value->type == TC_TOML_STRING) {
      const char *s = e->value->u.str.ptr;
      if (strstr(s, "$HOME") || strstr(s, "${") || strncmp(s, "~/", 2) == 0)
        lint_add(f->c, f->file, e->value->line, e->value->column, tpath, e->key, TC_LINT_ERROR,
                 "shell-variable", "write the absolute path",
                 "'%s' contains shell syntax ('%s'); neither TOML nor Kata expands variables, so "
                 "this is a literal path that does not exist",
                 e->key, s);
    }
  }
}

void lint_kata(lint_ctx *c, const char *file, const char *text, size_t len,
               const tc_toml_doc *doc) {
  kfile f = {.c = c, .file = file, .text = text, .len = len, .root = doc->root};
  tc_lint_runtime d = c->opts->runtime;
  size_t other_only_go = 0, other_only_rs = 0;
  if (d == TC_LINT_RUNTIME_AUTO) {
    kfile g = f, r = f;
    g.counting = r.counting = 1;
    g.dialect = TC_LINT_RUNTIME_GO;
    r.dialect = TC_LINT_RUNTIME_RS;
    check_schema(&g);
    check_schema(&r);
    d = r.unknown < g.unknown ? TC_LINT_RUNTIME_RS : TC_LINT_RUNTIME_GO;
    other_only_go = g.other_only;
    other_only_rs = r.other_only;
  }
  f.dialect = d;
  if (other_only_go > 0 && other_only_rs > 0)
    lint_add(c, file, 1, 1, "", "", TC_LINT_WARNING, "mixed-runtime",
             "start from one runtime's template (src/runtime/config or src/runtime-rs/config)",
             "the file mixes dialects: %zu key(s) only the runtime-rs knows and %zu only the Go "
             "runtime knows; linted as %s (--runtime to choose)",
             other_only_go, other_only_rs, dialect_name(d));
  check_schema(&f);
  kata_platform_rules(&f);
  /* after the platform rules (it was between them): findings are sorted by position, and
   * a string value never shares one with a key or a header */
  shell_vars(&f, "", doc->root, 0);
}
