/* SPDX-License-Identifier: Apache-2.0 */
/* Kata sandboxes: hypervisor processes under /proc (proc(5): /proc/<pid>/cmdline, stat,
 * status) tied to Kata shims and runtime state directories, named by the containerd
 * bundle's CRI annotations. Everything is read under a caller-given root; the texts are
 * parsed by kata_proc.c. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/internal.h"
#include "teectl/bytes.h"
#include "teectl/exporter.h"
#include "teectl/file.h"

#define MAX_ANCESTRY 32

enum { KIND_OTHER = 0, KIND_SHIM, KIND_HYPERVISOR };

typedef struct proc_entry {
  int pid, ppid;
  int kind;
  char hypervisor[32];
  char tee[16];
  char shim_id[129];      /* shim: value of -id */
  char shim_ns[64];       /* shim: value of -namespace */
  char qemu_name_id[129]; /* qemu: id from -name sandbox-<id> */
} proc_entry;

typedef struct state_pid {
  int pid;         /* hypervisor pid, 0 when the state names none */
  int builtin_vmm; /* runtime-rs Dragonball: the VMM lives in the shim process */
  char id[129];
} state_pid;

/* Copy src into dst (capacity cap), truncating; dst is always NUL-terminated. */
static void copy_str(char *dst, size_t cap, const char *src) {
  size_t n = strnlen(src, cap - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static int valid_id(const char *s, size_t max) {
  size_t n = strlen(s);
  if (n == 0 || n >= max)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-' || c == '.'))
      return 0;
  }
  return s[0] != '.';
}

static void copy_if_valid(char *dst, size_t cap, const char *src) {
  if (src != NULL && valid_id(src, cap))
    copy_str(dst, cap, src);
}

static char *join(const char *root, const char *rel) {
  size_t n = strlen(root) + strlen(rel) + 2;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s/%s", root, rel);
  return p;
}

/* Read root/rel into a NUL-terminated buffer. Returns 0, or -1 if unreadable. */
static int read_rel(const char *root, const char *rel, size_t max, tc_buf *out) {
  char *path = join(root, rel);
  if (path == NULL)
    return -1;
  tc_error e;
  tc_buf b = {0};
  tc_status st = tc_file_read(path, max, &b, &e);
  free(path);
  if (st != TC_OK)
    return -1;
  uint8_t *d = realloc(b.data, b.len + 1);
  if (d == NULL) {
    tc_buf_free(&b);
    return -1;
  }
  d[b.len] = '\0';
  out->data = d;
  out->len = b.len;
  return 0;
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static int starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

static const char *hypervisor_of(const char *exe) {
  if (starts_with(exe, "qemu-system-") || strcmp(exe, "qemu-kvm") == 0)
    return "qemu";
  if (strcmp(exe, "cloud-hypervisor") == 0)
    return "cloud-hypervisor";
  if (strcmp(exe, "firecracker") == 0)
    return "firecracker";
  return NULL;
}

static int cmp_pid(const void *a, const void *b) {
  const proc_entry *x = a, *y = b;
  return (x->pid > y->pid) - (x->pid < y->pid);
}

static const proc_entry *find_pid(const proc_entry *procs, size_t n, int pid) {
  proc_entry key;
  key.pid = pid;
  return bsearch(&key, procs, n, sizeof *procs, cmp_pid);
}

static int parse_pid_name(const char *name) {
  if (name[0] < '1' || name[0] > '9')
    return -1;
  long v = 0;
  for (const char *p = name; *p; p++) {
    if (*p < '0' || *p > '9' || v > 100000000)
      return -1;
    v = v * 10 + (*p - '0');
  }
  return (int)v;
}

/* Runtime state directories: the hypervisor pid each records. */
static void scan_state_dir(const char *root, const char *rel, const char *const files[],
                           int go_layout, state_pid **out, size_t *n_out) {
  char *dir = join(root, rel);
  if (dir == NULL)
    return;
  DIR *d = opendir(dir);
  free(dir);
  if (d == NULL)
    return;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (!valid_id(de->d_name, 129))
      continue;
    for (size_t f = 0; files[f]; f++) {
      char relf[512];
      snprintf(relf, sizeof relf, "%s/%s/%s", rel, de->d_name, files[f]);
      tc_buf b = {0};
      if (read_rel(root, relf, 4u << 20, &b) != 0)
        continue;
      json_t *j = json_loadb((const char *)b.data, b.len, 0, NULL);
      tc_buf_free(&b);
      /* A state file being rewritten can be caught half-written: then this directory
       * names no pid and the shim's -id argument is used instead. */
      const json_t *h =
          go_layout ? json_object_get(j, "HypervisorState") : json_object_get(j, "hypervisor");
      const json_t *pid = json_object_get(h, go_layout ? "Pid" : "pid");
      const char *type = json_string_value(json_object_get(h, "hypervisor_type"));
      int builtin = !go_layout && type != NULL && strcmp(type, "dragonball") == 0;
      int pid_ok = json_is_integer(pid) && json_integer_value(pid) > 0 &&
                   json_integer_value(pid) < 1000000000;
      if (pid_ok || builtin) {
        state_pid *grown = realloc(*out, (*n_out + 1) * sizeof **out);
        if (grown) {
          *out = grown;
          grown[*n_out].pid = pid_ok ? (int)json_integer_value(pid) : 0;
          grown[*n_out].builtin_vmm = builtin;
          copy_str(grown[*n_out].id, sizeof grown[*n_out].id, de->d_name);
          (*n_out)++;
        }
        json_decref(j);
        break;
      }
      json_decref(j);
    }
  }
  closedir(d);
}

/* Pod name, namespace and runtime handler from the containerd bundle's OCI config. */
static void name_from_bundle(const char *root, const char *ns, tc_kata_sandbox *s) {
  char rel[512];
  snprintf(rel, sizeof rel, "run/containerd/io.containerd.runtime.v2.task/%s/%s/config.json", ns,
           s->sandbox_id);
  tc_buf b = {0};
  if (read_rel(root, rel, 16u << 20, &b) != 0)
    return;
  json_t *j = json_loadb((const char *)b.data, b.len, 0, NULL);
  tc_buf_free(&b);
  const json_t *ann = json_object_get(j, "annotations");
  const struct {
    const char *key;
    char *dst;
    size_t cap;
  } keys[] = {
      {"io.kubernetes.cri.sandbox-name", s->pod, sizeof s->pod},
      {"io.kubernetes.cri.sandbox-namespace", s->pod_namespace, sizeof s->pod_namespace},
      {"io.containerd.cri.runtime-handler", s->runtime_class, sizeof s->runtime_class},
      {"io.kubernetes.cri.runtime-handler", s->runtime_class, sizeof s->runtime_class},
      {"io.kubernetes.cri-o.RuntimeHandler", s->runtime_class, sizeof s->runtime_class},
  };
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    const char *v = json_string_value(json_object_get(ann, keys[i].key));
    if (v && keys[i].dst[0] == '\0')
      copy_if_valid(keys[i].dst, keys[i].cap, v);
  }
  json_decref(j);
}

