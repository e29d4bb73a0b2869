/* SPDX-License-Identifier: Apache-2.0 */
/* Kata sandbox discovery over fake /proc and /run trees built here, at test time.
 * Expected values are the numbers this test writes into the fake files, converted by
 * the test itself (kB * 1024; (utime + stime) / ticks per second). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exporter_test.h"
#include "teectl/exporter.h"

#define SID1 "4f1c0b7a9d8e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"
#define SID2 "b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1"
#define SID3 "rs-sandbox-3"
#define SID4 "go-sandbox-4"
#define SID5 "dragonball-5"
#define TICKS 100

/* A process: pid, comm, ppid, utime, stime, argv (NULL-terminated), VmRSS in kB (0 = no
 * status file line). */
static void put_proc(const char *root, int pid, const char *comm, int ppid, unsigned long utime,
                     unsigned long stime, const char *const *argv, unsigned long rss_kb) {
  char rel[128], buf[1024];
  snprintf(rel, sizeof rel, "proc/%d/stat", pid);
  /* proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
   * cmajflt utime stime cutime cstime priority nice num_threads ... */
  snprintf(buf, sizeof buf,
           "%d (%s) S %d %d %d 0 -1 4194560 1234 0 5 0 %lu %lu 7 8 20 0 4 0 5555 "
           "1000000 2000 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n",
           pid, comm, ppid, pid, pid, utime, stime);
  put_text(root, rel, buf);
  snprintf(rel, sizeof rel, "proc/%d/cmdline", pid);
  size_t len = 0;
  for (size_t i = 0; argv && argv[i]; i++) {
    size_t n = strlen(argv[i]) + 1;
    memcpy(buf + len, argv[i], n);
    len += n;
  }
  put_file(root, rel, buf, len);
  snprintf(rel, sizeof rel, "proc/%d/status", pid);
  if (rss_kb)
    snprintf(buf, sizeof buf,
             "Name:\t%s\nState:\tS (sleeping)\nVmPeak:\t 9999999 kB\nVmRSS:\t %lu kB\n"
             "Threads:\t4\n",
             comm, rss_kb);
  else
    snprintf(buf, sizeof buf, "Name:\t%s\nState:\tS (sleeping)\nThreads:\t1\n", comm);
  put_text(root, rel, buf);
}

static const char *const init_argv[] = {"/sbin/init", NULL};
static const char *const shim1_argv[] = {"/opt/kata/bin/containerd-shim-kata-v2",
                                         "-namespace",
                                         "k8s.io",
                                         "-address",
                                         "/run/containerd/containerd.sock",
                                         "-publish-binary",
                                         "/usr/bin/containerd",
                                         "-id",
                                         SID1,
                                         NULL};
static const char *const qemu1_argv[] = {"/opt/kata/bin/qemu-system-x86_64",
                                         "-name",
                                         "sandbox-" SID1,
                                         "-machine",
                                         "q35,accel=kvm,confidential-guest-support=snp",
                                         "-object",
                                         "sev-snp-guest,id=snp,cbitpos=51,reduced-phys-bits=1",
                                         "-m",
                                         "2048M",
                                         NULL};
static const char *const shim2_argv[] = {"containerd-shim-kata-v2", "-namespace", "k8s.io",
                                         "-id=" SID2, NULL};
static const char *const clh2_argv[] = {"/opt/kata/bin/cloud-hypervisor",
                                        "--api-socket",
                                        "/run/vc/vm/" SID2 "/clh-api.sock",
                                        "--platform",
                                        "tdx=on",
                                        NULL};
static const char *const libvirt_qemu_argv[] = {"/usr/bin/qemu-system-x86_64", "-name",
                                                "guest=plainvm", NULL};
static const char *const qemu3_argv[] = {
    "/opt/kata/bin/qemu-system-x86_64",
    "-append",
    "console=hvc0 note=tdx-guest",
    "-object",
    "{\"qom-type\":\"sev-guest\",\"id\":\"sev0\",\"policy\":5,\"cbitpos\":51}",
    NULL};
