/* SPDX-License-Identifier: Apache-2.0 */
/* Appraisal of a verification result (verify.h JSON) under a policy: every rule of
 * docs/policy.md, producing an EAR submodule (draft-ietf-rats-ear) with a
 * trustworthiness vector (draft-ietf-rats-ar4si section 2.3).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "appraisal/internal.h"
#include "teectl/appraisal.h"
#include "teectl/bytes.h"
#include "teectl/verify.h"

/* Trustworthiness claims we assert (draft-ietf-rats-ar4si section 2.3.4). */
enum { TV_CONFIGURATION, TV_EXECUTABLES, TV_HARDWARE, TV_RUNTIME_OPAQUE, TV_N };
static const char *const tv_names[TV_N] = {"configuration", "executables", "hardware",
                                           "runtime-opaque"};

/* Values used (same section): */
#define AR_AFFIRM 2             /* approved config / genuine hardware / encrypted runtime */
#define AR_EXEC_APPROVED_BOOT 3 /* executables: approved set loaded during boot */
#define AR_HW_VULNERABLE 32     /* hardware: genuine but with known vulnerabilities */
#define AR_CONTRAINDICATED 96   /* configuration/executables/hardware/runtime-opaque */
#define AR_HW_UNRECOGNIZED 97   /* hardware: not recognized but should be */
#define AR_CRYPTO_FAILED 99     /* cryptographic validation of the evidence failed */

typedef struct {
  json_t *failed;      /* [{"rule","status","detail"}] */
  json_t *unappraised; /* ["measurement", ...] */
  tc_ear_status worst; /* most severe rule outcome */
  int tv[TV_N];
  int nomem;
} actx;

static int tier(int v) {
  if (v >= 96 || (v <= -97 && v >= -128))
    return 3;
  if (v >= 32 || (v <= -33 && v >= -96))
    return 2;
  if (v >= 2 || (v <= -2 && v >= -32))
    return 1;
  return 0;
}

static void tv_set(actx *c, int claim, int value) {
  if (claim >= 0 && claim < TV_N && tier(value) > tier(c->tv[claim]))
    c->tv[claim] = value;
}

