/* SPDX-License-Identifier: Apache-2.0 */
/* teectl exporter: Prometheus metrics for TEE capacity and Kata sandboxes. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/vfs.h>
#endif
#include <sys/stat.h>

#include "cli/commands.h"
#include "teectl/exporter.h"

#define DEFAULT_LISTEN "0.0.0.0:9887"

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
  fprintf(f, "Usage: teectl exporter [--listen HOST:PORT] [--root DIR] [--cpuid FILE]\n"
             "                       [--char-devices FILE] [--once]\n\n"
             "Serve Prometheus metrics (text format 0.0.4) at GET /metrics: TEE support and\n"
             "capacity from the probe (teectl_tee_supported / _enabled, teectl_sev_asids[_used],\n"
             "teectl_sev_es_asids[_used], teectl_tdx_keyids[_used], teectl_sgx_epc_bytes), Kata\n"
             "sandboxes (teectl_kata_sandboxes, per-sandbox hypervisor resident memory and CPU\n"
             "seconds) and the exporter's own scrape duration and errors.\n\n"
             "Options:\n"
             "  --listen HOST:PORT   address to serve on (default " DEFAULT_LISTEN
             "; [ADDR]:PORT for IPv6;\n"
             "                       port 0 picks a free port, printed on stderr)\n"
             "  --root DIR           read /proc, /sys, /dev and /run under DIR (default /)\n"
             "  --cpuid FILE         CPUID dump (cpuid.txt format) instead of executing CPUID\n"
             "  --char-devices FILE  DEVICES.txt list of character devices instead of stat()\n"
             "  --once               print one scrape to stdout and exit\n"
             "  -h, --help           show this help\n\n"
             "Exit codes: 0 ok; 1 the server could not start (address in use, ...); 2 usage\n"
             "error, or (--once) a collector failed (input unreadable or malformed; the\n"
             "metrics are still printed, the error goes to stderr).\n");
}

int cmd_exporter(int argc, char **argv) {
  static const struct option longopts[] = {
      {"listen", required_argument, NULL, 'l'},
      {"root", required_argument, NULL, 'r'},
      {"cpuid", required_argument, NULL, 'c'},
      {"char-devices", required_argument, NULL, 'd'},
      {"once", no_argument, NULL, 'o'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *listen = DEFAULT_LISTEN;
  tc_exporter_opts opts;
  memset(&opts, 0, sizeof opts);
  int once = 0;
  cli_getopt_reset();
  int c;
  while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (c) {
    case 'l':
      listen = optarg;
      break;
    case 'r':
      opts.root = optarg;
      break;
    case 'c':
      opts.cpuid_file = optarg;
      break;
    case 'd':
      opts.char_devices_file = optarg;
      break;
    case 'o':
      once = 1;
      break;
    case 'h':
      usage(stdout);
      return CLI_EXIT_OK;
    case ':':
      return cli_usage_error("exporter", "option '%s' needs a value", argv[optind - 1]);
    default:
      return cli_usage_error("exporter", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return cli_usage_error("exporter", "unexpected argument '%s'", argv[optind]);
  struct stat st;
  if (opts.root != NULL && (stat(opts.root, &st) != 0 || !S_ISDIR(st.st_mode)))
    return cli_usage_error("exporter", "--root '%s' is not a folder", opts.root);
  if (opts.root != NULL && strcmp(opts.root, "/") != 0 && opts.cpuid_file == NULL &&
      !root_proc_is_live(opts.root))
    fprintf(stderr, "teectl exporter: warning: CPUID is read from this machine's CPU, not from "
                    "the root; pass --cpuid FILE for a fixture\n");

  tc_exporter x;
  tc_error err;
  if (tc_exporter_init(&x, &opts, &err) != TC_OK) {
    fprintf(stderr, "teectl exporter: %s\n", err.detail);
    return CLI_EXIT_USAGE;
  }

  if (once) {
    char *text = NULL;
    size_t len = 0;
    tc_error cerr;
    int rc = CLI_EXIT_OK;
    if (tc_exporter_scrape(&x, &text, &len, &cerr, &err) != TC_OK) {
      fprintf(stderr, "teectl exporter: %s\n", err.detail);
      rc = CLI_EXIT_USAGE;
    } else {
      fwrite(text, 1, len, stdout);
      if (cerr.status != TC_OK) {
        fprintf(stderr, "teectl exporter: collector failed: %s\n", cerr.detail);
        rc = CLI_EXIT_USAGE;
      }
    }
    free(text);
    tc_exporter_destroy(&x);
    if (fflush(stdout) != 0)
      rc = CLI_EXIT_USAGE;
    return rc;
  }

  /* Block the stop signals before the server thread starts, so only sigwait sees them. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  tc_exporter_server *server = NULL;
  unsigned port = 0;
  if (tc_exporter_serve(&x, listen, &server, &port, &err) != TC_OK) {
    tc_exporter_destroy(&x);
    if (err.status == TC_ERR_USAGE)
      return cli_usage_error("exporter", "--listen: %s", err.detail);
    fprintf(stderr, "teectl exporter: %s (%s)\n", err.detail, err.reason);
    return err.status == TC_ERR_INTERNAL ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
  }
  cli_listening("exporter", "http", listen, port);
  int sig = 0;
  sigwait(&stop, &sig);
  fprintf(stderr, "teectl exporter: signal %d, stopping\n", sig);
  tc_exporter_server_stop(server);
  tc_exporter_destroy(&x);
  return CLI_EXIT_OK;
}
