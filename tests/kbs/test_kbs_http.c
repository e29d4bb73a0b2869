/* SPDX-License-Identifier: Apache-2.0 */
/* The key broker end to end: real `teectl serve --resources` processes on loopback, driven by
 * kbs_client.py, a client written from the protocol alone (urllib, http.cookiejar,
 * python3-cryptography to build and sign SNP reports, python3-jwcrypto for keys, tokens and
 * the JWE). This program only prepares what a TEE would have: a test AMD-like hierarchy
 * (tests/common/snp_forge), the VCEK's private key and a report template the client fills in
 * and signs itself, and a second hierarchy for "a chain from another hierarchy". Servers:
 *   A and B  same nonce, session and signing keys: a session started on A finishes on B;
 *   C        --session-ttl 1 (expired sessions) and, when the shared vectors are present,
 *            the real Genoa collateral for the real attestation-agent message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "harness.h"
#include "snp_serve.h"
#include "teectl/snp.h"
#include "testlib.h"

static void mkdirs(const srv *s, const char *rel) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", s->dir, rel);
  assert_int_equal(mkdir(p, 0700), 0);
}

static void test_kbs_end_to_end(void **state) {
  (void)state;
  srv a, b, c;
  srv_init(&a);
  srv_init(&b);
  srv_init(&c);
  /* the guest's hierarchy in a.dir/a (report template, VCEK and its key: what the client
   * signs with), a second one in a.dir/b ("a chain from another hierarchy") */
  snp_forge_opts o;
  snp_forge_opts_init(&o, TC_SNP_GENOA, 0);
  snp_serve ha, hb;
  char da[300], db[300];
  snprintf(da, sizeof da, "%s/a", a.dir);
  snprintf(db, sizeof db, "%s/b", a.dir);
  assert_int_equal(snp_serve_init(&ha, da, &o), 0);
  o.cn_prefix = "OTHER ";
  assert_int_equal(snp_serve_init(&hb, db, &o), 0);
  assert_int_equal(snp_serve_template(&ha, NULL), 0);
  assert_int_equal(snp_serve_template(&hb, NULL), 0);
  /* resources */
  mkdirs(&a, "res");
  static const char *const dirs[] = {"res/default",          "res/default/sev-app",
                                     "res/default/deny",     "res/default/initdata",
                                     "res/default/measured", "res/default/noinit"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    mkdirs(&a, dirs[i]);
  static const char secret[] = "api-key: 7d1f0c2e-secret\n\x01\x02 binary tail";
  free(srv_write(&a, "res/default/sev-app/key", secret, sizeof secret - 1));
  free(srv_write(&a, "res/default/deny/key", "never", 5));
  free(srv_write(&a, "res/default/initdata/key", "bound to init-data", 18));
  free(srv_write(&a, "res/default/measured/key", "other measurement", 17));
  free(srv_write(&a, "res/default/noinit/key", "only without init-data", 22));
  /* init-data the client sends: its SHA-256 (python hashlib in the client) is the rule's */
  static const char initdata[] = "version = '0.1.0'\nalgorithm = 'sha256'\n\n[data]\n"
                                 "\"aa.toml\" = '''\n[token_configs]\n'''\n";
  free(srv_write(&a, "initdata.toml", initdata, sizeof initdata - 1));
  uint8_t d[32];
  char dhex[65];
  unsigned int dl = 0;
  EVP_Digest(initdata, sizeof initdata - 1, d, &dl, EVP_sha256(), NULL);
  tc_hex_encode(d, 32, dhex);
  char policy[1024];
  snprintf(
      policy, sizeof policy,
      "{\"id\":\"kbs-test\",\"resources\":["
      "{\"path\":\"default/sev-app/*\",\"tee\":[\"snp\"],\"min_status\":\"warning\"},"
      "{\"path\":\"default/initdata/*\",\"min_status\":\"warning\",\"init_data\":[\"%s\"]},"
      "{\"path\":\"default/measured/*\",\"min_status\":\"warning\",\"measurements\":[\"%096d\"]},"
      "{\"path\":\"default/noinit/*\",\"min_status\":\"warning\",\"init_data\":[]}"
      "]}",
      dhex, 1);
  char *pol = srv_write(&a, "policy.json", policy, strlen(policy));
  char *nk = srv_write(&a, "nonce.key", "0123456789abcdef0123456789abcdef", 32);
  char *sk = srv_write(&a, "session.key", "session-secret-session-secret-42", 32);
  EVP_PKEY *k = EVP_EC_gen("P-256");
  BIO *bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
  char *kp;
  long kn = BIO_get_mem_data(bio, &kp);
  char *sig = srv_write(&a, "signing.pem", kp, (size_t)kn);
  BIO_free(bio);
  EVP_PKEY_free(k);
  char res[512];
  snprintf(res, sizeof res, "%s/res", a.dir);
  /* the collateral folder holds the ARK and ASK; the VCEK comes in the message */
  const char *args[] = {"--resources",
                        res,
                        "--policy",
                        pol,
                        "--nonce-key",
                        nk,
                        "--session-key",
                        sk,
                        "--signing-key",
                        sig,
                        "--issuer",
                        "https://kbs.test",
                        "--auth-rate",
                        "1000",
                        NULL};
  assert_int_equal(snp_serve_start(&ha, &a, SNP_SERVE_CA_ONLY, args), 0);
  assert_int_equal(snp_serve_start(&ha, &b, SNP_SERVE_CA_ONLY, args), 0);
  /* C: short sessions; the real Genoa collateral when the vectors are there */
  const char *vec = getenv("TEECTL_VECTORS");
  char real_col[512] = "", real_ev[512] = "";
  struct stat st;
  if (vec) {
    snprintf(real_col, sizeof real_col, "%s/snp/genoa-v3-trustee-e2e", vec);
    snprintf(real_ev, sizeof real_ev, "%s/kbs/snp-genoa-v3-trustee-e2e/evidence.json", vec);
    if (stat(real_ev, &st) != 0)
      real_col[0] = real_ev[0] = '\0';
  }
  const char *cargs[] = {"--resources",
                         res,
                         "--session-ttl",
                         "1",
                         "--nonce-key",
                         nk,
                         real_col[0] ? "--collateral" : NULL,
                         real_col,
                         NULL};
  assert_int_equal(srv_start(&c, cargs), 0);
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "%s '%s' --a http://127.0.0.1:%u --b http://127.0.0.1:%u --c http://127.0.0.1:%u "
           "--dir '%s' --real '%s' > '%s/client.log' 2>&1",
           KBS_PYTHON, KBS_CLIENT_PY, a.port, b.port, c.port, a.dir, real_ev, a.dir);
  int rc = system(cmd);
  char logp[512];
  snprintf(logp, sizeof logp, "%s/client.log", a.dir);
  FILE *lf = fopen(logp, "r");
  if (lf) {
    char line[2048];
    while (fgets(line, sizeof line, lf))
      fputs(line, stderr);
    fclose(lf);
  }
  assert_int_equal(rc, 0);
  /* teectl token verify --issuer on the token the client got */
  const char *bin = test_teectl_bin();
  assert_non_null(bin);
  for (int i = 0; i < 2; i++) {
    snprintf(cmd, sizeof cmd,
             "'%s' token verify --jwks '%s/jwks.json' --issuer '%s' '%s/token.txt' >/dev/null", bin,
             a.dir, i == 0 ? "https://kbs.test" : "https://other.test", a.dir);
    rc = system(cmd);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), i == 0 ? 0 : 1);
  }
  /* audit: releases and denials on record, the secret never */
  assert_true(audit_count(&a, "\"event\":\"kbs_resource\"") +
                  audit_count(&b, "\"event\":\"kbs_resource\"") >=
              6);
  assert_true(
      audit_count(&a, "\"result\":\"released\"") + audit_count(&b, "\"result\":\"released\"") >= 3);
  assert_true(audit_count(&a, "\"result\":\"denied\"") + audit_count(&b, "\"result\":\"denied\"") >=
              1);
  assert_int_equal(audit_count(&a, "7d1f0c2e") + audit_count(&b, "7d1f0c2e"), 0);
  /* each release names the SHA-256 of the evidence (the report the client signed); audit
   * records are written with sorted keys */
  snprintf(logp, sizeof logp, "%s/released_evidence.txt", a.dir);
  FILE *ef = fopen(logp, "r");
  assert_non_null(ef);
  char hash[128];
  int hashes = 0;
  while (fgets(hash, sizeof hash, ef)) {
    hash[strcspn(hash, "\n")] = '\0';
    char needle[200];
    snprintf(needle, sizeof needle, "{\"event\":\"kbs_resource\",\"evidence_sha256\":\"%s\"", hash);
    if (audit_count(&a, needle) + audit_count(&b, needle) < 1)
      fail_msg("no resource audit record names evidence %s", hash);
    hashes++;
  }
  fclose(ef);
  assert_int_equal(hashes, 2);
  /* metrics */
  char *body = NULL;
  assert_int_equal(http(&a, "GET", "/metrics", NULL, NULL, 0, &body), 200);
  assert_non_null(strstr(body, "teectl_kbs_requests_total{step=\"resource\",result=\"released\"}"));
  assert_non_null(strstr(body, "teectl_kbs_requests_total{step=\"auth\",result=\"challenged\"}"));
  free(body);
  assert_int_equal(srv_stop(&a), 0);
  assert_int_equal(srv_stop(&b), 0);
  assert_int_equal(srv_stop(&c), 0);
  srv_cleanup(&b);
  srv_cleanup(&c);
  srv_cleanup(&a);
  free(pol);
  free(nk);
  free(sk);
  free(sig);
  snp_serve_free(&ha);
  snp_serve_free(&hb);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_kbs_end_to_end)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
