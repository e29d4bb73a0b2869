/* SPDX-License-Identifier: Apache-2.0 */
/* teectl probe: what this node's CPU, firmware, kernel and KVM enable. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#ifdef __linux__
#include <sys/vfs.h>
#endif
#include <unistd.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "teectl/file.h"
#include "teectl/probe.h"

/* 1 if ROOT/proc is a mounted procfs: the root is this very machine (the DaemonSets mount
 * the host's /proc under --root /host), so live CPUID belongs with it. */
static int root_proc_is_live(const char *root) {
#ifdef __linux__
  char path[4096];
  struct statfs fs;
  snprintf(path, sizeof path, "%s/proc", root);
  return statfs(path, &fs) == 0 && fs.f_type == 0x9fa0; /* PROC_SUPER_MAGIC */
#else
  (void)root;
  return 0;
#endif
}

static void usage(FILE *f) {
  fprintf(f,
          "Usage: teectl probe [options]\n\n"
          "Report what this node's CPU, firmware, kernel and KVM enable for AMD SEV/SEV-ES/\n"
          "SEV-SNP, Intel TDX and Intel SGX (host), or which TEE it runs in (guest). Reads\n"
          "CPUID, /proc/cpuinfo, /proc/cmdline, KVM module parameters, the misc cgroup, sysfs\n"
          "and device nodes; never the kernel log.\n\n"
          "Options:\n"
          "  --format human|json   output (default human: one line per check, with the fix;\n"
          "                        check marks in a UTF-8 locale, [ok]/[no] otherwise)\n"
          "  --nfd                 write a Node Feature Discovery features.d file (name=value)\n"
          "  --out FILE            write the output to FILE atomically instead of stdout\n"
          "  --interval SECONDS    with --out: probe again every SECONDS until SIGTERM/SIGINT,\n"
          "                        which removes FILE and exits 0 (DaemonSet); an NFD file\n"
          "                        then carries '# +expiry-time=' 3 x SECONDS ahead\n"
          "  --root DIR            read proc/, sys/ and dev/ below DIR (default /)\n"
          "  --cpuid FILE          use a CPUID dump ('leaf subleaf eax ebx ecx edx' in hex per\n"
          "                        line) instead of executing CPUID\n"
          "  --char-devices FILE   paths (relative to the root) that count as character devices,\n"
          "                        lines 'path c major:minor' (for fake roots); a listed\n"
          "                        path counts even when no file is there under the root\n"
          "  --prepare-dir DIR     only make DIR (created when missing; not a symbolic link)\n"
          "                        writable by this process's group (chgrp, g+rwx), for a\n"
          "                        probe running with another UID in that group; needs no\n"
          "                        capability as DIR's owner (DaemonSet init container)\n"
          "  -h, --help            show this help\n\n"
          "A TEE is usable when Kata can run confidential pods with it: SEV-SNP, TDX or SGX on\n"
          "a host; on a guest, running inside SEV-SNP or TDX. Legacy SEV/SEV-ES is reported but\n"
          "not usable (Kata supports SEV-SNP, not legacy SEV). A TEE guest whose attestation\n"
          "device (dev/sev-guest, dev/tdx_guest) is missing still counts; the device is shown\n"
          "as a failed check with its fix (load the sev-guest / tdx_guest kernel module).\n"
          "With --root, CPUID still comes from this machine's CPU unless --cpuid is given.\n\n"
          "Exit codes: 0 a TEE is usable on this node (or it is a TEE guest), 1 none usable,\n"
          "2 usage error or unreadable input.\n");
}

enum { FMT_HUMAN, FMT_JSON, FMT_NFD };

/* --prepare-dir DIR: make DIR (created 0775 when missing) a folder this process's group may
 * write: its group becomes the effective GID and it gains g+rwx. The probe container (its own
 * UID, the same GID) can then write its feature file there. Opened with O_NOFOLLOW: a symbolic
 * link is refused, not followed (the folder is a hostPath). Needs no capability when this
 * process owns DIR (chgrp to one's own group and chmod are the owner's rights): for the
 * root-owned folder kubelet or NFD created, that means UID 0 with every capability dropped.
 * Returns an exit code (0, or 2 with one line on stderr). */