static int cmp_sandbox(const void *a, const void *b) {
  const tc_kata_sandbox *x = a, *y = b;
  int c = strcmp(x->sandbox_id, y->sandbox_id);
  return c ? c : (x->pid > y->pid) - (x->pid < y->pid);
}

void tc_kata_sandboxes_free(tc_kata_sandboxes *s) {
  if (s == NULL)
    return;
  free(s->items);
  s->items = NULL;
  s->n = 0;
}

/* Read the usage of process pid and append a sandbox. TC_OK also when the process went
 * away meanwhile (then nothing is added). */
/* A malformed /proc entry is skipped and counted (one odd process must not hide every
 * sandbox); the first one's path and problem are kept for the log. */
__attribute__((format(printf, 2, 3))) static void skip_entry(tc_kata_sandboxes *out,
                                                             const char *fmt, ...) {
  if (out->skipped++ == 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->skip_detail, sizeof out->skip_detail, fmt, ap);
    va_end(ap);
  }
}

static tc_status add_sandbox(const char *root, int pid, const char *id, const char *hypervisor,
                             const char *tee, const char *ns, tc_kata_sandbox **items,
                             size_t *n_items, tc_kata_sandboxes *out, tc_error *err) {
  tc_kata_sandbox s;
  memset(&s, 0, sizeof s);
  s.pid = pid;
  copy_str(s.hypervisor, sizeof s.hypervisor, hypervisor);
  copy_str(s.tee, sizeof s.tee, tee);
  copy_str(s.sandbox_id, sizeof s.sandbox_id, id);

  char rel[64];
  tc_buf b = {0};
  snprintf(rel, sizeof rel, "proc/%d/status", pid);
  if (read_rel(root, rel, 1u << 20, &b) != 0)
    return TC_OK; /* exited meanwhile */
  int rss = kata_parse_vmrss((const char *)b.data, &s.rss_bytes);
  tc_buf_free(&b);
  snprintf(rel, sizeof rel, "proc/%d/stat", pid);
  if (read_rel(root, rel, 64u << 10, &b) != 0)
    return TC_OK;
  char state = 0;
  int ppid;
  uint64_t ut = 0, stt = 0;
  int ok = kata_parse_stat((const char *)b.data, &state, &ppid, &ut, &stt);
  tc_buf_free(&b);
  if (ok != 0) {
    skip_entry(out, "%s/proc/%d/stat: expected 'pid (comm) state ppid ... utime stime'", root, pid);
    return TC_OK;
  }
  if (state == 'Z' || state == 'X')
    return TC_OK; /* exited, not reaped yet */
  if (rss != 1) {
    skip_entry(out, "%s/proc/%d/status: %s", root, pid,
               rss == 0 ? "no VmRSS line" : "VmRSS is not '<number> kB' within 2^64 bytes");
    return TC_OK;
  }
  s.cpu_ticks = ut + stt;
  if (s.sandbox_id[0])
    name_from_bundle(root, ns, &s);

  tc_kata_sandbox *g = realloc(*items, (*n_items + 1) * sizeof **items);
  if (g == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "sandbox list");
  *items = g;
  g[(*n_items)++] = s;
  return TC_OK;
}

