/* SPDX-License-Identifier: Apache-2.0 */
/* The attestation service as deploy/kubernetes deploys it verifies real SNP, TDX and SGX
 * evidence with nothing but the evidence in the request:
 *   - the Secrets come from deploy/kubernetes/make-secrets.sh itself, run against a
 *     stand-in kubectl that keeps what it is asked to create as files (a second run must
 *     keep them: the script never replaces a Secret);
 *   - the ConfigMaps (config.json, policy.json), the container arguments and the volume
 *     mounts come from base/attestation-service.yaml; every mount path is laid out under
 *     a private folder, and the paths in the arguments and config.json are moved there;
 *   - `teectl serve` starts with those arguments plus only what a test must change: the
 *     address (loopback, port 0), the KDS and PCS base URLs (a KDS/PCS stand-in on
 *     loopback, tests/collateral/kds_pcs_server, serving the vectors' real collateral and a
 *     real ARK-signed AMD CRL), --at (the vector's verification time) and --test-no-nonce
 *     (real evidence cannot carry our nonce);
 *   - requests go over HTTPS, checked against the CA make-secrets.sh published, to the
 *     Service's DNS name (resolved to loopback);
 *   - tokens are checked here with OpenSSL against the public half of the signing key the
 *     script made (ES256 over header.payload, RFC 7515/7518).
 * Expected answers follow the vectors' expected.json and the manifest's policy (the
 * strict defaults: no reference values, hence "warning"; an SGX TCB status other than
 * UpToDate is contraindicated).
 * overlays/pccs, rendered by tests/deploy/render.mjs (skipped without node and the
 * installed tools, except under CI=true), takes its Intel collateral from a PCCS stand-in
 * over HTTPS whose certificate comes from a private CA: verified when that CA is in the
 * ConfigMap teectl-pccs-ca the overlay mounts, refused (evidence_invalid: no collateral)
 * when the PCCS's certificate comes from another CA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "kds_pcs_server.h"
#include "teectl/collateral.h"
#include "testlib.h"
#include "yamljson.h"

static const char *VEC, *DEPLOY, *TOOLS;
static char KUBE[512]; /* the stand-in kubectl's store */
static char FAKEBIN[600];

static void mkdirs(const char *path) {
  char tmp[1024];
  assert_true(snprintf(tmp, sizeof tmp, "%s", path) < (int)sizeof tmp);
  for (char *p = tmp + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      mkdir(tmp, 0700);
      *p = '/';
    }
  mkdir(tmp, 0700);
}

static void write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  fclose(f);
}

/* ---- make-secrets.sh against a stand-in kubectl ---- */

static const char FAKE_KUBECTL[] =
    "#!/bin/sh\n"
    "# stand-in kubectl: keeps created Secrets/ConfigMaps as files under $FAKE_KUBE\n"
    "ns=\n"
    "while [ $# -gt 0 ]; do case \"$1\" in -n) ns=$2; shift 2;; *) break;; esac; done\n"
    "verb=$1; shift\n"
    "case \"$verb\" in\n"
    "get) [ -n \"$FAKE_DOWN\" ] && { echo 'connection refused' >&2; exit 1; }\n"
    "  [ \"$1\" = --raw ] && exit 0\n"
    "  [ -e \"$FAKE_KUBE/$1/$2\" ]; exit $?;;\n"
    "create) kind=$1; shift\n"
    "  case \"$kind\" in\n"
    "  namespace) mkdir -p \"$FAKE_KUBE/namespace/$1\"; exit 0;;\n"
    "  secret) name=$2; shift 2; d=\"$FAKE_KUBE/secret/$name\"; mkdir -p \"$d\";;\n"
    "  configmap) name=$1; shift; d=\"$FAKE_KUBE/configmap/$name\"; mkdir -p \"$d\";;\n"
    "  *) echo \"fake kubectl: create $kind\" >&2; exit 3;;\n"
    "  esac\n"
    "  for a; do case \"$a\" in\n"
    "    --from-file=*) kv=${a#--from-file=}; cp \"${kv#*=}\" \"$d/${kv%%=*}\";;\n"
    "    --cert=*) cp \"${a#--cert=}\" \"$d/tls.crt\";;\n"
    "    --key=*) cp \"${a#--key=}\" \"$d/tls.key\";;\n"
    "  esac; done; exit 0;;\n"
    "apply) cat >/dev/null; exit 0;;\n"
    "esac\n"
    "echo \"fake kubectl: $verb $*\" >&2; exit 3\n";

static int run_make_secrets_env(const char *env) {
  char *script = test_path(DEPLOY, "kubernetes/make-secrets.sh");
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "%s PATH='%s':\"$PATH\" FAKE_KUBE='%s' sh '%s' >'%s/make-secrets.log' 2>&1", env,
           FAKEBIN, KUBE, script, KUBE);
  free(script);
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run_make_secrets(void) {
  return run_make_secrets_env("");
}

static tc_buf kube_file(const char *kind, const char *name, const char *key) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s/%s/%s", KUBE, kind, name, key);
  return test_read_file(p);
}

/* ---- the manifest ---- */

typedef struct deployment {
  srv s;
  char root[600]; /* mount paths are laid out below root */
  json_t *docs;
  json_t *args; /* the container's arguments, paths moved below root */
} deployment;

static int has_doc(const json_t *docs, const char *kind, const char *name) {
  size_t i;
  const json_t *d;
  json_array_foreach(docs, i, d) if (!strcmp(jstr(d, "kind"), kind) &&
                                     !strcmp(jstr(d, "metadata.name"), name)) return 1;
  return 0;
}

