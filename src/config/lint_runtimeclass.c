/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — lint rules for Kubernetes RuntimeClasses (YAML, read with libyaml).
 *
 * Reference: node.k8s.io/v1 RuntimeClass (Kubernetes; v1beta1 removed in 1.25) and the
 * kata-deploy helm chart's runtimeClassConfigs at kata-containers 7c6ba40c54 (4.1.0+):
 * overhead.podFixed per handler and scheduling.nodeSelector
 * katacontainers.io/kata-runtime: "true" (kata-deploy labels the nodes it installed on);
 * older values from tools/packaging/kata-deploy/runtimeclasses/ before 3.25.0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config/internal.h"

/* overhead.podFixed of kata-deploy 4.1 (mem in MiB, cpu in cores), and the 3.x value where
 * it differed (0 = same / none). */
static const struct {
  const char *handler;
  double mem, cpu;
  double old_mem, old_cpu;
} overheads[] = {
    {"kata-clh", 130, 0.25, 0, 0},
    {"kata-clh-azure", 130, 0.25, 0, 0},
    {"kata-clh-runtime-rs", 130, 0.25, 0, 0},
    {"kata-clh-azure-runtime-rs", 130, 0.25, 0, 0},
    {"kata-openvmm-azure-runtime-rs", 130, 0.25, 0, 0},
    {"kata-dragonball", 130, 0.25, 0, 0},
    {"kata-fc", 130, 0.25, 0, 0},
    {"kata-qemu", 320, 0.25, 160, 0.25},
    {"kata-qemu-coco-dev", 160, 0.25, 0, 0},
    {"kata-qemu-coco-dev-runtime-rs", 320, 0.25, 160, 0.25},
    {"kata-qemu-runtime-rs", 320, 0.25, 160, 0.25},
    {"kata-qemu-se", 1024, 1.0, 2048, 1.0},
    {"kata-qemu-se-runtime-rs", 1024, 1.0, 160, 0.25},
    {"kata-qemu-snp", 2048, 1.0, 0, 0},
    {"kata-qemu-snp-runtime-rs", 2048, 1.0, 0, 0},
    {"kata-qemu-tdx", 2048, 1.0, 0, 0},
    {"kata-qemu-tdx-runtime-rs", 2048, 1.0, 0, 0},
    {"kata-qemu-nvidia-cpu", 320, 0.25, 0, 0},
    {"kata-qemu-nvidia-cpu-runtime-rs", 320, 0.25, 0, 0},
    {"kata-qemu-nvidia-gpu", 10240, 1.0, 4096, 1.0},
    {"kata-qemu-nvidia-gpu-runtime-rs", 10240, 1.0, 0, 0},
    {"kata-qemu-nvidia-gpu-snp", 10240, 1.0, 20480, 1.0},
    {"kata-qemu-nvidia-gpu-snp-runtime-rs", 10240, 1.0, 0, 0},
    {"kata-qemu-nvidia-gpu-tdx", 10240, 1.0, 20480, 1.0},
    {"kata-qemu-nvidia-gpu-tdx-runtime-rs", 10240, 1.0, 0, 0},
    {"kata-stratovirt", 130, 0.25, 0, 0},
    {"kata-remote", 120, 0.25, 0, 0},
};

static const struct {
  const char *handler;
  const char *why;
} removed[] = {
    {"kata-qemu-sev", "legacy SEV was removed in Kata 3.19.0: no kata-qemu-sev handler or "
                      "configuration exists any more; use kata-qemu-snp"},
    {"kata-qemu-cca", "kata-qemu-cca is no longer shipped by kata-deploy"},
    {"kata-cloud-hypervisor", "the kata-cloud-hypervisor alias was removed from kata-deploy "
                              "(3.25.0); use kata-clh"},
};

typedef struct ydoc {
  lint_ctx *c;
  const char *file;
  yaml_document_t *d;
} ydoc;

