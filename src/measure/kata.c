/* SPDX-License-Identifier: Apache-2.0 */
/* The launch inputs of a Kata Containers SEV-SNP sandbox from its configuration
 * (configuration-qemu-snp.toml): firmware, kernel, initrd or image, vCPUs, and the kernel
 * command line as the Go runtime (containerd-shim-kata-v2, Kata 4.1) composes it:
 * src/runtime/virtcontainers/qemu.go kernelParameters(): the amd64 arch parameters
 * (qemu_amd64.go, plus intel_iommu/iommu with enable_iommu), the root parameters of an image
 * (hypervisor.go GetKernelRootParams, via qemu_arch_base.go handleImagePath), the console
 * (appendConsole: hvc0, hvc1), quiet or debug (+ systemd status with an image), panic=1,
 * nr_cpus (not for confidential guests), selinux; then the configuration parameters
 * (katautils SetKernelParams: systemd unit with an image, scsi_mod.scan=none with
 * virtio-scsi, the agent's (kata_agent.go KataAgentKernelParams), kernel_params split as
 * KernelParamFields does). Parameters serialise as key=value, or key alone when the value
 * is empty (SerializeParams). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/measure.h"
#include "teectl/strbuf.h"

typedef struct kcfg {
  const tc_toml_value *hv, *agent, *runtime;
  tc_error *err;
} kcfg;

/* Typed lookups: absent keys give the default; a wrong type is an error (returns -1). */
static int get_str(kcfg *c, const tc_toml_value *t, const char *key, const char **out) {
  const tc_toml_entry *e = t ? tc_toml_get(t, key) : NULL;
  if (e == NULL)
    return 0;
  if (e->value->type != TC_TOML_STRING) {
    tc_fail(c->err, TC_ERR_PARSE, "kata_config_invalid", "%u:%u: %s must be a string", e->line,
            e->column, key);
    return -1;
  }
  *out = e->value->u.str.ptr;
  return 0;
}

static int get_bool(kcfg *c, const tc_toml_value *t, const char *key, int *out) {
  const tc_toml_entry *e = t ? tc_toml_get(t, key) : NULL;
  if (e == NULL)
    return 0;
  if (e->value->type != TC_TOML_BOOL) {
    tc_fail(c->err, TC_ERR_PARSE, "kata_config_invalid", "%u:%u: %s must be true or false", e->line,
            e->column, key);
    return -1;
  }
  *out = e->value->u.boolean;
  return 0;
}

static int get_num(kcfg *c, const tc_toml_value *t, const char *key, double *out) {
  const tc_toml_entry *e = t ? tc_toml_get(t, key) : NULL;
  if (e == NULL)
    return 0;
  if (e->value->type == TC_TOML_INTEGER)
    *out = (double)e->value->u.integer;
  else if (e->value->type == TC_TOML_FLOAT && isfinite(e->value->u.flt))
    *out = e->value->u.flt;
  else {
    tc_fail(c->err, TC_ERR_PARSE, "kata_config_invalid", "%u:%u: %s must be a number", e->line,
            e->column, key);
    return -1;
  }
  return 0;
}

static void note(json_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(json_t *a, const char *fmt, ...) {
  char buf[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  json_array_append_new(a, json_string(buf));
}

static void param(tc_strbuf *s, const char *text) {
  if (s->len)
    tc_strbuf_printf(s, " ");
  tc_strbuf_printf(s, "%s", text);
}

/* kernel_params split on spaces outside double quotes (KernelParamFields), each re-serialised
 * as key=value (DeserializeParams then SerializeParams: "=v" becomes "v"). */
static void user_params(tc_strbuf *s, const char *text) {
  size_t n = strlen(text), start = 0;
  int quoted = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && text[i] == '"')
      quoted = !quoted;
    if (i < n && (text[i] != ' ' || quoted))
      continue;
    if (i > start) {
      const char *p = text + start;
      size_t len = i - start;
      if (p[0] == '=') { /* empty key: the value alone */
        p++;
        len--;
      }
      if (len) {
        if (s->len)
          tc_strbuf_printf(s, " ");
        tc_strbuf_printf(s, "%.*s", (int)len, p);
      }
    }
    start = i + 1;
  }
}

static int root_params(kcfg *c, tc_strbuf *s, int nvdimm_off) {
  const char *fs = "ext4", *verity = "";
  if (get_str(c, c->hv, "rootfs_type", &fs) || get_str(c, c->hv, "kernel_verity_params", &verity))
    return -1;
  if (verity[0]) {
    tc_fail(c->err, TC_ERR_USAGE, "kata_unsupported",
            "kernel_verity_params (dm-verity root) is set: its command line is not composed "
            "here; give the runtime's command line with --append");
    return -1;
  }
  param(s, nvdimm_off ? "root=/dev/vda1" : "root=/dev/pmem0p1");
  if (strcmp(fs, "ext4") == 0 || fs[0] == '\0')
    param(s, "rootflags=data=ordered,errors=remount-ro ro rootfstype=ext4");
  else if (strcmp(fs, "xfs") == 0 || strcmp(fs, "erofs") == 0)
    tc_strbuf_printf(s, " rootflags=ro rootfstype=%s", fs);
  else {
    tc_fail(c->err, TC_ERR_PARSE, "kata_config_invalid",
            "rootfs_type \"%s\" is not ext4, xfs or erofs", fs);
    return -1;
  }
  return 0;
}