static const json_t *find_doc(const json_t *docs, const char *kind, const char *name) {
  size_t i;
  const json_t *d;
  json_array_foreach(docs, i, d) if (!strcmp(jstr(d, "kind"), kind) &&
                                     !strcmp(jstr(d, "metadata.name"), name)) return d;
  fail_msg("base/attestation-service.yaml has no %s %s", kind, name);
  return NULL;
}

/* A path inside one of the container's mounts, moved below root; other values as is. */
static json_t *moved(const deployment *d, const json_t *mounts, const char *value) {
  size_t i;
  const json_t *m;
  json_array_foreach(mounts, i, m) {
    const char *mp = jstr(m, "mountPath");
    size_t n = strlen(mp);
    if (strncmp(value, mp, n) == 0 && (value[n] == '/' || value[n] == 0)) {
      char p[1200];
      snprintf(p, sizeof p, "%s%s", d->root, value);
      return json_string(p);
    }
  }
  return json_string(value);
}

/* The base's attestation-service.yaml, or (overlay != NULL) the objects render.mjs renders
 * for deploy/kubernetes/<overlay>. */
static json_t *manifest_docs(const char *overlay) {
  char e[256];
  if (overlay == NULL) {
    char *path = test_path(DEPLOY, "kubernetes/base/attestation-service.yaml");
    tc_buf b = test_read_file(path);
    free(path);
    json_t *docs = yaml_to_json((const char *)b.data, b.len, e, sizeof e);
    tc_buf_free(&b);
    assert_non_null(docs);
    return docs;
  }
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "TEECTL_DEPLOY_TOOLS='%s' node '%s/../tests/deploy/render.mjs' '%s/kubernetes/%s'",
           TOOLS, DEPLOY, DEPLOY, overlay);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  tc_buf out = {0};
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, p)) > 0) {
    out.data = realloc(out.data, out.len + n);
    memcpy(out.data + out.len, chunk, n);
    out.len += n;
  }
  if (pclose(p) != 0)
    fail_msg("render.mjs %s failed", overlay);
  json_t *docs = yaml_to_json((const char *)out.data, out.len, e, sizeof e);
  tc_buf_free(&out);
  if (docs == NULL)
    fail_msg("rendered %s: %s", overlay, e);
  return docs;
}

static void deployment_lay_out(deployment *d, const char *overlay) {
  srv_init(&d->s);
  snprintf(d->root, sizeof d->root, "%s/root", d->s.dir);
  d->docs = manifest_docs(overlay);
  const json_t *dep = find_doc(d->docs, "Deployment", "teectl-attestation");
  const json_t *pod = jpath(dep, "spec.template.spec");
  const json_t *c = json_array_get(json_object_get(pod, "containers"), 0);
  const json_t *mounts = json_object_get(c, "volumeMounts");
  size_t i;
  const json_t *m;
  json_array_foreach(mounts, i, m) {
    const char *vname = jstr(m, "name");
    char dir[1200];
    snprintf(dir, sizeof dir, "%s%s", d->root, jstr(m, "mountPath"));
    mkdirs(dir);
    size_t k;
    const json_t *v, *vol = NULL;
    json_array_foreach(json_object_get(pod, "volumes"), k, v) if (!strcmp(jstr(v, "name"), vname))
        vol = v;
    assert_non_null(vol);
    const char *cm = jstr(vol, "configMap.name"), *secret = jstr(vol, "secret.secretName");
    if (cm != NULL && !has_doc(d->docs, "ConfigMap", cm)) {
      /* a ConfigMap the README has the user create (kept in the stand-in kubectl's store) */
      char cmd[3000];
      snprintf(cmd, sizeof cmd, "cp '%s/configmap/%s'/* '%s'/", KUBE, cm, dir);
      if (system(cmd) != 0)
        fail_msg("ConfigMap %s is neither in the manifest nor made by the test", cm);
    } else if (cm != NULL) {
      const char *key;
      const json_t *val;
      json_object_foreach(json_object_get(find_doc(d->docs, "ConfigMap", cm), "data"), key, val) {
        char f[1400];
        snprintf(f, sizeof f, "%s/%s", dir, key);
        const char *text = json_string_value(val);
        if (strcmp(key, "config.json") == 0) {
          /* the service's own config, with its paths moved below root */
          json_t *cfg = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
          assert_non_null(cfg);
          const char *ck;
          json_t *cv;
          void *tmp;
          json_object_foreach_safe(cfg, tmp, ck, cv) if (json_is_string(cv))
              json_object_set_new(cfg, ck, moved(d, mounts, json_string_value(cv)));
          char *out = json_dumps(cfg, JSON_INDENT(2));
          write_file(f, out, strlen(out));
          free(out);
          json_decref(cfg);
        } else {
          write_file(f, text, strlen(text));
        }
      }
    } else if (secret != NULL) {
      /* the files make-secrets.sh created for this Secret */
      char src[1024];
      snprintf(src, sizeof src, "%s/secret/%s", KUBE, secret);
      char cmd[3000];
      snprintf(cmd, sizeof cmd, "cp '%s'/* '%s'/", src, dir);
      if (system(cmd) != 0)
        fail_msg("Secret %s was not made by make-secrets.sh", secret);
    } else {
      assert_non_null(json_object_get(vol, "emptyDir"));
    }
  }
  /* the container's arguments; "serve" is the command the harness runs */
  d->args = json_array();
  size_t k;
  const json_t *a;
  json_array_foreach(json_object_get(c, "args"), k, a) {
    if (k == 0) {
      assert_string_equal(json_string_value(a), "serve");
      continue;
    }
    json_array_append_new(d->args, moved(d, mounts, json_string_value(a)));
  }
}

