/* SPDX-License-Identifier: Apache-2.0 */
/* The key broker routes: the Confidential Containers KBS protocol (Trustee
 * kbs/docs/kbs_attestation_protocol.md, guest-components attestation-agent kbs_protocol)
 * on top of the attest pipeline's steps (service/attest.h) and the protocol pieces of
 * src/kbs (teectl/kbs.h):
 *   POST /kbs/v0/auth      Request -> Challenge + sealed session cookie
 *   POST /kbs/v0/attest    Attestation -> {"token"} + the cookie, now attested
 *   GET  /kbs/v0/resource/<repository>/<type>/<tag>  -> JWE to the attested tee-pubkey
 * Nothing is stored between requests: the session lives in its sealed cookie, so any
 * replica with the same keys serves any step. Errors are RFC 7807 bodies (401 not attested /
 * bad or expired session or token, 403 policy deny, 404 no such resource, 429 rate limited).
 * Never a resource to an unattested session. API: docs/kbs.md. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "service/attest.h"
#include "service/http.h"
#include "service/ratelimit.h"
#include "service/request.h"
#include "teectl/crypto.h"
#include "teectl/file.h"
#include "teectl/kbs.h"
#include "teectl/snp.h"

/* ------------------------------------------------------------ rate limiter */

/* Per client (IPv4 address, IPv6 /64: service/ratelimit.h) and route (/auth, /attest counted
 * apart). /attest is limited too: a failed attestation leaves the session usable, so without
 * a limit one cookie buys unlimited verifications (and collateral fetches). */
static int rate_ok(tc_service *svc, const char *route, const char *remote, int64_t now) {
  return svc_rate_ok(svc->kbs_limiter, route, remote, svc->opts.auth_rate, now);
}

/* ------------------------------------------------------------ start / free */

tc_status svc_kbs_start(tc_service *svc, tc_error *err) {
  const tc_service_options *o = &svc->opts;
  tc_status s;
  if (o->session_key != NULL) {
    tc_buf k = {0};
    if ((s = tc_file_read(o->session_key, 4096, &k, err)) != TC_OK)
      return s;
    s = tc_kbs_session_key_derive(k.data, k.len, &svc->kbs_key, err);
    tc_cleanse(k.data, k.len);
    tc_buf_free(&k);
    if (s != TC_OK)
      return tc_fail(err, err->status, err->reason, "--session-key %s: %s", o->session_key,
                     err->detail);
  } else if ((s = tc_kbs_session_key_derive(svc->nonce_key, svc->nonce_key_len, &svc->kbs_key,
                                            err)) != TC_OK) {
    return s;
  }
  struct stat st;
  if (o->resources_dir != NULL && (stat(o->resources_dir, &st) != 0 || !S_ISDIR(st.st_mode)))
    return tc_fail(err, TC_ERR_IO, "resources_unreadable", "--resources %s: not a folder",
                   o->resources_dir);
  svc->kbs_limiter = svc_rate_new();
  if (svc->kbs_limiter == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "rate limiter");
  return TC_OK;
}

void svc_kbs_free(tc_service *svc) {
  svc_rate_free(svc->kbs_limiter);
  svc->kbs_limiter = NULL;
  tc_cleanse(&svc->kbs_key, sizeof svc->kbs_key);
}

/* ------------------------------------------------------------ replies */

static enum MHD_Result problem(tc_service *svc, struct svc_request *r, const char *step,
                               const char *result, const tc_error *e) {
  unsigned status = tc_kbs_status_of(e);
  svc_metrics_kbs(svc->metrics, step, result);
  char *t = tc_kbs_problem(status, e->reason, e->detail);
  static const httpd_header retry[] = {{"Retry-After", "60"}, {NULL, NULL}};
  return svc_reply(svc, r, status, "application/problem+json", t, t ? strlen(t) : 0,
                   status == 429 ? retry : NULL);
}

/* Answer v (stolen) with the session cookie set to value. */
static enum MHD_Result with_cookie(tc_service *svc, struct svc_request *r, json_t *v,
                                   const char *value) {
  char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
  json_decref(v);
  char cookie[6144];
  int n = snprintf(cookie, sizeof cookie, "%s=%s; Path=/kbs/v0; Max-Age=%lld; HttpOnly%s",
                   TC_KBS_COOKIE_NAME, value, (long long)svc->opts.session_ttl,
                   svc->opts.tls_cert ? "; Secure" : "");
  if (text == NULL || n < 0 || (size_t)n >= sizeof cookie) {
    free(text);
    return svc_reply_error(svc, r, 500, "internal_error", "answer");
  }
  const httpd_header extra[] = {{"Set-Cookie", cookie}, {NULL, NULL}};
  return svc_reply(svc, r, 200, "application/json", text, strlen(text), extra);
}

