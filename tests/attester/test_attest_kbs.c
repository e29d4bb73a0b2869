/* SPDX-License-Identifier: Apache-2.0 */
/* `teectl attest --kbs` against a recorded-shape KBS (fake_kbs.py: python3 http.server and
 * python3-jwcrypto) that checks each request body field for field against the KBS protocol
 * document and answers as Trustee does: auth, attest (with the runtime-data binding checked
 * under the hash the KBS selected), resources as JWE to the tee-pubkey. Evidence: SEV-SNP
 * reports signed by snp_evidence.py with a test hierarchy. Checks the secret files' bytes and
 * mode 0400, the cookie take-over, re-attestation after a 401, refusals (exit 1, the KBS's
 * reason, no file), HTTPS with --ca-file, and usage errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attest_run.h"
#include "snp_forge.h"
#include "teectl/bytes.h"
#include "testlib.h"

extern char **environ;

static char DIR_[256], EVCMD[2048];
static snp_forge *F;
static const char SECRET_A[] = "api-key: s3cr3t\n";
static const uint8_t SECRET_B[] = {0x00, 0xff, 0x10, 0x80, 0x7f, 0x00, 0x01};

static char *path_in(const char *name) {
  char *p = malloc(strlen(DIR_) + strlen(name) + 2);
  sprintf(p, "%s/%s", DIR_, name);
  return p;
}

static void write_file(const char *name, const void *d, size_t n) {
  char *p = path_in(name);
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(d, 1, n, f), n);
  fclose(f);
  free(p);
}

typedef struct kbs {
  pid_t pid;
  unsigned port;
  char url[64];
} kbs;

/* Start fake_kbs.py with extra arguments (NULL-terminated); waits for its port. */
static void kbs_start(kbs *k, const char *const *extra, int tls) {
  char *pf = path_in("port.txt"), *res = path_in("resources.json"), *lg = path_in("kbs.log");
  unlink(pf);
  unlink(lg);
  const char *argv[32] = {"/usr/bin/python3", FAKE_KBS_PY, "--port-file", pf,
                          "--resources",      res,         "--log",       lg};
  int n = 8;
  for (size_t i = 0; extra && extra[i]; i++)
    argv[n++] = extra[i];
  argv[n] = NULL;
  assert_int_equal(posix_spawn(&k->pid, argv[0], NULL, NULL, (char **)argv, environ), 0);
  for (int i = 0; i < 200 && access(pf, F_OK) != 0; i++) {
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
  }
  char *t = attest_slurp(pf);
  assert_non_null(t);
  k->port = (unsigned)atoi(t);
  snprintf(k->url, sizeof k->url, "%s://127.0.0.1:%u", tls ? "https" : "http", k->port);
  free(t);
  free(pf);
  free(res);
  free(lg);
}

static void kbs_stop(kbs *k) {
  kill(k->pid, SIGTERM);
  int st;
  waitpid(k->pid, &st, 0);
}

/* Lines of the fake's log containing needle. */
static int log_count(const char *needle) {
  char *p = path_in("kbs.log");
  char *t = attest_slurp(p);
  free(p);
  int n = 0;
  for (char *q = t; q && (q = strstr(q, needle)) != NULL; q++)
    n++;
  free(t);
  return n;
}

static void check_file(const char *path, const void *want, size_t len) {
  struct stat st;
  assert_int_equal(lstat(path, &st), 0);
  assert_true(S_ISREG(st.st_mode));
  assert_int_equal(st.st_mode & 07777, 0400);
  assert_int_equal((size_t)st.st_size, len);
  tc_buf b = test_read_file(path);
  assert_memory_equal(b.data, want, len);
  tc_buf_free(&b);
}