/* Start with the manifest's arguments, the test's own (above) and more (NULL-terminated,
 * may be NULL: e.g. --require-tee). */
static void deployment_start_with(deployment *d, const char *kds, const char *pcs, const char *at,
                                  const char *const *more) {
  const char *argv[40];
  size_t n = 0, i;
  const json_t *a;
  json_array_foreach(d->args, i, a) argv[n++] = json_string_value(a);
  /* the manifest's metrics address (0.0.0.0:9090) moves to loopback too */
  const char *extra[] = {"--kds-url",   kds, "--pcs-url",       pcs,
                         "--at",        at,  "--test-no-nonce", "--metrics-listen",
                         "127.0.0.1:0", NULL};
  for (size_t k = 0; extra[k]; k++)
    argv[n++] = extra[k];
  for (size_t k = 0; more != NULL && more[k]; k++)
    argv[n++] = more[k];
  argv[n] = NULL;
  assert_int_equal(srv_start(&d->s, argv), 0);
}

static void deployment_start(deployment *d, const char *kds, const char *pcs, const char *at) {
  deployment_start_with(d, kds, pcs, at, NULL);
}

static void deployment_stop(deployment *d) {
  assert_int_equal(srv_stop(&d->s), 0);
  srv_cleanup(&d->s);
  json_decref(d->docs);
  json_decref(d->args);
}

/* ---- HTTPS client ---- */

static size_t on_body(char *p, size_t sz, size_t n, void *ud) {
  tc_buf *b = ud;
  b->data = realloc(b->data, b->len + sz * n + 1);
  memcpy(b->data + b->len, p, sz * n);
  b->len += sz * n;
  b->data[b->len] = 0;
  return sz * n;
}

/* A request to https://attestation.teectl-system.svc:PORT<path>, checked against the CA
 * make-secrets.sh published: POST body (JSON) when body != NULL, else GET; returns the
 * status, *resp the parsed answer. */
static long https_request(const deployment *d, const char *path, const char *body, json_t **resp) {
  char host[256], url[300], ca[1024];
  snprintf(host, sizeof host, "attestation.teectl-system.svc:%u:127.0.0.1", d->s.port);
  snprintf(url, sizeof url, "https://attestation.teectl-system.svc:%u%s", d->s.port, path);
  snprintf(ca, sizeof ca, "%s/configmap/teectl-attestation-ca/ca.crt", KUBE);
  CURL *c = curl_easy_init();
  struct curl_slist *res = curl_slist_append(NULL, host);
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  tc_buf out = {0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_RESOLVE, res);
  curl_easy_setopt(c, CURLOPT_CAINFO, ca);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (body != NULL)
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK)
    fail_msg("HTTPS to the service: %s", curl_easy_strerror(rc));
  long st = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
  curl_easy_cleanup(c);
  curl_slist_free_all(res);
  curl_slist_free_all(h);
  *resp = json_loads(out.data ? (const char *)out.data : "", 0, NULL);
  tc_buf_free(&out);
  return st;
}

/* POST /v1/attest {"tee", "evidence"}. */
static long attest(const deployment *d, const char *tee, const tc_buf *evidence, json_t **resp) {
  char *b64 = b64_std(evidence->data, evidence->len);
  json_t *req = json_pack("{s:s, s:s}", "tee", tee, "evidence", b64);
  free(b64);
  char *body = json_dumps(req, JSON_COMPACT);
  json_decref(req);
  long st = https_request(d, "/v1/attest", body, resp);
  free(body);
  return st;
}

/* ---- token check (OpenSSL, ES256) ---- */

static json_t *check_es256(const char *token) {
  const char *dot1 = strchr(token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
  assert_non_null(dot2);
  unsigned char sig[128], payload[8192];
  long sl = b64url_decode(dot2 + 1, sig, sizeof sig);
  assert_int_equal(sl, 64);
  char *pl_text = strndup(dot1 + 1, (size_t)(dot2 - dot1 - 1));
  long pl = b64url_decode(pl_text, payload, sizeof payload - 1);
  free(pl_text);
  assert_true(pl > 0);
  payload[pl] = 0;
  /* r || s (RFC 7518 3.4) -> DER ECDSA-Sig-Value */
  ECDSA_SIG *es = ECDSA_SIG_new();
  ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
  unsigned char *der = NULL;
  int dl = i2d_ECDSA_SIG(es, &der);
  tc_buf key = kube_file("secret", "teectl-attestation-keys", "signing.pem");
  BIO *bio = BIO_new_mem_buf(key.data, (int)key.len);
  EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
  assert_non_null(pk);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk), 1);
  int ok =
      EVP_DigestVerify(md, der, (size_t)dl, (const unsigned char *)token, (size_t)(dot2 - token));
  if (ok != 1)
    fail_msg("token signature does not verify with the signing key make-secrets.sh made");
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(pk);
  BIO_free(bio);
  tc_buf_free(&key);
  OPENSSL_free(der);
  ECDSA_SIG_free(es);
  json_t *claims = json_loads((const char *)payload, 0, NULL);
  assert_non_null(claims);
  return claims;
}

/* ---- the KDS/PCS stand-in ---- */

static ts_server *STANDIN;

static tc_buf vec(const char *sub, const char *name, const char *file) {
  char rel[512];
  snprintf(rel, sizeof rel, "%s/%s/%s", sub, name, file);
  char *p = test_path(VEC, rel);
  tc_buf b = test_read_file(p);
  free(p);
  return b;
}