static const char *const fc4_argv[] = {"/opt/kata/bin/firecracker", "--api-sock", "x", NULL};
static const char *const rs_shim5_argv[] = {
    "/opt/kata/runtime-rs/bin/containerd-shim-kata-v2", "-namespace", "k8s.io", "-id", SID5, NULL};
static const char *const weird_argv[] = {"/usr/bin/weird", NULL};

/* The tree used by most tests. */
static char *build_tree(void) {
  char *root = tmp_dir();
  put_text(root, "proc/meminfo", "MemTotal: 1 kB\n"); /* non-pid entries are ignored */
  put_proc(root, 1, "systemd", 0, 10, 20, init_argv, 9000);
  /* sandbox 1: shim -> qemu with SEV-SNP, pod named by the containerd bundle */
  put_proc(root, 100, "containerd-shim", 1, 5, 5, shim1_argv, 30000);
  put_proc(root, 101, "qemu-system-x86", 100, 12345, 678, qemu1_argv, 2097152);
  /* a second VMM process of the same sandbox: summed into it, counted once */
  put_proc(root, 102, "qemu-system-x86", 101, 10, 5, qemu1_argv, 1024);
  put_text(root, "run/containerd/io.containerd.runtime.v2.task/k8s.io/" SID1 "/config.json",
           "{\"ociVersion\":\"1.1.0\",\"annotations\":{"
           "\"io.kubernetes.cri.container-type\":\"sandbox\","
           "\"io.kubernetes.cri.sandbox-name\":\"web-0\","
           "\"io.kubernetes.cri.sandbox-namespace\":\"shop\","
           "\"io.kubernetes.cri.sandbox-id\":\"" SID1 "\"}}");
  /* sandbox 2: shim -> cloud-hypervisor with TDX; runtime handler annotated */
  put_proc(root, 200, "containerd-shim", 1, 1, 1, shim2_argv, 25000);
  put_proc(root, 201, "cloud-hyperviso", 200, 400, 100, clh2_argv, 1048576);
  put_text(root, "run/containerd/io.containerd.runtime.v2.task/k8s.io/" SID2 "/config.json",
           "{\"annotations\":{\"io.kubernetes.cri.sandbox-name\":\"db-1\","
           "\"io.kubernetes.cri.sandbox-namespace\":\"data\","
           "\"io.containerd.cri.runtime-handler\":\"kata-clh-tdx\"}}");
  /* a VM nobody from Kata started: not a sandbox */
  put_proc(root, 300, "qemu-system-x86", 1, 1, 1, libvirt_qemu_argv, 4096);
  /* sandbox 3: runtime-rs state names the (re-parented) qemu; SEV with policy ES bit */
  put_proc(root, 400, "qemu-system-x86", 1, 50, 50, qemu3_argv, 524288);
  put_text(root, "run/kata/" SID3 "/state.json",
           "{\"sandbox_type\":\"virtcontainer\",\"hypervisor\":{\"hypervisor_type\":\"qemu\","
           "\"pid\":400,\"id\":\"" SID3 "\"}}");
  /* sandbox 4: Go runtime persist.json names firecracker */
  put_proc(root, 500, "firecracker", 1, 7, 3, fc4_argv, 131072);
  put_text(root, "run/vc/sbs/" SID4 "/persist.json",
           "{\"PersistVersion\":2,\"State\":\"running\",\"SandboxContainer\":\"" SID4 "\","
           "\"HypervisorState\":{\"Type\":\"firecracker\",\"Pid\":500}}");
  /* sandbox 5: runtime-rs with Dragonball, the VMM inside the shim (no VMM process) */
  put_proc(root, 800, "containerd-shim", 1, 900, 100, rs_shim5_argv, 262144);
  put_text(root, "run/kata/" SID5 "/state.json",
           "{\"sandbox_type\":\"virtcontainer\",\"hypervisor\":{\"hypervisor_type\":"
           "\"dragonball\",\"pid\":null,\"id\":\"" SID5 "\"}}");
  /* a stale Dragonball state without a shim: nothing */
  put_text(root, "run/kata/gone-6/state.json",
           "{\"hypervisor\":{\"hypervisor_type\":\"dragonball\",\"pid\":null}}");
  /* a half-written state file is ignored */
  put_text(root, "run/vc/sbs/broken/persist.json", "{\"HypervisorState\":{\"Pi");
  /* kernel thread (empty cmdline) and a comm with spaces and parentheses */
  put_proc(root, 2, "kthreadd", 0, 0, 0, NULL, 0);
  put_proc(root, 600, "a) b (c", 1, 1, 1, weird_argv, 100);
  return root;
}