/* The kbs-session-id value of the Cookie header, copied into out ("" if none). */
static void cookie_value(struct svc_request *r, char *out, size_t cap) {
  out[0] = '\0';
  const char *c = svc_request_header(r, "Cookie");
  size_t nl = strlen(TC_KBS_COOKIE_NAME);
  while (c != NULL && *c) {
    while (*c == ' ' || *c == ';')
      c++;
    const char *end = strchr(c, ';');
    size_t len = end ? (size_t)(end - c) : strlen(c);
    if (len > nl && strncmp(c, TC_KBS_COOKIE_NAME, nl) == 0 && c[nl] == '=') {
      size_t vl = len - nl - 1;
      if (vl < cap) {
        memcpy(out, c + nl + 1, vl);
        out[vl] = '\0';
      }
      return;
    }
    c = end;
  }
}

static tc_status open_session(tc_service *svc, struct svc_request *r, tc_kbs_session *s,
                              tc_error *err) {
  char value[4200];
  cookie_value(r, value, sizeof value);
  if (value[0] == '\0')
    return tc_fail(err, TC_ERR_VERIFY, "session_missing",
                   "no %s cookie: start with POST /kbs/v0/auth", TC_KBS_COOKIE_NAME);
  return tc_kbs_session_open(&svc->kbs_key, value, (int64_t)time(NULL), s, err);
}

/* ------------------------------------------------------------ /kbs/v0/auth */

enum MHD_Result svc_kbs_auth(tc_service *svc, struct svc_request *r) {
  tc_error err;
  int64_t now = (int64_t)time(NULL);
  if (!rate_ok(svc, "auth", r->remote, now)) {
    tc_fail(&err, TC_ERR_VERIFY, "rate_limited", "more than %u /kbs/v0/auth requests a minute",
            svc->opts.auth_rate);
    return problem(svc, r, "auth", "rate_limited", &err);
  }
  tc_kbs_auth a;
  if (tc_kbs_auth_parse(r->body ? r->body : "", r->len, &a, &err) != TC_OK)
    return problem(svc, r, "auth", "refused", &err);
  tc_kbs_session s = {0};
  uint8_t iv[TC_KBS_SESSION_IV_LEN];
  s.tee = a.tee;
  s.hash = a.hash;
  s.expires_at = now + svc->opts.session_ttl;
  char *cookie = NULL;
  if (tc_random_bytes(s.nonce, sizeof s.nonce, NULL) != TC_OK ||
      tc_random_bytes(iv, sizeof iv, NULL) != TC_OK ||
      tc_kbs_session_seal(&svc->kbs_key, &s, iv, &cookie, &err) != TC_OK) {
    tc_fail(&err, TC_ERR_INTERNAL, "internal_error", "could not make a session");
    return problem(svc, r, "auth", "error", &err);
  }
  svc_metrics_kbs(svc->metrics, "auth", "challenged");
  enum MHD_Result ret = with_cookie(svc, r, tc_kbs_challenge(s.nonce, s.hash), cookie);
  free(cookie);
  return ret;
}

/* ------------------------------------------------------------ /kbs/v0/attest */

/* The evidence of the session's TEE in its binary form: SNP report (plus the message's
 * certificates), or the DCAP quote. */
static tc_status evidence_bytes(tc_tee tee, const json_t *primary, tc_buf *ev, tc_buf **certs,
                                size_t *n_certs, tc_error *err) {
  *certs = NULL;
  *n_certs = 0;
  if (tee != TC_TEE_SNP)
    return tc_kbs_dcap_evidence(tee, primary, ev, err);
  ev->data = malloc(TC_SNP_REPORT_SIZE);
  if (ev->data == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "evidence");
  ev->len = TC_SNP_REPORT_SIZE;
  tc_status s = tc_kbs_snp_evidence(primary, ev->data, certs, n_certs, err);
  if (s != TC_OK)
    tc_buf_free(ev);
  return s;
}

