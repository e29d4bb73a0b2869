/* SPDX-License-Identifier: Apache-2.0 */
/* `teectl attest --service` against the real `teectl serve` on loopback. The evidence comes
 * from an evidence command (snp_evidence.py, python3-cryptography) that signs SEV-SNP reports
 * with the leaf key of a test hierarchy (tests/common/snp_forge) the server trusts through
 * --trust-root and --collateral. The token is checked by check_token.py against the server's
 * JWKS; REPORT_DATA is recomputed here (SHA-512(nonce || runtime_data), docs/service.md) from
 * the nonce in the token and compared with what the command was asked to sign. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest_run.h"
#include "harness.h"
#include "snp_forge.h"

static srv S;
static snp_forge *F;
static char URL[64], EVCMD[2048], COLDIR[300];

static char *hexs(const uint8_t *p, size_t n) {
  char *s = malloc(2 * n + 1);
  for (size_t i = 0; i < n; i++)
    sprintf(s + 2 * i, "%02x", p[i]);
  return s;
}

/* Reference values: the template report's measurement is 48 bytes of m. */
static void write_policy(uint8_t m) {
  uint8_t mb[48];
  memset(mb, m, 48);
  char *M = hexs(mb, 48);
  json_t *pol = json_pack("{s:s, s:{s:[s], s:[i], s:i, s:{s:i, s:i, s:i, s:i}}}", "id",
                          m == 0x11 ? "attest-good" : "attest-wrong", "snp", "measurements", M,
                          "vmpls", 0, "min_guest_svn", 2, "min_tcb", "bootloader", 3, "tee", 1,
                          "snp", 8, "microcode", 115);
  char *text = json_dumps(pol, JSON_INDENT(1));
  free(srv_write(&S, "policy.json", text, strlen(text)));
  free(text);
  free(M);
  json_decref(pol);
}

static int setup(void **state) {
  (void)state;
  snp_forge_opts o;
  snp_forge_opts_init(&o, TC_SNP_MILAN, 0);
  F = snp_forge_new(&o);
  if (!F)
    return -1;
  srv_init(&S);
  snprintf(COLDIR, sizeof COLDIR, "%s/collateral", S.dir);
  mkdir(COLDIR, 0700);
  if (snp_forge_write_dir(F, COLDIR) != 0)
    return -1;
  tc_snp_report r;
  snp_forge_report_init(F, 3, &r);
  memset(r.measurement, 0x11, 48);
  r.guest_svn = 2;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  if (snp_forge_sign_report(F, &r, rep) != 0)
    return -1;
  free(srv_write(&S, "template.bin", rep, sizeof rep));
  char key[300];
  snprintf(key, sizeof key, "%s/leaf.pem", S.dir);
  if (snp_forge_write_leaf_key(F, key) != 0)
    return -1;
  snprintf(EVCMD, sizeof EVCMD, "python3 %s %s %s/template.bin %s/asked.txt", SNP_EVIDENCE_PY, key,
           S.dir, S.dir);
  const tc_buf *ark = snp_forge_ark_pem(F);
  char *root = srv_write(&S, "ark.pem", ark->data, ark->len);
  write_policy(0x11);
  char policy[300];
  snprintf(policy, sizeof policy, "%s/policy.json", S.dir);
  const char *args[] = {
      "--trust-root",        root,          "--collateral", COLDIR, "--policy", policy, "--issuer",
      "https://attest.test", "--token-ttl", "120",          NULL};
  int rc = srv_start(&S, args);
  free(root);
  snprintf(URL, sizeof URL, "http://127.0.0.1:%u", S.port);
  return rc;
}

static int teardown(void **state) {
  (void)state;
  srv_stop(&S);
  srv_cleanup(&S);
  snp_forge_free(F);
  return 0;
}

static char *path_in(const char *name) {
  return strdup(srv_path(&S, name));
}

/* The happy path: token file with the server's signed token, mode 0600, bound to the
 * runtime data. */
