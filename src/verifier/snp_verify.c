/* SPDX-License-Identifier: Apache-2.0 */
/* AMD SEV-SNP report verification: the report bound to a verified chain (signing key,
 * product line, TCB bytes and order, the leaf's hwID and SPLs), the report signature, and
 * the result object. The chain itself: verifier/snp_chain.c. Fail closed; see teectl/snp.h.
 * Sources: AMD SEV-SNP Firmware ABI spec (ATTESTATION_REPORT, TCB_VERSION, SIGNATURE format:
 * ECDSA P-384 R and S as 72-byte little-endian integers). */
#include <stdlib.h>
#include <string.h>

#include "core/vcache.h"
#include "core/verdict.h"
#include "crypto/ecdsa.h"
#include "teectl/bytes.h"
#include "teectl/rfc3339.h"
#include "teectl/snp.h"
#include "verifier/snp_internal.h"

/* What a verification established, for the result object. */
typedef struct {
  tc_snp_report rep;
  int parsed;
  tc_snp_product product;
  const char *signing_key; /* "VCEK" / "VLEK" or NULL */
  int operator_root;       /* the chain's ARK is an operator trust root */
} snp_ctx;

static tc_status check_report_signature(const uint8_t *report, const tc_snp_report *r,
                                        const tc_p384_key *leaf_key, tc_error *err) {
  uint8_t rs[96];
  memcpy(rs, r->signature_r, 48);
  memcpy(rs + 48, r->signature_s, 48);
  tc_status st = tc_p384_verify(leaf_key, report, TC_SNP_SIGNED_SIZE, rs, err);
  if (st == TC_ERR_VERIFY)
    return tc_fail(err, TC_ERR_VERIFY, "report_signature_invalid",
                   "the report signature (offset 0x2A0, ECDSA P-384 SHA-384 over 0x000..0x29F) "
                   "does not verify with the %s public key",
                   r->signing_key == TC_SNP_SIGNING_KEY_VLEK ? "VLEK" : "VCEK");
  return st;
}

/* Each SPL of the TCB_VERSION at offset `lo` must be <= the same SPL of the one at `hi`,
 * compared per component of the product line's layout (Turin: FMC too); reserved bytes are
 * not SPLs. `why` ends the detail. */
static tc_status check_tcb_le(const uint8_t *report, tc_snp_product product, size_t lo,
                              const char *lo_name, size_t hi, const char *hi_name,
                              const char *reason, const char *why, tc_error *err) {
  tc_snp_tcb a, b;
  tc_snp_tcb_layout layout = tc_snp_tcb_layout_of(product);
  tc_snp_tcb_decode(tc_le64(report + lo), layout, &a);
  tc_snp_tcb_decode(tc_le64(report + hi), layout, &b);
  const struct {
    const char *name;
    unsigned lo, hi;
  } spl[5] = {{"FMC", a.fmc, b.fmc},
              {"BOOT_LOADER", a.bootloader, b.bootloader},
              {"TEE", a.tee, b.tee},
              {"SNP", a.snp, b.snp},
              {"MICROCODE", a.microcode, b.microcode}};
  for (int i = product == TC_SNP_TURIN ? 0 : 1; i < 5; i++)
    if (spl[i].lo > spl[i].hi)
      return tc_fail(err, TC_ERR_VERIFY, reason,
                     "%s (offset 0x%03zX) %s SPL %u is above %s (offset 0x%03zX) %s SPL %u: %s",
                     lo_name, lo, spl[i].name, spl[i].lo, hi_name, hi, spl[i].name, spl[i].hi, why);
  return TC_OK;
}