static const char *measurement_name(tc_tee tee) {
  return tee == TC_TEE_TDX ? "mr_td" : tee == TC_TEE_SGX ? "mr_enclave" : "measurement";
}

static const char *claim(const struct svc_attestation *a, const char *name) {
  return json_string_value(json_object_get(json_object_get(a->result, "claims"), name));
}

/* init-data bound in HOST_DATA (SNP) / MRCONFIGID (TDX); SGX has no such field here. */
static int check_init_data(struct svc_attestation *a, const tc_kbs_initdata *d) {
  const char *hex = claim(a, a->tee == TC_TEE_SNP ? "host_data" : "mr_config_id");
  size_t want = a->tee == TC_TEE_SNP ? 32 : 48, n = 0;
  uint8_t field[48];
  tc_error err;
  if (a->tee == TC_TEE_SGX || hex == NULL || tc_hex_decode(hex, field, sizeof field, &n, NULL) ||
      n != want)
    return svc_attestation_refuse_rule(a, "init_data_unsupported", NULL,
                                       "init-data is bound only in SNP HOST_DATA or TDX MRCONFIGID",
                                       "init_data", NULL);
  if (tc_kbs_initdata_check(d, field, want, &err) != TC_OK)
    return svc_attestation_refuse_rule(a, err.reason, NULL, err.detail, "init_data", NULL);
  return 1;
}

/* The Veraison EAR extensions of the appraisal: the verified claims (plus init-data) as
 * ear.veraison.annotated-evidence, the tee-pubkey as ear.veraison.key-attestation akpub. */
static int annotate(struct svc_attestation *a, const tc_kbs_attestation *att,
                    const tc_kbs_initdata *d) {
  json_t *ev = json_deep_copy(json_object_get(a->result, "claims"));
  char *akpub = NULL;
  tc_error err;
  if (ev && d) {
    char hex[129];
    json_object_set_new(ev, "init_data",
                        json_pack("{s:s,s:s,s:s,s:O}", "algorithm", tc_kbs_hash_name(d->algorithm),
                                  "version", d->version, "digest",
                                  tc_hex_encode(d->digest, d->digest_len, hex), "data_keys",
                                  d->data_keys));
  }
  int ok = ev != NULL && tc_kbs_jwk_akpub(att->tee_pubkey, &akpub, &err) == TC_OK &&
           json_object_set_new(a->appraisal, "ear.veraison.annotated-evidence", ev) == 0 &&
           json_object_set_new(a->appraisal, "ear.veraison.key-attestation",
                               json_pack("{s:s}", "akpub", akpub)) == 0;
  if (!ok && akpub == NULL)
    json_decref(ev);
  free(akpub);
  return ok ? 1 : svc_attestation_refuse(a, 500, "internal_error", NULL);
}

/* No init-data was sent: "" when the field that would bind it (SNP HOST_DATA, TDX MRCONFIGID;
 * hex in claims) is absent or all zeros, else TC_KBS_INIT_DATA_UNBOUND, so that a rule's
 * "init_data": [] ("no init-data") is not met by a pod launched with init-data it hides. */
static const char *unsent_init_data(tc_tee tee, const json_t *claims) {
  const char *hex =
      json_string_value(json_object_get(claims, tee == TC_TEE_TDX ? "mr_config_id" : "host_data"));
  if (tee == TC_TEE_SGX || hex == NULL)
    return "";
  for (const char *p = hex; *p; p++)
    if (*p != '0')
      return TC_KBS_INIT_DATA_UNBOUND;
  return "";
}

/* The attested session: what a resource request will be judged by. */
static tc_status attested_session(const struct svc_attestation *a, const tc_kbs_attestation *att,
                                  const tc_kbs_initdata *d, const tc_buf *ev, tc_kbs_session *s,
                                  tc_error *err) {
  s->attested = 1;
  snprintf(s->jti, sizeof s->jti, "%s", a->jti);
  snprintf(s->status, sizeof s->status, "%s", tc_ear_status_name(a->ear_status));
  const char *m = claim(a, measurement_name(a->tee));
  snprintf(s->measurement, sizeof s->measurement, "%s", m ? m : "");
  if (d)
    tc_hex_encode(d->digest, d->digest_len, s->init_data);
  else
    snprintf(s->init_data, sizeof s->init_data, "%s",
             unsent_init_data(a->tee, json_object_get(a->result, "claims")));
  if (tc_sha256_hex(ev->data, ev->len, s->evidence_sha256, err) != TC_OK)
    return err->status;
  s->tee_pubkey = json_deep_copy(att->tee_pubkey);
  if (s->tee_pubkey == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "session");
  return tc_kbs_jwk_thumbprint(att->tee_pubkey, s->jkt, err);
}