/* What the command line says a process is: a Kata shim (its -id and -namespace), a
 * hypervisor (which one, the guest TEE, QEMU's sandbox id from -name sandbox-<id>), or
 * neither. */
static void classify_cmdline(char **argv, int argc, proc_entry *e) {
  const char *exe = argc > 0 && argv[0] != NULL ? base_name(argv[0]) : "";
  const char *hv = hypervisor_of(exe);
  if (starts_with(exe, "containerd-shim-kata") && ends_with(exe, "-v2")) {
    e->kind = KIND_SHIM;
    copy_if_valid(e->shim_id, sizeof e->shim_id, kata_flag_value(argv, argc, "id"));
    copy_if_valid(e->shim_ns, sizeof e->shim_ns, kata_flag_value(argv, argc, "namespace"));
  } else if (hv != NULL) {
    e->kind = KIND_HYPERVISOR;
    copy_str(e->hypervisor, sizeof e->hypervisor, hv);
    kata_detect_tee(argv, argc, hv, e->tee, sizeof e->tee);
    const char *name = strcmp(hv, "qemu") == 0 ? kata_flag_value(argv, argc, "name") : NULL;
    if (name && starts_with(name, "sandbox-")) {
      char tmp[160];
      copy_str(tmp, sizeof tmp, name + strlen("sandbox-"));
      tmp[strcspn(tmp, ",")] = '\0';
      copy_if_valid(e->qemu_name_id, sizeof e->qemu_name_id, tmp);
    }
  }
}

/* Process pid from its stat (ppid) and cmdline (classify_cmdline) into *e. 1 when read;
 * 0 when it is to be left out: it went away meanwhile, or its stat is malformed (then
 * counted in out->skipped); -1 when out of memory (*err filled). */