/* The orderings of the report's TCBs that the firmware guarantees (SEV-SNP Firmware ABI
 * spec, ATTESTATION_REPORT and the SNP_CONFIG / SNP_COMMIT commands):
 *  - REPORTED_TCB <= CURRENT_TCB: the host may report an older TCB than the firmware runs
 *    (SNP_CONFIG), never a newer one;
 *  - COMMITTED_TCB <= CURRENT_TCB: SNP_COMMIT sets the committed TCB to the current one and
 *    the firmware refuses to roll back below it, so it never runs below its committed TCB.
 * Not implied, so not checked: REPORTED_TCB against COMMITTED_TCB (SNP_CONFIG may report a
 * TCB below the committed one, as a real AWS report does, or a provisional one above it)
 * and LAUNCH_TCB against anything (the current TCB when the guest started, or on another
 * machine before a migration). */
static tc_status check_tcb_order(const uint8_t *report, tc_snp_product product, tc_error *err) {
  tc_status st = check_tcb_le(report, product, 0x180, "REPORTED_TCB", 0x038, "CURRENT_TCB",
                              "reported_tcb_above_current",
                              "the firmware cannot report a TCB newer than it runs", err);
  if (st != TC_OK)
    return st;
  return check_tcb_le(report, product, 0x1E0, "COMMITTED_TCB", 0x038, "CURRENT_TCB",
                      "committed_tcb_above_current",
                      "the firmware cannot run below the TCB it committed (SNP_COMMIT)", err);
}

/* The report-dependent part, given a verified chain. */
static tc_status report_steps(const uint8_t *report, const tc_snp_report *r, const tc_snp_chain *ch,
                              snp_ctx *c, tc_error *err) {
  tc_status st;
  cert_role want = r->signing_key == TC_SNP_SIGNING_KEY_VLEK ? ROLE_VLEK : ROLE_VCEK;
  if (ch->leaf_role != want)
    return tc_fail(err, TC_ERR_VERIFY, "signing_key_mismatch",
                   "the report's SIGNING_KEY (offset 0x048 bits 4:2) names the %s, but the "
                   "chain ends in a %s",
                   snp_role_name(want), snp_role_name(ch->leaf_role));
  if (r->version >= 3 && r->product_from_report != ch->product)
    return tc_fail(err, TC_ERR_VERIFY, "product_mismatch",
                   "the report's CPUID (family 0x%02x model 0x%02x) is %s, the chain is %s",
                   r->cpuid_fam_id, r->cpuid_mod_id, tc_snp_product_name(r->product_from_report),
                   tc_snp_product_name(ch->product));
  c->product = ch->product;

  /* TCB_VERSION reserved bytes (layout of the product line). */
  static const struct {
    size_t off;
    const char *name;
  } tcbs[4] = {{0x038, "CURRENT_TCB"},
               {0x180, "REPORTED_TCB"},
               {0x1E0, "COMMITTED_TCB"},
               {0x1F0, "LAUNCH_TCB"}};
  for (int i = 0; i < 4; i++) {
    tc_snp_tcb t;
    tc_snp_tcb_decode(tc_le64(report + tcbs[i].off), tc_snp_tcb_layout_of(ch->product), &t);
    if (t.reserved_nonzero)
      return tc_fail(err, TC_ERR_PARSE, "reserved_nonzero",
                     "%s (offset 0x%03zx) 0x%016llx has nonzero reserved bytes for the %s layout",
                     tcbs[i].name, tcbs[i].off, (unsigned long long)t.raw,
                     tc_snp_product_name(ch->product));
  }

  if ((st = check_tcb_order(report, ch->product, err)) != TC_OK)
    return st;

  /* Leaf bound to this chip and this TCB, then the signature itself. */
  if ((st = snp_check_leaf(ch, r, err)) != TC_OK)
    return st;
  return check_report_signature(report, r, ch->leaf_key, err);
}

