/* SPDX-License-Identifier: Apache-2.0 */
/* Benchmark of the key broker: full round trips (POST /kbs/v0/auth, POST /kbs/v0/attest with
 * SNP evidence bound to the challenge, GET /kbs/v0/resource -> JWE) per second over HTTP on
 * loopback against an in-process `teectl serve --resources`, with as many client threads as
 * online cores, printed as a ratio to the in-process verify rate (tc_verify_evidence, one
 * thread) of the same kind of evidence measured in the same run. The client's own work
 * (signing a report per round, building the agent's JSON form) is part of the round trip,
 * as it would be for a guest.
 * The service's audit lines are discarded while it runs.
 * Usage: bench_kbs [--seconds S] */
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <jose/jose.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "snp_forge.h"
#include "teectl/file.h"
#include "teectl/kbs.h"
#include "teectl/service.h"
#include "teectl/snp.h"

static double g_seconds = 2.0;
static snp_forge *g_forge;
static tc_snp_report g_report;
static json_t *g_pub;
static unsigned g_port;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The attestation-agent's JSON form of a Milan/Genoa version 3 report (sev crate serde). */
static json_t *bytes(const uint8_t *p, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_integer(p[i]));
  return a;
}
static json_t *tcb(const uint8_t *p) {
  return json_pack("{s:n,s:i,s:i,s:i,s:i}", "fmc", "bootloader", p[0], "tee", p[1], "snp", p[6],
                   "microcode", p[7]);
}
static json_t *ver(const uint8_t *p) {
  return json_pack("{s:i,s:i,s:i}", "major", p[2], "minor", p[1], "build", p[0]);
}
static json_t *serde(const uint8_t *r) {
  json_t *o = json_pack(
      "{s:I,s:I,s:I,s:o,s:o,s:I,s:I,s:o,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:i,s:i,s:i,s:o,"
      "s:o,s:o,s:o,s:o}",
      "version", (json_int_t)tc_le32(r), "guest_svn", (json_int_t)tc_le32(r + 4), "policy",
      (json_int_t)tc_le64(r + 8), "family_id", bytes(r + 0x10, 16), "image_id", bytes(r + 0x20, 16),
      "vmpl", (json_int_t)tc_le32(r + 0x30), "sig_algo", (json_int_t)tc_le32(r + 0x34),
      "current_tcb", tcb(r + 0x38), "plat_info", (json_int_t)tc_le64(r + 0x40), "key_info",
      (json_int_t)tc_le32(r + 0x48), "report_data", bytes(r + 0x50, 64), "measurement",
      bytes(r + 0x90, 48), "host_data", bytes(r + 0xC0, 32), "id_key_digest", bytes(r + 0xE0, 48),
      "author_key_digest", bytes(r + 0x110, 48), "report_id", bytes(r + 0x140, 32), "report_id_ma",
      bytes(r + 0x160, 32), "reported_tcb", tcb(r + 0x180), "cpuid_fam_id", r[0x188],
      "cpuid_mod_id", r[0x189], "cpuid_step", r[0x18A], "chip_id", bytes(r + 0x1A0, 64),
      "committed_tcb", tcb(r + 0x1E0), "current", ver(r + 0x1E8), "committed", ver(r + 0x1EC),
      "launch_tcb", tcb(r + 0x1F0));
  json_object_set_new(o, "signature",
                      json_pack("{s:o,s:o}", "r", bytes(r + 0x2A0, 72), "s", bytes(r + 0x2E8, 72)));
  const tc_buf *leaf = snp_forge_leaf_der(g_forge);
  return json_pack("{s:o,s:[{s:s,s:o}]}", "attestation_report", o, "cert_chain", "cert_type",
                   "VCEK", "data", bytes(leaf->data, leaf->len));
}

