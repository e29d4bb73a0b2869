/* SPDX-License-Identifier: Apache-2.0 */
/* TEE capacity families from the probe's JSON and the misc cgroup's current use. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/internal.h"
#include "teectl/exporter.h"
#include "teectl/probe.h"

tc_status tc_misc_current_parse(const char *text, size_t len, const char *what,
                                tc_misc_current *acc, tc_error *err) {
  size_t pos = 0;
  unsigned line_no = 0;
  while (pos < len) {
    size_t end = pos;
    while (end < len && text[end] != '\n')
      end++;
    line_no++;
    char line[256];
    size_t n = end - pos;
    if (n >= sizeof line)
      return tc_fail(err, TC_ERR_PARSE, "misc_cgroup_malformed", "%s line %u: line too long", what,
                     line_no);
    memcpy(line, text + pos, n);
    line[n] = '\0';
    pos = end + 1;
    if (n == 0)
      continue;
    char *sp = strchr(line, ' ');
    if (sp == NULL || sp == line)
      return tc_fail(err, TC_ERR_PARSE, "misc_cgroup_malformed",
                     "%s line %u: expected '<key> <value>', got '%s'", what, line_no, line);
    *sp = '\0';
    const char *num = sp + 1;
    if (num[0] < '0' || num[0] > '9')
      return tc_fail(err, TC_ERR_PARSE, "misc_cgroup_malformed",
                     "%s line %u: value of '%s' is not a decimal number", what, line_no, line);
    errno = 0;
    char *stop = NULL;
    unsigned long long v = strtoull(num, &stop, 10);
    if (errno != 0 || *stop != '\0' || v > INT64_MAX)
      return tc_fail(err, TC_ERR_PARSE, "misc_cgroup_malformed",
                     "%s line %u: value of '%s' is not a decimal number", what, line_no, line);
    int64_t *slot = NULL;
    if (strcmp(line, "sev") == 0)
      slot = &acc->sev;
    else if (strcmp(line, "sev_es") == 0)
      slot = &acc->sev_es;
    else if (strcmp(line, "tdx") == 0)
      slot = &acc->tdx;
    if (slot != NULL && *slot > 0 && (int64_t)v > INT64_MAX - *slot)
      return tc_fail(err, TC_ERR_PARSE, "misc_cgroup_malformed",
                     "%s line %u: the sum of '%s' passes 2^63 - 1", what, line_no, line);
    if (slot != NULL)
      *slot = (*slot < 0 ? 0 : *slot) + (int64_t)v;
  }
  return TC_OK;
}

/* Values taken from the probe JSON, validated before anything is written. */
typedef struct tee_facts {
  const char *role;
  const char *guest_tee;
  int sgx_supported, sgx_enabled;
  int tdx_supported, tdx_enabled;
  int sev_supported, sev_enabled, sev_es, sev_snp;
  int sev_es_supported, sev_snp_supported;
  int node_usable; /* tc_probe_tee_usable: the probe's exit-code decision */
  json_int_t sev_asids, sev_es_asids, tdx_keyids;
  int epc_known;
  json_int_t epc_bytes;
} tee_facts;

static const json_t *field(const json_t *probe, const char *obj, const char *key, int type,
                           int nullable, tc_error *err, tc_status *st) {
  const json_t *o = obj ? json_object_get(probe, obj) : probe;
  if (obj && !json_is_object(o)) {
    *st = tc_fail(err, TC_ERR_PARSE, o ? "probe_field_type" : "probe_field_missing",
                  "probe JSON: '%s' %s", obj, o ? "is not an object" : "is missing");
    return NULL;
  }
  const json_t *v = json_object_get(o, key);
  const char *path_sep = obj ? "." : "";
  if (v == NULL) {
    *st = tc_fail(err, TC_ERR_PARSE, "probe_field_missing", "probe JSON: '%s%s%s' is missing",
                  obj ? obj : "", path_sep, key);
    return NULL;
  }
  if (nullable && json_is_null(v))
    return v;
  int ok = (type == JSON_TRUE && json_is_boolean(v)) ||
           (type == JSON_INTEGER && json_is_integer(v) && json_integer_value(v) >= 0) ||
           (type == JSON_STRING && json_is_string(v));
  if (!ok) {
    *st = tc_fail(err, TC_ERR_PARSE, "probe_field_type", "probe JSON: '%s%s%s' must be %s",
                  obj ? obj : "", path_sep, key,
                  type == JSON_TRUE      ? "a boolean"
                  : type == JSON_INTEGER ? "a non-negative integer"
                                         : "a string");
    return NULL;
  }
  return v;
}

