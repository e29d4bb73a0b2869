/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — KBS protocol messages: Request (/auth), Challenge, Attestation (/attest).
 * kbs-types Request {version, tee, extra-params}, Challenge {nonce, extra-params},
 * Attestation {init-data?, runtime-data, tee-evidence}; guest-components rcar_client
 * (supported-hash-algorithms / selected-hash-algorithm); Trustee kbs/src/attestation/backend.rs
 * (version requirement "=0.4.0", 32-byte nonce in standard base64).
 */
#include <jansson.h>
#include <string.h>

#include "teectl/base64.h"
#include "teectl/kbs.h"

/* kbs-types Tee names (serde lower-case) that this service does not verify. */
static const char *const known_other_tees[] = {"azsnpvtpm", "aztdxvtpm", "nvidia",      "sev",
                                               "cca",       "csv",       "se",          "hygondcu",
                                               "tpm",       "sample",    "sampledevice"};

static tc_kbs_hash select_hash(const json_t *extra, tc_error *err, tc_status *st) {
  *st = TC_OK;
  const json_t *list =
      json_is_object(extra) ? json_object_get(extra, "supported-hash-algorithms") : NULL;
  if (!list)
    return TC_KBS_SHA384; /* an older guest: kbs-types' default */
  if (!json_is_array(list)) {
    *st = tc_fail(err, TC_ERR_PARSE, "kbs_request_invalid",
                  "extra-params.supported-hash-algorithms is not a list");
    return 0;
  }
  static const tc_kbs_hash pref[] = {TC_KBS_SHA384, TC_KBS_SHA512, TC_KBS_SHA256};
  for (size_t p = 0; p < 3; p++) {
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
      if (json_is_string(v) && tc_kbs_hash_from_name(json_string_value(v)) == pref[p] &&
          strchr(json_string_value(v), '-') == NULL)
        return pref[p];
    }
  }
  *st = tc_fail(err, TC_ERR_VERIFY, "kbs_hash_unsupported",
                "the guest supports none of sha384, sha512, sha256");
  return 0;
}

tc_status tc_kbs_auth_parse(const char *body, size_t len, tc_kbs_auth *out, tc_error *err) {
  memset(out, 0, sizeof *out);
  json_error_t je;
  json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
  if (!json_is_object(root)) {
    json_decref(root);
    return tc_fail(err, TC_ERR_PARSE, "kbs_request_invalid",
                   "Request is not a JSON object (%d:%d: %s)", je.line, je.column, je.text);
  }
  const char *version = json_string_value(json_object_get(root, "version"));
  const char *tee = json_string_value(json_object_get(root, "tee"));
  const json_t *extra = json_object_get(root, "extra-params");
  tc_status st = TC_OK;
  if (!version || !tee || !extra)
    st = tc_fail(err, TC_ERR_PARSE, "kbs_request_invalid",
                 "Request needs string \"version\", string \"tee\" and \"extra-params\"");
  else if (strcmp(version, TC_KBS_PROTOCOL_VERSION) != 0)
    st = tc_fail(err, TC_ERR_VERIFY, "kbs_version_unsupported",
                 "KBS protocol version \"%s\" (this service speaks =%s)", version,
                 TC_KBS_PROTOCOL_VERSION);
  else if (strcmp(tee, "snp") == 0 || strcmp(tee, "tdx") == 0 || strcmp(tee, "sgx") == 0)
    out->tee = tc_tee_from_name(tee);
  else {
    int known = 0;
    for (size_t i = 0; i < sizeof known_other_tees / sizeof known_other_tees[0]; i++)
      known |= strcmp(tee, known_other_tees[i]) == 0;
    st = tc_fail(err, TC_ERR_VERIFY, "kbs_tee_unsupported",
                 "%s \"%s\" (this service verifies snp, tdx and sgx)",
                 known ? "TEE not served here:" : "unknown TEE", tee);
  }
  if (st == TC_OK)
    out->hash = select_hash(extra, err, &st);
  json_decref(root);
  return st;
}