static void test_discover(void **state) {
  (void)state;
  char *root = build_tree();
  tc_kata_sandboxes s;
  tc_error err;
  assert_int_equal(tc_kata_discover(root, &s, &err), TC_OK);
  assert_int_equal(s.n, 6);
  /* sorted by sandbox id, then pid: SID1 ("4f...", pids 101 and 102), SID2 ("b2..."),
   * SID5 ("dr..."), SID4 ("go-..."), SID3 ("rs-...") */
  const tc_kata_sandbox *a = &s.items[0], *a2 = &s.items[1], *b = &s.items[2], *e = &s.items[3],
                        *c = &s.items[4], *d = &s.items[5];
  assert_string_equal(a2->sandbox_id, SID1);
  assert_int_equal(a2->pid, 102);
  assert_true(a2->rss_bytes == 1024ull * 1024);
  assert_string_equal(e->sandbox_id, SID5);
  assert_int_equal(e->pid, 800);
  assert_string_equal(e->hypervisor, "dragonball");
  assert_string_equal(e->tee, "none");
  assert_true(e->rss_bytes == 262144ull * 1024);
  assert_true(e->cpu_ticks == 1000);
  assert_string_equal(a->sandbox_id, SID1);
  assert_int_equal(a->pid, 101);
  assert_string_equal(a->hypervisor, "qemu");
  assert_string_equal(a->tee, "sev_snp");
  assert_string_equal(a->pod, "web-0");
  assert_string_equal(a->pod_namespace, "shop");
  assert_string_equal(a->runtime_class, "");
  assert_true(a->rss_bytes == 2097152ull * 1024);
  assert_true(a->cpu_ticks == 12345 + 678);

  assert_string_equal(b->sandbox_id, SID2);
  assert_int_equal(b->pid, 201);
  assert_string_equal(b->hypervisor, "cloud-hypervisor");
  assert_string_equal(b->tee, "tdx");
  assert_string_equal(b->pod, "db-1");
  assert_string_equal(b->pod_namespace, "data");
  assert_string_equal(b->runtime_class, "kata-clh-tdx");
  assert_true(b->rss_bytes == 1048576ull * 1024);
  assert_true(b->cpu_ticks == 500);

  assert_string_equal(c->sandbox_id, SID4);
  assert_int_equal(c->pid, 500);
  assert_string_equal(c->hypervisor, "firecracker");
  assert_string_equal(c->tee, "none");
  assert_string_equal(c->pod, "");

  assert_string_equal(d->sandbox_id, SID3);
  assert_int_equal(d->pid, 400);
  assert_string_equal(d->tee, "sev_es");
  assert_true(d->rss_bytes == 524288ull * 1024);
  tc_kata_sandboxes_free(&s);
  tmp_rm(root);
}