static int is_scalar(const yaml_node_t *n, const char *s) {
  return n && n->type == YAML_SCALAR_NODE && strlen(s) == n->data.scalar.length &&
         memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

static const char *scalar(const yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Value of key in a mapping node; *key_node gets the key (for its position). */
static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *m, const char *key,
                            yaml_node_t **key_node) {
  if (key_node)
    *key_node = NULL;
  if (!m || m->type != YAML_MAPPING_NODE)
    return NULL;
  for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(d, p->key);
    if (is_scalar(k, key)) {
      if (key_node)
        *key_node = k;
      return yaml_document_get_node(d, p->value);
    }
  }
  return NULL;
}

/* Kubernetes quantity to a number: memory in MiB, cpu in cores. -1 when unparsable. */
static double quantity(const char *s, int memory) {
  if (!s)
    return -1;
  char *end;
  double v = strtod(s, &end);
  if (end == s)
    return -1;
  static const struct {
    const char *suf;
    double mul;
  } sfx[] = {{"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
             {"k", 1e3},     {"M", 1e6},        {"G", 1e9},           {"T", 1e12},
             {"m", 1e-3},    {"", 1.0}};
  for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++)
    if (strcmp(end, sfx[i].suf) == 0) {
      v *= sfx[i].mul;
      return memory ? v / 1048576.0 : v;
    }
  return -1;
}

static int near(double a, double b) {
  return fabs(a - b) < 1e-6 * (fabs(b) + 1);
}