static json_t *expected(const char *sub, const char *name) {
  tc_buf b = vec(sub, name, "expected.json");
  json_t *j = json_loadb((const char *)b.data, b.len, 0, NULL);
  tc_buf_free(&b);
  assert_non_null(j);
  return j;
}

/* RFC 3986 percent-encoding of everything but unreserved characters (as Intel PCS does). */
static char *pct_encode(const tc_buf *b) {
  char *o = malloc(b->len * 3 + 1), *w = o;
  for (size_t i = 0; i < b->len; i++) {
    unsigned char ch = b->data[i];
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
        ch == '-' || ch == '_' || ch == '.' || ch == '~')
      *w++ = (char)ch;
    else
      w += sprintf(w, "%%%02X", ch);
  }
  *w = 0;
  return o;
}

/* Routes of one object request, as the service will ask for it. */
static void route_object(ts_server *ts, const tc_object_request *q, const tc_buf *body,
                         const char *header, const tc_buf *chain, char *uri, size_t cap) {
  char url[600];
  tc_error err;
  if (tc_object_url(ts_base(ts), ts_base(ts), TC_PCS_PCCS, q, url, sizeof url, &err) != TC_OK)
    fail_msg("object url: %s", err.detail);
  snprintf(uri, cap, "%s", url + strlen(ts_base(ts)));
  char *hv = chain ? pct_encode(chain) : NULL;
  ts_route(ts, uri, body->data, body->len, header, hv);
  free(hv);
}

static void serve_snp(const char *name, const tc_buf *report, char vcek_uri[512]) {
  tc_collateral_needs n;
  tc_error err;
  if (tc_collateral_needs_of(TC_TEE_SNP, report->data, report->len, TC_SNP_PRODUCT_UNKNOWN, NULL,
                             &n, &err) != TC_OK)
    fail_msg("%s: needs: %s", name, err.detail);
  tc_buf vcek = vec("snp", name, "vcek.der"), ask = vec("snp", name, "ask.pem"),
         ark = vec("snp", name, "ark.pem");
  route_object(STANDIN, &n.vcek, &vcek, NULL, NULL, vcek_uri, 512);
  tc_buf chain = {malloc(ask.len + ark.len), ask.len + ark.len}; /* ASK then ARK (KDS) */
  memcpy(chain.data, ask.data, ask.len);
  memcpy(chain.data + ask.len, ark.data, ark.len);
  ts_route(STANDIN, "/vcek/v1/Milan/cert_chain", chain.data, chain.len, NULL, NULL);
  /* a real CRL, signed by AMD's Milan ARK (vectors/amd-crl) */
  tc_buf crl = vec("amd-crl", "milan-vcek-openpcc", "crl.der");
  ts_route(STANDIN, "/vcek/v1/Milan/crl", crl.data, crl.len, NULL, NULL);
  tc_buf_free(&crl);
  tc_buf_free(&chain);
  tc_buf_free(&vcek);
  tc_buf_free(&ask);
  tc_buf_free(&ark);
}

/* TCB Info, QE Identity, PCK CRL (with their issuer-chain headers) and the Root CA CRL of
 * a DCAP case at the PCCS paths; returns the TCB Info uri. */
static void serve_dcap(ts_server *ts, const char *name, const tc_buf *quote, char tcb_uri[512]) {
  tc_collateral_needs n;
  tc_error err;
  if (tc_collateral_needs_of(TC_TEE_UNKNOWN, quote->data, quote->len, TC_SNP_PRODUCT_UNKNOWN, NULL,
                             &n, &err) != TC_OK)
    fail_msg("%s: needs: %s", name, err.detail);
  const struct {
    tc_object_kind kind;
    const char *file, *chain, *header;
  } items[] = {
      {TC_OBJ_PCS_TCB_INFO, "tcb_info.json", "tcb_info_issuer_chain.pem", "TCB-Info-Issuer-Chain"},
      {TC_OBJ_PCS_QE_IDENTITY, "qe_identity.json", "qe_identity_issuer_chain.pem",
       "SGX-Enclave-Identity-Issuer-Chain"},
      {TC_OBJ_PCS_PCK_CRL, "pck_crl.der", "pck_crl_issuer_chain.pem", "SGX-PCK-CRL-Issuer-Chain"},
      {TC_OBJ_PCS_ROOT_CA_CRL, "root_ca_crl.der", NULL, NULL},
  };
  for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
    tc_object_request q;
    memset(&q, 0, sizeof q);
    q.kind = items[i].kind;
    q.tee = n.tee;
    memcpy(q.fmspc, n.fmspc, 6);
    q.ca = n.ca;
    tc_buf body = vec("dcap", name, items[i].file);
    tc_buf chain = {0};
    if (items[i].chain)
      chain = vec("dcap", name, items[i].chain);
    char uri[512];
    route_object(ts, &q, &body, items[i].header, items[i].chain ? &chain : NULL, uri, sizeof uri);
    if (i == 0)
      snprintf(tcb_uri, 512, "%s", uri);
    tc_buf_free(&body);
    tc_buf_free(&chain);
  }
}

/* ---- the cases ---- */

static int setup(void **state) {
  (void)state;
  STANDIN = ts_start();
  test_mkdtemp("teectl-deploy-kube", KUBE, sizeof KUBE);
  snprintf(FAKEBIN, sizeof FAKEBIN, "%s/bin", KUBE);
  mkdirs(FAKEBIN);
  char p[700];
  snprintf(p, sizeof p, "%s/kubectl", FAKEBIN);
  write_file(p, FAKE_KUBECTL, strlen(FAKE_KUBECTL));
  chmod(p, 0700);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  ts_stop(STANDIN);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", KUBE);
  return system(cmd) == 0 ? 0 : -1;
}

