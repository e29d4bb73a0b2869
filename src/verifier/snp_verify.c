/* SPDX-License-Identifier: Apache-2.0 */
/* AMD SEV-SNP report verification: ARK -> ASK/ASVK -> VCEK/VLEK chain, CRL, leaf
 * extensions bound to the report, report signature. Fail closed; see teectl/snp.h.
 * Sources: AMD SEV-SNP Firmware ABI spec (ATTESTATION_REPORT, SIGNATURE format: ECDSA
 * P-384 R and S as 72-byte little-endian integers); AMD VCEK Certificate and KDS
 * Interface spec (certificate chain, RSASSA-PSS SHA-384, VCEK/VLEK extensions). */
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "core/auto.h"
#include "core/vcache.h"
#include "core/verdict.h"
#include "crypto/ecdsa.h"
#include "crypto/trust.h"
#include "crypto/x509.h"
#include "teectl/bytes.h"
#include "teectl/rfc3339.h"
#include "teectl/snp.h"

/* AMD ARK pins: SHA-256 of the DER SubjectPublicKeyInfo of AMD's root keys, computed from
 * the public ARK certificates (AMD KDS /vcek/v1/<product>/cert_chain, as found in the
 * shared vectors) with:
 *   openssl x509 -in ark.pem -pubkey -noout | openssl pkey -pubin -outform der | sha256sum
 * They are facts about AMD's keys, not copied files. */
static const uint8_t pin_milan[32] = {
    0x9f, 0x05, 0x6b, 0xee, 0x44, 0x37, 0x7e, 0x29, 0x30, 0x8c, 0xb5, 0xff, 0xa8, 0x95, 0xbd, 0xfb,
    0x62, 0xd1, 0x88, 0x81, 0xfa, 0x6b, 0xed, 0x8d, 0x6f, 0x07, 0x5b, 0x02, 0x04, 0x08, 0x9c, 0xb9};
static const uint8_t pin_genoa[32] = {
    0x42, 0x9a, 0x69, 0xc9, 0x42, 0x2a, 0xa2, 0x58, 0xee, 0x4d, 0x8d, 0xb5, 0xfc, 0xda, 0x9c, 0x64,
    0x70, 0xef, 0x15, 0xf8, 0xcd, 0x5a, 0x9c, 0xeb, 0xd6, 0xcb, 0xc7, 0xd9, 0x0b, 0x86, 0x38, 0x31};
static const uint8_t pin_turin[32] = {
    0x4f, 0x12, 0x54, 0x10, 0x56, 0x3a, 0x2a, 0xb9, 0xa5, 0x03, 0x56, 0xf9, 0x24, 0x3f, 0x6f, 0xe0,
    0xb6, 0xf7, 0x3d, 0xe9, 0x86, 0x03, 0xf5, 0x3f, 0x90, 0x33, 0x9c, 0x70, 0xe9, 0xd7, 0xad, 0x08};

const uint8_t *tc_snp_ark_pin(tc_snp_product p) {
  switch (p) {
  case TC_SNP_MILAN:
    return pin_milan;
  case TC_SNP_GENOA:
    return pin_genoa;
  case TC_SNP_TURIN:
    return pin_turin;
  default:
    return NULL;
  }
}

#define AMD_OID "1.3.6.1.4.1.3704.1."

typedef enum { ROLE_NONE = 0, ROLE_ARK, ROLE_ASK, ROLE_ASVK, ROLE_VCEK, ROLE_VLEK } cert_role;