static int setup(void **state) {
  (void)state;
  test_mkdtemp("teectl-attest-kbs", DIR_, sizeof DIR_);
  snp_forge_opts o;
  snp_forge_opts_init(&o, TC_SNP_GENOA, 0);
  F = snp_forge_new(&o);
  if (!F)
    return -1;
  tc_snp_report r;
  snp_forge_report_init(F, 3, &r);
  uint8_t rep[TC_SNP_REPORT_SIZE];
  if (snp_forge_sign_report(F, &r, rep) != 0)
    return -1;
  write_file("template.bin", rep, sizeof rep);
  char *key = path_in("leaf.pem");
  if (snp_forge_write_leaf_key(F, key) != 0)
    return -1;
  snprintf(EVCMD, sizeof EVCMD, "python3 %s %s %s/template.bin", SNP_EVIDENCE_PY, key, DIR_);
  free(key);
  /* Resources, base64 (standard) as the fake reads them: computed here by hand-checked
   * constants. "api-key: s3cr3t\n" and 00 ff 10 80 7f 00 01. */
  const char *res = "{\"default/app/api-key\": \"YXBpLWtleTogczNjcjN0Cg==\","
                    " \"default/app/blob.bin\": \"AP8QgH8AAQ==\"}";
  write_file("resources.json", res, strlen(res));
  const char *init = "algorithm = \"sha256\"\nversion = \"0.1.0\"\n\n[data]\n\"a.txt\" = \"b\"\n";
  write_file("init.toml", init, strlen(init));
  char *out = path_in("secrets");
  mkdir(out, 0700);
  free(out);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  snp_forge_free(F);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", DIR_);
  return system(cmd) == 0 ? 0 : -1;
}

/* Run attest with args; returns the exit code, *err_text the stderr (malloc'd). */
static int run(const char *const *args, char **err_text) {
  char *o = path_in("stdout.txt"), *e = path_in("stderr.txt");
  int rc = attest_run(args, o, e);
  *err_text = attest_slurp(e);
  if (!*err_text)
    *err_text = strdup("");
  free(o);
  free(e);
  return rc;
}

static void clear_outputs(void) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "rm -f '%s'/secrets/* '%s'/blob.out '%s'/kbs.jwt", DIR_, DIR_, DIR_);
  assert_int_equal(system(cmd), 0);
}