static void fail_rule(actx *c, const char *rule, tc_ear_status status, int claim, int value,
                      const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void fail_rule(actx *c, const char *rule, tc_ear_status status, int claim, int value,
                      const char *fmt, ...) {
  char detail[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  tc_utf8_sanitize(detail); /* truncation may split a character; JSON needs UTF-8 */
  json_t *d = json_string(detail);
  json_t *e = d ? json_pack("{s:s, s:s, s:o}", "rule", rule, "status", tc_ear_status_name(status),
                            "detail", d)
                : NULL;
  if (!e || json_array_append_new(c->failed, e) != 0)
    c->nomem = 1;
  if (status > c->worst)
    c->worst = status;
  tv_set(c, claim, value);
}

static void unappraised(actx *c, const char *claim) {
  if (json_array_append_new(c->unappraised, json_string(claim)) != 0)
    c->nomem = 1;
}

/* ---- claim access ------------------------------------------------------------------ */

static const json_t *claim(const json_t *claims, const char *name) {
  return json_object_get(claims, name);
}

static int hex_in_list(const char *hex, const json_t *list) {
  size_t i;
  const json_t *e;
  if (!hex)
    return 0;
  json_array_foreach(list, i, e) {
    const char *s = json_string_value(e);
    if (s && strlen(s) == strlen(hex) && strcasecmp(s, hex) == 0)
      return 1;
  }
  return 0;
}

static int int_in_list(json_int_t v, const json_t *list) {
  size_t i;
  const json_t *e;
  json_array_foreach(list, i, e) {
    if (json_is_integer(e) && json_integer_value(e) == v)
      return 1;
  }
  return 0;
}

/* Bytes of a hex claim of exactly n bytes into out; 0 if absent/malformed. */
static int hex_claim_bytes(const json_t *v, uint8_t *out, size_t n) {
  const char *s = json_string_value(v);
  size_t got = 0;
  if (!s || strlen(s) != 2 * n)
    return 0;
  if (tc_hex_decode(s, out, n, &got, NULL) != TC_OK || got != n)
    return 0;
  return 1;
}

/* Debug state: 1 on, 0 off, -1 unknown. Any source saying "on" wins (fail closed). */
static int debug_state(const json_t *ver, const json_t *claims, tc_tee tee) {
  int known = 0, on = 0;
  const json_t *f = json_object_get(json_object_get(ver, "policy_flags"), "debug");
  if (json_is_boolean(f)) {
    known = 1;
    on |= json_is_true(f);
  }
  if (tee == TC_TEE_SNP) {
    const json_t *d = json_object_get(claim(claims, "policy_decoded"), "debug");
    if (json_is_boolean(d)) {
      known = 1;
      on |= json_is_true(d);
    }
  } else if (tee == TC_TEE_TDX) {
    uint8_t a[8]; /* TD_ATTRIBUTES, little-endian; bit 0 = DEBUG (Intel TDX module spec) */
    if (hex_claim_bytes(claim(claims, "td_attributes"), a, sizeof a)) {
      known = 1;
      on |= a[0] & 1;
    }
  } else if (tee == TC_TEE_SGX) {
    uint8_t a[16]; /* ATTRIBUTES.FLAGS bit 1 = DEBUG (Intel SDM vol. 3D, SECS) */
    if (hex_claim_bytes(claim(claims, "attributes"), a, sizeof a)) {
      known = 1;
      on |= (a[0] >> 1) & 1;
    }
  }
  return known ? on : -1;
}

/* ---- shared rules ------------------------------------------------------------------ */

static void rule_version(actx *c, const char *rule, const json_t *allowed, const json_t *v,
                         const char *what) {
  if (!json_is_integer(v)) {
    fail_rule(c, rule, TC_EAR_CONTRAINDICATED, TV_HARDWARE, AR_HW_UNRECOGNIZED,
              "%s missing from the verification result", what);
    return;
  }
  if (!int_in_list(json_integer_value(v), allowed))
    fail_rule(c, rule, TC_EAR_CONTRAINDICATED, TV_HARDWARE, AR_HW_UNRECOGNIZED,
              "%s %lld is not an allowed version", what, (long long)json_integer_value(v));
}

static void rule_debug(actx *c, const char *rule, const json_t *sec, int debug) {
  if (json_is_true(json_object_get(sec, "allow_debug")))
    return;
  if (debug < 0)
    fail_rule(c, rule, TC_EAR_CONTRAINDICATED, TV_CONFIGURATION, AR_CONTRAINDICATED,
              "debug state missing from the verification result");
  else if (debug) {
    fail_rule(c, rule, TC_EAR_CONTRAINDICATED, TV_CONFIGURATION, AR_CONTRAINDICATED,
              "debug is enabled: the host can read and change the TEE's memory");
    tv_set(c, TV_RUNTIME_OPAQUE, AR_CONTRAINDICATED);
  }
}

/* Allowed-list rule for a hex claim; absent list = not checked (returns 0), else 1. */
static int rule_hex_list(actx *c, const char *rule, const json_t *sec, const char *key,
                         const json_t *claims, const char *claim_name, int tvclaim) {
  const json_t *list = json_object_get(sec, key);
  if (!json_is_array(list))
    return 0;
  const char *hex = json_string_value(claim(claims, claim_name));
  if (!hex)
    fail_rule(c, rule, TC_EAR_CONTRAINDICATED, tvclaim, AR_CONTRAINDICATED,
              "%s missing from the verification result", claim_name);
  else if (!hex_in_list(hex, list))
    fail_rule(c, rule, TC_EAR_CONTRAINDICATED, tvclaim, AR_CONTRAINDICATED,
              "%s %s is not among the %zu reference values", claim_name, hex,
              json_array_size(list));
  return 1;
}

static void rule_tcb_status(actx *c, const char *rule, const json_t *sec, const json_t *ver) {
  const char *status = json_string_value(json_object_get(ver, "tcb_status"));
  if (!status) {
    fail_rule(c, rule, TC_EAR_CONTRAINDICATED, TV_HARDWARE, AR_CONTRAINDICATED,
              "tcb_status missing from the verification result");
    return;
  }
  int s = tc_ear_status_from_name(
      json_string_value(json_object_get(json_object_get(sec, "tcb_status"), status)));
  if (s == TC_EAR_AFFIRMING)
    return;
  if (s == TC_EAR_WARNING) {
    fail_rule(c, rule, TC_EAR_WARNING, TV_HARDWARE, AR_HW_VULNERABLE,
              "TCB status %s is accepted with a warning", status);
    return;
  }
  fail_rule(c, rule, TC_EAR_CONTRAINDICATED, TV_HARDWARE, AR_CONTRAINDICATED, "TCB status %s is %s",
            status, s == TC_EAR_CONTRAINDICATED ? "contraindicated by the policy" : "not accepted");
}

/* "min_tcb_evaluation_data_number": the TCB Info and the QE Identity the verifier used both
 * carry at least this tcbEvaluationDataNumber (Intel's TCB recovery counter; an older
 * Intel-signed document is otherwise accepted until its nextUpdate). */
static void rule_tcb_evaluation(actx *c, const char *rule, const json_t *sec, const json_t *ver) {
  const json_t *min = json_object_get(sec, "min_tcb_evaluation_data_number");
  if (!json_is_integer(min))
    return;
  static const char *const docs[2] = {"tcb_info", "qe_identity"};
  const json_t *numbers = json_object_get(ver, "tcb_evaluation_data_number");
  char why[2][96] = {"", ""};
  for (int i = 0; i < 2; i++) {
    const json_t *n = json_object_get(numbers, docs[i]);
    if (!json_is_integer(n))
      snprintf(why[i], sizeof why[i], "%s: missing from the verification result", docs[i]);
    else if (json_integer_value(n) < json_integer_value(min))
      snprintf(why[i], sizeof why[i], "%s: %lld", docs[i], (long long)json_integer_value(n));
  }
  if (why[0][0] != '\0' || why[1][0] != '\0')
    fail_rule(c, rule, TC_EAR_CONTRAINDICATED, TV_HARDWARE, AR_CONTRAINDICATED,
              "tcbEvaluationDataNumber below %lld (%s%s%s)", (long long)json_integer_value(min),
              why[0], why[0][0] != '\0' && why[1][0] != '\0' ? "; " : "", why[1]);
}

static void rule_advisories(actx *c, const char *rule, const json_t *sec, const json_t *ver) {
  const json_t *rejected = json_object_get(sec, "rejected_advisory_ids");
  if (!json_is_array(rejected) || json_array_size(rejected) == 0)
    return;
  const json_t *ids = json_object_get(ver, "advisory_ids");
  if (!json_is_array(ids) && !json_is_null(ids)) {
    fail_rule(c, rule, TC_EAR_CONTRAINDICATED, TV_HARDWARE, AR_CONTRAINDICATED,
              "advisory_ids missing from the verification result");
    return;
  }
  size_t i, j;
  const json_t *a, *r;
  json_array_foreach(ids, i, a) {
    json_array_foreach(rejected, j, r) {
      if (json_is_string(a) && json_equal(a, r))
        fail_rule(c, rule, TC_EAR_CONTRAINDICATED, TV_HARDWARE, AR_CONTRAINDICATED,
                  "the platform is affected by rejected advisory %s", json_string_value(a));
    }
  }
}

/* "require_vendor_pinned": the endorsements must end at a root pinned in the binary (the
 * verifier's "trust_anchor" is "vendor_pinned"), not at an operator --trust-root. */
static void rule_trust_anchor(actx *c, const json_t *eff, const json_t *ver) {
  if (!json_is_true(json_object_get(eff, "require_vendor_pinned")))
    return;
  const char *anchor = json_string_value(json_object_get(ver, "trust_anchor"));
  if (!anchor)
    fail_rule(c, "require_vendor_pinned", TC_EAR_CONTRAINDICATED, TV_HARDWARE, AR_HW_UNRECOGNIZED,
              "trust_anchor missing from the verification result");
  else if (strcmp(anchor, "vendor_pinned") != 0)
    fail_rule(c, "require_vendor_pinned", TC_EAR_CONTRAINDICATED, TV_HARDWARE, AR_HW_UNRECOGNIZED,
              "the endorsements are trusted through %s, not a vendor root pinned in the "
              "verifier (AMD ARK, Intel SGX Root CA)",
              anchor);
}

/* Minimum SPLs ({"bootloader": n, ...}) on the SNP TCB claim `tcb_claim` (reported_tcb,
 * committed_tcb): each listed component at least n; a component the claim lacks (fmc on
 * Milan/Genoa) fails closed. */
static void rule_min_tcb(actx *c, const char *rule, const json_t *mtcb, const json_t *cl,
                         const char *tcb_claim) {
  if (!json_is_object(mtcb))
    return;
  const json_t *tcb = claim(cl, tcb_claim);
  const char *comp;
  const json_t *want;
  json_object_foreach((json_t *)mtcb, comp, want) {
    const json_t *have = json_object_get(tcb, comp);
    if (!json_is_integer(have))
      fail_rule(c, rule, TC_EAR_CONTRAINDICATED, TV_HARDWARE, AR_CONTRAINDICATED,
                "%s.%s missing from the verification result", tcb_claim, comp);
    else if (json_integer_value(have) < json_integer_value(want))
      fail_rule(c, rule, TC_EAR_CONTRAINDICATED, TV_HARDWARE, AR_CONTRAINDICATED,
                "%s.%s %lld is below %lld", tcb_claim, comp, (long long)json_integer_value(have),
                (long long)json_integer_value(want));
  }
}

/* ---- per TEE ----------------------------------------------------------------------- */

static void appraise_snp(actx *c, const json_t *sec, const json_t *ver, const json_t *cl) {
  const json_t *pol = claim(cl, "policy_decoded");
  rule_version(c, "snp.report_versions", json_object_get(sec, "report_versions"),
               claim(cl, "version"), "report version");
  rule_debug(c, "snp.allow_debug", sec, debug_state(ver, cl, TC_TEE_SNP));

  const json_t *ma = json_object_get(pol, "migrate_ma");
  if (!json_is_true(json_object_get(sec, "allow_migration_agent"))) {
    if (!json_is_boolean(ma))
      fail_rule(c, "snp.allow_migration_agent", TC_EAR_CONTRAINDICATED, TV_CONFIGURATION,
                AR_CONTRAINDICATED, "policy_decoded.migrate_ma missing");
    else if (json_is_true(ma))
      fail_rule(c, "snp.allow_migration_agent", TC_EAR_CONTRAINDICATED, TV_CONFIGURATION,
                AR_CONTRAINDICATED, "guest policy allows a migration agent (MIGRATE_MA)");
  }
  const json_t *smt = json_object_get(pol, "smt");
  if (!json_is_true(json_object_get(sec, "allow_smt"))) {
    if (!json_is_boolean(smt))
      fail_rule(c, "snp.allow_smt", TC_EAR_CONTRAINDICATED, TV_CONFIGURATION, AR_CONTRAINDICATED,
                "policy_decoded.smt missing");
    else if (json_is_true(smt))
      fail_rule(c, "snp.allow_smt", TC_EAR_CONTRAINDICATED, TV_CONFIGURATION, AR_CONTRAINDICATED,
                "guest policy allows SMT");
  }
  const json_t *abi = json_object_get(sec, "min_abi");
  if (json_is_object(abi)) {
    json_int_t want_maj = json_integer_value(json_object_get(abi, "major"));
    json_int_t want_min = json_integer_value(json_object_get(abi, "minor"));
    const json_t *maj = json_object_get(pol, "abi_major"), *min = json_object_get(pol, "abi_minor");
    if (!json_is_integer(maj) || !json_is_integer(min))
      fail_rule(c, "snp.min_abi", TC_EAR_CONTRAINDICATED, TV_CONFIGURATION, AR_CONTRAINDICATED,
                "policy_decoded.abi_major/abi_minor missing");
    else if (json_integer_value(maj) < want_maj ||
             (json_integer_value(maj) == want_maj && json_integer_value(min) < want_min))
      fail_rule(c, "snp.min_abi", TC_EAR_CONTRAINDICATED, TV_CONFIGURATION, AR_CONTRAINDICATED,
                "guest policy minimum ABI %lld.%lld is below %lld.%lld",
                (long long)json_integer_value(maj), (long long)json_integer_value(min),
                (long long)want_maj, (long long)want_min);
  }
  const json_t *fw = json_object_get(sec, "min_firmware");
  if (json_is_object(fw)) {
    static const char *const parts[3][2] = {
        {"major", "current_major"}, {"minor", "current_minor"}, {"build", "current_build"}};
    long long have[3], want[3];
    int missing = 0;
    for (int i = 0; i < 3; i++) {
      const json_t *h = claim(cl, parts[i][1]);
      missing |= !json_is_integer(h);
      have[i] = json_integer_value(h);
      want[i] = json_integer_value(json_object_get(fw, parts[i][0])); /* absent: 0 */
    }
    int cmp = 0;
    for (int i = 0; i < 3 && cmp == 0; i++)
      cmp = have[i] < want[i] ? -1 : have[i] > want[i];
    if (missing)
      fail_rule(c, "snp.min_firmware", TC_EAR_CONTRAINDICATED, TV_HARDWARE, AR_CONTRAINDICATED,
                "current_major/current_minor/current_build missing");
    else if (cmp < 0)
      fail_rule(c, "snp.min_firmware", TC_EAR_CONTRAINDICATED, TV_HARDWARE, AR_CONTRAINDICATED,
                "firmware %lld.%lld.%lld is below %lld.%lld.%lld", have[0], have[1], have[2],
                want[0], want[1], want[2]);
  }
  const json_t *vmpls = json_object_get(sec, "vmpls");
  if (json_is_array(vmpls)) {
    const json_t *vmpl = claim(cl, "vmpl");
    if (!json_is_integer(vmpl))
      fail_rule(c, "snp.vmpls", TC_EAR_CONTRAINDICATED, TV_CONFIGURATION, AR_CONTRAINDICATED,
                "vmpl missing from the verification result");
    else if (!int_in_list(json_integer_value(vmpl), vmpls))
      fail_rule(c, "snp.vmpls", TC_EAR_CONTRAINDICATED, TV_CONFIGURATION, AR_CONTRAINDICATED,
                "VMPL %lld is not allowed", (long long)json_integer_value(vmpl));
  }
  rule_hex_list(c, "snp.host_data", sec, "host_data", cl, "host_data", TV_CONFIGURATION);
  rule_hex_list(c, "snp.family_id", sec, "family_id", cl, "family_id", TV_CONFIGURATION);
  rule_hex_list(c, "snp.image_id", sec, "image_id", cl, "image_id", TV_CONFIGURATION);
  const json_t *msvn = json_object_get(sec, "min_guest_svn");
  if (json_is_integer(msvn)) {
    const json_t *svn = claim(cl, "guest_svn");
    if (!json_is_integer(svn))
      fail_rule(c, "snp.min_guest_svn", TC_EAR_CONTRAINDICATED, TV_EXECUTABLES, AR_CONTRAINDICATED,
                "guest_svn missing from the verification result");
    else if (json_integer_value(svn) < json_integer_value(msvn))
      fail_rule(c, "snp.min_guest_svn", TC_EAR_CONTRAINDICATED, TV_EXECUTABLES, AR_CONTRAINDICATED,
                "guest_svn %lld is below %lld", (long long)json_integer_value(svn),
                (long long)json_integer_value(msvn));
  }
  rule_min_tcb(c, "snp.min_tcb", json_object_get(sec, "min_tcb"), cl, "reported_tcb");
  rule_min_tcb(c, "snp.min_committed_tcb", json_object_get(sec, "min_committed_tcb"), cl,
               "committed_tcb");
  if (rule_hex_list(c, "snp.measurements", sec, "measurements", cl, "measurement", TV_EXECUTABLES))
    tv_set(c, TV_EXECUTABLES, AR_EXEC_APPROVED_BOOT);
  else
    unappraised(c, "measurement");
}

static void appraise_tdx(actx *c, const json_t *sec, const json_t *ver, const json_t *cl) {
  rule_version(c, "tdx.quote_versions", json_object_get(sec, "quote_versions"),
               claim(cl, "quote_version"), "quote version");
  rule_debug(c, "tdx.allow_debug", sec, debug_state(ver, cl, TC_TEE_TDX));
  if (json_is_true(json_object_get(sec, "require_sept_ve_disable"))) {
    int on = -1;
    const json_t *f = json_object_get(json_object_get(ver, "policy_flags"), "sept_ve_disable");
    uint8_t a[8]; /* TD_ATTRIBUTES bit 28 = SEPT_VE_DISABLE */
    if (json_is_boolean(f))
      on = json_is_true(f);
    else if (hex_claim_bytes(claim(cl, "td_attributes"), a, sizeof a))
      on = (a[3] >> 4) & 1;
    if (on != 1)
      fail_rule(c, "tdx.require_sept_ve_disable", TC_EAR_CONTRAINDICATED, TV_CONFIGURATION,
                AR_CONTRAINDICATED, "%s",
                on < 0 ? "SEPT_VE_DISABLE state missing from the verification result"
                       : "TD_ATTRIBUTES.SEPT_VE_DISABLE is off");
  }
  rule_tcb_status(c, "tdx.tcb_status", sec, ver);
  rule_advisories(c, "tdx.rejected_advisory_ids", sec, ver);
  rule_tcb_evaluation(c, "tdx.min_tcb_evaluation_data_number", sec, ver);
  const json_t *msvn = json_object_get(sec, "min_tee_tcb_svn");
  if (json_is_array(msvn)) {
    uint8_t svn[16];
    if (!hex_claim_bytes(claim(cl, "tee_tcb_svn"), svn, sizeof svn))
      fail_rule(c, "tdx.min_tee_tcb_svn", TC_EAR_CONTRAINDICATED, TV_HARDWARE, AR_CONTRAINDICATED,
                "tee_tcb_svn missing from the verification result");
    else
      for (size_t i = 0; i < 16; i++) {
        json_int_t want = json_integer_value(json_array_get(msvn, i));
        if (svn[i] < want)
          fail_rule(c, "tdx.min_tee_tcb_svn", TC_EAR_CONTRAINDICATED, TV_HARDWARE,
                    AR_CONTRAINDICATED, "tee_tcb_svn[%zu] %u is below %lld", i, svn[i],
                    (long long)want);
      }
  }
  rule_hex_list(c, "tdx.mr_seam", sec, "mr_seam", cl, "mr_seam", TV_HARDWARE);
  rule_hex_list(c, "tdx.mr_config_id", sec, "mr_config_id", cl, "mr_config_id", TV_CONFIGURATION);
  rule_hex_list(c, "tdx.mr_owner", sec, "mr_owner", cl, "mr_owner", TV_CONFIGURATION);
  rule_hex_list(c, "tdx.mr_owner_config", sec, "mr_owner_config", cl, "mr_owner_config",
                TV_CONFIGURATION);
  int td = rule_hex_list(c, "tdx.mr_td", sec, "mr_td", cl, "mr_td", TV_EXECUTABLES);
  static const char *const rtmrs[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
  for (int i = 0; i < 4; i++) {
    char rule[16];
    snprintf(rule, sizeof rule, "tdx.%s", rtmrs[i]);
    rule_hex_list(c, rule, sec, rtmrs[i], cl, rtmrs[i], TV_EXECUTABLES);
  }
  if (td)
    tv_set(c, TV_EXECUTABLES, AR_EXEC_APPROVED_BOOT);
  else
    unappraised(c, "mr_td");
}

static void appraise_sgx(actx *c, const json_t *sec, const json_t *ver, const json_t *cl) {
  rule_version(c, "sgx.quote_versions", json_object_get(sec, "quote_versions"),
               claim(cl, "quote_version"), "quote version");
  rule_debug(c, "sgx.allow_debug", sec, debug_state(ver, cl, TC_TEE_SGX));
  rule_tcb_status(c, "sgx.tcb_status", sec, ver);
  rule_advisories(c, "sgx.rejected_advisory_ids", sec, ver);
  rule_tcb_evaluation(c, "sgx.min_tcb_evaluation_data_number", sec, ver);
  int e = rule_hex_list(c, "sgx.mr_enclave", sec, "mr_enclave", cl, "mr_enclave", TV_EXECUTABLES);
  int s = rule_hex_list(c, "sgx.mr_signer", sec, "mr_signer", cl, "mr_signer", TV_EXECUTABLES);
  const json_t *prod = json_object_get(sec, "isv_prod_id");
  if (json_is_array(prod)) {
    const json_t *v = claim(cl, "isv_prod_id");
    if (!json_is_integer(v))
      fail_rule(c, "sgx.isv_prod_id", TC_EAR_CONTRAINDICATED, TV_EXECUTABLES, AR_CONTRAINDICATED,
                "isv_prod_id missing from the verification result");
    else if (!int_in_list(json_integer_value(v), prod))
      fail_rule(c, "sgx.isv_prod_id", TC_EAR_CONTRAINDICATED, TV_EXECUTABLES, AR_CONTRAINDICATED,
                "ISV product id %lld is not allowed", (long long)json_integer_value(v));
  }
  const json_t *msvn = json_object_get(sec, "min_isv_svn");
  if (json_is_integer(msvn)) {
    const json_t *v = claim(cl, "isv_svn");
    if (!json_is_integer(v))
      fail_rule(c, "sgx.min_isv_svn", TC_EAR_CONTRAINDICATED, TV_EXECUTABLES, AR_CONTRAINDICATED,
                "isv_svn missing from the verification result");
    else if (json_integer_value(v) < json_integer_value(msvn))
      fail_rule(c, "sgx.min_isv_svn", TC_EAR_CONTRAINDICATED, TV_EXECUTABLES, AR_CONTRAINDICATED,
                "ISV SVN %lld is below %lld", (long long)json_integer_value(v),
                (long long)json_integer_value(msvn));
  }
  if (e || s)
    tv_set(c, TV_EXECUTABLES, AR_EXEC_APPROVED_BOOT);
  else {
    unappraised(c, "mr_enclave");
    unappraised(c, "mr_signer");
  }
}

/* ---- output ------------------------------------------------------------------------ */

/* Claim `from` of src (if present) into dst as `to`, by reference (the appraisal is
 * serialised and freed with the result it came from; nobody changes either's values). */
static int share_claim(json_t *dst, const char *to, const json_t *src, const char *from) {
  json_t *v = json_object_get(src, from);
  if (!v || json_is_null(v))
    return 0;
  return json_object_set(dst, to, v);
}

static int add_claims(json_t *out, tc_tee tee, const json_t *ver, const json_t *cl, int debug) {
  int rc = 0;
  if (debug >= 0)
    rc |= json_object_set_new(out, "debug", json_boolean(debug));
  rc |= share_claim(out, "trust_anchor", ver, "trust_anchor");
  if (tee == TC_TEE_SNP) {
    rc |= share_claim(out, "report_version", cl, "version");
    rc |= share_claim(out, "product", ver, "product");
    rc |= share_claim(out, "signing_key", ver, "signing_key");
    static const char *const names[] = {"measurement",   "host_data", "family_id",   "image_id",
                                        "vmpl",          "guest_svn", "current_tcb", "reported_tcb",
                                        "committed_tcb", "launch_tcb"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
      rc |= share_claim(out, names[i], cl, names[i]);
    rc |= share_claim(out, "guest_policy", cl, "policy");
  } else {
    rc |= share_claim(out, "quote_version", cl, "quote_version");
    rc |= share_claim(out, "tcb_status", ver, "tcb_status");
    rc |= share_claim(out, "advisory_ids", ver, "advisory_ids");
    rc |= share_claim(out, "tcb_evaluation_data_number", ver, "tcb_evaluation_data_number");
    rc |= share_claim(out, "fmspc", ver, "fmspc");
    static const char *const tdx[] = {"mr_td",        "rtmr0",    "rtmr1",          "rtmr2",
                                      "rtmr3",        "mr_seam",  "tee_tcb_svn",    "td_attributes",
                                      "mr_config_id", "mr_owner", "mr_owner_config"};
    static const char *const sgx[] = {"mr_enclave", "mr_signer", "isv_prod_id", "isv_svn",
                                      "attributes"};
    const char *const *names = tee == TC_TEE_TDX ? tdx : sgx;
    size_t n = tee == TC_TEE_TDX ? sizeof tdx / sizeof tdx[0] : sizeof sgx / sizeof sgx[0];
    for (size_t i = 0; i < n; i++)
      rc |= share_claim(out, names[i], cl, names[i]);
  }
  return rc;
}

tc_status tc_appraise(const tc_policy *p, const json_t *verification, json_t **appraisal,
                      tc_error *err) {
  if (!appraisal)
    return tc_fail(err, TC_ERR_USAGE, "verification_result_invalid", "no output");
  *appraisal = NULL;
  if (!p)
    return tc_fail(err, TC_ERR_USAGE, "verification_result_invalid", "no policy");
  if (!json_is_object(verification))
    return tc_fail(err, TC_ERR_USAGE, "verification_result_invalid",
                   "the verification result is not a JSON object");
  const char *tee_name = json_string_value(json_object_get(verification, "tee"));
  tc_tee tee = TC_TEE_UNKNOWN; /* exactly the verifier's names (verify.h) */
  if (tee_name && strcmp(tee_name, "snp") == 0)
    tee = TC_TEE_SNP;
  else if (tee_name && strcmp(tee_name, "tdx") == 0)
    tee = TC_TEE_TDX;
  else if (tee_name && strcmp(tee_name, "sgx") == 0)
    tee = TC_TEE_SGX;
  if (tee == TC_TEE_UNKNOWN)
    return tc_fail(err, TC_ERR_USAGE, "verification_result_invalid",
                   "verification result field \"tee\" is missing or not snp/tdx/sgx");
  const char *sec_name = tee == TC_TEE_SNP ? "snp" : tee == TC_TEE_TDX ? "tdx" : "sgx";
  const json_t *sec = json_object_get(p->eff, sec_name);
  const json_t *cl = json_object_get(verification, "claims");
  if (!json_is_object(cl))
    cl = NULL;

  actx c = {.failed = json_array(), .unappraised = json_array(), .worst = TC_EAR_AFFIRMING};
  json_t *out = json_object();
  if (!c.failed || !c.unappraised || !out)
    goto nomem;

  const char *verdict = json_string_value(json_object_get(verification, "verdict"));
  if (!verdict || strcmp(verdict, "valid") != 0) {
    const char *reason = json_string_value(json_object_get(verification, "reason"));
    const char *detail = json_string_value(json_object_get(verification, "detail"));
    fail_rule(&c, "verification", TC_EAR_CONTRAINDICATED, -1, 0, "evidence is %s: %s%s%s",
              verdict ? verdict : "not verified", reason ? reason : "no reason given",
              detail ? ": " : "", detail ? detail : "");
    for (int i = 0; i < TV_N; i++)
      c.tv[i] = AR_CRYPTO_FAILED;
  } else {
    /* The evidence verified: genuine hardware, memory encrypted in a TEE. */
    tv_set(&c, TV_HARDWARE, AR_AFFIRM);
    tv_set(&c, TV_RUNTIME_OPAQUE, AR_AFFIRM);
    rule_trust_anchor(&c, p->eff, verification);
    if (tee == TC_TEE_SNP)
      appraise_snp(&c, sec, verification, cl);
    else if (tee == TC_TEE_TDX)
      appraise_tdx(&c, sec, verification, cl);
    else
      appraise_sgx(&c, sec, verification, cl);
    tv_set(&c, TV_CONFIGURATION, AR_AFFIRM); /* only if no configuration rule failed */
  }
  if (c.nomem)
    goto nomem;

  tc_ear_status status = c.worst;
  if (json_array_size(c.unappraised) > 0 && status < TC_EAR_WARNING)
    status = TC_EAR_WARNING;

  json_t *tv = json_object();
  if (!tv || json_object_set_new(out, "ear.trustworthiness-vector", tv) != 0)
    goto nomem;
  for (int i = 0; i < TV_N; i++)
    if (c.tv[i] != 0 && json_object_set_new(tv, tv_names[i], json_integer(c.tv[i])) != 0)
      goto nomem;
  if (json_object_set_new(out, "ear.status", json_string(tc_ear_status_name(status))) != 0 ||
      json_object_set_new(out, "ear.appraisal-policy-id", json_string(p->id)) != 0 ||
      json_object_set(out, "failed_rules", c.failed) != 0 ||
      json_object_set(out, "unappraised", c.unappraised) != 0 ||
      add_claims(out, tee, verification, cl, debug_state(verification, cl, tee)) != 0)
    goto nomem;
  json_decref(c.failed);
  json_decref(c.unappraised);
  *appraisal = out;
  return TC_OK;

nomem:
  json_decref(c.failed);
  json_decref(c.unappraised);
  json_decref(out);
  return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "appraisal");
}

tc_ear_status tc_appraisal_status(const json_t *appraisal) {
  int s = tc_ear_status_from_name(json_string_value(json_object_get(appraisal, "ear.status")));
  return s < 0 ? TC_EAR_NONE : (tc_ear_status)s;
}