static const char *role_name(cert_role r) {
  static const char *const n[] = {"unknown", "ARK", "ASK", "ASVK", "VCEK", "VLEK"};
  return n[r];
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Role of a certificate by its subject CN and AMD extensions (KDS spec naming:
 * "ARK-<product>", "SEV-<product>", "SEV-VLEK-<product>", "SEV-VCEK", "SEV-VLEK"). */
static cert_role classify(X509 *c) {
  char cn[128];
  const uint8_t *v;
  size_t n;
  tc_x509_subject_cn(c, cn, sizeof cn);
  if (ends_with(cn, "SEV-VCEK") || tc_x509_extension(c, AMD_OID "4", &v, &n) == 1)
    return ROLE_VCEK;
  if (ends_with(cn, "SEV-VLEK") || tc_x509_extension(c, AMD_OID "5", &v, &n) == 1)
    return ROLE_VLEK;
  if (strstr(cn, "ARK-") != NULL)
    return ROLE_ARK;
  if (strstr(cn, "SEV-VLEK-") != NULL)
    return ROLE_ASVK;
  if (strstr(cn, "SEV-") != NULL)
    return ROLE_ASK;
  return ROLE_NONE;
}

/* What the leaf's AMD extensions say, read once when the chain is built (the report
 * steps compare them with each report). present: 1 found, 0 absent, -1 duplicated. */
typedef struct {
  int hwid_present;
  const uint8_t *hwid; /* inside the leaf (valid while it lives) */
  size_t hwid_len;
  int spl_present[8]; /* the SPL of REPORTED_TCB byte i, in the product line's layout */
  int spl[8];         /* 0..255, or -1: not a DER INTEGER 0..255 */
} leaf_facts;

/* A verified endorsement chain (see tc_snp_chain_verify). Immutable once built: a chain
 * cache (tc_snp_chain_cache) shares it between threads. */
struct tc_snp_chain {
  X509 *ark, *ask, *leaf;
  X509_CRL *crl;          /* the ARK's CRL, signature checked (NULL: none was given) */
  cert_role leaf_role;    /* ROLE_VCEK or ROLE_VLEK */
  tc_snp_product product; /* the one product line of ARK, ASK/ASVK and leaf */
  tc_snp_product ark_pin; /* the AMD pin the ARK matched; UNKNOWN: an operator root */
  uint8_t ark_spki[32];   /* SHA-256 of the ARK's SubjectPublicKeyInfo */
  leaf_facts leaf_facts;
  tc_p384_key *leaf_key; /* the leaf's public key, ready for report signatures */
  int64_t at;            /* the time it was verified at */
};

/* What a verification established, for the result object. */
typedef struct {
  tc_snp_report rep;
  int parsed;
  tc_snp_product product;
  const char *signing_key; /* "VCEK" / "VLEK" or NULL */
  int operator_root;       /* the chain's ARK is an operator trust root */
} snp_ctx;

static tc_status load_cert(const tc_buf *b, const char *what, X509 **out, tc_error *err) {
  tc_status st = tc_x509_parse(b->data, b->len, out, err);
  if (st != TC_OK) {
    char r[sizeof err->reason], d[sizeof err->detail];
    snprintf(r, sizeof r, "%s", err->reason);
    snprintf(d, sizeof d, "%s", err->detail);
    return tc_fail(err, st, r, "%s: %s", what, d);
  }
  return TC_OK;
}

/* Pick the certificates from the collateral: explicit slots first, then extra_certs by
 * role. want_leaf: ROLE_VCEK or ROLE_VLEK (from the report's SIGNING_KEY). */
static tc_status gather(const tc_collateral *col, cert_role want_leaf, tc_snp_chain *c,
                        tc_error *err) {
  tc_status st;
  TC_AUTO(X509) *other_leaf = NULL; /* a leaf of the other kind, to tell mismatch from missing */
  if (col->ark.data && (st = load_cert(&col->ark, "ARK (ark.pem)", &c->ark, err)) != TC_OK)
    return st;
  if (col->ask.data && (st = load_cert(&col->ask, "ASK/ASVK (ask.pem)", &c->ask, err)) != TC_OK)
    return st;
  const tc_buf *slots[2] = {&col->vcek, &col->vlek};
  const char *slot_names[2] = {"VCEK (vcek.der)", "VLEK (vlek.der)"};
  for (int i = 0; i < 2; i++) {
    if (slots[i]->data == NULL)
      continue;
    TC_AUTO(X509) *x = NULL;
    if ((st = load_cert(slots[i], slot_names[i], &x, err)) != TC_OK)
      return st;
    cert_role r = classify(x);
    if (r == want_leaf && c->leaf == NULL) {
      c->leaf = x;
      x = NULL;
    } else if ((r == ROLE_VCEK || r == ROLE_VLEK) && other_leaf == NULL) {
      other_leaf = x;
      x = NULL;
    }
  }
  for (size_t i = 0; i < col->n_extra_certs; i++) {
    TC_AUTO(X509) *x = NULL;
    char what[48];
    snprintf(what, sizeof what, "extra certificate #%zu", i);
    if ((st = load_cert(&col->extra_certs[i], what, &x, err)) != TC_OK)
      return st;
    cert_role r = classify(x);
    X509 **slot = NULL;
    if (r == ROLE_ARK && c->ark == NULL)
      slot = &c->ark;
    else if (((r == ROLE_ASK && want_leaf == ROLE_VCEK) ||
              (r == ROLE_ASVK && want_leaf == ROLE_VLEK)) &&
             c->ask == NULL)
      slot = &c->ask;
    else if (r == want_leaf && c->leaf == NULL)
      slot = &c->leaf;
    else if ((r == ROLE_VCEK || r == ROLE_VLEK) && other_leaf == NULL)
      slot = &other_leaf;
    if (slot != NULL) {
      *slot = x;
      x = NULL;
    }
  }
  if (c->leaf == NULL && other_leaf != NULL)
    return tc_fail(err, TC_ERR_VERIFY, "signing_key_mismatch",
                   "the report's SIGNING_KEY (offset 0x048 bits 4:2) names the %s, but the "
                   "collateral holds a %s",
                   role_name(want_leaf), want_leaf == ROLE_VCEK ? "VLEK" : "VCEK");
  if (c->ark == NULL || c->ask == NULL || c->leaf == NULL) {
    const char *names[3];
    int n = 0;
    if (c->ark == NULL)
      names[n++] = "ARK (ark.pem)";
    if (c->ask == NULL)
      names[n++] = want_leaf == ROLE_VLEK ? "ASVK (ask.pem)" : "ASK (ask.pem)";
    if (c->leaf == NULL)
      names[n++] = want_leaf == ROLE_VLEK ? "VLEK (vlek.der)" : "VCEK (vcek.der)";
    return tc_fail(err, TC_ERR_VERIFY, "collateral_missing", "missing %s%s%s%s%s", names[0],
                   n > 1 ? ", " : "", n > 1 ? names[1] : "", n > 2 ? ", " : "",
                   n > 2 ? names[2] : "");
  }
  c->leaf_role = want_leaf;
  return TC_OK;
}

/* ARK: self-issued and self-signed; c->ark_spki and c->ark_pin (the product line of the
 * AMD pin it matches, UNKNOWN if none) set. Time- and trust-store-independent. */
static tc_status check_ark_signed(tc_snp_chain *c, tc_error *err) {
  char cn[128];
  tc_x509_subject_cn(c->ark, cn, sizeof cn);
  if (tc_x509_check_issued_by(c->ark, c->ark, "ark_not_trusted", err) != TC_OK)
    return tc_fail(err, TC_ERR_VERIFY, "ark_not_trusted", "ARK '%s' is not self-signed", cn);
  if (tc_x509_spki_sha256(c->ark, c->ark_spki) != 0)
    return tc_fail(err, TC_ERR_INTERNAL, "internal_error", "cannot hash the ARK public key");
  c->ark_pin = TC_SNP_PRODUCT_UNKNOWN;
  for (tc_snp_product p = TC_SNP_MILAN; p <= TC_SNP_TURIN; p++)
    if (memcmp(c->ark_spki, tc_snp_ark_pin(p), 32) == 0)
      c->ark_pin = p;
  return TC_OK;
}

/* ARK trusted: pinned (AMD), or an operator trust root of col (checked at every use: the
 * roots are the caller's and may differ from one call to the next). */
static tc_status check_ark_trusted(const tc_collateral *col, const tc_snp_chain *c, tc_error *err) {
  if (c->ark_pin != TC_SNP_PRODUCT_UNKNOWN)
    return TC_OK;
  TC_AUTO(tc_trust_store) *owned_trust = NULL;
  const tc_trust_store *trust = NULL;
  tc_status st = tc_trust_for(col, &owned_trust, &trust, err);
  if (st != TC_OK)
    return st;
  if (tc_trust_has_spki(trust, c->ark_spki))
    return TC_OK;
  if (tc_trust_error(trust) != NULL) {
    *err = *tc_trust_error(trust);
    return err->status;
  }
  char cn[128], hex[65];
  tc_x509_subject_cn(c->ark, cn, sizeof cn);
  return tc_fail(err, TC_ERR_VERIFY, "ark_not_trusted",
                 "ARK '%s' (public key SHA-256 %s) is neither AMD's pinned ARK for Milan, Genoa "
                 "or Turin nor an operator trust root",
                 cn, tc_hex_encode(c->ark_spki, 32, hex));
}

/* The checks that depend on the time and the caller's trust roots, in the order the
 * full chain verification makes them: ARK trust, validity windows, CRL window. */
static tc_status check_chain_at(const tc_collateral *col, const tc_snp_chain *c, int64_t at,
                                tc_error *err) {
  tc_status st;
  if ((st = check_ark_trusted(col, c, err)) != TC_OK ||
      (st = tc_x509_check_time(c->ark, at, "cert_expired_at_verify_at", err)) != TC_OK ||
      (st = tc_x509_check_time(c->ask, at, "cert_expired_at_verify_at", err)) != TC_OK ||
      (st = tc_x509_check_time(c->leaf, at, "cert_expired_at_verify_at", err)) != TC_OK)
    return st;
  return c->crl != NULL ? tc_crl_check_window(c->crl, c->ark, at, err) : TC_OK;
}

/* DER INTEGER 0..255 (the SPL extensions). -1 on malformed. */
static int ext_spl(X509 *leaf, const char *oid) {
  const uint8_t *v;
  size_t n;
  if (tc_x509_extension(leaf, oid, &v, &n) != 1 || n > 16)
    return -1;
  const unsigned char *p = v;
  ASN1_INTEGER *ai = d2i_ASN1_INTEGER(NULL, &p, (long)n);
  int64_t x = -1;
  int ok = ai != NULL && p == v + n && ASN1_INTEGER_get_int64(&x, ai) == 1 && x >= 0 && x <= 255;
  ASN1_INTEGER_free(ai);
  return ok ? (int)x : -1;
}

/* productName: IA5String (or UTF8String) into out. 0 ok, -1 malformed/absent. */
static int ext_product_name(X509 *leaf, char *out, size_t cap) {
  const uint8_t *v;
  size_t n;
  if (tc_x509_extension(leaf, AMD_OID "2", &v, &n) != 1 || n < 2 || (v[0] != 0x16 && v[0] != 0x0C))
    return -1;
  size_t l = v[1];
  if (l >= 0x80 || l + 2 != n || l >= cap)
    return -1;
  memcpy(out, v + 2, l);
  out[l] = '\0';
  return strlen(out) == l ? 0 : -1;
}

/* The leaf's SPL extensions, byte by byte of REPORTED_TCB (KDS spec: the VCEK is derived
 * from REPORTED_TCB). Milan/Genoa bytes: blSPL, teeSPL, spl_4..spl_7, snpSPL, ucodeSPL.
 * Turin bytes: fmcSPL, blSPL, teeSPL, snpSPL, spl_5..spl_7, ucodeSPL. spl_N extensions for
 * reserved bytes are optional; the named ones are required. */
static const char *const mg_oid[8] = {"3.1", "3.2", "3.4", "3.5", "3.6", "3.7", "3.3", "3.8"};
static const char *const mg_name[8] = {"blSPL", "teeSPL", "spl_4",  "spl_5",
                                       "spl_6", "spl_7",  "snpSPL", "ucodeSPL"};
static const int mg_req[8] = {1, 1, 0, 0, 0, 0, 1, 1};
static const char *const tu_oid[8] = {"3.9", "3.1", "3.2", "3.3", "3.5", "3.6", "3.7", "3.8"};
static const char *const tu_name[8] = {"fmcSPL", "blSPL", "teeSPL", "snpSPL",
                                       "spl_5",  "spl_6", "spl_7",  "ucodeSPL"};
static const int tu_req[8] = {1, 1, 1, 1, 0, 0, 0, 1};

/* Read the leaf's hwID and SPL extensions once, for the product line's layout. */
static void read_leaf_facts(X509 *leaf, tc_snp_product product, leaf_facts *f) {
  int turin = product == TC_SNP_TURIN;
  f->hwid_present = tc_x509_extension(leaf, AMD_OID "4", &f->hwid, &f->hwid_len);
  for (int i = 0; i < 8; i++) {
    char oid[40];
    const uint8_t *v;
    size_t n;
    snprintf(oid, sizeof oid, AMD_OID "%s", turin ? tu_oid[i] : mg_oid[i]);
    f->spl_present[i] = tc_x509_extension(leaf, oid, &v, &n);
    f->spl[i] = f->spl_present[i] == 1 ? ext_spl(leaf, oid) : -1;
  }
}

static tc_status check_spls(const leaf_facts *f, uint64_t reported, tc_snp_product product,
                            tc_error *err) {
  int turin = product == TC_SNP_TURIN;
  for (int i = 0; i < 8; i++) {
    const char *name = turin ? tu_name[i] : mg_name[i];
    int present = f->spl_present[i];
    if (present == 0 && !(turin ? tu_req[i] : mg_req[i]))
      continue;
    int spl = f->spl[i];
    if (spl < 0)
      return tc_fail(err, TC_ERR_VERIFY, "vcek_extension_invalid",
                     "leaf extension %s (" AMD_OID "%s) is %s", name, turin ? tu_oid[i] : mg_oid[i],
                     present == 0 ? "missing" : "not a DER INTEGER 0..255");
    unsigned byte = (unsigned)((reported >> (8 * i)) & 0xff);
    if ((unsigned)spl != byte)
      return tc_fail(err, TC_ERR_VERIFY, "tcb_mismatch",
                     "leaf %s is %d but REPORTED_TCB (offset 0x180) byte %d is %u", name, spl, i,
                     byte);
  }
  return TC_OK;
}

static tc_status check_hwid(const leaf_facts *f, const tc_snp_report *r, tc_snp_product product,
                            tc_error *err) {
  const uint8_t *v = f->hwid;
  size_t n = f->hwid_len;
  size_t want = product == TC_SNP_TURIN ? 8 : 64;
  int rc = f->hwid_present;
  if (rc != 1 || n != want)
    return tc_fail(err, TC_ERR_VERIFY, "vcek_extension_invalid",
                   "VCEK hwID (" AMD_OID "4) is %s; %s expects %zu raw bytes",
                   rc == 0 ? "missing" : "malformed", tc_snp_product_name(product), want);
  /* All zeros: the chip masked its identity (MASK_CHIP_ID in SNP_CONFIG, or the host): the
   * report cannot be bound to this VCEK's chip. Refused, as a reason of its own. */
  if (tc_all_zero(r->chip_id, 64))
    return tc_fail(err, TC_ERR_VERIFY, "chip_id_masked",
                   "CHIP_ID (offset 0x1A0) is all zeros (masked by MASK_CHIP_ID or the host): the "
                   "report cannot be bound to the VCEK's hwID; use a VLEK or unmask the chip id");
  if (memcmp(v, r->chip_id, n) != 0 || !tc_all_zero(r->chip_id + n, 64 - n)) {
    char a[129], b[129];
    return tc_fail(err, TC_ERR_VERIFY, "vcek_chip_mismatch",
                   "CHIP_ID (offset 0x1A0) %s is not the VCEK hwID %s%s",
                   tc_hex_encode(r->chip_id, 64, a), tc_hex_encode(v, n, b),
                   r->mask_chip_key ? " (MASK_CHIP_KEY is set)" : "");
  }
  return TC_OK;
}

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

/* AMD signs ARK, ASK/ASVK and VCEK/VLEK with RSASSA-PSS over SHA-384 (KDS spec); any other
 * signature algorithm is refused, whoever made it. */
static tc_status check_sig_alg(X509 *x, const char *role, tc_error *err) {
  int mdnid = NID_undef, pknid = NID_undef;
  char cn[128];
  if (X509_get_signature_info(x, &mdnid, &pknid, NULL, NULL) == 1 && pknid == EVP_PKEY_RSA_PSS &&
      mdnid == NID_sha384)
    return TC_OK;
  ERR_clear_error();
  tc_x509_subject_cn(x, cn, sizeof cn);
  return tc_fail(err, TC_ERR_VERIFY, "cert_chain_invalid",
                 "%s '%s' is signed with %s/%s; AMD certificates use RSASSA-PSS with SHA-384", role,
                 cn, OBJ_nid2sn(pknid), OBJ_nid2sn(mdnid));
}

/* The report-independent part: certificates, trust, time, revocation, product line. The
 * checks that depend on the time or on the caller's trust roots are those of
 * check_chain_at, made here at the same points of the sequence. */
static tc_status chain_steps(const tc_collateral *col, cert_role want, int64_t at, tc_snp_chain *c,
                             tc_error *err) {
  tc_status st;
  c->at = at;
  if (col == NULL)
    return tc_fail(err, TC_ERR_VERIFY, "collateral_missing", "no collateral given");
  if ((st = gather(col, want, c, err)) != TC_OK)
    return st;

  /* ARK (pinned or operator root) -> ASK/ASVK -> leaf. */
  if ((st = check_ark_signed(c, err)) != TC_OK || (st = check_ark_trusted(col, c, err)) != TC_OK)
    return st;
  cert_role ask_role = classify(c->ask);
  cert_role want_ask = want == ROLE_VLEK ? ROLE_ASVK : ROLE_ASK;
  char ask_cn[128], leaf_cn[128], ark_cn[128];
  tc_x509_subject_cn(c->ask, ask_cn, sizeof ask_cn);
  tc_x509_subject_cn(c->leaf, leaf_cn, sizeof leaf_cn);
  tc_x509_subject_cn(c->ark, ark_cn, sizeof ark_cn);
  if (ask_role != want_ask)
    return tc_fail(err, TC_ERR_VERIFY, "cert_chain_invalid",
                   "a %s must be issued by an %s, but ask.pem holds '%s' (%s)", role_name(want),
                   role_name(want_ask), ask_cn, role_name(ask_role));
  if ((st = check_sig_alg(c->ark, "ARK", err)) != TC_OK ||
      (st = check_sig_alg(c->ask, role_name(want_ask), err)) != TC_OK ||
      (st = check_sig_alg(c->leaf, role_name(want), err)) != TC_OK)
    return st;
  if ((st = tc_x509_check_issued_by(c->ask, c->ark, "cert_chain_invalid", err)) != TC_OK ||
      (st = tc_x509_check_issued_by(c->leaf, c->ask, "cert_chain_invalid", err)) != TC_OK)
    return st;
  if (!tc_ec_key_on(X509_get0_pubkey(c->leaf), TC_EC_P384))
    return tc_fail(err, TC_ERR_VERIFY, "cert_chain_invalid",
                   "the %s '%s' does not hold an EC P-384 public key", role_name(want), leaf_cn);
  if ((st = tc_x509_check_time(c->ark, at, "cert_expired_at_verify_at", err)) != TC_OK ||
      (st = tc_x509_check_time(c->ask, at, "cert_expired_at_verify_at", err)) != TC_OK ||
      (st = tc_x509_check_time(c->leaf, at, "cert_expired_at_verify_at", err)) != TC_OK)
    return st;

  /* Revocation (the ARK's CRL lists revoked ASKs/ASVKs). */
  if (col->amd_crl.data != NULL) {
    if ((st = tc_crl_parse(col->amd_crl.data, col->amd_crl.len, &c->crl, err)) != TC_OK ||
        (st = tc_crl_check_signature(c->crl, c->ark, err)) != TC_OK ||
        (st = tc_crl_check_window(c->crl, c->ark, at, err)) != TC_OK)
      return st;
    /* Only the ARK's direct subordinate: a leaf is issued by the ASK/ASVK, so its serial
     * (0 for every VCEK) means nothing in the ARK's CRL. */
    if (tc_crl_revokes(c->crl, c->ask))
      return tc_fail(err, TC_ERR_VERIFY, "cert_revoked", "the ARK's CRL revokes '%s'", ask_cn);
  }

  /* One product line: ARK (pin, else CN), ASK/ASVK CN, leaf productName. */
  char pname[64];
  if (ext_product_name(c->leaf, pname, sizeof pname) != 0)
    return tc_fail(err, TC_ERR_VERIFY, "vcek_extension_invalid",
                   "leaf productName (" AMD_OID "2) is missing or not an IA5String");
  tc_snp_product p_ark =
      c->ark_pin != TC_SNP_PRODUCT_UNKNOWN ? c->ark_pin : tc_snp_product_from_name(ark_cn);
  tc_snp_product p_ask = tc_snp_product_from_name(ask_cn);
  tc_snp_product p_leaf = tc_snp_product_from_name(pname);
  if (p_ark == TC_SNP_PRODUCT_UNKNOWN || p_ark != p_ask || p_ark != p_leaf)
    return tc_fail(err, TC_ERR_VERIFY, "product_mismatch",
                   "product lines differ: ARK %s ('%s'), %s %s ('%s'), leaf productName '%s'",
                   tc_snp_product_name(p_ark), ark_cn, role_name(want_ask),
                   tc_snp_product_name(p_ask), ask_cn, pname);
  c->product = p_ark;
  read_leaf_facts(c->leaf, c->product, &c->leaf_facts);
  /* (OpenSSL took the point as on P-384 above; Nettle checks it again) */
  if ((st = tc_p384_key_new(X509_get0_pubkey(c->leaf), &c->leaf_key, err)) == TC_ERR_VERIFY)
    return tc_fail(err, TC_ERR_VERIFY, "cert_chain_invalid",
                   "the %s '%s' does not hold a valid EC P-384 public key", role_name(want),
                   leaf_cn);
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
                   role_name(want), role_name(ch->leaf_role));
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
  if (want == ROLE_VCEK && (st = check_hwid(&ch->leaf_facts, r, ch->product, err)) != TC_OK)
    return st;
  if ((st = check_spls(&ch->leaf_facts, r->reported_tcb, ch->product, err)) != TC_OK)
    return st;
  return check_report_signature(report, r, ch->leaf_key, err);
}