static void test_service_token(void **state) {
  (void)state;
  write_policy(0x11);
  const char *jwk = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus"
                    "9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";
  char *rd = srv_write(&S, "rd.json", jwk, strlen(jwk));
  char *tok = path_in("token.jwt"), *out = path_in("out.txt"), *errp = path_in("err.txt");
  unlink(srv_path(&S, "asked.txt"));
  const char *args[] = {"--service",      URL, "--evidence-cmd", EVCMD, "--tee", "snp",
                        "--runtime-data", rd,  "--out",          tok,   NULL};
  int rc = attest_run(args, out, errp);
  char *e = attest_slurp(errp);
  if (rc != 0)
    fprintf(stderr, "teectl attest said: %s\n", e ? e : "");
  assert_int_equal(rc, 0);
  struct stat st;
  assert_int_equal(stat(tok, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
  char *token = attest_slurp(tok);
  assert_non_null(token);
  assert_int_equal(strlen(token), (size_t)st.st_size); /* exactly the token, no newline */
  json_t *expect = json_pack("{s:s, s:s, s:s, s:i, s:o, s:s}", "tee", "snp", "status", "affirming",
                             "iss", "https://attest.test", "ttl", 120, "runtime_data",
                             json_loads(jwk, 0, NULL), "policy_id", "attest-good");
  assert_int_equal(check_token(&S, token, expect), 0);

  /* REPORT_DATA asked of the command = SHA-512(nonce bytes || runtime data), the nonce being
   * the token's eat_nonce (payload decoded here with OpenSSL). */
  const char *dot1 = strchr(token, '.'), *dot2 = strchr(dot1 + 1, '.');
  char *payload = strndup(dot1 + 1, (size_t)(dot2 - dot1 - 1));
  unsigned char pl[8192];
  long pn = b64url_decode(payload, pl, sizeof pl - 1);
  assert_true(pn > 0);
  pl[pn] = 0;
  json_t *claims = json_loads((const char *)pl, 0, NULL);
  const char *nonce = json_string_value(json_object_get(claims, "eat_nonce"));
  assert_non_null(nonce);
  unsigned char nb[SRV_NONCE_BYTES];
  assert_int_equal(b64url_decode(nonce, nb, sizeof nb), SRV_NONCE_BYTES);
  unsigned char cat[SRV_NONCE_BYTES + 256], want[64];
  memcpy(cat, nb, SRV_NONCE_BYTES);
  memcpy(cat + SRV_NONCE_BYTES, jwk, strlen(jwk));
  SHA512(cat, SRV_NONCE_BYTES + strlen(jwk), want);
  char *wh = hexs(want, 64);
  char *asked = attest_slurp(srv_path(&S, "asked.txt"));
  assert_non_null(asked);
  assert_int_equal(strncmp(asked, wh, 128), 0);
  free(wh);
  free(asked);
  json_decref(claims);
  free(payload);
  free(token);
  free(e);
  free(rd);
  free(tok);
  free(out);
  free(errp);
}

/* Without --out the token goes to standard output (one line). */
static void test_service_stdout(void **state) {
  (void)state;
  write_policy(0x11);
  char *out = path_in("out2.txt"), *errp = path_in("err2.txt");
  const char *args[] = {"--service", URL, "--evidence-cmd", EVCMD, "--tee", "snp", NULL};
  assert_int_equal(attest_run(args, out, errp), 0);
  char *o = attest_slurp(out);
  size_t n = strlen(o);
  assert_true(n > 100 && o[n - 1] == '\n');
  o[n - 1] = '\0';
  json_t *expect =
      json_pack("{s:s, s:s, s:s}", "tee", "snp", "status", "affirming", "policy_id", "attest-good");
  assert_int_equal(check_token(&S, o, expect), 0);
  free(o);
  free(out);
  free(errp);
}

/* A policy that expects another measurement: exit 1, the service's reason, no token file. */
static void test_service_refused(void **state) {
  (void)state;
  write_policy(0x77);
  char *tok = path_in("refused.jwt"), *out = path_in("out3.txt"), *errp = path_in("err3.txt");
  const char *args[] = {"--service", URL, "--evidence-cmd", EVCMD, "--tee", "snp", "--out",
                        tok,         NULL};
  assert_int_equal(attest_run(args, out, errp), 1);
  assert_int_equal(access(tok, F_OK), -1);
  char *e = attest_slurp(errp);
  if (!strstr(e, "HTTP 403 contraindicated") || !strstr(e, "attestation_refused") ||
      !strstr(e, "measurement"))
    fail_msg("stderr: %s", e);
  free(e);
  free(tok);
  free(out);
  free(errp);
  write_policy(0x11);
}

/* The evidence command fails: exit 2, its status named, no request made with evidence. */
static void test_service_evidence_cmd_fails(void **state) {
  (void)state;
  char *tok = path_in("nocmd.jwt"), *out = path_in("out4.txt"), *errp = path_in("err4.txt");
  const char *args[] = {"--service", URL, "--evidence-cmd", "exit 7", "--tee", "snp", "--out",
                        tok,         NULL};
  assert_int_equal(attest_run(args, out, errp), 2);
  assert_int_equal(access(tok, F_OK), -1);
  char *e = attest_slurp(errp);
  if (!strstr(e, "exited with status 7") || !strstr(e, "evidence_cmd_failed"))
    fail_msg("stderr: %s", e);
  free(e);
  free(tok);
  free(out);
  free(errp);
}

/* No TEE device under --root: exit 2 before any request. */
static void test_service_no_device(void **state) {
  (void)state;
  char *root = path_in("emptyroot"), *out = path_in("out5.txt"), *errp = path_in("err5.txt");
  mkdir(root, 0700);
  const char *args[] = {"--service", URL, "--root", root, NULL};
  assert_int_equal(attest_run(args, out, errp), 2);
  char *e = attest_slurp(errp);
  if (!strstr(e, "no_tee_device"))
    fail_msg("stderr: %s", e);
  free(e);
  free(root);
  free(out);
  free(errp);
}

/* A service that is not there: retries until the deadline, then exit 2. */
static void test_service_unreachable(void **state) {
  (void)state;
  char *out = path_in("out6.txt"), *errp = path_in("err6.txt");
  const char *args[] = {
      "--service", "http://127.0.0.1:9", "--evidence-cmd", EVCMD, "--tee", "snp", "--timeout", "2",
      NULL};
  assert_int_equal(attest_run(args, out, errp), 2);
  char *e = attest_slurp(errp);
  if (!strstr(e, "service_unreachable") || !strstr(e, "2 s deadline"))
    fail_msg("stderr: %s", e);
  free(e);
  free(out);
  free(errp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_service_token),     cmocka_unit_test(test_service_stdout),
      cmocka_unit_test(test_service_refused),   cmocka_unit_test(test_service_evidence_cmd_fails),
      cmocka_unit_test(test_service_no_device), cmocka_unit_test(test_service_unreachable),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