static void flow(const char *select, int with_init) {
  clear_outputs();
  kbs k;
  char *init = path_in("init.toml");
  const char *extra[] = {"--select", select, with_init ? "--init-data" : NULL, init, NULL};
  kbs_start(&k, extra, 0);
  char *outdir = path_in("secrets"), *blob = path_in("blob.out"), *tok = path_in("kbs.jwt");
  char res2[600];
  snprintf(res2, sizeof res2, "default/app/blob.bin=%s", blob);
  const char *args[] = {"--kbs",
                        k.url,
                        "--evidence-cmd",
                        EVCMD,
                        "--tee",
                        "snp",
                        "--resource",
                        "default/app/api-key",
                        "--resource",
                        res2,
                        "--out-dir",
                        outdir,
                        "--out",
                        tok,
                        with_init ? "--init-data" : NULL,
                        init,
                        NULL};
  char *e;
  int rc = run(args, &e);
  kbs_stop(&k);
  if (rc != 0 || log_count("mismatch") != 0) {
    char *lp = path_in("kbs.log");
    char *l = attest_slurp(lp);
    fail_msg("exit %d, stderr: %s\nKBS log: %s", rc, e, l ? l : "");
  }
  char *a = path_in("secrets/api-key");
  check_file(a, SECRET_A, strlen(SECRET_A));
  check_file(blob, SECRET_B, sizeof SECRET_B);
  char *t = attest_slurp(tok);
  assert_string_equal(t, "eyJhbGciOiJFUzI1NiJ9.eyJ0ZXN0Ijp0cnVlfQ.c2ln");
  struct stat st;
  assert_int_equal(stat(tok, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
  /* One auth, one attest, two resource requests. */
  assert_int_equal(log_count("\"path\": \"/kbs/v0/auth\""), 1);
  assert_int_equal(log_count("\"path\": \"/kbs/v0/attest\""), 1);
  assert_int_equal(log_count("\"path\": \"/kbs/v0/resource/"), 2);
  free(t);
  free(a);
  free(e);
  free(outdir);
  free(blob);
  free(tok);
  free(init);
}

static void test_kbs_sha384(void **state) {
  (void)state;
  flow("sha384", 1);
}

static void test_kbs_sha512(void **state) {
  (void)state;
  flow("sha512", 0);
}

static void test_kbs_sha256(void **state) {
  (void)state;
  flow("sha256", 0);
}

static void test_kbs_no_selection_means_sha384(void **state) {
  (void)state;
  flow("absent", 0);
}

/* A hash the client did not offer: refused, nothing written. */
static void test_kbs_unknown_hash(void **state) {
  (void)state;
  clear_outputs();
  kbs k;
  const char *extra[] = {"--select", "md5", NULL};
  kbs_start(&k, extra, 0);
  char *outdir = path_in("secrets");
  const char *args[] = {"--kbs", k.url,        "--evidence-cmd",      EVCMD,       "--tee",
                        "snp",   "--resource", "default/app/api-key", "--out-dir", outdir,
                        NULL};
  char *e;
  assert_int_equal(run(args, &e), 2);
  kbs_stop(&k);
  if (!strstr(e, "hash_algorithm_unsupported") || !strstr(e, "'md5'"))
    fail_msg("stderr: %s", e);
  char *a = path_in("secrets/api-key");
  assert_int_equal(access(a, F_OK), -1);
  assert_int_equal(log_count("/kbs/v0/attest"), 0);
  free(a);
  free(e);
  free(outdir);
}

/* The KBS refuses the attestation: exit 1 with its reason, no secret, no token. */
static void test_kbs_denied(void **state) {
  (void)state;
  clear_outputs();
  kbs k;
  const char *extra[] = {"--deny-attest", NULL};
  kbs_start(&k, extra, 0);
  char *outdir = path_in("secrets"), *tok = path_in("kbs.jwt");
  const char *args[] = {"--kbs",     k.url,  "--evidence-cmd", EVCMD,
                        "--tee",     "snp",  "--resource",     "default/app/api-key",
                        "--out-dir", outdir, "--out",          tok,
                        NULL};
  char *e;
  assert_int_equal(run(args, &e), 1);
  kbs_stop(&k);
  if (!strstr(e, "attest: HTTP 401") || !strstr(e, "PolicyDeny") ||
      !strstr(e, "measurement not in the reference values") || !strstr(e, "attestation_refused"))
    fail_msg("stderr: %s", e);
  char *a = path_in("secrets/api-key");
  assert_int_equal(access(a, F_OK), -1);
  assert_int_equal(access(tok, F_OK), -1);
  assert_int_equal(log_count("mismatch"), 0);
  free(a);
  free(e);
  free(outdir);
  free(tok);
}

/* One resource is missing: exit 1, and the one that exists is not written either. */
static void test_kbs_missing_resource(void **state) {
  (void)state;
  clear_outputs();
  kbs k;
  kbs_start(&k, NULL, 0);
  char *outdir = path_in("secrets");
  const char *args[] = {"--kbs",
                        k.url,
                        "--evidence-cmd",
                        EVCMD,
                        "--tee",
                        "snp",
                        "--resource",
                        "default/app/api-key",
                        "--resource",
                        "default/app/nope",
                        "--out-dir",
                        outdir,
                        NULL};
  char *e;
  assert_int_equal(run(args, &e), 1);
  kbs_stop(&k);
  if (!strstr(e, "resource_not_found") || !strstr(e, "no resource default/app/nope"))
    fail_msg("stderr: %s", e);
  char *a = path_in("secrets/api-key");
  assert_int_equal(access(a, F_OK), -1);
  free(a);
  free(e);
  free(outdir);
}

/* The session expires before the resource: the client attests again (as the agent does). */
static void test_kbs_reattest_after_401(void **state) {
  (void)state;
  clear_outputs();
  kbs k;
  const char *extra[] = {"--expire-once", NULL};
  kbs_start(&k, extra, 0);
  char *outdir = path_in("secrets");
  const char *args[] = {"--kbs", k.url,        "--evidence-cmd",      EVCMD,       "--tee",
                        "snp",   "--resource", "default/app/api-key", "--out-dir", outdir,
                        NULL};
  char *e;
  int rc = run(args, &e);
  kbs_stop(&k);
  if (rc != 0)
    fail_msg("exit %d: %s", rc, e);
  assert_int_equal(log_count("\"path\": \"/kbs/v0/auth\""), 2);
  assert_int_equal(log_count("\"path\": \"/kbs/v0/attest\""), 2);
  char *a = path_in("secrets/api-key");
  check_file(a, SECRET_A, strlen(SECRET_A));
  free(a);
  free(e);
  free(outdir);
}

/* The FIFO at path is still a FIFO (nothing was renamed over it); removes and frees it. */
static void fifo_kept(char *fifo) {
  struct stat st;
  assert_int_equal(lstat(fifo, &st), 0);
  assert_true(S_ISFIFO(st.st_mode));
  unlink(fifo);
  free(fifo);
}

/* A FIFO where a secret should go is never replaced. */
static void test_kbs_not_regular(void **state) {
  (void)state;
  clear_outputs();
  char *fifo = path_in("secrets/api-key");
  assert_int_equal(mkfifo(fifo, 0600), 0);
  kbs k;
  kbs_start(&k, NULL, 0);
  char *outdir = path_in("secrets");
  const char *args[] = {"--kbs", k.url,        "--evidence-cmd",      EVCMD,       "--tee",
                        "snp",   "--resource", "default/app/api-key", "--out-dir", outdir,
                        NULL};
  char *e;
  assert_int_equal(run(args, &e), 2);
  kbs_stop(&k);
  if (!strstr(e, "file_not_regular"))
    fail_msg("stderr: %s", e);
  fifo_kept(fifo);
  free(e);
  free(outdir);
}

/* Destinations that can never be written (the token's --out a FIFO, a secret's folder
 * missing) are refused before the exchange: exit 2 with the reason, no request to the broker,
 * no secret on disk. */
static void test_kbs_destination_checked_first(void **state) {
  (void)state;
  clear_outputs();
  char *fifo = path_in("token.fifo"), *outdir = path_in("secrets");
  char *secret = path_in("secrets/api-key"), *lost = path_in("no-such-folder/blob.bin");
  assert_int_equal(mkfifo(fifo, 0600), 0);
  char res2[600];
  snprintf(res2, sizeof res2, "default/app/blob.bin=%s", lost);
  kbs k;
  kbs_start(&k, NULL, 0);
  const char *tok_fifo[] = {
      "--kbs", k.url, "--evidence-cmd", EVCMD,  "--tee", "snp", "--resource", "default/app/api-key",
      "--out", fifo,  "--out-dir",      outdir, NULL};
  const char *no_folder[] = {"--kbs", k.url, "--evidence-cmd", EVCMD, "--tee", "snp", "--resource",
                             res2,    NULL};
  const char *const *cases[] = {tok_fifo, no_folder};
  const char *reasons[] = {"file_not_regular", "file_unwritable"};
  for (size_t c = 0; c < 2; c++) {
    char *e;
    assert_int_equal(run(cases[c], &e), 2);
    if (!strstr(e, reasons[c]))
      fail_msg("case %zu: stderr: %s", c, e);
    free(e);
  }
  kbs_stop(&k);
  assert_int_equal(log_count("\"path\": \"/kbs/v0/auth\""), 0);
  assert_int_equal(access(secret, F_OK), -1);
  fifo_kept(fifo);
  free(outdir);
  free(secret);
  free(lost);
}

/* HTTPS: with --ca-file the exchange works; without it the certificate is refused. */
static void test_kbs_https(void **state) {
  (void)state;
  clear_outputs();
  char *crt = path_in("tls.crt"), *key = path_in("tls.key"), cmd[1200];
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
           "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '%s' -out '%s' "
           ">/dev/null 2>&1",
           key, crt);
  assert_int_equal(system(cmd), 0);
  kbs k;
  const char *extra[] = {"--tls", crt, key, NULL};
  kbs_start(&k, extra, 1);
  char *outdir = path_in("secrets");
  const char *args[] = {"--kbs",     k.url,  "--evidence-cmd", EVCMD,
                        "--tee",     "snp",  "--resource",     "default/app/api-key",
                        "--out-dir", outdir, "--ca-file",      crt,
                        NULL};
  char *e;
  int rc = run(args, &e);
  if (rc != 0)
    fail_msg("exit %d: %s", rc, e);
  free(e);
  char *a = path_in("secrets/api-key");
  check_file(a, SECRET_A, strlen(SECRET_A));
  clear_outputs();
  const char *args2[] = {"--kbs",     k.url,  "--evidence-cmd", EVCMD,
                         "--tee",     "snp",  "--resource",     "default/app/api-key",
                         "--out-dir", outdir, "--timeout",      "5",
                         NULL};
  assert_int_equal(run(args2, &e), 2);
  kbs_stop(&k);
  if (!strstr(e, "service_unreachable"))
    fail_msg("stderr: %s", e);
  assert_int_equal(access(a, F_OK), -1);
  free(a);
  free(e);
  free(outdir);
  free(crt);
  free(key);
}

static void test_kbs_usage(void **state) {
  (void)state;
  static const char *const bad[][8] = {
      {"--kbs", "http://127.0.0.1:9", "--resource", "../x/y", "--out-dir", "/tmp", NULL},
      {"--kbs", "http://127.0.0.1:9", "--resource", "a/b", "--out-dir", "/tmp", NULL},
      {"--kbs", "http://127.0.0.1:9", "--resource", "a/b/c", NULL},
      {"--kbs", "http://127.0.0.1:9", NULL},
      {"--kbs", "http://x", "--service", "http://y", "--resource", "a/b/c=/tmp/f", NULL},
      {"--kbs", "http://x", "--evidence-cmd", "true", "--resource", "a/b/c=/tmp/f", NULL},
      {"--kbs", "http://x", "--resource", "a/b/c=/tmp/f", "--resource", "d/e/f=/tmp/f", NULL},
      {"--kbs", "http://x", "--resource", "a/b/c=/tmp/f", "--ca-file", "/nonexistent-ca.pem", NULL},
      {"--kbs", "http://x", "--resource", "a/b/c=/tmp/f", "--ca-file", "/tmp", NULL},
  };
  static const char *const want[] = {"repository/type/tag",
                                     "repository/type/tag",
                                     "needs --out-dir",
                                     "at least one --resource",
                                     "exactly one of",
                                     "needs --tee",
                                     "both go to",
                                     "--ca-file /nonexistent-ca.pem: No such file or directory",
                                     "--ca-file /tmp: not a regular file"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *e;
    assert_int_equal(run(bad[i], &e), 2);
    if (!strstr(e, want[i]))
      fail_msg("case %zu: stderr: %s", i, e);
    free(e);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kbs_sha384),
      cmocka_unit_test(test_kbs_sha512),
      cmocka_unit_test(test_kbs_sha256),
      cmocka_unit_test(test_kbs_no_selection_means_sha384),
      cmocka_unit_test(test_kbs_unknown_hash),
      cmocka_unit_test(test_kbs_denied),
      cmocka_unit_test(test_kbs_missing_resource),
      cmocka_unit_test(test_kbs_reattest_after_401),
      cmocka_unit_test(test_kbs_not_regular),
      cmocka_unit_test(test_kbs_destination_checked_first),
      cmocka_unit_test(test_kbs_https),
      cmocka_unit_test(test_kbs_usage),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