struct body {
  char *p;
  size_t n;
};
static size_t collect(char *d, size_t s, size_t n, void *u) {
  struct body *b = u;
  char *q = realloc(b->p, b->n + s * n + 1);
  if (!q)
    return 0;
  memcpy(q + b->n, d, s * n);
  b->p = q;
  b->n += s * n;
  b->p[b->n] = '\0';
  return s * n;
}

static long call(CURL *c, const char *path, const char *post, struct body *out) {
  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%u%s", g_port, path);
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  free(out->p);
  out->p = NULL;
  out->n = 0;
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, post ? h : NULL);
  curl_easy_setopt(c, CURLOPT_HTTPGET, post ? 0L : 1L);
  if (post)
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
  long code = 0;
  if (curl_easy_perform(c) == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(h);
  return code;
}

/* One full round trip; 1 on success. */
static int round_trip(CURL *c) {
  struct body b = {0};
  curl_easy_setopt(c, CURLOPT_COOKIELIST, "ALL");
  int ok = call(c, "/kbs/v0/auth",
                "{\"version\":\"0.4.0\",\"tee\":\"snp\",\"extra-params\":{\"supported-hash-"
                "algorithms\":[\"sha384\"]}}",
                &b) == 200;
  json_t *ch = ok ? json_loads(b.p, 0, NULL) : NULL;
  const char *nonce = json_string_value(json_object_get(ch, "nonce"));
  tc_snp_report r = g_report;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  ok = ok && nonce &&
       tc_kbs_runtime_data_digest(TC_KBS_SHA384, nonce, g_pub, "", r.report_data, NULL) == TC_OK &&
       snp_forge_sign_report(g_forge, &r, rep) == 0;
  char *msg = NULL;
  if (ok) {
    json_t *m = json_pack("{s:n,s:{s:s,s:O},s:{s:o,s:s}}", "init-data", "runtime-data", "nonce",
                          nonce, "tee-pubkey", g_pub, "tee-evidence", "primary_evidence",
                          serde(rep), "additional_evidence", "");
    msg = json_dumps(m, JSON_COMPACT);
    json_decref(m);
  }
  ok = ok && msg && call(c, "/kbs/v0/attest", msg, &b) == 200 &&
       call(c, "/kbs/v0/resource/default/app/key", NULL, &b) == 200 &&
       strstr(b.p, "\"ciphertext\"") != NULL;
  free(msg);
  json_decref(ch);
  free(b.p);
  return ok;
}

static double g_stop;
static long g_done[64];

static void *client(void *arg) {
  long i = (long)arg;
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_COOKIEFILE, "");
  while (now_s() < g_stop) {
    if (!round_trip(c)) {
      fprintf(stderr, "bench_kbs: a round trip failed\n");
      exit(1);
    }
    g_done[i]++;
  }
  curl_easy_cleanup(c);
  return NULL;
}