/* make-secrets.sh makes every Secret the Deployment mounts, of the documented kinds, and
 * keeps them when run again. */
static void test_make_secrets(void **state) {
  (void)state;
  /* no cluster to reach: exit 2 with its own message, nothing created */
  assert_int_equal(run_make_secrets_env("FAKE_DOWN=1"), 2);
  char logp[700];
  snprintf(logp, sizeof logp, "%s/make-secrets.log", KUBE);
  tc_buf log = test_read_file(logp);
  char *text = strndup((const char *)log.data, log.len);
  assert_non_null(strstr(text, "make-secrets: kubectl cannot reach a cluster"));
  free(text);
  tc_buf_free(&log);
  assert_int_equal(run_make_secrets(), 0);
  tc_buf nonce = kube_file("secret", "teectl-attestation-keys", "nonce.key");
  assert_int_equal(nonce.len, 32);
  tc_buf sk = kube_file("secret", "teectl-attestation-keys", "signing.pem");
  BIO *bio = BIO_new_mem_buf(sk.data, (int)sk.len);
  EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
  assert_non_null(pk);
  assert_true(EVP_PKEY_is_a(pk, "EC"));
  char group[64];
  size_t gl = 0;
  assert_int_equal(EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof group, &gl), 1);
  assert_string_equal(group, "prime256v1");
  EVP_PKEY_free(pk);
  BIO_free(bio);
  tc_buf crt = kube_file("secret", "teectl-attestation-tls", "tls.crt");
  tc_buf key = kube_file("secret", "teectl-attestation-tls", "tls.key");
  tc_buf ca = kube_file("configmap", "teectl-attestation-ca", "ca.crt");
  assert_true(crt.len > 0 && key.len > 0 && ca.len > 0);
  /* a second run keeps every Secret */
  assert_int_equal(run_make_secrets(), 0);
  tc_buf nonce2 = kube_file("secret", "teectl-attestation-keys", "nonce.key");
  tc_buf sk2 = kube_file("secret", "teectl-attestation-keys", "signing.pem");
  tc_buf crt2 = kube_file("secret", "teectl-attestation-tls", "tls.crt");
  assert_memory_equal(nonce.data, nonce2.data, 32);
  assert_true(sk.len == sk2.len && memcmp(sk.data, sk2.data, sk.len) == 0);
  assert_true(crt.len == crt2.len && memcmp(crt.data, crt2.data, crt.len) == 0);
  tc_buf bufs[] = {nonce, sk, crt, key, ca, nonce2, sk2, crt2};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
    tc_buf_free(&bufs[i]);
}

static void one_case(const char *sub, const char *name, const char *tee, int want_status,
                     const char *want_rule) {
  json_t *exp = expected(sub, name);
  assert_string_equal(json_string_value(json_object_get(exp, "verdict")), "valid");
  tc_buf ev = vec(sub, name, strcmp(sub, "snp") == 0 ? "report.bin" : "quote.bin");
  char uri[512];
  if (strcmp(sub, "snp") == 0)
    serve_snp(name, &ev, uri);
  else
    serve_dcap(STANDIN, name, &ev, uri);
  unsigned before = ts_count(STANDIN, uri);
  deployment d;
  deployment_lay_out(&d, NULL);
  deployment_start(&d, ts_base(STANDIN), ts_base(STANDIN),
                   json_string_value(json_object_get(exp, "verify_at")));
  json_t *resp = NULL;
  long st = attest(&d, tee, &ev, &resp);
  char *t = json_dumps(resp, JSON_COMPACT);
  print_message("%s: %ld %.300s\n", name, st, t ? t : "(no JSON)");
  free(t);
  /* the collateral came from the stand-in, fetched by the service itself */
  assert_true(ts_count(STANDIN, uri) > before);
  if (want_status == 200) {
    assert_int_equal(st, 200);
    json_t *claims = check_es256(json_string_value(json_object_get(resp, "token")));
    json_t *sub_claims = json_object_get(json_object_get(claims, "submods"), tee);
    assert_string_equal(json_string_value(json_object_get(sub_claims, "ear.status")), "warning");
    assert_string_equal(json_string_value(json_object_get(claims, "iss")),
                        "https://attestation.teectl-system.svc");
    json_decref(claims);
  } else {
    assert_int_equal(st, want_status);
    assert_string_equal(json_string_value(json_object_get(resp, "error")), "contraindicated");
    json_t *rules = json_object_get(resp, "failed_rules");
    assert_int_equal(json_array_size(rules), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rules, 0), "rule")),
                        want_rule);
  }
  json_decref(resp);
  deployment_stop(&d);
  tc_buf_free(&ev);
  json_decref(exp);
}

static void test_snp(void **state) {
  (void)state;
  one_case("snp", "milan-v5-gcp-teekit", "snp", 200, NULL);
}

static void test_tdx(void **state) {
  (void)state;
  one_case("dcap", "tdx-v4-phala-b0c06f000000", "tdx", 200, NULL);
}

/* The quote verifies; its TCB status (ConfigurationAndSWHardeningNeeded) is outside the
 * manifest policy's accepted statuses (the default map: UpToDate only). */
static void test_sgx(void **state) {
  (void)state;
  one_case("dcap", "sgx-v3-phala-00a067110000-2025", "sgx", 403, "sgx.tcb_status");
}

/* ---- /readyz: which TEEs the deployed service can verify ---- */

static const char TDX_CASE[] = "tdx-v4-phala-b0c06f000000",
                  SGX_CASE[] = "sgx-v3-phala-00a067110000-2025";