/* Steps after the session and message were accepted: verify, bind, init-data, appraise,
 * annotate, issue. Leaves the answer in a (a->status 200: a->body {"token"}). */
static void attest_steps(struct svc_attestation *a, const tc_kbs_session *s,
                         const tc_kbs_attestation *att, const tc_kbs_initdata *d, const tc_buf *ev,
                         const tc_buf *certs, size_t n_certs, char **token) {
  uint8_t rd[64];
  tc_error err;
  if (!svc_attestation_verify(a, ev->data, ev->len, certs, n_certs) ||
      !svc_attestation_report_data(a, rd))
    return;
  if (tc_kbs_binding_check(s->hash, rd, att->nonce, att->tee_pubkey, att->additional_evidence,
                           &err) != TC_OK) {
    svc_attestation_refuse_binding(a, &err);
    return;
  }
  if ((d && !check_init_data(a, d)) || !svc_attestation_appraise(a) || !annotate(a, att, d))
    return;
  json_t *rdc = json_pack("{s:s,s:O}", "nonce", att->nonce, "tee-pubkey", att->tee_pubkey);
  int ok = rdc && svc_attestation_issue(a, att->nonce, rdc, token);
  json_decref(rdc);
  if (ok) {
    a->status = 200;
    a->outcome = tc_ear_status_name(a->ear_status);
  }
}

enum MHD_Result svc_kbs_attest(tc_service *svc, struct svc_request *r) {
  tc_error err;
  tc_kbs_session s = {0};
  tc_kbs_attestation att = {0};
  tc_kbs_initdata d = {0};
  tc_buf ev = {0}, *certs = NULL;
  size_t n_certs = 0;
  char nonce[TC_KBS_NONCE_TEXT_LEN + 1];
  enum MHD_Result ret;
  tc_status st = TC_OK;
  if (!rate_ok(svc, "attest", r->remote, (int64_t)time(NULL))) {
    tc_fail(&err, TC_ERR_VERIFY, "rate_limited", "more than %u /kbs/v0/attest requests a minute",
            svc->opts.auth_rate);
    return problem(svc, r, "attest", "rate_limited", &err);
  }
  st = open_session(svc, r, &s, &err);
  if (st == TC_OK && s.attested)
    st = tc_fail(&err, TC_ERR_VERIFY, "session_attested",
                 "this session is attested already: start a new one with POST /kbs/v0/auth");
  if (st == TC_OK)
    st = tc_kbs_attestation_parse(r->body ? r->body : "", r->len, &att, &err);
  if (st == TC_OK) {
    tc_kbs_nonce_text(s.nonce, nonce);
    if (strcmp(att.nonce, nonce) != 0)
      st = tc_fail(&err, TC_ERR_VERIFY, "nonce_mismatch",
                   "runtime-data.nonce is not this session's challenge nonce");
  }
  if (st == TC_OK && att.init_data_format)
    st = tc_kbs_initdata_parse(att.init_data_format, att.init_data_body, att.init_data_len, &d,
                               &err);
  if (st == TC_OK)
    st = evidence_bytes(s.tee, att.primary_evidence, &ev, &certs, &n_certs, &err);
  if (st != TC_OK) {
    ret = problem(svc, r, "attest",
                  st == TC_ERR_NOMEM || st == TC_ERR_INTERNAL ? "error" : "refused", &err);
    goto out;
  }
  struct svc_attestation a;
  char *token = NULL;
  svc_attestation_begin(&a, svc, s.tee);
  attest_steps(&a, &s, &att, att.init_data_format ? &d : NULL, &ev, certs, n_certs, &token);
  svc_attestation_audit(&a, "/kbs/v0/attest", r->remote, &ev);
  char *cookie = NULL;
  uint8_t iv[TC_KBS_SESSION_IV_LEN];
  if (a.status == 200 &&
      (attested_session(&a, &att, att.init_data_format ? &d : NULL, &ev, &s, &err) != TC_OK ||
       tc_random_bytes(iv, sizeof iv, NULL) != TC_OK ||
       tc_kbs_session_seal(&svc->kbs_key, &s, iv, &cookie, &err) != TC_OK))
    a.status = 500;
  if (a.status == 200) {
    svc_metrics_kbs(svc->metrics, "attest", "attested");
    ret = with_cookie(svc, r, json_pack("{s:s}", "token", token), cookie);
  } else {
    /* the pipeline's refusals (403 evidence, binding, init-data, appraisal; 400) are 401 in
     * the KBS protocol: a new attestation is the cure */
    const char *detail = json_string_value(json_object_get(a.body, "detail"));
    tc_fail(&err, a.status >= 500 ? TC_ERR_INTERNAL : TC_ERR_VERIFY,
            a.status >= 500 ? "internal_error" : a.outcome, "%s",
            detail ? detail : "attestation refused");
    ret = problem(svc, r, "attest", a.status >= 500 ? "error" : "refused", &err);
  }
  json_decref(a.body);
  svc_attestation_end(&a);
  free(cookie);
  free(token);
out:
  for (size_t i = 0; i < n_certs; i++)
    tc_buf_free(&certs[i]);
  free(certs);
  tc_buf_free(&ev);
  tc_kbs_initdata_clear(&d);
  tc_kbs_attestation_free(&att);
  tc_kbs_session_clear(&s);
  return ret;
}