/* Agent parameters (KataAgentKernelParams), in its order. */
static int agent_params(kcfg *c, tc_strbuf *s) {
  int debug = 0, trace = 0, console = 0, cdi = 0;
  double cdh = 0, launch = 0;
  if (get_bool(c, c->agent, "enable_debug", &debug) ||
      get_bool(c, c->agent, "enable_tracing", &trace) ||
      get_bool(c, c->agent, "debug_console_enabled", &console) ||
      get_num(c, c->agent, "cdh_api_timeout", &cdh) ||
      get_num(c, c->agent, "launch_process_timeout", &launch) ||
      get_bool(c, c->agent, "visible_cdi_devices", &cdi))
    return -1;
  if (debug)
    param(s, "agent.log=debug");
  if (trace)
    param(s, "agent.trace=true");
  if (console)
    param(s, "agent.debug_console agent.debug_console_vport=1026");
  if (cdh >= 1)
    tc_strbuf_printf(s, " agent.cdh_api_timeout=%.0f", floor(cdh));
  if (launch >= 1)
    tc_strbuf_printf(s, " agent.launch_process_timeout=%.0f", floor(launch));
  if (cdi)
    param(s, "agent.visible_cdi_devices=true");
  return 0;
}

static int compose(kcfg *c, const char *image, tc_strbuf *s) {
  int debug = 0, iommu = 0, no_selinux = 1, nvdimm_off = 0;
  const char *bdd = "virtio-scsi", *user = "";
  if (get_bool(c, c->hv, "enable_debug", &debug) || get_bool(c, c->hv, "enable_iommu", &iommu) ||
      get_bool(c, c->hv, "disable_guest_selinux", &no_selinux) ||
      get_bool(c, c->hv, "disable_image_nvdimm", &nvdimm_off) ||
      get_str(c, c->hv, "block_device_driver", &bdd) || get_str(c, c->hv, "kernel_params", &user))
    return -1;
  param(s, "tsc=reliable no_timer_check rcupdate.rcu_expedited=1 i8042.direct=1 i8042.dumbkbd=1 "
           "i8042.nopnp=1 i8042.noaux=1 noreplace-smp reboot=k cryptomgr.notests net.ifnames=0 "
           "pci=lastbus=0");
  if (iommu)
    param(s, "intel_iommu=on iommu=pt");
  if (image && root_params(c, s, nvdimm_off) != 0)
    return -1;
  param(s, "console=hvc0 console=hvc1");
  param(s, debug ? "debug" : "quiet");
  if (image)
    param(s,
          debug ? "systemd.show_status=true systemd.log_level=debug" : "systemd.show_status=false");
  param(s, "panic=1"); /* no nr_cpus: a confidential guest */
  param(s, no_selinux ? "selinux=0" : "selinux=1");
  if (image)
    param(s, "systemd.unit=kata-containers.target systemd.mask=systemd-networkd.service "
             "systemd.mask=systemd-networkd.socket");
  if (strcmp(bdd, "virtio-scsi") == 0)
    param(s, "scsi_mod.scan=none");
  if (agent_params(c, s) != 0)
    return -1;
  user_params(s, user);
  return 0;
}

static int require_snp(kcfg *c) {
  int conf = 0, snp = 0;
  const char *machine = "q35";
  if (get_bool(c, c->hv, "confidential_guest", &conf) ||
      get_bool(c, c->hv, "sev_snp_guest", &snp) || get_str(c, c->hv, "machine_type", &machine))
    return -1;
  if (!conf || !snp) {
    tc_fail(c->err, TC_ERR_USAGE, "kata_not_snp",
            "[hypervisor.qemu] has confidential_guest = %s and sev_snp_guest = %s: not an "
            "SEV-SNP configuration",
            conf ? "true" : "false", snp ? "true" : "false");
    return -1;
  }
  if (strcmp(machine, "q35") != 0) {
    tc_fail(c->err, TC_ERR_USAGE, "kata_unsupported", "machine_type \"%s\" (q35 expected)",
            machine);
    return -1;
  }
  if (tc_toml_get(c->hv, "guest_extension_images") != NULL) {
    tc_fail(c->err, TC_ERR_USAGE, "kata_unsupported",
            "guest_extension_images add verity parameters that are not composed here; give the "
            "runtime's command line with --append");
    return -1;
  }
  return 0;
}