/* A KDS/PCS stand-in with the Milan VCEK chain (a vector's ASK then ARK) and the QE
 * Identity of TDX (with_tdx) and SGX, each with its issuer chain; *tdx_uri / *sgx_uri get
 * the QE Identity paths. */
static ts_server *ready_standin(int with_tdx, char tdx_uri[512], char sgx_uri[512]) {
  ts_server *ts = ts_start();
  tc_buf ask = vec("snp", "milan-v5-gcp-teekit", "ask.pem"),
         ark = vec("snp", "milan-v5-gcp-teekit", "ark.pem");
  tc_buf chain = {malloc(ask.len + ark.len), ask.len + ark.len};
  memcpy(chain.data, ask.data, ask.len);
  memcpy(chain.data + ask.len, ark.data, ark.len);
  ts_route(ts, "/vcek/v1/Milan/cert_chain", chain.data, chain.len, NULL, NULL);
  tc_buf bufs[] = {ask, ark, chain};
  for (size_t i = 0; i < 3; i++)
    tc_buf_free(&bufs[i]);
  const struct {
    tc_tee tee;
    const char *name;
    char *uri;
  } qe[] = {{TC_TEE_TDX, TDX_CASE, tdx_uri}, {TC_TEE_SGX, SGX_CASE, sgx_uri}};
  for (size_t i = 0; i < 2; i++) {
    tc_object_request q;
    memset(&q, 0, sizeof q);
    q.kind = TC_OBJ_PCS_QE_IDENTITY;
    q.tee = qe[i].tee;
    tc_buf body = vec("dcap", qe[i].name, "qe_identity.json");
    tc_buf ic = vec("dcap", qe[i].name, "qe_identity_issuer_chain.pem");
    if (qe[i].tee == TC_TEE_SGX || with_tdx)
      route_object(ts, &q, &body, "SGX-Enclave-Identity-Issuer-Chain", &ic, qe[i].uri, 512);
    else /* not served: the stand-in answers 404, as for an unknown path */
      snprintf(qe[i].uri, 512, "/tdx/certification/v4/qe/identity");
    tc_buf_free(&body);
    tc_buf_free(&ic);
  }
  return ts;
}

static const json_t *tee_of(const json_t *ready, const char *tee) {
  const json_t *t = json_object_get(json_object_get(ready, "tees"), tee);
  if (t == NULL)
    fail_msg("/readyz has no tees.%s", tee);
  return t;
}

/* tees.<tee>: ready as wanted, "via" exactly want_via (comma-separated, "" for none), and
 * the reason wanted (NULL: none). */
static void expect_tee(const json_t *ready, const char *tee, int want_ready, const char *want_via,
                       const char *want_reason) {
  const json_t *t = tee_of(ready, tee);
  char via[128] = "";
  size_t i;
  const json_t *w;
  json_array_foreach(json_object_get(t, "via"), i, w) {
    size_t n = strlen(via);
    snprintf(via + n, sizeof via - n, "%s%s", i ? "," : "", json_string_value(w));
  }
  char *dump = json_dumps(t, JSON_COMPACT);
  if (json_is_true(json_object_get(t, "ready")) != want_ready || strcmp(via, want_via) != 0)
    fail_msg("tees.%s: %s, wanted ready=%d via [%s]", tee, dump, want_ready, want_via);
  const char *reason = json_string_value(json_object_get(t, "reason"));
  if (want_reason == NULL ? reason != NULL : reason == NULL || strcmp(reason, want_reason) != 0)
    fail_msg("tees.%s: %s, wanted reason %s", tee, dump, want_reason ? want_reason : "none");
  free(dump);
}

/* The manifest's service with "fetch": every TEE ready through the stand-in; after the QE
 * Identities' nextUpdate (2025-07-19) TDX and SGX are not, SEV-SNP still is. */
