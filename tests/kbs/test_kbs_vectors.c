/* SPDX-License-Identifier: Apache-2.0 */
/* The real messages of ../shared/vectors/kbs: each case named in INDEX.tsv is checked against
 * its expected.json. "evidence" cases: the attestation-agent's SNP message is rebuilt into
 * the binary report, which must equal the case's report.bin byte for byte, verify through
 * the one verification path with the message's own cert_chain (ARK/ASK from the snp case:
 * roots stay pinned), and fail the KBS binding as expected.json's note says. "initdata"
 * cases: the digest and the HOST_DATA / MRCONFIGID comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/sha.h>

#include "teectl/kbs.h"
#include "teectl/rfc3339.h"
#include "teectl/snp.h"
#include "testlib.h"

static const char *g_dir;

static json_t *load_json(const char *dir, const char *name) {
  char *p = test_path(dir, name);
  json_t *v = json_load_file(p, JSON_REJECT_DUPLICATES, NULL);
  assert_non_null(v);
  free(p);
  return v;
}

static const char *str(const json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  assert_non_null(s);
  return s;
}

static void hexbytes(const char *hex, uint8_t *out, size_t len) {
  size_t n = 0;
  tc_error err;
  assert_int_equal(tc_hex_decode(hex, out, len, &n, &err), TC_OK);
  assert_int_equal(n, len);
}

static void free_certs(tc_buf *c, size_t n) {
  for (size_t i = 0; i < n; i++)
    tc_buf_free(&c[i]);
  free(c);
}

static tc_status rebuild(const json_t *ev, uint8_t rep[TC_SNP_REPORT_SIZE], tc_error *err) {
  tc_buf *certs = NULL;
  size_t n = 0;
  tc_status st = tc_kbs_snp_evidence(ev, rep, &certs, &n, err);
  free_certs(certs, n);
  return st;
}

static void check_evidence_case(const char *casedir, const json_t *exp) {
  json_t *ev = load_json(casedir, "evidence.json");
  uint8_t rep[TC_SNP_REPORT_SIZE];
  tc_buf *certs = NULL;
  size_t n = 0;
  tc_error err;
  assert_int_equal(tc_kbs_snp_evidence(ev, rep, &certs, &n, &err), TC_OK);
  /* byte for byte the case's binary report */
  char *bin_path = test_path(casedir, str(exp, "report_bin"));
  tc_buf bin = test_read_file(bin_path);
  assert_int_equal(bin.len, TC_SNP_REPORT_SIZE);
  assert_memory_equal(rep, bin.data, TC_SNP_REPORT_SIZE);
  uint8_t orig[TC_SNP_REPORT_SIZE];
  memcpy(orig, bin.data, sizeof orig);
  uint8_t d[32];
  char hex[129];
  SHA256(rep, sizeof rep, d);
  assert_string_equal(tc_hex_encode(d, 32, hex), str(exp, "report_sha256"));
  /* cert_chain: the types expected.json lists, the VCEK equal to the case's vcek.der */
  assert_int_equal(n, json_array_size(json_object_get(exp, "cert_chain_types")));
  char *vcek_path = test_path(casedir, str(exp, "vcek_der"));
  tc_buf vcek = test_read_file(vcek_path);
  assert_int_equal(certs[0].len, vcek.len);
  assert_memory_equal(certs[0].data, vcek.data, vcek.len);
  /* the one verification path: ARK and ASK from the snp case folder, the leaf only from
   * the message */
  char *snpdir = strdup(bin_path);
  *strrchr(snpdir, '/') = '\0';
  char *ark_p = test_path(snpdir, "ark.pem"), *ask_p = test_path(snpdir, "ask.pem");
  tc_collateral col = {0};
  col.ark = test_read_file(ark_p);
  col.ask = test_read_file(ask_p);
  col.extra_certs = certs;
  col.n_extra_certs = n;
  int64_t at = 0;
  assert_int_equal(tc_rfc3339_parse(str(exp, "verify_at"), &at, &err), TC_OK);
  json_t *result = NULL;
  tc_status st = tc_verify_evidence(TC_TEE_SNP, rep, sizeof rep, &col, at, &result, &err);
  assert_string_equal(json_string_value(json_object_get(result, "verdict")), str(exp, "verdict"));
  assert_int_equal(st, strcmp(str(exp, "verdict"), "valid") == 0 ? TC_OK : TC_ERR_VERIFY);
  assert_string_equal(json_string_value(json_object_get(result, "product")), str(exp, "product"));
  json_t *claims = json_object_get(result, "claims");
  assert_int_equal(json_integer_value(json_object_get(claims, "version")),
                   json_integer_value(json_object_get(exp, "report_version")));
  assert_string_equal(json_string_value(json_object_get(claims, "report_data")),
                      str(exp, "report_data_hex"));
  json_decref(result);
  /* bound to a nonce of another session: the KBS binding fails after verification */
  json_t *jwk = json_loads("{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ECDH-ES+A256KW\","
                           "\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
                           "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}",
                           0, NULL);
  uint8_t rd[64];
  hexbytes(str(exp, "report_data_hex"), rd, 64);
  for (int h = TC_KBS_SHA256; h <= TC_KBS_SHA512; h++) {
    assert_int_equal(tc_kbs_binding_check((tc_kbs_hash)h, rd, "AAAA", jwk, "", &err),
                     TC_ERR_VERIFY);
    assert_string_equal(err.reason, "binding_mismatch");
  }
  json_decref(jwk);
  tc_buf_free(&col.ark);
  tc_buf_free(&col.ask);
  free_certs(certs, n);
  tc_buf_free(&bin);
  tc_buf_free(&vcek);
  free(bin_path);
  free(vcek_path);
  free(ark_p);
  free(ask_p);
  free(snpdir);

  /* Malformed variants of the real message: each refused with the member named. */
  static const struct {
    const char *ptr, *json; /* member of attestation_report to set (NULL json: delete) */
  } bad[] = {
      {"report_data", "[1,2,3]"},
      {"measurement", NULL},
      {"current_tcb", "{\"fmc\":1,\"bootloader\":10,\"tee\":0,\"snp\":23,\"microcode\":25}"},
      {"reported_tcb", "{\"bootloader\":10,\"tee\":0,\"snp\":23,\"microcode\":25}"},
      {"version", "1"},
      {"version", "6"},
      {"cpuid_fam_id", "32"},   /* family 20h: no known product line, no known TCB layout */
      {"cpuid_mod_id", "null"}, /* version 3+: the layout comes from CPUID */
      {"vmpl", "-1"},
      {"signature", "{\"r\":[1],\"s\":[2]}"},
      {"launch_mit_vector", "7"},
      {"chip_id_extra", "[]"},
      {"current", "{\"major\":1,\"minor\":256,\"build\":0}"},
      {"host_data", "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1.5]"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    json_t *copy = json_deep_copy(ev);
    json_t *r = json_object_get(copy, "attestation_report");
    if (bad[i].json)
      json_object_set_new(r, bad[i].ptr, json_loads(bad[i].json, JSON_DECODE_ANY, NULL));
    else
      json_object_del(r, bad[i].ptr);
    assert_int_equal(rebuild(copy, rep, &err), TC_ERR_PARSE);
    assert_string_equal(err.reason, "snp_evidence_invalid");
    json_decref(copy);
  }
  /* version 4 has the version 3 fields (virtee/sev's V3 variant): rebuilt with them */
  json_t *v4 = json_deep_copy(ev);
  json_object_set_new(json_object_get(v4, "attestation_report"), "version", json_integer(4));
  assert_int_equal(rebuild(v4, rep, &err), TC_OK);
  assert_int_equal(rep[0], 4);
  assert_memory_equal(rep + 4, orig + 4, TC_SNP_REPORT_SIZE - 4);
  json_decref(v4);
  /* a value changed after signing still rebuilds, and then fails the signature */
  json_t *copy = json_deep_copy(ev);
  json_object_set_new(json_object_get(copy, "attestation_report"), "guest_svn", json_integer(1));
  assert_int_equal(rebuild(copy, rep, &err), TC_OK);
  assert_int_equal(rep[4], 1);
  json_decref(copy);
  /* Turin layout (SEV-SNP ABI TCB_VERSION: byte0 FMC, 1 BOOT_LOADER, 2 TEE, 3 SNP, 7 UCODE) */
  copy = json_deep_copy(ev);
  json_t *r = json_object_get(copy, "attestation_report");
  json_object_set_new(r, "cpuid_fam_id", json_integer(0x1A));
  json_object_set_new(r, "cpuid_mod_id", json_integer(0x02));
  static const char *const tcbs[] = {"current_tcb", "reported_tcb", "committed_tcb", "launch_tcb"};
  for (int i = 0; i < 4; i++)
    json_object_set_new(json_object_get(r, tcbs[i]), "fmc", json_integer(5));
  assert_int_equal(rebuild(copy, rep, &err), TC_OK);
  static const uint8_t turin[8] = {5, 10, 0, 23, 0, 0, 0, 25};
  assert_memory_equal(rep + 0x38, turin, 8);
  assert_memory_equal(rep + 0x180, turin, 8);
  json_object_set_new(json_object_get(r, "launch_tcb"), "fmc", json_null());
  assert_int_equal(rebuild(copy, rep, &err), TC_ERR_PARSE);
  json_decref(copy);
  /* Milan/Genoa layout of the original: byte0 BOOT_LOADER, 1 TEE, 6 SNP, 7 UCODE */
  assert_int_equal(rebuild(ev, rep, &err), TC_OK);
  static const uint8_t genoa[8] = {10, 0, 0, 0, 0, 0, 23, 25};
  assert_memory_equal(rep + 0x38, genoa, 8);
  json_decref(ev);
}

