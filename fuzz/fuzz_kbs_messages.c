/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the key broker's parsers of untrusted input, each fed the same bytes:
 * the /auth Request, the /attest Attestation, the SNP serde evidence and TDX/SGX quote forms
 * (the input as the primary_evidence value), init-data (TOML and JSON), a session cookie
 * (under a fixed key), a resource path and the resource rules. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/kbs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  tc_error err;
  tc_kbs_auth auth;
  (void)tc_kbs_auth_parse(text, size, &auth, &err);
  tc_kbs_attestation att;
  if (tc_kbs_attestation_parse(text, size, &att, &err) == TC_OK)
    tc_kbs_attestation_free(&att);
  json_t *v = json_loadb(text, size, JSON_DECODE_ANY, NULL);
  if (v) {
    uint8_t rep[0x4A0];
    tc_buf *certs = NULL, q = {0};
    size_t n = 0;
    if (tc_kbs_snp_evidence(v, rep, &certs, &n, &err) == TC_OK) {
      for (size_t i = 0; i < n; i++)
        tc_buf_free(&certs[i]);
      free(certs);
    }
    if (tc_kbs_dcap_evidence(TC_TEE_TDX, v, &q, &err) == TC_OK)
      tc_buf_free(&q);
    tc_kbs_rules *rules = NULL;
    if (tc_kbs_rules_parse(v, &rules, &err) == TC_OK) {
      tc_kbs_grant g = {TC_TEE_SNP, 2, "00", ""};
      int idx;
      (void)tc_kbs_rules_judge(rules, "default", "app", "key", &g, &idx, &err);
      tc_kbs_rules_free(rules);
    }
    char *canon = NULL;
    if (tc_kbs_jcs(v, &canon, &err) == TC_OK)
      free(canon);
    json_decref(v);
  }
  tc_kbs_initdata d;
  if (tc_kbs_initdata_parse("toml", text, size, &d, &err) == TC_OK)
    tc_kbs_initdata_clear(&d);
  if (tc_kbs_initdata_parse("json", text, size, &d, &err) == TC_OK)
    tc_kbs_initdata_clear(&d);
  char *s = malloc(size + 1);
  if (s) {
    memcpy(s, data, size);
    s[size] = '\0';
    static const uint8_t secret[32] = "fuzz-session-secret-fuzz-secret";
    tc_kbs_session_key key;
    tc_kbs_session sess;
    if (tc_kbs_session_key_derive(secret, sizeof secret, &key, &err) == TC_OK &&
        tc_kbs_session_open(&key, s, 0, &sess, &err) == TC_OK)
      tc_kbs_session_clear(&sess);
    char r[TC_KBS_NAME_MAX + 1], t[TC_KBS_NAME_MAX + 1], g[TC_KBS_NAME_MAX + 1];
    (void)tc_kbs_resource_path(s, r, t, g, &err);
    free(s);
  }
  return 0;
}