void tc_kbs_nonce_text(const uint8_t nonce[TC_KBS_NONCE_LEN], char out[TC_KBS_NONCE_TEXT_LEN + 1]) {
  tc_b64_encode_to(nonce, TC_KBS_NONCE_LEN, TC_B64_STD, out);
}

json_t *tc_kbs_challenge(const uint8_t nonce[TC_KBS_NONCE_LEN], tc_kbs_hash h) {
  char text[TC_KBS_NONCE_TEXT_LEN + 1];
  tc_kbs_nonce_text(nonce, text);
  return json_pack("{s:s,s:{s:s}}", "nonce", text, "extra-params", "selected-hash-algorithm",
                   tc_kbs_hash_name(h));
}

void tc_kbs_attestation_free(tc_kbs_attestation *a) {
  if (!a)
    return;
  json_decref(a->root);
  memset(a, 0, sizeof *a);
}

static tc_status bad(tc_error *err, const char *what) {
  return tc_fail(err, TC_ERR_PARSE, "kbs_attestation_invalid", "Attestation: %s", what);
}

/* additional_evidence: "" or a JSON object with no members. */
static tc_status check_additional(const char *s, tc_error *err) {
  if (s[0] == '\0')
    return TC_OK;
  json_t *v = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
  int empty = json_is_object(v) && json_object_size(v) == 0;
  json_decref(v);
  if (!empty)
    return tc_fail(err, TC_ERR_VERIFY, "additional_evidence_unsupported",
                   "additional_evidence from secondary devices cannot be verified here");
  return TC_OK;
}

tc_status tc_kbs_attestation_parse(const char *body, size_t len, tc_kbs_attestation *out,
                                   tc_error *err) {
  memset(out, 0, sizeof *out);
  json_error_t je;
  out->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
  if (!json_is_object(out->root)) {
    tc_kbs_attestation_free(out);
    return tc_fail(err, TC_ERR_PARSE, "kbs_attestation_invalid",
                   "Attestation is not a JSON object (%d:%d: %s)", je.line, je.column, je.text);
  }
  const json_t *rd = json_object_get(out->root, "runtime-data");
  const json_t *te = json_object_get(out->root, "tee-evidence");
  const json_t *id = json_object_get(out->root, "init-data");
  tc_status st = TC_OK;
  if (!json_is_object(rd) || json_object_size(rd) != 2)
    st = bad(err, "\"runtime-data\" must be an object of exactly \"nonce\" and \"tee-pubkey\"");
  else if (!json_is_string(json_object_get(rd, "nonce")) || !json_object_get(rd, "tee-pubkey"))
    st = bad(err, "runtime-data needs string \"nonce\" and \"tee-pubkey\"");
  else if (!json_is_object(te) || !json_object_get(te, "primary_evidence") ||
           !json_is_string(json_object_get(te, "additional_evidence")))
    st = bad(err, "\"tee-evidence\" needs \"primary_evidence\" and string "
                  "\"additional_evidence\"");
  else if (id && !json_is_null(id) &&
           (!json_is_object(id) || !json_is_string(json_object_get(id, "format")) ||
            !json_is_string(json_object_get(id, "body"))))
    st = bad(err, "\"init-data\" must be null or {\"format\": string, \"body\": string}");
  if (st == TC_OK) {
    out->nonce = json_string_value(json_object_get(rd, "nonce"));
    out->tee_pubkey = json_object_get(rd, "tee-pubkey");
    out->primary_evidence = json_object_get(te, "primary_evidence");
    out->additional_evidence = json_string_value(json_object_get(te, "additional_evidence"));
    if (json_is_object(id)) {
      out->init_data_format = json_string_value(json_object_get(id, "format"));
      out->init_data_body = json_string_value(json_object_get(id, "body"));
      out->init_data_len = json_string_length(json_object_get(id, "body"));
    }
    st = tc_kbs_tee_pubkey_check(out->tee_pubkey, err);
  }
  if (st == TC_OK)
    st = check_additional(out->additional_evidence, err);
  if (st != TC_OK)
    tc_kbs_attestation_free(out);
  return st;
}