#define GET_BOOL(dst, obj, key)                                                                    \
  do {                                                                                             \
    const json_t *v_ = field(probe, obj, key, JSON_TRUE, 0, err, &st);                             \
    if (v_ == NULL)                                                                                \
      return st;                                                                                   \
    (dst) = json_is_true(v_);                                                                      \
  } while (0)
#define GET_INT(dst, obj, key)                                                                     \
  do {                                                                                             \
    const json_t *v_ = field(probe, obj, key, JSON_INTEGER, 0, err, &st);                          \
    if (v_ == NULL)                                                                                \
      return st;                                                                                   \
    (dst) = json_integer_value(v_);                                                                \
  } while (0)

static tc_status read_facts(const json_t *probe, tee_facts *f, tc_error *err) {
  tc_status st = TC_OK;
  memset(f, 0, sizeof *f);
  if (!json_is_object(probe))
    return tc_fail(err, TC_ERR_PARSE, "probe_field_type", "probe JSON: not an object");

  const json_t *role = field(probe, NULL, "role", JSON_STRING, 0, err, &st);
  if (role == NULL)
    return st;
  f->role = json_string_value(role);
  if (strcmp(f->role, "host") != 0 && strcmp(f->role, "guest") != 0)
    return tc_fail(err, TC_ERR_PARSE, "probe_field_type",
                   "probe JSON: 'role' must be \"host\" or \"guest\", got \"%s\"", f->role);

  int sgx_kvm, sgx_flc, sgx_driver, tdx_kvm, tdx_module, sev_kvm, tdx_guest, kvm;
  GET_BOOL(kvm, NULL, "kvm");
  GET_BOOL(f->sgx_supported, "sgx", "supported");
  GET_BOOL(sgx_kvm, "sgx", "enabled_in_kvm");
  GET_BOOL(sgx_flc, "sgx", "flc");
  GET_BOOL(sgx_driver, "sgx", "driver");
  const json_t *epc = field(probe, "sgx", "epc_bytes", JSON_INTEGER, 1, err, &st);
  if (epc == NULL)
    return st;
  f->epc_known = !json_is_null(epc);
  f->epc_bytes = f->epc_known ? json_integer_value(epc) : 0;

  GET_BOOL(f->tdx_supported, "tdx", "host_supported");
  GET_BOOL(tdx_kvm, "tdx", "enabled_in_kvm");
  GET_BOOL(tdx_module, "tdx", "module_initialized");
  GET_BOOL(tdx_guest, "tdx", "guest");
  GET_INT(f->tdx_keyids, "tdx", "keyids");

  GET_BOOL(f->sev_supported, "sev", "supported");
  GET_BOOL(f->sev_es, "sev", "es");
  GET_BOOL(f->sev_snp, "sev", "snp");
  GET_BOOL(sev_kvm, "sev", "enabled_in_kvm");
  GET_INT(f->sev_asids, "sev", "asids");
  GET_INT(f->sev_es_asids, "sev", "es_asids");
  const json_t *guest = field(probe, "sev", "guest", JSON_STRING, 0, err, &st);
  if (guest == NULL)
    return st;

  /* Hardware + firmware support of SEV-ES / SEV-SNP, whether or not KVM enables them: the
   * probe's optional cpu_advertises_* facts; without them, what KVM enables. */
  f->sev_es_supported = f->sev_es;
  f->sev_snp_supported = f->sev_snp;
  const char *adv_keys[2] = {"cpu_advertises_es", "cpu_advertises_snp"};
  int *adv_dst[2] = {&f->sev_es_supported, &f->sev_snp_supported};
  for (int i = 0; i < 2; i++) {
    const json_t *adv = json_object_get(json_object_get(probe, "sev"), adv_keys[i]);
    if (adv == NULL)
      continue;
    if (!json_is_boolean(adv))
      return tc_fail(err, TC_ERR_PARSE, "probe_field_type",
                     "probe JSON: 'sev.%s' must be a boolean", adv_keys[i]);
    *adv_dst[i] = *adv_dst[i] || (f->sev_supported && json_is_true(adv));
  }

  /* enabled = the probe's own decisions (tc_probe_tee_kind_usable, shared with `teectl
   * probe` and `config generate`), so the three never disagree. Legacy SEV / SEV-ES have
   * no such decision (Kata cannot use them): enabled = KVM on this host can start them. */
  /* the sgx/tdx booleans above are read to validate the decision's inputs */
  (void)sgx_kvm, (void)sgx_flc, (void)sgx_driver, (void)tdx_kvm, (void)tdx_module;
  int host = strcmp(f->role, "host") == 0;
  f->sgx_enabled = tc_probe_tee_kind_usable(probe, TC_PROBE_TEE_SGX);
  f->tdx_enabled = tc_probe_tee_kind_usable(probe, TC_PROBE_TEE_TDX);
  f->sev_snp = tc_probe_tee_kind_usable(probe, TC_PROBE_TEE_SNP);
  f->sev_enabled = host && kvm && f->sev_supported && sev_kvm;
  f->sev_es = host && kvm && f->sev_es;
  f->node_usable = tc_probe_tee_usable(probe);
  /* supported is always 1 when enabled (e.g. kvm_intel.tdx on a kernel without the
   * tdx_host_platform flag) */
  f->sgx_supported = f->sgx_supported || f->sgx_enabled;
  f->tdx_supported = f->tdx_supported || f->tdx_enabled;
  f->sev_supported = f->sev_supported || f->sev_enabled;
  f->sev_es_supported = f->sev_es_supported || f->sev_es;
  f->sev_snp_supported = f->sev_snp_supported || f->sev_snp;

  static const struct {
    const char *probe, *label;
  } guests[] = {{"none", "none"}, {"sev", "sev"}, {"sev-es", "sev_es"}, {"snp", "sev_snp"}};
  const char *g = json_string_value(guest);
  f->guest_tee = NULL;
  for (size_t i = 0; i < sizeof guests / sizeof guests[0]; i++)
    if (strcmp(g, guests[i].probe) == 0)
      f->guest_tee = guests[i].label;
  if (f->guest_tee == NULL)
    return tc_fail(err, TC_ERR_PARSE, "probe_field_type",
                   "probe JSON: 'sev.guest' has unknown value \"%s\"", g);
  if (tdx_guest)
    f->guest_tee = "tdx";
  return TC_OK;
}

