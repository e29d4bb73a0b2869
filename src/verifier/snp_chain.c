/* SPDX-License-Identifier: Apache-2.0 */
/* AMD SEV-SNP endorsements: the chain ARK -> ASK/ASVK -> VCEK/VLEK (pinned AMD roots or
 * operator roots, RSASSA-PSS signatures, validity, the ARK's CRL, one product line), the
 * leaf's extensions, and the cache of verified chains. Fail closed; see teectl/snp.h.
 * Sources: AMD VCEK Certificate and KDS Interface spec (certificate chain, RSASSA-PSS
 * SHA-384, VCEK/VLEK extensions); AMD SEV-SNP Firmware ABI spec (TCB_VERSION). */
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "core/auto.h"
#include "core/vcache.h"
#include "crypto/ecdsa.h"
#include "crypto/trust.h"
#include "crypto/x509.h"
#include "teectl/bytes.h"
#include "teectl/snp.h"
#include "verifier/snp_internal.h"

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

const char *snp_role_name(cert_role r) {
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
                   snp_role_name(want_leaf), want_leaf == ROLE_VCEK ? "VLEK" : "VCEK");
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
                   "a %s must be issued by an %s, but ask.pem holds '%s' (%s)", snp_role_name(want),
                   snp_role_name(want_ask), ask_cn, snp_role_name(ask_role));
  if ((st = check_sig_alg(c->ark, "ARK", err)) != TC_OK ||
      (st = check_sig_alg(c->ask, snp_role_name(want_ask), err)) != TC_OK ||
      (st = check_sig_alg(c->leaf, snp_role_name(want), err)) != TC_OK)
    return st;
  X509 *const path[] = {c->leaf, c->ask, c->ark};
  if ((st = tc_x509_check_issued_by(c->ask, c->ark, "cert_chain_invalid", err)) != TC_OK ||
      (st = tc_x509_check_issued_by(c->leaf, c->ask, "cert_chain_invalid", err)) != TC_OK ||
      (st = tc_x509_check_path_len(path, 3, "cert_chain_invalid", err)) != TC_OK)
    return st;
  if (!tc_ec_key_on(X509_get0_pubkey(c->leaf), TC_EC_P384))
    return tc_fail(err, TC_ERR_VERIFY, "cert_chain_invalid",
                   "the %s '%s' does not hold an EC P-384 public key", snp_role_name(want),
                   leaf_cn);
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
                   tc_snp_product_name(p_ark), ark_cn, snp_role_name(want_ask),
                   tc_snp_product_name(p_ask), ask_cn, pname);
  c->product = p_ark;
  read_leaf_facts(c->leaf, c->product, &c->leaf_facts);
  /* (OpenSSL took the point as on P-384 above; Nettle checks it again) */
  if ((st = tc_p384_key_new(X509_get0_pubkey(c->leaf), &c->leaf_key, err)) == TC_ERR_VERIFY)
    return tc_fail(err, TC_ERR_VERIFY, "cert_chain_invalid",
                   "the %s '%s' does not hold a valid EC P-384 public key", snp_role_name(want),
                   leaf_cn);
  return st;
}

tc_status snp_check_leaf(const tc_snp_chain *ch, const tc_snp_report *r, tc_error *err) {
  tc_status st;
  if (ch->leaf_role == ROLE_VCEK &&
      (st = check_hwid(&ch->leaf_facts, r, ch->product, err)) != TC_OK)
    return st;
  return check_spls(&ch->leaf_facts, r->reported_tcb, ch->product, err);
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
tc_status snp_chain_for(const tc_collateral *col, cert_role want, int64_t at,
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