static int prepare_dir(const char *dir) {
  if (mkdir(dir, 0775) != 0 && errno != EEXIST) {
    fprintf(stderr, "teectl probe: --prepare-dir %s: %s\n", dir, strerror(errno));
    return CLI_EXIT_USAGE;
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    fprintf(stderr, "teectl probe: --prepare-dir %s: %s\n", dir,
            errno == ELOOP || errno == ENOTDIR ? "not a folder (symbolic links are refused)"
                                               : strerror(errno));
    if (fd >= 0)
      close(fd);
    return CLI_EXIT_USAGE;
  }
  gid_t gid = getegid();
  mode_t mode = (st.st_mode & 07777) | S_IRWXG;
  int rc = CLI_EXIT_OK;
  if ((st.st_gid != gid && fchown(fd, (uid_t)-1, gid) != 0) ||
      ((st.st_mode & 07777) != mode && fchmod(fd, mode) != 0)) {
    fprintf(stderr,
            "teectl probe: --prepare-dir %s: %s (the folder belongs to UID %u: run this as that "
            "user)\n",
            dir, strerror(errno), (unsigned)st.st_uid);
    rc = CLI_EXIT_USAGE;
  }
  close(fd);
  if (rc == CLI_EXIT_OK)
    fprintf(stderr, "teectl probe: %s is writable by group %u (mode %04o)\n", dir, (unsigned)gid,
            (unsigned)mode);
  return rc;
}

/* With --interval, the NFD file expires this many intervals after it was written: two missed
 * refreshes are tolerated, a probe that stopped takes its labels with it at the third. */
#define NFD_EXPIRY_INTERVALS 3

/* One probe run, written to out_path (atomically) or stdout. expires_at: for the NFD file,
 * see tc_probe_nfd_text (0 = none). */