static tc_status gauge(tc_prom_writer *w, const char *name, const char *help, double value,
                       tc_error *err) {
  tc_status st = tc_prom_family(w, name, TC_PROM_GAUGE, help, err);
  return st != TC_OK ? st : tc_prom_sample(w, NULL, 0, value, err);
}

static tc_status write_facts(const tee_facts *f, const tc_misc_current *used, tc_prom_writer *w,
                             tc_error *err) {
  tc_status st;
  tc_prom_label info[] = {{"role", f->role}, {"guest_tee", f->guest_tee}};
  if ((st = tc_prom_family(w, "teectl_node_info", TC_PROM_GAUGE,
                           "Node facts from the probe: role host or guest, and the TEE this "
                           "node runs in when it is a guest (none otherwise); value 1.",
                           err)) != TC_OK ||
      (st = tc_prom_sample(w, info, 2, 1, err)) != TC_OK)
    return st;

  const struct {
    const char *tee;
    int supported, enabled;
  } kinds[] = {
      {"sgx", f->sgx_supported, f->sgx_enabled},     {"tdx", f->tdx_supported, f->tdx_enabled},
      {"sev", f->sev_supported, f->sev_enabled},     {"sev_es", f->sev_es_supported, f->sev_es},
      {"sev_snp", f->sev_snp_supported, f->sev_snp},
  };
  const size_t nk = sizeof kinds / sizeof kinds[0];
  if ((st = gauge(w, "teectl_node_tee_usable",
                  "1 if Kata can run confidential pods on this node (the decision and exit code "
                  "of teectl probe: SEV-SNP, TDX or SGX usable on a host; a guest inside SEV-SNP "
                  "or TDX), else 0. Legacy SEV/SEV-ES does not count.",
                  f->node_usable, err)) != TC_OK)
    return st;
  if ((st = tc_prom_family(w, "teectl_tee_supported", TC_PROM_GAUGE,
                           "1 if the CPU and firmware of this host support the TEE kind, "
                           "whether or not KVM enables it, else 0.",
                           err)) != TC_OK)
    return st;
  for (size_t i = 0; i < nk; i++) {
    tc_prom_label l = {"tee", kinds[i].tee};
    if ((st = tc_prom_sample(w, &l, 1, kinds[i].supported, err)) != TC_OK)
      return st;
  }
  if ((st = tc_prom_family(w, "teectl_tee_enabled", TC_PROM_GAUGE,
                           "1 if the TEE kind is usable on this host: for sgx, tdx and sev_snp "
                           "the probe's decision that Kata can run confidential pods with it; "
                           "for sev and sev_es, KVM can start such guests (Kata cannot use "
                           "legacy SEV), else 0.",
                           err)) != TC_OK)
    return st;
  for (size_t i = 0; i < nk; i++) {
    tc_prom_label l = {"tee", kinds[i].tee};
    if ((st = tc_prom_sample(w, &l, 1, kinds[i].enabled, err)) != TC_OK)
      return st;
  }

  const struct {
    const char *name, *help;
    json_int_t capacity;
    const char *used_name, *used_help;
    int64_t used;
  } caps[] = {
      {"teectl_sev_asids",
       "SEV ASIDs this host can give to SEV guests (misc cgroup capacity \"sev\").", f->sev_asids,
       "teectl_sev_asids_used", "SEV ASIDs in use (misc cgroup current \"sev\").",
       used ? used->sev : -1},
      {"teectl_sev_es_asids",
       "SEV-ES/SEV-SNP ASIDs this host can give to guests (misc cgroup capacity \"sev_es\").",
       f->sev_es_asids, "teectl_sev_es_asids_used",
       "SEV-ES/SEV-SNP ASIDs in use (misc cgroup current \"sev_es\").", used ? used->sev_es : -1},
      {"teectl_tdx_keyids",
       "TDX private KeyIDs this host can give to TD guests (misc cgroup capacity \"tdx\").",
       f->tdx_keyids, "teectl_tdx_keyids_used",
       "TDX private KeyIDs in use (misc cgroup current \"tdx\").", used ? used->tdx : -1},
  };
  for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
    if ((st = gauge(w, caps[i].name, caps[i].help, (double)caps[i].capacity, err)) != TC_OK)
      return st;
    if (caps[i].used >= 0 &&
        (st = gauge(w, caps[i].used_name, caps[i].used_help, (double)caps[i].used, err)) != TC_OK)
      return st;
  }
  if (f->epc_known &&
      (st = gauge(w, "teectl_sgx_epc_bytes",
                  "SGX Enclave Page Cache size of this host in bytes (sum over NUMA nodes).",
                  (double)f->epc_bytes, err)) != TC_OK)
    return st;
  return TC_OK;
}

tc_status tc_exporter_write_tee(const json_t *probe, const tc_misc_current *used, tc_prom_writer *w,
                                tc_error *err) {
  tee_facts f;
  tc_status st = read_facts(probe, &f, err);
  if (st != TC_OK)
    return st;
  prom_mark mark = prom_mark_get(w);
  st = write_facts(&f, used, w, err);
  if (st != TC_OK)
    prom_rollback(w, &mark);
  return st;
}
