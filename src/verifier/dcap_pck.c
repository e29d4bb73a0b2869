/* SPDX-License-Identifier: Apache-2.0 */
/* SGX extensions of a PCK certificate (Intel SGX PCK Certificate and CRL Profile:
 * OID 1.2.840.113741.1.13.1, a SEQUENCE of SEQUENCE { OID, value }). The DER is walked
 * by hand with bounds checks on every length. */
#include <string.h>

#include "crypto/x509.h"
#include "verifier/dcap_internal.h"

#define SGX_EXT_OID "1.2.840.113741.1.13.1"
/* DER content octets of 1.2.840.113741.1.13.1 */
static const uint8_t sgx_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

typedef struct {
  const uint8_t *p;
  size_t len;
} der_t;

/* Read one TLV from *in (advancing it). 0 ok, -1 malformed (definite lengths only,
 * at most 4 length octets, minimal form not enforced). */
static int der_next(der_t *in, uint8_t *tag, der_t *content) {
  if (in->len < 2)
    return -1;
  *tag = in->p[0];
  if ((*tag & 0x1f) == 0x1f) /* high tag numbers never occur here */
    return -1;
  size_t l = in->p[1], hdr = 2;
  if (l & 0x80) {
    size_t n = l & 0x7f;
    if (n == 0 || n > 4 || in->len < 2 + n)
      return -1;
    l = 0;
    for (size_t i = 0; i < n; i++)
      l = (l << 8) | in->p[2 + i];
    hdr += n;
  }
  if (l > in->len - hdr)
    return -1;
  content->p = in->p + hdr;
  content->len = l;
  in->p += hdr + l;
  in->len -= hdr + l;
  return 0;
}

/* Non-negative INTEGER (or ENUMERATED with tag 0x0a) up to max. */
static int der_uint(uint8_t tag, const der_t *c, uint8_t want_tag, unsigned long max,
                    unsigned long *out) {
  if (tag != want_tag || c->len == 0 || c->len > 4 || (c->p[0] & 0x80))
    return -1;
  unsigned long v = 0;
  for (size_t i = 0; i < c->len; i++)
    v = (v << 8) | c->p[i];
  if (v > max)
    return -1;
  *out = v;
  return 0;
}

static tc_status bad(tc_error *err, const char *what) {
  return tc_fail(err, TC_ERR_VERIFY, "pck_extension_invalid",
                 "PCK certificate SGX extension (" SGX_EXT_OID "): %s", what);
}

static tc_status parse_tcb(der_t seq, tc_dcap_pck_info *out, tc_error *err) {
  uint32_t seen = 0; /* bit k-1 for .2.k, k = 1..18 */
  while (seq.len > 0) {
    uint8_t tag;
    der_t item, oid, val;
    if (der_next(&seq, &tag, &item) != 0 || tag != 0x30)
      return bad(err, "TCB entry is not a SEQUENCE");
    if (der_next(&item, &tag, &oid) != 0 || tag != 0x06)
      return bad(err, "TCB entry without OID");
    if (der_next(&item, &tag, &val) != 0 || item.len != 0)
      return bad(err, "TCB entry value malformed");
    if (oid.len != sizeof sgx_oid + 2 || memcmp(oid.p, sgx_oid, sizeof sgx_oid) != 0 ||
        oid.p[sizeof sgx_oid] != 2)
      continue; /* not .2.k: ignore unknown members */
    unsigned k = oid.p[sizeof sgx_oid + 1];
    if (k < 1 || k > 18)
      continue;
    if (seen & (1u << (k - 1)))
      return bad(err, "duplicated TCB component");
    seen |= 1u << (k - 1);
    unsigned long v;
    if (k <= 16) {
      if (der_uint(tag, &val, 0x02, 255, &v) != 0)
        return bad(err, "SGX TCB component SVN is not an INTEGER 0..255");
      out->sgx_tcb_comp_svn[k - 1] = (uint8_t)v;
    } else if (k == 17) {
      if (der_uint(tag, &val, 0x02, 65535, &v) != 0)
        return bad(err, "PCESVN is not an INTEGER 0..65535");
      out->pcesvn = (uint16_t)v;
    } else {
      if (tag != 0x04 || val.len != 16)
        return bad(err, "CPUSVN is not a 16-byte OCTET STRING");
      memcpy(out->cpusvn, val.p, 16);
    }
  }
  if (seen != 0x3ffffu)
    return bad(err, "TCB lacks some of the 16 component SVNs, PCESVN or CPUSVN");
  return TC_OK;
}

