/* SPDX-License-Identifier: Apache-2.0 */
/* `teectl attest --kbs` end to end against the real `teectl serve --resources` on loopback:
 * SEV-SNP evidence signed by snp_evidence.py with a test hierarchy the server trusts, init-data
 * whose SHA-256 (computed here with OpenSSL) the template report carries as HOST_DATA, and the
 * policy's resource rules: a released secret (bytes and mode 0400, token checked by
 * check_token.py against the server's JWKS), a secret bound to the init-data, and refusals
 * (no rule; a rule that wants another measurement): exit 1 with the broker's reason, no file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/sha.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attest_run.h"
#include "harness.h"
#include "snp_serve.h"
#include "testlib.h"

extern char **environ;

static srv S;
static snp_serve H;
static snp_forge *F; /* H's */
static char URL[64], EVCMD[2048];
static const char SECRET[] = "api-key: 7d1f0c2e\n\x01\x02\x00 binary tail";
static const char INITDATA[] = "version = \"0.1.0\"\nalgorithm = \"sha256\"\n\n[data]\n"
                               "\"policy.rego\" = \"package agent_policy\"\n";

static void mk(const char *rel) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", S.dir, rel);
  assert_int_equal(mkdir(p, 0700), 0);
}

static int setup(void **state) {
  (void)state;
  srv_init(&S);
  char d[300];
  snprintf(d, sizeof d, "%s/snp", S.dir);
  if (snp_serve_init(&H, d, NULL) != 0) /* Genoa, VCEK */
    return -1;
  F = H.forge;
  static const char *const dirs[] = {"res",
                                     "res/default",
                                     "res/default/sev-app",
                                     "res/default/deny",
                                     "res/default/measured",
                                     "res/default/init",
                                     "out"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    mk(dirs[i]);
  free(srv_write(&S, "res/default/sev-app/key", SECRET, sizeof SECRET - 1));
  free(srv_write(&S, "res/default/deny/key", "never", 5));
  free(srv_write(&S, "res/default/measured/key", "never either", 12));
  free(srv_write(&S, "res/default/init/key", "bound to init-data", 18));
  free(srv_write(&S, "initdata.toml", INITDATA, sizeof INITDATA - 1));
  /* The guest: HOST_DATA = SHA-256 of the init-data document (Trustee initdata.md). */
  uint8_t hd[32];
  SHA256((const uint8_t *)INITDATA, sizeof INITDATA - 1, hd);
  char hdhex[65];
  tc_hex_encode(hd, 32, hdhex);
  tc_snp_report r;
  snp_forge_report_init(F, 3, &r);
  memcpy(r.host_data, hd, 32);
  if (snp_serve_template(&H, &r) != 0)
    return -1;
  snprintf(EVCMD, sizeof EVCMD, "python3 %s %s %s", SNP_EVIDENCE_PY, H.key, H.tpl);
  char policy[1024];
  snprintf(policy, sizeof policy,
           "{\"id\":\"attest-kbs\",\"resources\":["
           "{\"path\":\"default/sev-app/*\",\"tee\":[\"snp\"],\"min_status\":\"warning\"},"
           "{\"path\":\"default/init/*\",\"min_status\":\"warning\",\"init_data\":[\"%s\"]},"
           "{\"path\":\"default/measured/*\",\"min_status\":\"warning\","
           "\"measurements\":[\"%096d\"]}]}",
           hdhex, 7);
  char *pol = srv_write(&S, "policy.json", policy, strlen(policy));
  char res[300];
  snprintf(res, sizeof res, "%s/res", S.dir);
  const char *args[] = {"--resources", res, "--policy", pol, "--issuer", "https://kbs.test", NULL};
  int rc = snp_serve_start(&H, &S, SNP_SERVE_COLLATERAL, args);
  free(pol);
  snprintf(URL, sizeof URL, "http://127.0.0.1:%u", S.port);
  return rc;
}

static int teardown(void **state) {
  (void)state;
  srv_stop(&S);
  srv_cleanup(&S);
  snp_serve_free(&H);
  return 0;
}

static int run(const char *const *args, char **err) {
  char o[300], e[300];
  snprintf(o, sizeof o, "%s/stdout.txt", S.dir);
  snprintf(e, sizeof e, "%s/stderr.txt", S.dir);
  int rc = attest_run(args, o, e);
  *err = attest_slurp(e);
  return rc;
}

static void test_released(void **state) {
  (void)state;
  char out[300], tok[300], init[300], res2[400];
  snprintf(out, sizeof out, "%s/out", S.dir);
  snprintf(res2, sizeof res2, "default/init/key=%s/out/init-key", S.dir);
  snprintf(tok, sizeof tok, "%s/kbs.jwt", S.dir);
  snprintf(init, sizeof init, "%s/initdata.toml", S.dir);
  const char *args[] = {"--kbs",       URL,          "--evidence-cmd",      EVCMD,        "--tee",
                        "snp",         "--resource", "default/sev-app/key", "--resource", res2,
                        "--init-data", init,         "--out-dir",           out,          "--out",
                        tok,           NULL};
  char *e;
  int rc = run(args, &e);
  if (rc != 0)
    fail_msg("exit %d: %s", rc, e);
  free(e);
  char p[400];
  struct stat st;
  snprintf(p, sizeof p, "%s/key", out);
  assert_int_equal(stat(p, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0400);
  tc_buf b = test_read_file(p);
  assert_int_equal(b.len, sizeof SECRET - 1);
  assert_memory_equal(b.data, SECRET, sizeof SECRET - 1);
  tc_buf_free(&b);
  char *t = attest_slurp(tok);
  assert_non_null(t);
  json_t *expect = json_pack("{s:s, s:s}", "tee", "snp", "iss", "https://kbs.test");
  assert_int_equal(check_token(&S, t, expect), 0);
  free(t);
  snprintf(p, sizeof p, "%s/init-key", out);
  b = test_read_file(p);
  assert_int_equal(b.len, 18);
  assert_memory_equal(b.data, "bound to init-data", 18);
  tc_buf_free(&b);
  unlink(p);
}

/* Two resources with one tag would land in one DIR/tag file: refused before any request. */
static void test_same_tag_refused(void **state) {
  (void)state;
  char out[300];
  snprintf(out, sizeof out, "%s/out", S.dir);
  const char *args[] = {"--kbs",
                        URL,
                        "--evidence-cmd",
                        EVCMD,
                        "--tee",
                        "snp",
                        "--resource",
                        "default/deny/key",
                        "--resource",
                        "default/measured/key",
                        "--out-dir",
                        out,
                        NULL};
  char *e;
  assert_int_equal(run(args, &e), 2);
  if (!strstr(e, "both go to"))
    fail_msg("stderr: %s", e);
  free(e);
}

static void test_init_data_resource(void **state) {
  (void)state;
  char f[300], init[300];
  snprintf(f, sizeof f, "%s/out/init-secret", S.dir);
  snprintf(init, sizeof init, "%s/initdata.toml", S.dir);
  char res[400];
  snprintf(res, sizeof res, "default/init/key=%s", f);
  const char *args[] = {"--kbs",      URL, "--evidence-cmd", EVCMD, "--tee", "snp",
                        "--resource", res, "--init-data",    init,  NULL};
  char *e;
  int rc = run(args, &e);
  if (rc != 0)
    fail_msg("exit %d: %s", rc, e);
  free(e);
  tc_buf b = test_read_file(f);
  assert_int_equal(b.len, 18);
  assert_memory_equal(b.data, "bound to init-data", 18);
  tc_buf_free(&b);
  /* Without the init-data the rule does not match: refused. */
  unlink(f);
  const char *args2[] = {"--kbs", URL, "--evidence-cmd", EVCMD, "--tee", "snp", "--resource",
                         res,     NULL};
  assert_int_equal(run(args2, &e), 1);
  assert_int_equal(access(f, F_OK), -1);
  free(e);
}

static void refused(const char *path) {
  char f[300];
  snprintf(f, sizeof f, "%s/out/refused", S.dir);
  char res[400];
  snprintf(res, sizeof res, "%s=%s", path, f);
  const char *args[] = {"--kbs", URL, "--evidence-cmd", EVCMD, "--tee", "snp", "--resource",
                        res,     NULL};
  char *e;
  assert_int_equal(run(args, &e), 1);
  if (!strstr(e, "HTTP 403") || !strstr(e, "attestation_refused"))
    fail_msg("stderr: %s", e);
  assert_int_equal(access(f, F_OK), -1);
  free(e);
}

static void test_no_rule(void **state) {
  (void)state;
  refused("default/deny/key");
}

static void test_wrong_measurement(void **state) {
  (void)state;
  refused("default/measured/key");
}

/* ---- the guest's attestation-agent as the evidence source (fake_aa.py) ---- */

static pid_t AA_PID;
static char AA_URL[64];

/* certs: NULL, or "TYPE=FILE" entries for the agent's cert_chain (NULL-terminated). */
static void aa_start_with(const char *const *certs) {
  char pf[300], lg[300];
  const char *key = H.key, *tpl = H.tpl;
  snprintf(pf, sizeof pf, "%s/aa.port", S.dir);
  snprintf(lg, sizeof lg, "%s/aa.log", S.dir);
  unlink(pf);
  unlink(lg);
  const char *argv[24] = {"/usr/bin/python3", FAKE_AA_PY, "--port-file", pf, "--key", key,
                          "--template",       tpl,        "--log",       lg};
  size_t n = 10;
  for (size_t i = 0; certs && certs[i] && n < 22; i++) {
    argv[n++] = "--cert";
    argv[n++] = certs[i];
  }
  assert_int_equal(posix_spawn(&AA_PID, argv[0], NULL, NULL, (char **)argv, environ), 0);
  for (int i = 0; i < 200 && access(pf, F_OK) != 0; i++)
    usleep(50000);
  char *t = attest_slurp(pf);
  assert_non_null(t);
  snprintf(AA_URL, sizeof AA_URL, "http://127.0.0.1:%d", atoi(t));
  free(t);
}

static void aa_start(void) {
  aa_start_with(NULL);
}

static void aa_stop(void) {
  kill(AA_PID, SIGTERM);
  int st;
  waitpid(AA_PID, &st, 0);
}

/* KBS: the agent's JSON goes to the broker as it is (the broker rebuilds and verifies it);
 * the TEE comes from GET /info. */
static void test_aa_kbs(void **state) {
  (void)state;
  aa_start();
  char f[300], res[400];
  snprintf(f, sizeof f, "%s/out/aa-secret", S.dir);
  snprintf(res, sizeof res, "default/sev-app/key=%s", f);
  const char *args[] = {"--kbs", URL, "--aa-url", AA_URL, "--resource", res, NULL};
  char *e;
  int rc = run(args, &e);
  aa_stop();
  if (rc != 0)
    fail_msg("exit %d: %s", rc, e);
  free(e);
  tc_buf b = test_read_file(f);
  assert_int_equal(b.len, sizeof SECRET - 1);
  assert_memory_equal(b.data, SECRET, sizeof SECRET - 1);
  tc_buf_free(&b);
  char lg[300];
  snprintf(lg, sizeof lg, "%s/aa.log", S.dir);
  char *l = attest_slurp(lg);
  assert_non_null(strstr(l, "\"path\": \"/info\""));
  assert_non_null(strstr(l, "\"encoding\": \"base64\""));
  free(l);
}

/* teectl's /v1 API: the agent's JSON turned back into the binary report. */
static void test_aa_service(void **state) {
  (void)state;
  aa_start();
  char tok[300];
  snprintf(tok, sizeof tok, "%s/aa.jwt", S.dir);
  const char *args[] = {"--service", URL, "--aa-url", AA_URL, "--out", tok, NULL};
  char *e;
  int rc = run(args, &e);
  aa_stop();
  if (rc != 0)
    fail_msg("exit %d: %s", rc, e);
  free(e);
  char *t = attest_slurp(tok);
  json_t *expect = json_pack("{s:s}", "tee", "snp");
  assert_int_equal(check_token(&S, t, expect), 0);
  free(t);
}

/* teectl's /v1 API on a service with no collateral (only the trust root): the certificates of
 * the agent's cert_chain (the host's table) go with the request, so it verifies without
 * fetching; an agent that has none leaves the service without a VCEK: refused. */
static void test_aa_service_certificates(void **state) {
  (void)state;
  srv s2;
  srv_init(&s2);
  char pol[300];
  snprintf(pol, sizeof pol, "%s/policy.json", S.dir);
  const char *sargs[] = {"--policy", pol, NULL};
  assert_int_equal(snp_serve_start(&H, &s2, SNP_SERVE_ROOT_ONLY, sargs), 0);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%u", s2.port);
  char c1[400], c2[400], c3[400];
  snprintf(c1, sizeof c1, "VCEK=%s/vcek.der", H.dir);
  snprintf(c2, sizeof c2, "ASK=%s/ask.pem", H.dir);
  snprintf(c3, sizeof c3, "ARK=%s", H.root);
  const char *const chain[] = {c1, c2, c3, NULL};
  char tok[300];
  snprintf(tok, sizeof tok, "%s/aa-certs.jwt", S.dir);
  const char *args[] = {"--service", url, "--aa-url", AA_URL, "--out", tok, NULL};
  for (int with = 1; with >= 0; with--) {
    aa_start_with(with ? chain : NULL);
    char *e;
    int rc = run(args, &e);
    aa_stop();
    if (with) {
      if (rc != 0)
        fail_msg("with the agent's certificates: exit %d: %s", rc, e);
      char *t = attest_slurp(tok);
      json_t *expect = json_pack("{s:s}", "tee", "snp");
      assert_int_equal(check_token(&s2, t, expect), 0);
      free(t);
      unlink(tok);
    } else if (rc != 1 || !strstr(e, "evidence_invalid") || !strstr(e, "VCEK")) {
      fail_msg("without certificates: exit %d: %s", rc, e);
    }
    free(e);
  }
  assert_int_equal(access(tok, F_OK), -1);
  assert_int_equal(srv_stop(&s2), 0);
  srv_cleanup(&s2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_released),           cmocka_unit_test(test_same_tag_refused),
      cmocka_unit_test(test_init_data_resource), cmocka_unit_test(test_no_rule),
      cmocka_unit_test(test_wrong_measurement),  cmocka_unit_test(test_aa_kbs),
      cmocka_unit_test(test_aa_service),         cmocka_unit_test(test_aa_service_certificates),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