static void test_metrics(void **state) {
  (void)state;
  char *root = build_tree();
  tc_kata_sandboxes s;
  tc_error err;
  assert_int_equal(tc_kata_discover(root, &s, &err), TC_OK);
  tc_prom_writer w;
  tc_prom_init(&w);
  assert_int_equal(tc_exporter_write_kata(&s, TICKS, &w, &err), TC_OK);
  double v;
  assert_true(series_value(
      w.text, "teectl_kata_sandboxes{hypervisor=\"qemu\",tee=\"sev_snp\",runtime_class=\"\"}", &v));
  assert_true(v == 1);
  assert_true(series_value(w.text,
                           "teectl_kata_sandboxes{hypervisor=\"cloud-hypervisor\",tee=\"tdx\","
                           "runtime_class=\"kata-clh-tdx\"}",
                           &v));
  assert_true(v == 1);
  assert_true(series_value(
      w.text,
      "teectl_kata_sandbox_resident_memory_bytes{sandbox_id=\"" SID1
      "\",pod=\"web-0\",namespace=\"shop\",hypervisor=\"qemu\",tee=\"sev_snp\",runtime_class=\"\"}",
      &v));
  assert_true(v == (2097152.0 + 1024.0) * 1024.0);
  assert_true(series_value(
      w.text,
      "teectl_kata_sandbox_cpu_seconds_total{sandbox_id=\"" SID1
      "\",pod=\"web-0\",namespace=\"shop\",hypervisor=\"qemu\",tee=\"sev_snp\",runtime_class=\"\"}",
      &v));
  assert_true(v == (12345.0 + 678.0 + 10.0 + 5.0) / TICKS);
  assert_true(series_value(w.text,
                           "teectl_kata_sandbox_cpu_seconds_total{sandbox_id=\"" SID2
                           "\",pod=\"db-1\",namespace=\"data\",hypervisor=\"cloud-hypervisor\","
                           "tee=\"tdx\",runtime_class=\"kata-clh-tdx\"}",
                           &v));
  assert_true(v == 5.0);
  assert_true(series_value(w.text,
                           "teectl_kata_sandbox_resident_memory_bytes{sandbox_id=\"" SID4
                           "\",pod=\"\",namespace=\"\",hypervisor=\"firecracker\",tee=\"none\","
                           "runtime_class=\"\"}",
                           &v));
  assert_true(v == 131072.0 * 1024.0);
  /* the libvirt VM (pid 300, 4096 kB) is nowhere */
  assert_null(strstr(w.text, "plainvm"));
  assert_false(has_line_prefix(w.text, "teectl_kata_sandboxes{hypervisor=\"qemu\",tee=\"none\""));
  assert_true(series_value(w.text,
                           "teectl_kata_sandbox_cpu_seconds_total{sandbox_id=\"" SID5
                           "\",pod=\"\",namespace=\"\",hypervisor=\"dragonball\",tee=\"none\","
                           "runtime_class=\"\"}",
                           &v));
  assert_true(v == 1000.0 / TICKS);
  /* 5 sandboxes -> 5 + 5 per-sandbox samples */
  size_t samples = 0;
  for (const char *p = w.text; (p = strstr(p, "\nteectl_kata_sandbox_")) != NULL; p++)
    samples++;
  assert_int_equal(samples, 10);
  /* the unlabelled total: the 5 sandboxes of the tree */
  assert_true(series_value(w.text, "teectl_kata_sandboxes_running", &v));
  assert_true(v == 5);
  assert_int_equal(tc_exporter_write_kata(&s, 0, &w, &err), TC_ERR_USAGE);
  tc_prom_free(&w);
  tc_kata_sandboxes_free(&s);
  tmp_rm(root);
}