static int proc_entry_read(const char *root, int pid, proc_entry *e, tc_kata_sandboxes *out,
                           tc_error *err) {
  char rel[64];
  tc_buf stat_b = {0}, cmd_b = {0};
  snprintf(rel, sizeof rel, "proc/%d/stat", pid);
  if (read_rel(root, rel, 64u << 10, &stat_b) != 0)
    return 0; /* vanished */
  memset(e, 0, sizeof *e);
  e->pid = pid;
  char state = 0;
  uint64_t ut, stt;
  int bad = kata_parse_stat((const char *)stat_b.data, &state, &e->ppid, &ut, &stt) != 0;
  tc_buf_free(&stat_b);
  if (bad) {
    skip_entry(out, "%s/proc/%d/stat: expected 'pid (comm) state ppid ... utime stime'", root, pid);
    return 0;
  }
  snprintf(rel, sizeof rel, "proc/%d/cmdline", pid);
  if (read_rel(root, rel, 1u << 20, &cmd_b) == 0 && cmd_b.len > 0) {
    char **argv = NULL;
    int argc = kata_split_cmdline((char *)cmd_b.data, cmd_b.len, &argv);
    if (argc < 0) {
      tc_buf_free(&cmd_b);
      tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "cmdline");
      return -1;
    }
    classify_cmdline(argv, argc, e);
    free(argv);
  }
  tc_buf_free(&cmd_b);
  return 1;
}

/* Every process under root/proc into *procs (malloc'd, *n entries, sorted by pid). Errors:
 * TC_ERR_IO proc_unreadable, TC_ERR_NOMEM. */
static tc_status scan_procs(const char *root, proc_entry **procs, size_t *n, tc_kata_sandboxes *out,
                            tc_error *err) {
  *procs = NULL;
  *n = 0;
  char *proc_dir = join(root, "proc");
  if (proc_dir == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "path");
  DIR *d = opendir(proc_dir);
  if (d == NULL) {
    tc_status st = tc_fail(err, TC_ERR_IO, "proc_unreadable", "%s: %s", proc_dir, strerror(errno));
    free(proc_dir);
    return st;
  }
  free(proc_dir);
  size_t cap = 0;
  tc_status st = TC_OK;
  struct dirent *de;
  while (st == TC_OK && (de = readdir(d)) != NULL) {
    int pid = parse_pid_name(de->d_name);
    proc_entry e;
    int r = pid < 0 ? 0 : proc_entry_read(root, pid, &e, out, err);
    if (r < 0)
      st = TC_ERR_NOMEM;
    if (r <= 0)
      continue;
    if (*n == cap) {
      cap = cap ? cap * 2 : 256;
      proc_entry *g = realloc(*procs, cap * sizeof **procs);
      if (g == NULL) {
        st = tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "process table");
        continue;
      }
      *procs = g;
    }
    (*procs)[(*n)++] = e;
  }
  closedir(d);
  if (st != TC_OK) {
    free(*procs);
    *procs = NULL;
    *n = 0;
    return st;
  }
  if (*n > 0)
    qsort(*procs, *n, sizeof **procs, cmp_pid);
  return TC_OK;
}

/* The Kata shim among p's ancestors (at most MAX_ANCESTRY up), or NULL. */
static const proc_entry *shim_of(const proc_entry *procs, size_t n, const proc_entry *p) {
  const proc_entry *cur = p;
  for (int hop = 0; hop < MAX_ANCESTRY && cur && cur->ppid > 0; hop++) {
    cur = find_pid(procs, n, cur->ppid);
    if (cur && cur->kind == KIND_SHIM)
      return cur;
  }
  return NULL;
}

/* The growing sandbox list of one discovery. */
typedef struct {
  const char *root;
  tc_kata_sandbox *items;
  size_t n;
  tc_kata_sandboxes *out; /* for skipped entries */
} sandbox_list;

/* Each hypervisor process that a Kata shim started (an ancestor) or a runtime state names
 * is a sandbox, with the state's id, else the shim's, else QEMU's -name. */