static void test_readyz_fetch(void **state) {
  (void)state;
  char tdx_uri[512], sgx_uri[512];
  ts_server *ts = ready_standin(1, tdx_uri, sgx_uri);
  deployment d;
  deployment_lay_out(&d, NULL);
  deployment_start(&d, ts_base(ts), ts_base(ts), "2025-07-04T10:00:00Z");
  for (int round = 0; round < 2; round++) {
    json_t *r = NULL;
    assert_int_equal(https_request(&d, "/readyz", NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "ready");
    expect_tee(r, "snp", 1, "fetch", NULL);
    expect_tee(r, "tdx", 1, "fetch", NULL);
    expect_tee(r, "sgx", 1, "fetch", NULL);
    json_decref(r);
    /* The vectors' QE Identities are past their nextUpdate by the real clock, so the
     * provider asks again each time; the Milan chain (valid for years) comes from its
     * cache: one request for both probes, and none for Genoa or Turin. */
    assert_int_equal(ts_count(ts, tdx_uri), round + 1);
    assert_int_equal(ts_count(ts, sgx_uri), round + 1);
    assert_int_equal(ts_count(ts, "/vcek/v1/Milan/cert_chain"), 1);
    assert_int_equal(ts_count(ts, "/vcek/v1/Genoa/cert_chain"), 0);
  }
  deployment_stop(&d);
  deployment_lay_out(&d, NULL);
  deployment_start(&d, ts_base(ts), ts_base(ts), "2025-07-20T00:00:00Z");
  json_t *r = NULL;
  assert_int_equal(https_request(&d, "/readyz", NULL, &r), 200);
  expect_tee(r, "snp", 1, "fetch", NULL);
  expect_tee(r, "tdx", 0, "", "collateral_expired");
  expect_tee(r, "sgx", 0, "", "collateral_expired");
  json_decref(r);
  deployment_stop(&d);
  ts_stop(ts);
}

/* PCS without the TDX QE Identity (404): TDX not ready, named; the service stays ready
 * (SNP and SGX verify) unless --require-tee tdx, then 503 naming it. */
static void test_readyz_require_tee(void **state) {
  (void)state;
  char tdx_uri[512], sgx_uri[512];
  ts_server *ts = ready_standin(0, tdx_uri, sgx_uri);
  deployment d;
  deployment_lay_out(&d, NULL);
  deployment_start(&d, ts_base(ts), ts_base(ts), "2025-07-04T10:00:00Z");
  json_t *r = NULL;
  assert_int_equal(https_request(&d, "/readyz", NULL, &r), 200);
  expect_tee(r, "tdx", 0, "", "collateral_not_found");
  expect_tee(r, "sgx", 1, "fetch", NULL);
  assert_true(ts_count(ts, tdx_uri) >= 1);
  json_decref(r);
  deployment_stop(&d);
  const char *more[] = {"--require-tee", "tdx", "--require-tee", "sgx", NULL};
  deployment_lay_out(&d, NULL);
  deployment_start_with(&d, ts_base(ts), ts_base(ts), "2025-07-04T10:00:00Z", more);
  assert_int_equal(https_request(&d, "/readyz", NULL, &r), 503);
  assert_string_equal(json_string_value(json_object_get(r, "status")), "not_ready");
  assert_string_equal(json_string_value(json_object_get(r, "error")),
                      "required_tee_not_verifiable");
  const json_t *missing = json_object_get(r, "required_not_ready");
  assert_int_equal(json_array_size(missing), 1);
  assert_string_equal(json_string_value(json_array_get(missing, 0)), "tdx");
  json_decref(r);
  deployment_stop(&d);
  ts_stop(ts);
}

/* No fetching: a collateral folder (a TDX vector case) makes TDX verifiable until its QE
 * Identity's nextUpdate, and nothing else; past it, nothing: 503. The same for an SNP
 * case's folder and its VCEK. A misspelt --require-tee stops the start (exit 2). */
static void test_readyz_folder(void **state) {
  (void)state;
  char rel[256];
  snprintf(rel, sizeof rel, "dcap/%s", TDX_CASE);
  char *dir = test_path(VEC, rel);
  const struct {
    const char *at;
    long status;
  } cases[] = {{"2025-07-04T10:00:00Z", 200}, {"2025-07-20T00:00:00Z", 503}};
  for (size_t i = 0; i < 2; i++) {
    srv s;
    srv_init(&s);
    const char *args[] = {"--collateral", dir, "--at", cases[i].at, NULL};
    assert_int_equal(srv_start(&s, args), 0);
    char *body = NULL;
    assert_int_equal(http(&s, "GET", "/readyz", NULL, NULL, 0, &body), cases[i].status);
    json_t *r = json_loads(body, 0, NULL);
    assert_non_null(r);
    free(body);
    if (cases[i].status == 200) {
      expect_tee(r, "tdx", 1, "directory", NULL);
    } else {
      expect_tee(r, "tdx", 0, "", "collateral_expired");
      assert_string_equal(json_string_value(json_object_get(r, "error")), "no_tee_verifiable");
    }
    expect_tee(r, "sgx", 0, "", "collateral_missing"); /* the folder's TCB Info is TDX's */
    expect_tee(r, "snp", 0, "", "collateral_missing"); /* no ark.pem */
    json_decref(r);
    assert_int_equal(srv_stop(&s), 0);
    srv_cleanup(&s);
  }
  /* an SNP vector's folder (ARK, ASK, VCEK): SNP by directory until the VCEK's notAfter
   * (2032-12-05T06:04:27Z, openssl x509 -enddate), then not, naming the expired file */
  char *snp_dir = test_path(VEC, "snp/milan-v5-gcp-teekit");
  const struct {
    const char *at;
    long status;
  } snp_cases[] = {{"2025-12-06T00:00:00Z", 200}, {"2032-12-06T00:00:00Z", 503}};
  for (size_t i = 0; i < 2; i++) {
    srv s;
    srv_init(&s);
    const char *args[] = {"--collateral", snp_dir, "--at", snp_cases[i].at, NULL};
    assert_int_equal(srv_start(&s, args), 0);
    char *body = NULL;
    assert_int_equal(http(&s, "GET", "/readyz", NULL, NULL, 0, &body), snp_cases[i].status);
    json_t *r = json_loads(body, 0, NULL);
    free(body);
    if (snp_cases[i].status == 200) {
      expect_tee(r, "snp", 1, "directory", NULL);
    } else {
      expect_tee(r, "snp", 0, "", "collateral_expired");
      assert_non_null(
          strstr(json_string_value(json_object_get(tee_of(r, "snp"), "detail")), "vcek.der"));
    }
    expect_tee(r, "tdx", 0, "", "collateral_missing"); /* no tcb_info.json */
    json_decref(r);
    assert_int_equal(srv_stop(&s), 0);
    srv_cleanup(&s);
  }
  free(snp_dir);
  srv s;
  srv_init(&s);
  const char *bad[] = {"--collateral", dir, "--require-tee", "snpp", NULL};
  assert_int_not_equal(srv_start(&s, bad), 0);
  srv_cleanup(&s);
  free(dir);
}

/* ---- overlays/pccs: a PCCS with its own CA ---- */

static void sh(const char *cmd) {
  if (system(cmd) != 0)
    fail_msg("command failed: %s", cmd);
}

/* CA <name>.ca.crt and a server certificate for IP 127.0.0.1 (<name>.crt, <name>.key) in
 * KUBE, with the openssl CLI. */
static void make_pki(const char *name) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
           "-days 2 -subj '/CN=%s test CA' -keyout %s.ca.key -out %s.ca.crt "
           "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign "
           "2>/dev/null && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
           "-subj '/CN=127.0.0.1' -keyout %s.key -out %s.csr 2>/dev/null && "
           "printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > %s.ext && "
           "openssl x509 -req -in %s.csr -CA %s.ca.crt -CAkey %s.ca.key -CAcreateserial -days 2 "
           "-extfile %s.ext -out %s.crt 2>/dev/null",
           KUBE, name, name, name, name, name, name, name, name, name, name, name);
  sh(cmd);
}