static void put(const char *dir, const char *name, const void *d, size_t n) {
  char p[512];
  tc_error err;
  snprintf(p, sizeof p, "%s/%s", dir, name);
  if (tc_file_write_atomic(p, d, n, &err) != TC_OK) {
    fprintf(stderr, "bench_kbs: %s\n", err.detail);
    exit(1);
  }
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      g_seconds = atof(argv[++i]);
  snp_forge_opts o;
  snp_forge_opts_init(&o, TC_SNP_GENOA, 0);
  g_forge = snp_forge_new(&o);
  snp_forge_report_init(g_forge, 3, &g_report);
  json_t *priv = json_pack("{s:s,s:s}", "kty", "EC", "crv", "P-256");
  jose_jwk_gen(NULL, priv);
  g_pub = json_pack("{s:s,s:s,s:s,s:O,s:O}", "kty", "EC", "crv", "P-256", "alg", "ECDH-ES+A256KW",
                    "x", json_object_get(priv, "x"), "y", json_object_get(priv, "y"));
  char dir[] = "/tmp/bench-kbs-XXXXXX";
  if (!g_forge || !mkdtemp(dir))
    return 1;
  const tc_buf *ark = snp_forge_ark_pem(g_forge), *ask = snp_forge_ask_pem(g_forge);
  char p[600];
  snprintf(p, sizeof p, "%s/col", dir);
  mkdir(p, 0700);
  put(dir, "col/ark.pem", ark->data, ark->len);
  put(dir, "col/ask.pem", ask->data, ask->len);
  snprintf(p, sizeof p, "%s/res", dir);
  mkdir(p, 0700);
  snprintf(p, sizeof p, "%s/res/default", dir);
  mkdir(p, 0700);
  snprintf(p, sizeof p, "%s/res/default/app", dir);
  mkdir(p, 0700);
  put(dir, "res/default/app/key", "bench secret", 12);
  const char *pol = "{\"resources\":[{\"path\":\"default/app/*\",\"min_status\":\"warning\"}]}";
  put(dir, "policy.json", pol, strlen(pol));

  /* 1. in-process verify rate, one thread, the same kind of report with the same chain */
  uint8_t rep[TC_SNP_REPORT_SIZE];
  snp_forge_sign_report(g_forge, &g_report, rep);
  tc_collateral col = {0};
  snp_forge_collateral(g_forge, &col);
  double t0 = now_s(), t;
  long n = 0;
  do {
    json_t *res = NULL;
    if (tc_verify_evidence(TC_TEE_SNP, rep, sizeof rep, &col, o.at, &res, NULL) != TC_OK)
      return fprintf(stderr, "bench_kbs: the report does not verify\n"), 1;
    json_decref(res);
    n++;
  } while ((t = now_s() - t0) < g_seconds);
  double verify_rate = (double)n / t;

  /* 2. the server, in process, and one client thread per core */
  char root[600], colp[600], res[600], polp[600];
  snprintf(root, sizeof root, "%s/col/ark.pem", dir);
  snprintf(colp, sizeof colp, "%s/col", dir);
  snprintf(res, sizeof res, "%s/res", dir);
  snprintf(polp, sizeof polp, "%s/policy.json", dir);
  tc_service_options so;
  tc_service_options_init(&so);
  so.listen = "127.0.0.1:0";
  so.trust_roots[0] = root;
  so.n_trust_roots = 1;
  so.collateral_dir = colp;
  so.resources_dir = res;
  so.policy = polp;
  so.auth_rate = 1000000;
  so.at = o.at;
  so.has_at = 1;
  tc_service *svc = NULL;
  tc_error err;
  /* the service's audit records (one JSON line per request on stdout) are not the report */
  fflush(stdout);
  int saved_stdout = dup(1), devnull = open("/dev/null", O_WRONLY);
  dup2(devnull, 1);
  if (tc_service_start(&so, &svc, &err) != TC_OK)
    return fprintf(stderr, "bench_kbs: %s\n", err.detail), 1;
  g_port = tc_service_port(svc);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  int threads = cores < 1 ? 1 : cores > 64 ? 64 : (int)cores;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  pthread_t th[64];
  g_stop = now_s() + g_seconds;
  t0 = now_s();
  for (long i = 0; i < threads; i++)
    pthread_create(&th[i], NULL, client, (void *)i);
  long total = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(th[i], NULL);
    total += g_done[i];
  }
  double rt_rate = (double)total / (now_s() - t0);
  tc_service_stop(svc);
  dup2(saved_stdout, 1);
  close(saved_stdout);
  close(devnull);
  printf("bench_kbs (%ld cores, %d client threads, %.1f s each)\n", cores, threads, g_seconds);
  printf("  in-process SNP verify (1 thread):          %8.1f /s\n", verify_rate);
  printf("  KBS auth+attest+resource over HTTP:        %8.1f /s\n", rt_rate);
  printf("  ratio round trips / in-process verify:     %8.2f (aim >= 0.6)\n",
         rt_rate / verify_rate);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    return 1;
  json_decref(priv);
  json_decref(g_pub);
  snp_forge_free(g_forge);
  curl_global_cleanup();
  return 0;
}