static int emit(const tc_probe_opts *po, int fmt, const char *out_path, int64_t expires_at,
                int *usable) {
  json_t *res = NULL;
  tc_error err;
  tc_error_clear(&err);
  if (tc_probe_run(po, &res, &err) != TC_OK) {
    /* a plain message naming the option; reason codes are for JSON, not for this line */
    const char *what = "";
    if (strcmp(err.reason, "probe_bad_options") == 0)
      what = "--root DIR: ";
    else if (strcmp(err.reason, "cpuid_dump_malformed") == 0)
      what = "--cpuid FILE: ";
    else if (strcmp(err.reason, "char_devices_malformed") == 0)
      what = "--char-devices FILE: ";
    if (err.status == TC_ERR_NOMEM)
      fprintf(stderr, "teectl probe: out of memory\n");
    else
      fprintf(stderr, "teectl probe: %s%s\n", what, err.detail);
    return CLI_EXIT_USAGE;
  }
  *usable = tc_probe_tee_usable(res);
  char *text = NULL;
  if (fmt == FMT_JSON)
    text = json_dumps(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  else if (fmt == FMT_NFD)
    text = tc_probe_nfd_text(res, expires_at);
  else
    text = tc_probe_human_text(res, cli_locale_is_utf8());
  json_decref(res);
  if (text == NULL) {
    fprintf(stderr, "teectl probe: out of memory\n");
    return CLI_EXIT_USAGE;
  }
  size_t len = strlen(text);
  int rc = CLI_EXIT_OK;
  if (out_path) {
    /* JSON text from jansson has no trailing newline */
    char *full = malloc(len + 2);
    if (full == NULL) {
      free(text);
      return CLI_EXIT_USAGE;
    }
    memcpy(full, text, len);
    if (fmt == FMT_JSON)
      full[len++] = '\n';
    if (tc_file_write_atomic(out_path, full, len, &err) != TC_OK) {
      fprintf(stderr, "teectl probe: %s\n", err.detail);
      rc = CLI_EXIT_USAGE;
    }
    free(full);
  } else {
    fputs(text, stdout);
    if (fmt == FMT_JSON)
      fputc('\n', stdout);
    fflush(stdout);
  }
  free(text);
  return rc;
}

/* --interval: probe every interval seconds until SIGTERM or SIGINT (blocked, and taken with
 * sigtimedwait as the wait between runs, so none is lost between a check and the wait); then
 * remove the --out file (a regular file: what this loop wrote) and exit 0. */
static int run_loop(const tc_probe_opts *po, int fmt, const char *out_path, long interval) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  if (sigprocmask(SIG_BLOCK, &stop, NULL) != 0) {
    fprintf(stderr, "teectl probe: cannot block SIGTERM/SIGINT: %s\n", strerror(errno));
    return CLI_EXIT_USAGE;
  }
  for (;;) {
    int usable = 0;
    int64_t expires_at =
        fmt == FMT_NFD ? (int64_t)time(NULL) + (int64_t)NFD_EXPIRY_INTERVALS * interval : 0;
    int rc = emit(po, fmt, out_path, expires_at, &usable);
    if (rc != CLI_EXIT_OK)
      return rc;
    struct timespec wait = {.tv_sec = interval, .tv_nsec = 0};
    int sig = sigtimedwait(&stop, NULL, &wait);
    if (sig != SIGTERM && sig != SIGINT)
      continue; /* the interval passed (EAGAIN), or another signal interrupted the wait */
    struct stat st;
    if (lstat(out_path, &st) == 0 && S_ISREG(st.st_mode) && unlink(out_path) != 0) {
      fprintf(stderr, "teectl probe: stopping: cannot remove %s: %s\n", out_path, strerror(errno));
      return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
  }
}

int cmd_probe(int argc, char **argv) {
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"nfd", no_argument, NULL, 'n'},
                                       {"out", required_argument, NULL, 'o'},
                                       {"interval", required_argument, NULL, 'i'},
                                       {"root", required_argument, NULL, 'r'},
                                       {"cpuid", required_argument, NULL, 'c'},
                                       {"char-devices", required_argument, NULL, 'd'},
                                       {"prepare-dir", required_argument, NULL, 'p'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  tc_probe_opts po = {0};
  int fmt = FMT_HUMAN, have_format = 0, nfd = 0;
  const char *out_path = NULL, *prep = NULL;
  long interval = 0;
  int n_opts = 0;
  cli_getopt_reset();
  int c;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    n_opts++;
    switch (c) {
    case 'p':
      prep = optarg;
      break;
    case 'f':
      if (strcmp(optarg, "json") == 0)
        fmt = FMT_JSON;
      else if (strcmp(optarg, "human") == 0 || strcmp(optarg, "text") == 0)
        fmt = FMT_HUMAN;
      else
        return cli_usage_error("probe", "unknown format '%s' (human or json)", optarg);
      have_format = 1;
      break;
    case 'n':
      nfd = 1;
      break;
    case 'o':
      out_path = optarg;
      break;
    case 'i': {
      char *end = NULL;
      interval = strtol(optarg, &end, 10);
      if (end == optarg || *end != '\0' || interval < 1 || interval > 86400L * 7)
        return cli_usage_error("probe", "--interval needs seconds between 1 and 604800, not '%s'",
                               optarg);
      break;
    }
    case 'r':
      po.root = optarg;
      break;
    case 'c':
      po.cpuid_file = optarg;
      break;
    case 'd':
      po.char_devices_file = optarg;
      break;
    case 'h':
      usage(stdout);
      return CLI_EXIT_OK;
    case ':':
      return cli_usage_error("probe", "option '%s' needs a value", argv[optind - 1]);
    default:
      return cli_usage_error("probe", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return cli_usage_error("probe", "unexpected argument '%s'", argv[optind]);
  if (prep != NULL)
    return n_opts == 1 ? prepare_dir(prep)
                       : cli_usage_error("probe", "--prepare-dir takes no other option");
  if (nfd && have_format)
    return cli_usage_error("probe", "--nfd and --format are exclusive");
  if (interval && out_path == NULL)
    return cli_usage_error("probe", "--interval needs --out FILE");
  if (nfd)
    fmt = FMT_NFD;
  struct stat root_st; /* a root that is no folder is an error below, not a warning */
  if (po.root != NULL && strcmp(po.root, "/") != 0 && po.cpuid_file == NULL &&
      stat(po.root, &root_st) == 0 && S_ISDIR(root_st.st_mode) && !root_proc_is_live(po.root))
    fprintf(stderr, "teectl probe: warning: CPUID is read from this machine's CPU, not from the "
                    "root; pass --cpuid FILE for a fixture\n");
  if (interval != 0)
    return run_loop(&po, fmt, out_path, interval);
  int usable = 0;
  int rc = emit(&po, fmt, out_path, 0, &usable);
  if (rc != CLI_EXIT_OK)
    return rc;
  return usable ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