/* ------------------------------------------------------------ /kbs/v0/resource */

/* The grant of a Bearer token: an EAR this service issued (signature under its JWKS, exp,
 * iss), one submodule, its tee-pubkey (runtime_data) matching key-attestation akpub. */
static tc_status token_grant(tc_service *svc, const char *jwt, tc_kbs_session *s, tc_error *err) {
  json_t *jwks = json_loads(svc->jwks_text, 0, NULL), *claims = NULL;
  tc_status st = tc_ear_verify(jwt, jwks, (int64_t)time(NULL), 0, &claims, err);
  json_decref(jwks);
  if (st != TC_OK)
    return st == TC_ERR_VERIFY || st == TC_ERR_PARSE
               ? tc_fail(err, TC_ERR_VERIFY, err->reason, "Bearer token: %s", err->detail)
               : st;
  const char *iss = json_string_value(json_object_get(claims, "iss"));
  const json_t *submods = json_object_get(claims, "submods");
  const char *tee = NULL;
  json_t *sm = NULL;
  if (json_object_size(submods) == 1)
    json_object_foreach((json_t *)submods, tee, sm) break;
  const json_t *jwk = json_object_get(json_object_get(sm, "runtime_data"), "tee-pubkey");
  const char *akpub = json_string_value(
      json_object_get(json_object_get(sm, "ear.veraison.key-attestation"), "akpub"));
  const json_t *ae = json_object_get(sm, "ear.veraison.annotated-evidence");
  char *mine = NULL;
  s->tee = tee ? tc_tee_from_name(tee) : TC_TEE_UNKNOWN;
  if (!iss || strcmp(iss, svc->opts.issuer) != 0)
    st = tc_fail(err, TC_ERR_VERIFY, "token_issuer_invalid", "Bearer token not issued by \"%s\"",
                 svc->opts.issuer);
  else if (s->tee == TC_TEE_UNKNOWN || !akpub || !jwk ||
           tc_kbs_jwk_akpub(jwk, &mine, err) != TC_OK || strcmp(mine, akpub) != 0)
    st = tc_fail(err, TC_ERR_VERIFY, "token_not_kbs",
                 "Bearer token carries no attested tee-pubkey (key-attestation) for one TEE");
  if (st == TC_OK) {
    const char *m = json_string_value(json_object_get(sm, measurement_name(s->tee)));
    const char *id = json_string_value(json_object_get(json_object_get(ae, "init_data"), "digest"));
    const char *status = json_string_value(json_object_get(sm, "ear.status"));
    const char *jti = json_string_value(json_object_get(claims, "jti"));
    snprintf(s->measurement, sizeof s->measurement, "%s", m ? m : "");
    snprintf(s->init_data, sizeof s->init_data, "%s", id ? id : unsent_init_data(s->tee, ae));
    snprintf(s->status, sizeof s->status, "%s", status ? status : "none");
    snprintf(s->jti, sizeof s->jti, "%s", jti ? jti : "");
    s->tee_pubkey = json_deep_copy(jwk);
    s->attested = 1;
    st = s->tee_pubkey ? tc_kbs_jwk_thumbprint(jwk, s->jkt, err)
                       : tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "token");
  }
  free(mine);
  json_decref(claims);
  return st;
}

