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
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest_run.h"
#include "harness.h"
#include "snp_serve.h"
#include "teectl/attester.h"
#include "testlib.h"

static srv S;
static snp_serve H;
static snp_forge *F; /* H's */
static char URL[64], EVCMD[2048];

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
  srv_init(&S);
  char d[300];
  snprintf(d, sizeof d, "%s/snp", S.dir);
  if (snp_serve_init(&H, d, &o) != 0)
    return -1;
  F = H.forge;
  tc_snp_report r;
  snp_forge_report_init(F, 3, &r);
  memset(r.measurement, 0x11, 48);
  r.guest_svn = 2;
  if (snp_serve_template(&H, &r) != 0)
    return -1;
  snprintf(EVCMD, sizeof EVCMD, "python3 %s %s %s %s/asked.txt", SNP_EVIDENCE_PY, H.key, H.tpl,
           S.dir);
  write_policy(0x11);
  char policy[300];
  snprintf(policy, sizeof policy, "%s/policy.json", S.dir);
  const char *args[] = {"--policy",    policy, "--issuer", "https://attest.test",
                        "--token-ttl", "120",  NULL};
  int rc = snp_serve_start(&H, &S, SNP_SERVE_COLLATERAL, args);
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

/* ---- configfs-tsm end to end: the "kernel" (a hook, as in the unit tests) signs with the
 * test hierarchy and hands out the host's certificate table; a server with no collateral
 * folder verifies with the certificates the attester sent from that table. ---- */

static srv S2;
static char TSM_ROOT[300];

static tc_buf pem_to_der(const tc_buf *pem) {
  BIO *b = BIO_new_mem_buf(pem->data, (int)pem->len);
  X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
  assert_non_null(x);
  tc_buf out = {0};
  int n = i2d_X509(x, &out.data);
  assert_true(n > 0);
  out.len = (size_t)n;
  X509_free(x);
  BIO_free(b);
  return out;
}

static void put(const char *dir, const char *name, const void *d, size_t n) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(d, 1, n, f), n);
  fclose(f);
}

/* GHCB certificate table: VCEK, ASK, ARK (GUIDs in RFC 4122 byte order), zero entry. */
static size_t cert_table(uint8_t *t, size_t cap) {
  static const uint8_t guids[3][16] = {{0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5,
                                        0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd},
                                       {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f,
                                        0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82},
                                       {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43,
                                        0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae}};
  tc_buf der[3];
  der[0] = *snp_forge_leaf_der(F);
  der[1] = pem_to_der(snp_forge_ask_pem(F));
  der[2] = pem_to_der(snp_forge_ark_pem(F));
  size_t off = 4 * 24;
  memset(t, 0, off);
  for (int i = 0; i < 3; i++) {
    assert_true(off + der[i].len <= cap);
    memcpy(t + 24 * i, guids[i], 16);
    for (int k = 0; k < 4; k++) {
      t[24 * i + 16 + k] = (uint8_t)(off >> (8 * k));
      t[24 * i + 20 + k] = (uint8_t)(der[i].len >> (8 * k));
    }
    memcpy(t + off, der[i].data, der[i].len);
    off += der[i].len;
  }
  tc_buf_free(&der[1]);
  tc_buf_free(&der[2]);
  return off;
}

static int with_aux;

static void kernel(tc_tsm_event ev, const char *entry, void *arg) {
  (void)arg;
  char p[1024];
  if (ev == TC_TSM_ENTRY_MADE) {
    put(entry, "provider", "sev_guest\n", 10);
    put(entry, "generation", "0\n", 2);
    put(entry, "inblob", "", 0);
  } else if (ev == TC_TSM_INBLOB_WRITTEN) {
    snprintf(p, sizeof p, "%s/inblob", entry);
    tc_buf in = test_read_file(p);
    assert_int_equal(in.len, 64);
    tc_snp_report r;
    snp_forge_report_init(F, 3, &r);
    memset(r.measurement, 0x11, 48);
    r.guest_svn = 2;
    memcpy(r.report_data, in.data, 64);
    tc_buf_free(&in);
    uint8_t rep[TC_SNP_REPORT_SIZE];
    assert_int_equal(snp_forge_sign_report(F, &r, rep), 0);
    put(entry, "outblob", rep, sizeof rep);
    if (with_aux) {
      static uint8_t t[16384];
      put(entry, "auxblob", t, cert_table(t, sizeof t));
    }
    put(entry, "generation", "1\n", 2);
  } else {
    static const char *const names[] = {"provider", "generation", "inblob", "outblob", "auxblob"};
    for (size_t i = 0; i < 5; i++) {
      snprintf(p, sizeof p, "%s/%s", entry, names[i]);
      unlink(p);
    }
  }
}

static void test_configfs_tsm_certificates(void **state) {
  (void)state;
  write_policy(0x11);
  if (S2.pid == 0) {
    srv_init(&S2);
    char policy[300];
    snprintf(policy, sizeof policy, "%s/policy.json", S.dir);
    const char *args[] = {"--policy", policy, NULL};
    assert_int_equal(snp_serve_start(&H, &S2, SNP_SERVE_ROOT_ONLY, args), 0);
    snprintf(TSM_ROOT, sizeof TSM_ROOT, "%s/root", S.dir);
    const char *parts[] = {"",
                           "/sys",
                           "/sys/kernel",
                           "/sys/kernel/config",
                           "/sys/kernel/config/tsm",
                           "/sys/kernel/config/tsm/report"};
    for (size_t i = 0; i < 6; i++) {
      char p[400];
      snprintf(p, sizeof p, "%s%s", TSM_ROOT, parts[i]);
      mkdir(p, 0700);
    }
  }
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%u", S2.port);
  tc_attester_opts o;
  tc_attester_opts_init(&o);
  o.root = TSM_ROOT;
  o.tee = "snp";
  o.tsm_hook = kernel;
  tc_attest_http h = {.deadline_s = 30};
  char *token = NULL;
  tc_error err;
  with_aux = 1;
  tc_status st = tc_attest_service(url, &h, &o, NULL, 0, &token, &err);
  if (st != TC_OK)
    fail_msg("%s: %s", err.reason, err.detail);
  json_t *expect = json_pack("{s:s, s:s}", "tee", "snp", "status", "affirming");
  assert_int_equal(check_token(&S2, token, expect), 0);
  free(token);
  /* Without the host's certificates the server has no VCEK: refused. */
  with_aux = 0;
  assert_int_equal(tc_attest_service(url, &h, &o, NULL, 0, &token, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "attestation_refused");
  if (!strstr(err.detail, "evidence_invalid") || !strstr(err.detail, "VCEK"))
    fail_msg("detail: %s", err.detail);
  assert_null(token);
  srv_stop(&S2);
  srv_cleanup(&S2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_service_token),
      cmocka_unit_test(test_service_stdout),
      cmocka_unit_test(test_service_refused),
      cmocka_unit_test(test_service_evidence_cmd_fails),
      cmocka_unit_test(test_service_no_device),
      cmocka_unit_test(test_service_unreachable),
      cmocka_unit_test(test_configfs_tsm_certificates),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