/* Parse, and refuse reports that carry no signature. */
static tc_status parse_signed(const uint8_t *report, size_t len, snp_ctx *c, tc_error *err) {
  tc_status st = tc_snp_parse(report, len, &c->rep, err);
  if (st != TC_OK)
    return st;
  c->parsed = 1;
  c->product = c->rep.product_from_report;
  if (c->rep.signing_key == TC_SNP_SIGNING_KEY_NONE)
    return tc_fail(err, TC_ERR_VERIFY, "report_unsigned",
                   "SIGNING_KEY (offset 0x048 bits 4:2) is 7: the report carries no signature");
  c->signing_key = c->rep.signing_key == TC_SNP_SIGNING_KEY_VLEK ? "VLEK" : "VCEK";
  return TC_OK;
}

static tc_status make_result(tc_status st, const tc_error *err, int64_t at, const snp_ctx *c,
                             json_t **result, tc_error *err_out) {
  json_t *o = tc_verdict_new(
      st, err, "report signature, certificate chain, chip and TCB binding verified", "snp", at);
  int rc = o == NULL;
  if (o != NULL) {
    rc |= json_object_set_new(o, "product",
                              c->product == TC_SNP_PRODUCT_UNKNOWN
                                  ? json_null()
                                  : json_string(tc_snp_product_name(c->product)));
    rc |= json_object_set_new(o, "signing_key",
                              c->signing_key ? json_string(c->signing_key) : json_null());
    rc |= tc_verdict_set_trust_anchor(o, st, c->operator_root);
    if (c->parsed) {
      rc |= json_object_set_new(o, "policy_flags", tc_snp_policy_flags(c->rep.policy));
      rc |= json_object_set_new(o, "claims", tc_snp_claims(&c->rep, c->product));
    }
  }
  if (rc != 0) {
    json_decref(o);
    return tc_fail(err_out, TC_ERR_NOMEM, "out_of_memory", "result object");
  }
  *result = o;
  return st;
}

tc_status tc_snp_verify_cached(const uint8_t *report, size_t len, const tc_collateral *col,
                               int64_t at, tc_snp_chain_cache *cache, json_t **result,
                               tc_error *err) {
  tc_error local;
  if (err == NULL)
    err = &local;
  tc_error_clear(err);
  if (result != NULL)
    *result = NULL;
  snp_ctx c;
  memset(&c, 0, sizeof c);
  const tc_snp_chain *ch = NULL;
  tc_vcache_ref *ref = NULL;
  tc_status st = parse_signed(report, len, &c, err);
  if (st == TC_OK) {
    cert_role want = c.rep.signing_key == TC_SNP_SIGNING_KEY_VLEK ? ROLE_VLEK : ROLE_VCEK;
    st = snp_chain_for(col, want, at, cache, &ch, &ref, err);
  }
  if (st == TC_OK) {
    c.operator_root = ch->ark_pin == TC_SNP_PRODUCT_UNKNOWN;
    st = report_steps(report, &c.rep, ch, &c, err);
  }
  if (ref != NULL)
    tc_vcache_release(ref);
  else
    tc_snp_chain_free((tc_snp_chain *)ch); /* not cached: this call's own */
  if (result == NULL)
    return st;
  return make_result(st, err, at, &c, result, err);
}

tc_status tc_snp_verify(const uint8_t *report, size_t len, const tc_collateral *col, int64_t at,
                        json_t **result, tc_error *err) {
  return tc_snp_verify_cached(report, len, col, at, NULL, result, err);
}

tc_status tc_snp_verify_with_chain(const uint8_t *report, size_t len, const tc_snp_chain *chain,
                                   json_t **result, tc_error *err) {
  tc_error local;
  if (err == NULL)
    err = &local;
  tc_error_clear(err);
  if (result != NULL)
    *result = NULL;
  snp_ctx c;
  memset(&c, 0, sizeof c);
  c.operator_root = chain->ark_pin == TC_SNP_PRODUCT_UNKNOWN;
  tc_status st = parse_signed(report, len, &c, err);
  if (st == TC_OK)
    st = report_steps(report, &c.rep, chain, &c, err);
  if (result == NULL)
    return st;
  return make_result(st, err, chain->at, &c, result, err);
}
