/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — Prometheus exporter: TEE capacity of the node and Kata sandboxes.
 *
 * Output is the Prometheus text exposition format, version 0.0.4 ("Exposition
 * formats", prometheus.io/docs/instrumenting/exposition_formats/): per metric family one
 * "# HELP" and one "# TYPE" line, then its samples. Names follow the Prometheus naming
 * practices (prometheus.io/docs/practices/naming/): prefix teectl_, base units
 * (bytes, seconds), counters end in _total.
 *
 * Metric families (all gauges unless marked counter):
 *
 *   teectl_node_info{role,guest_tee}                1; role "host"/"guest", guest_tee below
 *   teectl_node_tee_usable                          0/1: Kata can run confidential pods on this
 *                                                   node (tc_probe_tee_usable; probe's exit code)
 *   teectl_tee_supported{tee}                       0/1 per tee in sgx, tdx, sev, sev_es, sev_snp:
 *                                                   CPU + firmware support it, KVM on or not
 *   teectl_tee_enabled{tee}                         0/1 per tee: usable on this host (below)
 *   teectl_sev_asids                                SEV ASIDs, capacity (misc cgroup "sev")
 *   teectl_sev_asids_used                           SEV ASIDs in use (misc.current "sev")
 *   teectl_sev_es_asids / teectl_sev_es_asids_used  the same for "sev_es"
 *   teectl_tdx_keyids / teectl_tdx_keyids_used      TDX guest KeyIDs, misc cgroup "tdx"
 *   teectl_sgx_epc_bytes                            SGX EPC size in bytes (omitted when unknown)
 *   teectl_kata_sandboxes{hypervisor,tee,runtime_class}  running Kata sandboxes (one sample per
 *                                                   label set seen; no sample when none run)
 *   teectl_kata_sandboxes_running                   running Kata sandboxes in total, no labels;
 *                                                   always present, 0 when none run
 *   teectl_kata_sandbox_resident_memory_bytes{sandbox_id,pod,namespace,hypervisor,tee,
 *                                             runtime_class}
 *                                                   VmRSS of the sandbox's hypervisor process
 *   teectl_kata_sandbox_cpu_seconds_total{same labels}  counter: utime+stime of that process
 *                           (labels with an unknown value are empty; sandboxes whose id is
 *                           unknown are only counted in teectl_kata_sandboxes)
 *   teectl_exporter_build_info{version}             1; teectl's version
 *   teectl_exporter_scrape_duration_seconds         duration of this scrape
 *   teectl_exporter_scrapes_total                   counter: scrapes since start
 *   teectl_exporter_scrape_errors_total{collector}  counter: failed collector runs since start
 *   teectl_exporter_collector_success{collector}    0/1 for this scrape ("tee", "kata")
 *
 * From the probe's JSON fields (the probe's own decisions, so exporter, `teectl probe` and
 * `teectl config generate` agree):
 *   node_tee_usable: tc_probe_tee_usable(probe).
 *   enabled:   sgx = tc_probe_tee_kind_usable(SGX) (host, kvm, sgx.supported, flc, driver,
 *              enabled_in_kvm: the NFD teectl.io/sgx label); tdx = tc_probe_tee_kind_usable(TDX)
 *              (host, kvm, tdx.module_initialized); sev_snp = tc_probe_tee_kind_usable(SNP)
 *              (host, kvm, sev.snp). Legacy sev = host && kvm && sev.supported &&
 *              sev.enabled_in_kvm, sev_es = host && kvm && sev.es: KVM can start such guests,
 *              but Kata cannot use them, so they do not make teectl_node_tee_usable 1.
 *   supported: sgx = sgx.supported; tdx = tdx.host_supported; sev = sev.supported;
 *              sev_es / sev_snp = sev.supported && sev.cpu_advertises_es / _snp (or, when
 *              the probe gives no cpu_advertises_*, sev.es / sev.snp); each is always 1 when
 *              the same tee is enabled.
 *   guest_tee: "tdx" if tdx.guest, else sev.guest mapped snp->sev_snp, sev-es->sev_es,
 *              sev->sev, none->none.
 *
 * A *_used series is written only when the misc cgroup's current use is known: an
 * unknown value is left out, never reported as 0.
 */
#ifndef TEECTL_EXPORTER_H
#define TEECTL_EXPORTER_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "teectl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------
 * Exposition format writer (text format 0.0.4). No I/O: it fills a heap buffer.
 * ------------------------------------------------------------------------------- */

typedef enum { TC_PROM_GAUGE, TC_PROM_COUNTER } tc_prom_type;

/** One label: name must match [a-zA-Z_][a-zA-Z0-9_]* and not start with "__";
 *  value is any UTF-8 text (escaped on output: backslash, double quote, line feed). */
typedef struct tc_prom_label {
  const char *name;
  const char *value;
} tc_prom_label;

/** Text being built. Zero-initialise (or tc_prom_init), free with tc_prom_free. */
typedef struct tc_prom_writer {
  char *text; /**< NUL-terminated exposition text (NULL while empty) */
  size_t len; /**< bytes in text, without the NUL */
  size_t cap;
  char family[128]; /**< name of the family samples are written to, "" before the first */
  char **names;     /**< every family name written so far (duplicates are rejected) */
  size_t n_names;
} tc_prom_writer;

void tc_prom_init(tc_prom_writer *w);
void tc_prom_free(tc_prom_writer *w);

/**
 * Start a metric family: writes "# HELP <name> <help>" (help escaped: backslash and
 * line feed) and "# TYPE <name> gauge|counter". name: [a-zA-Z_:][a-zA-Z0-9_:]*, at most
 * 127 bytes; a counter's name must end in "_total" (so the samples carry that name, as
 * text format 0.0.4 writes them).
 * Errors: TC_ERR_USAGE "prom_bad_metric_name" (name invalid, or counter without _total),
 * "prom_duplicate_family" (name already written), "prom_bad_text" (help not UTF-8);
 * TC_ERR_NOMEM "out_of_memory". On error nothing is appended.
 */
tc_status tc_prom_family(tc_prom_writer *w, const char *name, tc_prom_type type, const char *help,
                         tc_error *err);

/**
 * Write one sample of the current family: name{l1="v1",...} value. labels may be NULL
 * when n_labels is 0. value: a float64; integral values up to 2^53 print exactly as
 * integers, others with 17 significant digits; NaN, +Inf and -Inf as in the format.
 * Labels with an empty value are written as given (Prometheus treats them as absent).
 * Errors: TC_ERR_USAGE "prom_no_family" (no family started), "prom_bad_label_name",
 * "prom_bad_text" (label value not valid UTF-8); TC_ERR_NOMEM "out_of_memory".
 * On error nothing is appended.
 */
tc_status tc_prom_sample(tc_prom_writer *w, const tc_prom_label *labels, size_t n_labels,
                         double value, tc_error *err);

/* ---------------------------------------------------------------------------------
 * TEE capacity from the probe's JSON (no I/O).
 * ------------------------------------------------------------------------------- */

/** Current use of the misc cgroup resources ("sev", "sev_es", "tdx"); -1 = unknown. */
typedef struct tc_misc_current {
  int64_t sev;
  int64_t sev_es;
  int64_t tdx;
} tc_misc_current;

/**
 * Parse a misc cgroup flat-keyed file (misc.current / misc.capacity: lines "<key> <u64>",
 * Linux Documentation/admin-guide/cgroup-v2.rst, "Misc") and add the values of the
 * keys sev, sev_es, tdx (matched on the whole key) to *acc; an entry of *acc that is
 * -1 becomes the value. Unknown keys are ignored. what: file name for messages.
 * Errors: TC_ERR_PARSE "misc_cgroup_malformed" (line without a key and a decimal
 * value; detail names the file and line number).
 */
tc_status tc_misc_current_parse(const char *text, size_t len, const char *what,
                                tc_misc_current *acc, tc_error *err);

/**
 * Write the TEE families (teectl_node_info ... teectl_sgx_epc_bytes, see top of file)
 * from the probe's JSON (the shape of vectors/hosts/<case>/expected.json: role, kvm, sgx,
 * tdx, sev objects) and the misc cgroup current use. All fields are validated before
 * anything is written, so on error w is unchanged.
 * Errors: TC_ERR_PARSE "probe_field_missing" / "probe_field_type" (detail names the
 * JSON path, e.g. "sev.asids"); writer errors (see tc_prom_family).
 */
tc_status tc_exporter_write_tee(const json_t *probe, const tc_misc_current *used, tc_prom_writer *w,
                                tc_error *err);

/* ---------------------------------------------------------------------------------
 * Kata sandboxes, discovered from /proc and the runtimes' state directories.
 * ------------------------------------------------------------------------------- */

/** One running Kata sandbox: its hypervisor process and what names it. */
typedef struct tc_kata_sandbox {
  char sandbox_id[129];    /**< containerd/CRI sandbox id; "" when not found */
  char pod[254];           /**< Kubernetes pod name; "" when not found */
  char pod_namespace[254]; /**< Kubernetes namespace; "" when not found */
  char runtime_class[64];  /**< runtime handler when the bundle names it, else "" */
  char hypervisor[32];     /**< qemu, cloud-hypervisor, firecracker, dragonball */
  char tee[16];            /**< "sev", "sev_snp", "tdx" or "none" (from the VMM arguments) */
  int pid;                 /**< hypervisor process id (in the --root /proc) */
  uint64_t rss_bytes;      /**< VmRSS of /proc/<pid>/status, bytes (kB * 1024) */
  uint64_t cpu_ticks;      /**< utime + stime of /proc/<pid>/stat, clock ticks */
} tc_kata_sandbox;

typedef struct tc_kata_sandboxes {
  tc_kata_sandbox *items;
  size_t n;
  size_t skipped;        /**< /proc entries skipped as malformed (stat, status) */
  char skip_detail[256]; /**< the first skipped entry: path and problem; "" if none */
} tc_kata_sandboxes;

/**
 * Find running Kata sandboxes under root ("/" on a node; a fixture tree in tests):
 * a hypervisor process (argv[0] basename qemu-system-*, qemu-kvm, cloud-hypervisor,
 * firecracker) that descends from a Kata shim (argv[0] basename containerd-shim-kata*-v2)
 * or whose pid is recorded in a runtime state file: run/vc/sbs/<id>/persist.json (Go
 * runtime: HypervisorState.Pid) or run/kata/<id>/state.json|persist.json (runtime-rs:
 * hypervisor.pid). runtime-rs with Dragonball (state hypervisor.hypervisor_type
 * "dragonball") runs the VMM inside the shim: then the shim whose "-id" is the state
 * directory's name is the sandbox's process. Sandbox id: that state directory, else the
 * shim's "-id" argument,
 * else QEMU's "-name sandbox-<id>". Pod and namespace: the CRI annotations
 * io.kubernetes.cri.sandbox-name / -namespace in the containerd bundle
 * run/containerd/io.containerd.runtime.v2.task/<ns>/<id>/config.json; runtime class:
 * its io.containerd.cri.runtime-handler annotation when present.
 * Processes that vanish while being read are skipped. A process whose /proc/<pid>/stat does
 * not parse, or a sandbox's whose status has no VmRSS or one beyond 2^64 bytes, is skipped
 * too and counted in out->skipped (the first one named in out->skip_detail): one odd entry
 * must not hide every other sandbox. Sorted by sandbox id, then pid.
 * Errors: TC_ERR_IO "proc_unreadable" (root/proc cannot be listed); TC_ERR_NOMEM
 * "out_of_memory".
 */
tc_status tc_kata_discover(const char *root, tc_kata_sandboxes *out, tc_error *err);

void tc_kata_sandboxes_free(tc_kata_sandboxes *s);

/**
 * Write teectl_kata_sandboxes, teectl_kata_sandboxes_running,
 * teectl_kata_sandbox_resident_memory_bytes and
 * teectl_kata_sandbox_cpu_seconds_total (cpu_ticks / clk_tck, seconds). clk_tck: clock
 * ticks per second (sysconf(_SC_CLK_TCK)), > 0. Errors: TC_ERR_USAGE "bad_clk_tck";
 * writer errors.
 */
tc_status tc_exporter_write_kata(const tc_kata_sandboxes *s, long clk_tck, tc_prom_writer *w,
                                 tc_error *err);

/* ---------------------------------------------------------------------------------
 * Scrapes and the HTTP endpoint (edges: they read files, the clock and the network).
 * ------------------------------------------------------------------------------- */

/** Where a scrape reads from: the probe's options (see tc_probe_opts). */
typedef struct tc_exporter_opts {
  const char *root;              /**< NULL or "/" = this node; else a fake root folder */
  const char *cpuid_file;        /**< NULL = execute CPUID; else a cpuid.txt dump */
  const char *char_devices_file; /**< NULL = stat(); else a DEVICES.txt list */
  long clk_tck;                  /**< clock ticks per second; 0 = sysconf(_SC_CLK_TCK) */
} tc_exporter_opts;

/** Exporter state: options plus the counters kept across scrapes (lock-protected). */
typedef struct tc_exporter {
  tc_exporter_opts opts; /**< strings are borrowed: they must outlive the exporter */
  pthread_mutex_t lock;
  uint64_t scrapes;     /**< completed scrapes */
  uint64_t errors_tee;  /**< failed runs of the "tee" collector (probe) */
  uint64_t errors_kata; /**< failed runs of the "kata" collector */
} tc_exporter;

/** Initialise x with opts (copied; the strings are borrowed). Errors: TC_ERR_INTERNAL
 *  "mutex_init_failed"; TC_ERR_USAGE "bad_clk_tck" (opts->clk_tck < 0). */
tc_status tc_exporter_init(tc_exporter *x, const tc_exporter_opts *opts, tc_error *err);
void tc_exporter_destroy(tc_exporter *x);

/**
 * One scrape: runs the "tee" collector (tc_probe_run, then tc_exporter_write_tee with the
 * misc cgroup current use: the probe's misc.current, or on kernels before Linux 6.5, whose
 * root cgroup has no misc.current, the sum of misc.current of the root's child cgroups)
 * and the "kata" collector (tc_kata_discover, tc_exporter_write_kata), then the exporter's
 * own families (duration, scrapes, errors, collector success). A failing collector
 * does not fail the scrape: its families are left out, its error counter goes up, its
 * success gauge is 0, and its error is copied to *collector_err (status TC_OK when
 * every collector succeeded; may be NULL). *text: malloc'd NUL-terminated exposition
 * text (caller frees), *len its length. Thread-safe (serialised on x->lock).
 * Errors: TC_ERR_NOMEM "out_of_memory"; writer errors (a bug: names are constants).
 */
tc_status tc_exporter_scrape(tc_exporter *x, char **text, size_t *len, tc_error *collector_err,
                             tc_error *err);

/** A running HTTP endpoint (libmicrohttpd, one internal polling thread). */
typedef struct tc_exporter_server tc_exporter_server;

/**
 * Serve GET /metrics (Content-Type "text/plain; version=0.0.4; charset=utf-8", one scrape
 * per request) on listen = "HOST:PORT" (HOST an IPv4 address, "[IPv6]" or a name;
 * PORT 0 picks a free port). *bound_port gets the port in use. GET /healthz answers 200
 * "ok" without scraping (Kubernetes liveness/readiness probes; `teectl serve` uses the same
 * path). GET / answers with a pointer to /metrics, other paths 404, methods other than
 * GET/HEAD 405.
 * Errors: TC_ERR_USAGE "bad_listen_address" (not HOST:PORT, or HOST does not resolve);
 * TC_ERR_IO "listen_failed" (address in use, no permission, ...).
 */
tc_status tc_exporter_serve(tc_exporter *x, const char *listen, tc_exporter_server **out,
                            unsigned *bound_port, tc_error *err);

/** Stop serving and free s (NULL-safe). Waits for the request in progress. */
void tc_exporter_server_stop(tc_exporter_server *s);

#ifdef __cplusplus
}
#endif
#endif