static tc_status add_vmm_sandboxes(sandbox_list *l, const proc_entry *procs, size_t n,
                                   const state_pid *states, size_t n_states, tc_error *err) {
  tc_status st = TC_OK;
  for (size_t i = 0; i < n && st == TC_OK; i++) {
    const proc_entry *p = &procs[i];
    if (p->kind != KIND_HYPERVISOR)
      continue;
    const proc_entry *shim = shim_of(procs, n, p);
    const state_pid *sp = NULL;
    for (size_t k = 0; k < n_states; k++)
      if (states[k].pid == p->pid && !states[k].builtin_vmm)
        sp = &states[k];
    if (shim == NULL && sp == NULL)
      continue; /* a VM that Kata did not start */
    const char *id = sp ? sp->id : shim->shim_id[0] ? shim->shim_id : p->qemu_name_id;
    st = add_sandbox(l->root, p->pid, id, p->hypervisor, p->tee,
                     shim && shim->shim_ns[0] ? shim->shim_ns : "k8s.io", &l->items, &l->n, l->out,
                     err);
  }
  return st;
}

/* runtime-rs with Dragonball: the VMM runs inside the shim, which the state names. A
 * state without its shim is stale; a sandbox already found through a VMM process is not
 * added twice. */
static tc_status add_builtin_vmm_sandboxes(sandbox_list *l, const proc_entry *procs, size_t n,
                                           const state_pid *states, size_t n_states,
                                           tc_error *err) {
  tc_status st = TC_OK;
  for (size_t k = 0; k < n_states && st == TC_OK; k++) {
    if (!states[k].builtin_vmm)
      continue;
    const proc_entry *shim = NULL;
    for (size_t i = 0; i < n && shim == NULL; i++)
      if (procs[i].kind == KIND_SHIM && strcmp(procs[i].shim_id, states[k].id) == 0)
        shim = &procs[i];
    int known = 0;
    for (size_t j = 0; j < l->n && !known; j++)
      known = strcmp(l->items[j].sandbox_id, states[k].id) == 0;
    if (shim == NULL || known)
      continue;
    st = add_sandbox(l->root, shim->pid, states[k].id, "dragonball", "none",
                     shim->shim_ns[0] ? shim->shim_ns : "k8s.io", &l->items, &l->n, l->out, err);
  }
  return st;
}

tc_status tc_kata_discover(const char *root, tc_kata_sandboxes *out, tc_error *err) {
  memset(out, 0, sizeof *out);
  proc_entry *procs = NULL;
  size_t n = 0;
  tc_status st = scan_procs(root, &procs, &n, out, err);
  if (st != TC_OK)
    return st;
  state_pid *states = NULL;
  size_t n_states = 0;
  static const char *const go_files[] = {"persist.json", NULL};
  static const char *const rs_files[] = {"state.json", "persist.json", NULL};
  scan_state_dir(root, "run/vc/sbs", go_files, 1, &states, &n_states);
  scan_state_dir(root, "run/kata", rs_files, 0, &states, &n_states);

  sandbox_list l = {.root = root, .items = NULL, .n = 0, .out = out};
  st = add_vmm_sandboxes(&l, procs, n, states, n_states, err);
  if (st == TC_OK)
    st = add_builtin_vmm_sandboxes(&l, procs, n, states, n_states, err);
  free(procs);
  free(states);
  if (st != TC_OK) {
    free(l.items);
    return st;
  }
  if (l.n > 0)
    qsort(l.items, l.n, sizeof *l.items, cmp_sandbox);
  out->items = l.items;
  out->n = l.n;
  return TC_OK;
}

/* 1 if item j is a further process of the sandbox of item j-1 (the list is sorted by id). */
static int same_sandbox_as_previous(const tc_kata_sandboxes *s, size_t j) {
  return j > 0 && s->items[j].sandbox_id[0] != '\0' &&
         strcmp(s->items[j].sandbox_id, s->items[j - 1].sandbox_id) == 0;
}