tc_status tc_dcap_pck_info_from_der(const uint8_t *der, size_t len, tc_dcap_pck_info *out,
                                    tc_error *err) {
  memset(out, 0, sizeof *out);
  out->sgx_type = -1;
  der_t in = {der, len}, seq;
  uint8_t tag;
  if (der_next(&in, &tag, &seq) != 0 || tag != 0x30 || in.len != 0)
    return bad(err, "not a single DER SEQUENCE");
  unsigned seen = 0;
  while (seq.len > 0) {
    der_t item, oid, val;
    if (der_next(&seq, &tag, &item) != 0 || tag != 0x30)
      return bad(err, "entry is not a SEQUENCE");
    if (der_next(&item, &tag, &oid) != 0 || tag != 0x06)
      return bad(err, "entry without OID");
    if (der_next(&item, &tag, &val) != 0 || item.len != 0)
      return bad(err, "entry value malformed");
    if (oid.len != sizeof sgx_oid + 1 || memcmp(oid.p, sgx_oid, sizeof sgx_oid) != 0)
      continue;
    unsigned k = oid.p[sizeof sgx_oid];
    if (k >= 1 && k <= 7) {
      if (seen & (1u << k))
        return bad(err, "duplicated entry");
      seen |= 1u << k;
    }
    switch (k) {
    case 1:
      if (tag != 0x04 || val.len != 16)
        return bad(err, "PPID is not a 16-byte OCTET STRING");
      memcpy(out->ppid, val.p, 16);
      break;
    case 2: {
      if (tag != 0x30)
        return bad(err, "TCB is not a SEQUENCE");
      tc_status st = parse_tcb(val, out, err);
      if (st != TC_OK)
        return st;
      break;
    }
    case 3:
      if (tag != 0x04 || val.len != 2)
        return bad(err, "PCE-ID is not a 2-byte OCTET STRING");
      memcpy(out->pce_id, val.p, 2);
      break;
    case 4:
      if (tag != 0x04 || val.len != 6)
        return bad(err, "FMSPC is not a 6-byte OCTET STRING");
      memcpy(out->fmspc, val.p, 6);
      break;
    case 5: {
      unsigned long v;
      if (der_uint(tag, &val, 0x0a, 2, &v) != 0)
        return bad(err, "SGX Type is not ENUMERATED 0..2");
      out->sgx_type = (int)v;
      break;
    }
    default: /* .6 PlatformInstanceID, .7 Configuration and future entries: not used */
      break;
    }
  }
  static const unsigned required = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5);
  if ((seen & required) != required)
    return bad(err, "one of PPID, TCB, PCE-ID, FMSPC, SGX Type is missing");
  return TC_OK;
}

tc_status dcap_pck_info_from_cert(X509 *pck, tc_dcap_pck_info *out, tc_error *err) {
  const uint8_t *v = NULL;
  size_t n = 0;
  int rc = tc_x509_extension(pck, SGX_EXT_OID, &v, &n);
  if (rc != 1) {
    memset(out, 0, sizeof *out);
    return bad(err, rc == 0 ? "absent" : "present twice");
  }
  tc_status st = tc_dcap_pck_info_from_der(v, n, out, err);
  if (st != TC_OK)
    return st;
  tc_x509_issuer_cn(pck, out->issuer_ca, sizeof out->issuer_ca);
  if (strstr(out->issuer_ca, "Processor") != NULL)
    out->ca = TC_DCAP_CA_PROCESSOR;
  else if (strstr(out->issuer_ca, "Platform") != NULL)
    out->ca = TC_DCAP_CA_PLATFORM;
  else
    out->ca = TC_DCAP_CA_UNKNOWN;
  return TC_OK;
}

const char *tc_dcap_ca_name(tc_dcap_ca_type ca) {
  return ca == TC_DCAP_CA_PROCESSOR  ? "processor"
         : ca == TC_DCAP_CA_PLATFORM ? "platform"
                                     : "unknown";
}