/* Who asks: an attested session cookie, else an "Authorization: Bearer" token. */
static tc_status requester(tc_service *svc, struct svc_request *r, tc_kbs_session *s,
                           tc_error *err) {
  tc_status st = open_session(svc, r, s, err);
  if (st == TC_OK && !s->attested) {
    tc_kbs_session_clear(s);
    st = tc_fail(err, TC_ERR_VERIFY, "session_not_attested",
                 "this session has not attested: POST /kbs/v0/attest first");
  }
  const char *auth = svc_request_header(r, "Authorization");
  if (st != TC_OK && auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0)
    st = token_grant(svc, auth + 7, s, err);
  if (st == TC_OK && (s->tee_pubkey == NULL || tc_kbs_tee_pubkey_check(s->tee_pubkey, err)))
    st = tc_fail(err, TC_ERR_VERIFY, "session_not_attested", "no attested tee-pubkey");
  return st;
}

static void audit_resource(struct svc_request *r, const char *path, const tc_kbs_session *s,
                           const char *result, int rule, const tc_error *err) {
  json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "event", "kbs_resource", "remote",
                        r->remote, "path", path, "result", result, "tee", tc_tee_name(s->tee),
                        "jti", s->jti, "jkt", s->jkt, "evidence_sha256", s->evidence_sha256);
  if (o == NULL)
    return;
  if (rule >= 0)
    json_object_set_new(o, "rule", json_sprintf("resources[%d]", rule));
  if (err != NULL)
    json_object_set_new(o, "reason", json_string(err->reason));
  svc_audit(o);
  json_decref(o);
}

enum MHD_Result svc_kbs_resource(tc_service *svc, struct svc_request *r) {
  char repo[TC_KBS_NAME_MAX + 1], type[TC_KBS_NAME_MAX + 1], tag[TC_KBS_NAME_MAX + 1];
  char path[3 * (TC_KBS_NAME_MAX + 1)];
  tc_error err;
  tc_kbs_session s = {0};
  if (tc_kbs_resource_path(r->tail, repo, type, tag, &err) != TC_OK)
    return problem(svc, r, "resource", "not_found", &err);
  snprintf(path, sizeof path, "%s/%s/%s", repo, type, tag);
  if (requester(svc, r, &s, &err) != TC_OK) {
    audit_resource(r, path, &s, "unauthenticated", -1, &err);
    tc_kbs_session_clear(&s);
    return problem(svc, r, "resource", "refused", &err);
  }
  /* the resource rules of the policy in force now */
  svc_policy_maybe_reload(svc);
  struct svc_policy_ref *pref = svc_policy_acquire(svc);
  tc_kbs_rules *rules = NULL;
  int rule = -1;
  tc_kbs_grant g = {s.tee, tc_ear_status_from_name(s.status), s.measurement, s.init_data};
  tc_status st =
      tc_kbs_rules_parse(json_object_get(tc_policy_json(pref->policy), "resources"), &rules, &err);
  if (st == TC_OK)
    st = tc_kbs_rules_judge(rules, repo, type, tag, &g, &rule, &err);
  tc_kbs_rules_free(rules);
  svc_policy_release(pref);
  tc_buf data = {0};
  json_t *jwe = NULL;
  if (st == TC_OK && svc->opts.resources_dir == NULL)
    st = tc_fail(&err, TC_ERR_IO, "resource_not_found", "this service has no --resources folder");
  if (st == TC_OK)
    st = tc_kbs_resource_read(svc->opts.resources_dir, repo, type, tag, &data, &err);
  if (st == TC_OK)
    st = tc_kbs_jwe_encrypt(s.tee_pubkey, data.data, data.len, &jwe, &err);
  if (data.data)
    tc_cleanse(data.data, data.len);
  tc_buf_free(&data);
  unsigned code = st == TC_OK ? 200 : tc_kbs_status_of(&err);
  const char *result = st == TC_OK   ? "released"
                       : code == 403 ? "denied"
                       : code == 404 ? "not_found"
                       : code >= 500 ? "error"
                                     : "refused";
  audit_resource(r, path, &s, result, rule, st == TC_OK ? NULL : &err);
  tc_kbs_session_clear(&s);
  if (st != TC_OK)
    return problem(svc, r, "resource", result, &err);
  svc_metrics_kbs(svc->metrics, "resource", result);
  return svc_reply_json(svc, r, 200, jwe);
}