tc_status tc_exporter_write_kata(const tc_kata_sandboxes *s, long clk_tck, tc_prom_writer *w,
                                 tc_error *err) {
  if (clk_tck <= 0)
    return tc_fail(err, TC_ERR_USAGE, "bad_clk_tck", "clock ticks per second must be > 0");
  prom_mark mark = prom_mark_get(w);
  tc_status st = tc_prom_family(
      w, "teectl_kata_sandboxes", TC_PROM_GAUGE,
      "Running Kata sandboxes (hypervisor processes started by a Kata shim) by hypervisor, "
      "guest TEE and runtime class (empty when the bundle does not name it).",
      err);
  /* Count groups: the list is small, so a quadratic pass keeps this simple. */
  for (size_t i = 0; st == TC_OK && i < s->n; i++) {
    const tc_kata_sandbox *a = &s->items[i];
    int seen = 0;
    for (size_t j = 0; j < i && !seen; j++)
      seen = strcmp(s->items[j].hypervisor, a->hypervisor) == 0 &&
             strcmp(s->items[j].tee, a->tee) == 0 &&
             strcmp(s->items[j].runtime_class, a->runtime_class) == 0;
    if (seen)
      continue;
    size_t count = 0;
    for (size_t j = i; j < s->n; j++)
      count += strcmp(s->items[j].hypervisor, a->hypervisor) == 0 &&
               strcmp(s->items[j].tee, a->tee) == 0 &&
               strcmp(s->items[j].runtime_class, a->runtime_class) == 0 &&
               !same_sandbox_as_previous(s, j);
    tc_prom_label l[] = {
        {"hypervisor", a->hypervisor}, {"tee", a->tee}, {"runtime_class", a->runtime_class}};
    st = tc_prom_sample(w, l, 3, (double)count, err);
  }

  /* The total as one unlabelled series, present (0) even when nothing runs, so alerts and
   * dashboards need no absent() handling. */
  size_t total = 0;
  for (size_t j = 0; j < s->n; j++)
    total += !same_sandbox_as_previous(s, j);
  if (st == TC_OK)
    st = tc_prom_family(w, "teectl_kata_sandboxes_running", TC_PROM_GAUGE,
                        "Running Kata sandboxes on this node, all hypervisors, TEEs and runtime "
                        "classes together; 0 when none.",
                        err);
  if (st == TC_OK)
    st = tc_prom_sample(w, NULL, 0, (double)total, err);

  /* Per-sandbox series need a unique sandbox id: samples of one id (several hypervisor
   * processes) are summed; sandboxes whose id is unknown are only counted above. */
  const char *names[2] = {"teectl_kata_sandbox_resident_memory_bytes",
                          "teectl_kata_sandbox_cpu_seconds_total"};
  const char *helps[2] = {
      "Resident memory (VmRSS) of the sandbox's hypervisor process, in bytes.",
      "CPU time (user + system) used by the sandbox's hypervisor process, in seconds."};
  for (int m = 0; st == TC_OK && m < 2; m++) {
    st = tc_prom_family(w, names[m], m ? TC_PROM_COUNTER : TC_PROM_GAUGE, helps[m], err);
    for (size_t i = 0; st == TC_OK && i < s->n; i++) {
      const tc_kata_sandbox *a = &s->items[i];
      if (a->sandbox_id[0] == '\0' ||
          (i > 0 && strcmp(s->items[i - 1].sandbox_id, a->sandbox_id) == 0))
        continue;
      uint64_t rss = 0, ticks = 0;
      for (size_t j = i; j < s->n && strcmp(s->items[j].sandbox_id, a->sandbox_id) == 0; j++) {
        rss += s->items[j].rss_bytes;
        ticks += s->items[j].cpu_ticks;
      }
      tc_prom_label l[] = {
          {"sandbox_id", a->sandbox_id}, {"pod", a->pod}, {"namespace", a->pod_namespace},
          {"hypervisor", a->hypervisor}, {"tee", a->tee}, {"runtime_class", a->runtime_class}};
      st = tc_prom_sample(w, l, 6, m ? (double)ticks / (double)clk_tck : (double)rss, err);
    }
  }
  if (st != TC_OK)
    prom_rollback(w, &mark);
  return st;
}