static void check_initdata_case(const char *casedir, const json_t *exp) {
  char *p = test_path(casedir, "initdata.toml");
  tc_buf body = test_read_file(p);
  free(p);
  tc_kbs_initdata d;
  tc_error err;
  assert_int_equal(
      tc_kbs_initdata_parse(str(exp, "format"), (const char *)body.data, body.len, &d, &err),
      TC_OK);
  assert_string_equal(tc_kbs_hash_name(d.algorithm), str(exp, "algorithm"));
  assert_string_equal(d.version, str(exp, "version"));
  char hex[129];
  assert_string_equal(tc_hex_encode(d.digest, d.digest_len, hex), str(exp, "digest_hex"));
  assert_true(json_equal(d.data_keys, json_object_get(exp, "data_keys")));
  uint8_t host[32], mrc[48];
  hexbytes(str(exp, "snp_host_data_hex"), host, 32);
  hexbytes(str(exp, "tdx_mr_config_id_hex"), mrc, 48);
  assert_int_equal(tc_kbs_initdata_check(&d, host, 32, &err), TC_OK);
  assert_int_equal(tc_kbs_initdata_check(&d, mrc, 48, &err), TC_OK);
  host[31] ^= 1;
  assert_int_equal(tc_kbs_initdata_check(&d, host, 32, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "init_data_mismatch");
  mrc[47] = 1; /* the padding is compared too */
  assert_int_equal(tc_kbs_initdata_check(&d, mrc, 48, &err), TC_ERR_VERIFY);
  tc_kbs_initdata_clear(&d);
  /* one byte more in the body (a trailing newline): another digest */
  char *more = malloc(body.len + 1);
  memcpy(more, body.data, body.len);
  more[body.len] = '\n';
  assert_int_equal(tc_kbs_initdata_parse("toml", more, body.len + 1, &d, &err), TC_OK);
  assert_int_equal(tc_kbs_initdata_check(&d, mrc, 48, &err), TC_ERR_VERIFY);
  tc_kbs_initdata_clear(&d);
  free(more);
  tc_buf_free(&body);
}

static void test_vectors(void **state) {
  (void)state;
  char *index = test_path(g_dir, "INDEX.tsv");
  char **names = test_index_names(index);
  int n = 0;
  for (char **c = names; *c; c++, n++) {
    char *casedir = test_path(g_dir, *c);
    json_t *exp = load_json(casedir, "expected.json");
    if (json_object_get(exp, "report_bin"))
      check_evidence_case(casedir, exp);
    else
      check_initdata_case(casedir, exp);
    json_decref(exp);
    free(casedir);
  }
  assert_true(n >= 2);
  test_free_list(names);
  free(index);
}

static void test_initdata_forms(void **state) {
  (void)state;
  tc_kbs_initdata d;
  tc_error err;
  const char *j =
      "{\"version\":\"0.1.0\",\"algorithm\":\"sha384\",\"data\":{\"b\":\"1\",\"a\":\"2\"}}";
  assert_int_equal(tc_kbs_initdata_parse("json", j, strlen(j), &d, &err), TC_OK);
  assert_int_equal(d.digest_len, 48);
  char *keys = json_dumps(d.data_keys, JSON_COMPACT);
  assert_string_equal(keys, "[\"a\",\"b\"]");
  free(keys);
  /* SNP HOST_DATA holds the first 32 bytes of a SHA-384 digest */
  assert_int_equal(tc_kbs_initdata_check(&d, d.digest, 32, &err), TC_OK);
  tc_kbs_initdata_clear(&d);
  static const struct {
    const char *fmt, *body, *reason;
  } bad[] = {
      {"yaml", "x", "init_data_unsupported"},
      {"toml", "version = '0.2.0'\nalgorithm = 'sha256'\n", "init_data_unsupported"},
      {"toml", "version = '0.1.0'\nalgorithm = 'sm3'\n", "init_data_unsupported"},
      {"toml", "version = '0.1.0'\nalgorithm = 'sha256'\n[data]\nx = 1\n", "init_data_invalid"},
      {"toml", "version = '0.1.0'\nalgorithm = \n", "init_data_invalid"},
      {"json", "{\"version\":\"0.1.0\"}", "init_data_invalid"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_not_equal(
        tc_kbs_initdata_parse(bad[i].fmt, bad[i].body, strlen(bad[i].body), &d, &err), TC_OK);
    assert_string_equal(err.reason, bad[i].reason);
    assert_null(d.data_keys);
  }
}

int main(int argc, char **argv) {
  g_dir = test_path(test_vectors_dir(argc, argv, "kbs"), "kbs");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vectors),
      cmocka_unit_test(test_initdata_forms),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