static char *kube_text(const char *file) {
  char p[700];
  snprintf(p, sizeof p, "%s/%s", KUBE, file);
  tc_buf b = test_read_file(p);
  char *t = strndup((const char *)b.data, b.len);
  tc_buf_free(&b);
  return t;
}

/* The TDX case through overlays/pccs against a PCCS whose certificate comes from `pki`;
 * the ConfigMap teectl-pccs-ca always holds the CA of "pccs". */
static void pccs_case(const char *pki, long want_status) {
  const char *name = "tdx-v4-phala-b0c06f000000";
  char *crt = kube_text(strcmp(pki, "pccs") ? "other.crt" : "pccs.crt");
  char *key = kube_text(strcmp(pki, "pccs") ? "other.key" : "pccs.key");
  ts_server *pccs = ts_start_tls(crt, key);
  json_t *exp = expected("dcap", name);
  tc_buf ev = vec("dcap", name, "quote.bin");
  char uri[512];
  serve_dcap(pccs, name, &ev, uri);
  deployment d;
  deployment_lay_out(&d, "overlays/pccs");
  /* the rendered config names the PCCS and the mounted CA */
  const json_t *cm = find_doc(d.docs, "ConfigMap", "teectl-attestation-config");
  json_t *cfg = json_loads(
      json_string_value(json_object_get(json_object_get(cm, "data"), "config.json")), 0, NULL);
  assert_non_null(json_object_get(cfg, "pcs-url"));
  assert_string_equal(json_string_value(json_object_get(cfg, "pcs-ca-file")),
                      "/etc/teectl/pccs-ca/ca.crt");
  json_decref(cfg);
  deployment_start(&d, ts_base(STANDIN), ts_base(pccs),
                   json_string_value(json_object_get(exp, "verify_at")));
  json_t *resp = NULL;
  long st = attest(&d, "tdx", &ev, &resp);
  char *t = json_dumps(resp, JSON_COMPACT);
  print_message("pccs (%s CA): %ld %.300s\n", pki, st, t ? t : "(no JSON)");
  free(t);
  assert_int_equal(st, want_status);
  if (want_status == 200) {
    assert_true(ts_count(pccs, uri) > 0);
    json_t *claims = check_es256(json_string_value(json_object_get(resp, "token")));
    json_decref(claims);
  } else {
    /* the TLS handshake failed: nothing was served, no token */
    assert_int_equal(ts_count(pccs, uri), 0);
    assert_string_equal(json_string_value(json_object_get(resp, "error")), "evidence_invalid");
    assert_null(json_object_get(resp, "token"));
  }
  json_decref(resp);
  deployment_stop(&d);
  ts_stop(pccs);
  tc_buf_free(&ev);
  json_decref(exp);
  free(crt);
  free(key);
}

static void test_pccs_overlay(void **state) {
  (void)state;
  char tools_yaml[700];
  snprintf(tools_yaml, sizeof tools_yaml, "%s/node_modules/yaml", TOOLS ? TOOLS : "");
  struct stat sb;
  if (TOOLS == NULL || stat(tools_yaml, &sb) != 0 || system("command -v node >/dev/null") != 0) {
    if (getenv("CI") && !strcmp(getenv("CI"), "true"))
      fail_msg("node or the deploy tools (%s) are missing", tools_yaml);
    skip();
  }
  make_pki("pccs");
  make_pki("other");
  char dir[700];
  snprintf(dir, sizeof dir, "%s/configmap/teectl-pccs-ca", KUBE);
  mkdirs(dir);
  char cmd[2000];
  snprintf(cmd, sizeof cmd, "cp '%s/pccs.ca.crt' '%s/ca.crt'", KUBE, dir);
  sh(cmd);
  pccs_case("pccs", 200);
  pccs_case("other", 403);
}

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i++) {
    if (!strcmp(argv[i], "--deploy"))
      DEPLOY = argv[i + 1];
    if (!strcmp(argv[i], "--tools"))
      TOOLS = argv[i + 1];
  }
  if (DEPLOY == NULL) {
    fprintf(stderr, "usage: %s --deploy DIR\n", argv[0]);
    return 2;
  }
  VEC = test_vectors_dir(argc, argv, NULL);
  if (system("command -v openssl >/dev/null") != 0) {
    fprintf(stderr, "openssl is needed by make-secrets.sh\n");
    return 1;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_make_secrets),  cmocka_unit_test(test_snp),
      cmocka_unit_test(test_tdx),           cmocka_unit_test(test_sgx),
      cmocka_unit_test(test_readyz_fetch),  cmocka_unit_test(test_readyz_require_tee),
      cmocka_unit_test(test_readyz_folder), cmocka_unit_test(test_pccs_overlay),
  };
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  curl_global_cleanup();
  return rc;
}