static int vcpus(kcfg *c, tc_kata_snp *out) {
  double v = 1;
  int fixed = 0;
  if (get_num(c, c->hv, "default_vcpus", &v) ||
      get_bool(c, c->runtime, "static_sandbox_resource_mgmt", &fixed))
    return -1;
  if (v < 0 || v > TC_SNP_MAX_VCPUS) {
    tc_fail(c->err, TC_ERR_USAGE, "kata_vcpus_unknown",
            "default_vcpus = %g: the runtime then uses the host's CPU count; give --vcpus", v);
    return -1;
  }
  out->vcpus = v == 0 ? 1 : (unsigned)ceil(v);
  note(out->assumptions, "vCPUs at launch: %u (default_vcpus = %g, rounded up; 0 means 1)%s",
       out->vcpus, v,
       fixed ? "; static_sandbox_resource_mgmt = true adds the pod's CPU limits to this: give "
               "--vcpus for a pod with limits"
             : "");
  return 0;
}

static char *dup_or_null(const char *s) {
  return s && s[0] ? strdup(s) : NULL;
}

static int paths(kcfg *c, tc_kata_snp *out, const char **image) {
  const char *fw = "", *kernel = "", *initrd = "";
  if (get_str(c, c->hv, "firmware", &fw) || get_str(c, c->hv, "kernel", &kernel) ||
      get_str(c, c->hv, "initrd", &initrd) || get_str(c, c->hv, "image", image))
    return -1;
  if (!fw[0] || !kernel[0]) {
    tc_fail(c->err, TC_ERR_USAGE, "kata_config_incomplete",
            "[hypervisor.qemu] has no %s: SEV-SNP measured direct boot needs firmware and kernel",
            !fw[0] ? "firmware" : "kernel");
    return -1;
  }
  if (initrd[0] && (*image)[0]) {
    tc_fail(c->err, TC_ERR_PARSE, "kata_config_invalid",
            "[hypervisor.qemu] sets both initrd and image (the runtime refuses that)");
    return -1;
  }
  out->firmware = strdup(fw);
  out->kernel = strdup(kernel);
  out->initrd = dup_or_null(initrd);
  out->image = dup_or_null(*image);
  if (out->image)
    note(out->assumptions,
         "root file system from image %s on %s: not part of the launch digest (only firmware, "
         "kernel, command line and initrd are); without kernel_verity_params its integrity "
         "is not attested",
         out->image, "a block device");
  return 0;
}

static void annotation_notes(const tc_toml_value *hv, json_t *a) {
  const tc_toml_entry *e = tc_toml_get(hv, "enable_annotations");
  if (e == NULL || e->value->type != TC_TOML_ARRAY)
    return;
  static const char *const risky[] = {"kernel_params", "default_vcpus", "kernel_verity_params",
                                      "firmware",      "kernel",        "initrd",
                                      "image"};
  for (size_t i = 0; i < e->value->u.array.len; i++) {
    const tc_toml_value *v = e->value->u.array.items[i];
    for (size_t k = 0; v->type == TC_TOML_STRING && k < sizeof risky / sizeof risky[0]; k++)
      if (strcmp(v->u.str.ptr, risky[k]) == 0)
        note(a,
             "no pod annotation overrides %s (enable_annotations allows it; an annotated pod "
             "gets another digest)",
             risky[k]);
  }
}

tc_status tc_kata_snp_inputs(const tc_toml_value *root, tc_kata_snp *out, tc_error *err) {
  memset(out, 0, sizeof *out);
  kcfg c = {tc_toml_path(root, "hypervisor.qemu"), tc_toml_path(root, "agent.kata"),
            tc_toml_path(root, "runtime"), err};
  if (c.hv == NULL || c.hv->type != TC_TOML_TABLE)
    return tc_fail(err, TC_ERR_USAGE, "kata_not_snp",
                   "no [hypervisor.qemu] table: not a QEMU (SEV-SNP) configuration");
  out->assumptions = json_array();
  tc_strbuf s = {0};
  const char *image = "";
  int bad = out->assumptions == NULL || require_snp(&c) || paths(&c, out, &image) ||
            vcpus(&c, out) || compose(&c, image[0] ? image : NULL, &s);
  if (!bad && (out->cmdline = tc_strbuf_take(&s)) == NULL)
    bad = tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "out of memory") != TC_OK;
  if (!bad) {
    note(out->assumptions,
         "kernel command line composed as the Go runtime (containerd-shim-kata-v2, Kata 4.1) "
         "does; runtime-rs composes its own: give --append for it");
    note(out->assumptions, "the host is not in FIPS mode (that adds fips=1 to the command line)");
    annotation_notes(c.hv, out->assumptions);
  }
  tc_strbuf_free(&s);
  if (bad) {
    if (out->assumptions == NULL)
      tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "out of memory");
    tc_kata_snp_free(out);
    return err->status == TC_OK ? TC_ERR_INTERNAL : err->status;
  }
  return TC_OK;
}

void tc_kata_snp_free(tc_kata_snp *k) {
  free(k->firmware);
  free(k->kernel);
  free(k->initrd);
  free(k->image);
  free(k->cmdline);
  json_decref(k->assumptions);
  memset(k, 0, sizeof *k);
}