static void test_empty_and_errors(void **state) {
  (void)state;
  tc_error err;
  tc_kata_sandboxes s;
  char *root = tmp_dir();
  /* no proc folder at all: an explicit error */
  assert_int_equal(tc_kata_discover(root, &s, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "proc_unreadable");
  /* empty proc: no sandboxes; the family has HELP/TYPE and no samples */
  put_text(root, "proc/uptime", "1.0 1.0\n");
  assert_int_equal(tc_kata_discover(root, &s, &err), TC_OK);
  assert_int_equal(s.n, 0);
  tc_prom_writer w;
  tc_prom_init(&w);
  assert_int_equal(tc_exporter_write_kata(&s, TICKS, &w, &err), TC_OK);
  assert_false(has_line_prefix(w.text, "teectl_kata_sandboxes{"));
  assert_false(has_line_prefix(w.text, "teectl_kata_sandbox_"));
  assert_true(has_line_prefix(w.text, "# TYPE teectl_kata_sandboxes gauge"));
  /* ... but the total is there, 0 */
  double zero = -1;
  assert_true(series_value(w.text, "teectl_kata_sandboxes_running", &zero));
  assert_true(zero == 0);
  tc_prom_free(&w);
  tc_kata_sandboxes_free(&s);

  /* a process that went away between the listing and the read (no stat): left out, and
   * not counted as malformed */
  put_text(root, "proc/88/cmdline", "x");
  assert_int_equal(tc_kata_discover(root, &s, &err), TC_OK);
  assert_int_equal(s.n, 0);
  assert_int_equal(s.skipped, 0);
  assert_string_equal(s.skip_detail, "");
  tc_kata_sandboxes_free(&s);

  /* a malformed stat is skipped and counted, with the file named */
  put_text(root, "proc/77/stat", "77 (x) S\n");
  put_text(root, "proc/77/cmdline", "x");
  assert_int_equal(tc_kata_discover(root, &s, &err), TC_OK);
  assert_int_equal(s.n, 0);
  assert_int_equal(s.skipped, 1);
  assert_non_null(strstr(s.skip_detail, "proc/77/stat"));
  tc_kata_sandboxes_free(&s);
  tmp_rm(root);

  /* a live hypervisor without VmRSS: skipped and counted */
  root = tmp_dir();
  put_proc(root, 100, "containerd-shim", 1, 1, 1, shim1_argv, 10);
  put_proc(root, 101, "qemu-system-x86", 100, 1, 1, qemu1_argv, 0);
  assert_int_equal(tc_kata_discover(root, &s, &err), TC_OK);
  assert_int_equal(s.n, 0);
  assert_int_equal(s.skipped, 1);
  assert_non_null(strstr(s.skip_detail, "proc/101/status"));
  tc_kata_sandboxes_free(&s);
  tmp_rm(root);
}

/* One malformed /proc entry must not hide the other sandboxes (issue 14 item 12): the full
 * tree plus a process whose stat does not parse and a sandbox whose VmRSS overflows 2^64
 * bytes; the four good sandboxes of the tree that are not touched are still reported. */
static void test_bad_entries_skipped(void **state) {
  (void)state;
  char *root = build_tree();
  tc_kata_sandboxes s;
  tc_error err;
  assert_int_equal(tc_kata_discover(root, &s, &err), TC_OK);
  size_t good = s.n;
  assert_int_equal(s.skipped, 0);
  assert_string_equal(s.skip_detail, "");
  tc_kata_sandboxes_free(&s);
  put_text(root, "proc/900/stat", "900 (broken) S not-a-ppid\n");
  put_text(root, "proc/900/cmdline", "broken");
  /* sandbox 4's firecracker: VmRSS of 2^64 / 1024 kB, one too many */
  put_text(root, "proc/500/status", "Name:\tfirecracker\nVmRSS:\t 18014398509481984 kB\n");
  assert_int_equal(tc_kata_discover(root, &s, &err), TC_OK);
  assert_int_equal(s.skipped, 2);
  assert_int_equal(s.n, good - 1);
  for (size_t i = 0; i < s.n; i++)
    assert_string_not_equal(s.items[i].sandbox_id, SID4);
  tc_kata_sandboxes_free(&s);
  tmp_rm(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_discover),
      cmocka_unit_test(test_metrics),
      cmocka_unit_test(test_empty_and_errors),
      cmocka_unit_test(test_bad_entries_skipped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