void tc_snp_chain_free(tc_snp_chain *ch) {
  if (ch == NULL)
    return;
  X509_free(ch->ark);
  X509_free(ch->ask);
  X509_free(ch->leaf);
  X509_CRL_free(ch->crl);
  tc_p384_key_free(ch->leaf_key);
  free(ch);
}

tc_status tc_snp_chain_verify(const tc_collateral *col, uint8_t signing_key, int64_t at,
                              tc_snp_chain **out, tc_error *err) {
  *out = NULL;
  if (signing_key != TC_SNP_SIGNING_KEY_VCEK && signing_key != TC_SNP_SIGNING_KEY_VLEK)
    return tc_fail(err, TC_ERR_USAGE, "signing_key_invalid",
                   "signing_key must be 0 (VCEK) or 1 (VLEK), got %u", signing_key);
  tc_snp_chain *ch = calloc(1, sizeof *ch);
  if (ch == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "chain");
  tc_status st =
      chain_steps(col, signing_key == TC_SNP_SIGNING_KEY_VLEK ? ROLE_VLEK : ROLE_VCEK, at, ch, err);
  if (st != TC_OK) {
    tc_snp_chain_free(ch);
    return st;
  }
  *out = ch;
  return TC_OK;
}

tc_snp_product tc_snp_chain_product(const tc_snp_chain *ch) {
  return ch->product;
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

/* ------------------------------------------------------------------ chain cache */

struct tc_snp_chain_cache {
  tc_vcache *chains; /* key: chain_key; value: a tc_snp_chain that chain_steps accepted */
};

static void chain_destroy(void *ch) {
  tc_snp_chain_free(ch);
}

tc_status tc_snp_chain_cache_new(size_t max_entries, tc_snp_chain_cache **out, tc_error *err) {
  *out = NULL;
  tc_snp_chain_cache *cc = calloc(1, sizeof *cc);
  if (cc == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "SNP chain cache");
  tc_status st = tc_vcache_new(max_entries, chain_destroy, &cc->chains, err);
  if (st != TC_OK) {
    free(cc);
    return st;
  }
  *out = cc;
  return TC_OK;
}

void tc_snp_chain_cache_free(tc_snp_chain_cache *cc) {
  if (cc == NULL)
    return;
  tc_vcache_free(cc->chains);
  free(cc);
}

void tc_snp_chain_cache_counts(tc_snp_chain_cache *cc, uint64_t *hits, uint64_t *misses,
                               size_t *entries) {
  tc_vcache_counters n;
  tc_vcache_stats(cc != NULL ? cc->chains : NULL, &n);
  *hits = n.hits;
  *misses = n.misses;
  *entries = n.entries;
}

/* The key of everything chain_steps reads besides the time and the trust roots: the leaf
 * kind wanted, which of the certificate slots and the CRL are present, and their exact
 * bytes. -1 when there are too many extra certificates to key (then nothing is cached). */
static int chain_key(const tc_collateral *col, cert_role want, uint8_t key[TC_VCACHE_KEY_LEN]) {
  enum { FIXED = 7, MAX_EXTRA = 24 };
  if (col->n_extra_certs > MAX_EXTRA)
    return -1;
  const tc_buf *slot[5] = {&col->ark, &col->ask, &col->vcek, &col->vlek, &col->amd_crl};
  uint8_t head[6] = {(uint8_t)want};
  tc_span parts[FIXED + MAX_EXTRA];
  parts[0] = (tc_span){head, sizeof head};
  for (int i = 0; i < 5; i++) {
    head[1 + i] = slot[i]->data != NULL;
    parts[1 + i] = (tc_span){slot[i]->data, slot[i]->data != NULL ? slot[i]->len : 0};
  }
  uint8_t n_extra[8] = {0};
  for (int b = 0; b < 8; b++)
    n_extra[b] = (uint8_t)((uint64_t)col->n_extra_certs >> (56 - 8 * b));
  parts[6] = (tc_span){n_extra, sizeof n_extra};
  for (size_t i = 0; i < col->n_extra_certs; i++)
    if ((parts[FIXED + i] = (tc_span){col->extra_certs[i].data, col->extra_certs[i].len}).data ==
        NULL)
      return -1; /* (gather refuses it) */
  return tc_vcache_key("snp-chain", parts, FIXED + col->n_extra_certs, key, NULL) == TC_OK ? 0 : -1;
}

/* A verified chain for the report's leaf kind at `at`: from the cache (then only the
 * time- and trust-dependent checks are made again) or verified in full and put there.
 * On TC_OK *chain is valid until *ref is released (tc_vcache_release; NULL-safe). */
static tc_status chain_for(const tc_collateral *col, cert_role want, int64_t at,
                           tc_snp_chain_cache *cc, const tc_snp_chain **chain, tc_vcache_ref **ref,
                           tc_error *err) {
  *chain = NULL;
  *ref = NULL;
  uint8_t key[TC_VCACHE_KEY_LEN];
  int keyed = cc != NULL && col != NULL && chain_key(col, want, key) == 0;
  if (keyed && (*ref = tc_vcache_get(cc->chains, key)) != NULL) {
    const tc_snp_chain *hit = tc_vcache_value(*ref);
    tc_status st = check_chain_at(col, hit, at, err);
    if (st == TC_OK)
      *chain = hit;
    return st;
  }
  tc_snp_chain *ch = calloc(1, sizeof *ch);
  if (ch == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "chain");
  tc_status st = chain_steps(col, want, at, ch, err);
  if (st != TC_OK) { /* a failure is never cached */
    tc_snp_chain_free(ch);
    return st;
  }
  if (!keyed) {
    /* one use: a reference of its own from a cache of no entries is not worth it here */
    *chain = ch;
    return TC_OK;
  }
  if ((st = tc_vcache_put(cc->chains, key, ch, ref, err)) != TC_OK)
    return st;
  *chain = tc_vcache_value(*ref);
  return TC_OK;
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
    st = chain_for(col, want, at, cache, &ch, &ref, err);
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