static void lint_rc_doc(ydoc *y, yaml_node_t *root) {
  lint_ctx *c = y->c;
  yaml_document_t *d = y->d;
  if (root->type != YAML_MAPPING_NODE)
    return;
  unsigned dline = (unsigned)root->start_mark.line + 1,
           dcol = (unsigned)root->start_mark.column + 1;
  if (!is_scalar(map_get(d, root, "kind", NULL), "RuntimeClass"))
    return;
  yaml_node_t *kn;
  const char *name = scalar(map_get(d, map_get(d, root, "metadata", NULL), "name", NULL));
  const char *table = name ? name : "";
  yaml_node_t *api = map_get(d, root, "apiVersion", &kn);
  if (api && !is_scalar(api, "node.k8s.io/v1")) {
    lint_add(c, y->file, (unsigned)kn->start_mark.line + 1, (unsigned)kn->start_mark.column + 1,
             table, "apiVersion", TC_LINT_ERROR, "api-version", "apiVersion: node.k8s.io/v1",
             "apiVersion '%s' is not served: node.k8s.io/v1beta1 was removed in Kubernetes 1.25",
             scalar(api) ? scalar(api) : "?");
  }
  yaml_node_t *hk;
  const char *handler = scalar(map_get(d, root, "handler", &hk));
  if (!handler) {
    lint_add(c, y->file, dline, dcol, table, "handler", TC_LINT_ERROR, "missing-key",
             "handler: <containerd runtime name>, e.g. kata-qemu-snp",
             "RuntimeClass without a handler is rejected by the API server");
    return;
  }
  lint_list_add(c, &c->rc_handlers, &c->n_rc_handlers, handler);
  unsigned hline = (unsigned)hk->start_mark.line + 1, hcol = (unsigned)hk->start_mark.column + 1;
  for (size_t i = 0; i < sizeof removed / sizeof removed[0]; i++)
    if (strcmp(handler, removed[i].handler) == 0)
      lint_add(c, y->file, hline, hcol, table, "handler", TC_LINT_ERROR, "removed-handler",
               "remove this RuntimeClass (SNP: kata-qemu-snp)", "%s", removed[i].why);
  /* overhead */
  for (size_t i = 0; i < sizeof overheads / sizeof overheads[0]; i++) {
    if (strcmp(handler, overheads[i].handler) != 0)
      continue;
    char fix[128];
    snprintf(fix, sizeof fix, "memory \"%gMi\", cpu \"%s\"", overheads[i].mem,
             overheads[i].cpu == 0.25 ? "250m" : "1.0");
    yaml_node_t *ok, *pk;
    yaml_node_t *pf = map_get(d, map_get(d, root, "overhead", &ok), "podFixed", &pk);
    if (!pf) {
      lint_add(c, y->file, ok ? (unsigned)ok->start_mark.line + 1 : dline,
               ok ? (unsigned)ok->start_mark.column + 1 : dcol, table, "overhead.podFixed",
               TC_LINT_WARNING, "missing-overhead", fix,
               "no overhead.podFixed: the scheduler does not account for the VM's own memory and "
               "CPU (kata-deploy sets %gMi / %g CPU for %s)",
               overheads[i].mem, overheads[i].cpu, handler);
      break;
    }
    double mem = quantity(scalar(map_get(d, pf, "memory", NULL)), 1);
    double cpu = quantity(scalar(map_get(d, pf, "cpu", NULL)), 0);
    unsigned pl = (unsigned)pk->start_mark.line + 1, pc = (unsigned)pk->start_mark.column + 1;
    if (near(mem, overheads[i].mem) && near(cpu, overheads[i].cpu))
      break;
    if (overheads[i].old_mem > 0 && near(mem, overheads[i].old_mem) &&
        near(cpu, overheads[i].old_cpu))
      lint_add(c, y->file, pl, pc, table, "overhead.podFixed", TC_LINT_INFO, "overhead-outdated",
               fix, "overhead.podFixed is kata-deploy 3.x's value for %s; 4.x uses %gMi / %g CPU",
               handler, overheads[i].mem, overheads[i].cpu);
    else
      lint_add(c, y->file, pl, pc, table, "overhead.podFixed", TC_LINT_WARNING, "overhead-differs",
               fix,
               "overhead.podFixed (%g MiB, %g CPU) differs from kata-deploy's %gMi / %g CPU for "
               "%s: pods are scheduled with the wrong VM overhead",
               mem, cpu, overheads[i].mem, overheads[i].cpu, handler);
    break;
  }
  /* scheduling */
  yaml_node_t *sk, *nk;
  yaml_node_t *sched = map_get(d, root, "scheduling", &sk);
  yaml_node_t *ns = map_get(d, sched, "nodeSelector", &nk);
  if (!is_scalar(map_get(d, ns, "katacontainers.io/kata-runtime", NULL), "true")) {
    yaml_node_t *where = nk ? nk : sk;
    lint_add(c, y->file, where ? (unsigned)where->start_mark.line + 1 : dline,
             where ? (unsigned)where->start_mark.column + 1 : dcol, table, "scheduling",
             TC_LINT_WARNING, "missing-node-selector",
             "scheduling: {nodeSelector: {katacontainers.io/kata-runtime: \"true\"}}",
             "no scheduling.nodeSelector katacontainers.io/kata-runtime: \"true\": pods can "
             "land on nodes without Kata (kata-deploy labels the nodes it installed)");
  }
}

void lint_runtimeclass(lint_ctx *c, const char *file, const char *text, size_t len) {
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p)) {
    c->nomem = 1;
    return;
  }
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  ydoc y = {.c = c, .file = file};
  for (int ndoc = 0; ndoc < 10000 && !c->nomem; ndoc++) {
    yaml_document_t d;
    if (!yaml_parser_load(&p, &d)) {
      lint_add(c, file, (unsigned)p.problem_mark.line + 1, (unsigned)p.problem_mark.column + 1, "",
               "", TC_LINT_ERROR, "syntax", "fix the YAML syntax", "YAML syntax error: %s%s%s",
               p.problem ? p.problem : "unknown", p.context ? " " : "", p.context ? p.context : "");
      c->rep->unparsable++;
      break;
    }
    yaml_node_t *root = yaml_document_get_root_node(&d);
    if (!root) {
      yaml_document_delete(&d);
      break;
    }
    y.d = &d;
    lint_rc_doc(&y, root);
    yaml_document_delete(&d);
  }
  yaml_parser_delete(&p);
}
