/* SPDX-License-Identifier: Apache-2.0 */
/* Operations of `teectl serve`: command line contract (help, one-line usage errors, exit
 * codes), refusal of plain HTTP on a non-loopback address, HTTPS with --tls-cert/--tls-key
 * (certificate made here with OpenSSL, checked by libcurl against it), graceful SIGTERM
 * drain of an in-flight request, the idle-connection timeout, the connection limit, and
 * the config file (flags win). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "testlib.h"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Run `teectl serve ARGS` expecting it to exit by itself within 10 s; returns the exit
 * code and the captured stdout+stderr (malloc'd). */
static int run(const char *const *args, char **out) {
  char path[256];
  int fd = test_mkstemp("teectl-ops", path, sizeof path);
  assert_true(fd >= 0);
  const char *argv[32];
  int n = 0;
  argv[n++] = test_teectl_bin();
  argv[n++] = "serve";
  for (int i = 0; args[i] && n < 31; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  int st = -1, code = -1;
  for (int i = 0; i < 500; i++) {
    if (waitpid(pid, &st, WNOHANG) == pid) {
      code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      break;
    }
    sleep_ms(20);
  }
  if (code == -1) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
  close(fd);
  tc_buf b = test_read_file(path);
  unlink(path);
  *out = malloc(b.len + 1);
  memcpy(*out, b.data, b.len);
  (*out)[b.len] = '\0';
  tc_buf_free(&b);
  return code;
}

static int count_lines(const char *s) {
  int n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

static void test_cli_contract(void **state) {
  (void)state;
  char *out;
  const char *help[] = {"--help", NULL};
  assert_int_equal(run(help, &out), 0);
  assert_non_null(strstr(out, "Usage: teectl serve"));
  assert_non_null(strstr(out, "--test-no-nonce"));
  free(out);
  const struct {
    const char *args[6];
    int code;
    const char *needle;
  } cases[] = {
      {{"--bogus", NULL}, 2, "unknown option '--bogus'"},
      {{"--listen", NULL}, 2, "needs a value"},
      {{"extra-arg", NULL}, 2, "unexpected argument"},
      {{"--token-ttl", "0", NULL}, 2, "--token-ttl"},
      {{"--max-body-bytes", "12x", NULL}, 2, "--max-body-bytes"},
      {{"--at", "yesterday", NULL}, 2, "RFC 3339"},
      {{"--kds-url", "http://x", NULL}, 2, "go with --fetch"},
      {{"--pcs-ca-file", "/etc/hostname", NULL}, 2, "go with --fetch"},
      {{"--fetch", "--offline", "--pcs-ca-file", "/nonexistent/ca.pem", NULL},
       2,
       "ca_file_unreadable"},
      {{"--fetch", "--offline", "--pcs-ca-file", "/etc/hostname", NULL}, 2, "ca_file_invalid"},
      {{"--listen", "0.0.0.0:0", NULL}, 2, "insecure_http_refused"},
      {{"--listen", "nonsense", NULL}, 2, "bad_listen_address"},
      {{"--config", "/nonexistent/teectl.json", NULL}, 2, "file_unreadable"},
      {{"--policy", "/nonexistent/policy.json", NULL}, 2, "file_unreadable"},
      {{"--tls-cert", "/nonexistent/c.pem", NULL}, 2, "tls_incomplete"},
      {{"--signing-key", "/nonexistent/k.pem", NULL}, 2, "key_unreadable"},
      {{"--public-key", "/nonexistent/k.pem", NULL}, 2, "signing_key_missing"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int code = run(cases[i].args, &out);
    if (code != cases[i].code || strstr(out, cases[i].needle) == NULL)
      fail_msg("serve %s: exit %d, output: %s", cases[i].args[0], code, out);
    if (i < 3) /* usage errors: exactly one line */
      assert_int_equal(count_lines(out), 1);
    free(out);
  }
}

static void test_bad_files(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  char *out;
  char *p = srv_write(&s, "bad-policy.json", "{\"snp\": {\"allow_debugg\": false}}", 32);
  const char *a1[] = {"--policy", p, NULL};
  assert_int_equal(run(a1, &out), 2);
  assert_non_null(strstr(out, "policy_unknown_key"));
  free(out);
  free(p);
  p = srv_write(&s, "bad-config.json", "{\"listne\": \"127.0.0.1:0\"}", 25);
  const char *a2[] = {"--config", p, NULL};
  assert_int_equal(run(a2, &out), 2);
  assert_non_null(strstr(out, "config_unknown_key"));
  free(out);
  free(p);
  p = srv_write(&s, "short.key", "too short", 9);
  const char *a3[] = {"--nonce-key", p, NULL};
  assert_int_equal(run(a3, &out), 2);
  assert_non_null(strstr(out, "nonce_key_too_short"));
  free(out);
  free(p);
  srv_cleanup(&s);
}

/* Config file values apply; flags win over them. */
static void test_config_file(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  const char *cfg = "{\"listen\": \"127.0.0.1:1\", \"issuer\": \"from-config\", \"token-ttl\": 42,"
                    " \"max-body-bytes\": 2048}";
  char *p = srv_write(&s, "config.json", cfg, strlen(cfg));
  const char *args[] = {"--config", p, NULL}; /* srv_start adds --listen 127.0.0.1:0 */
  assert_int_equal(srv_start(&s, args), 0);
  assert_true(s.port != 1);
  /* max-body-bytes from the file: 3000 bytes are refused. */
  char *big = malloc(3000);
  memset(big, ' ', 3000);
  char *body = NULL;
  assert_int_equal(http(&s, "POST", "/v1/attest", "application/json", big, 3000, &body), 413);
  free(body);
  free(big);
  assert_int_equal(srv_stop(&s), 0);
  free(p);
  srv_cleanup(&s);
}

static void test_insecure_http_on_any(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  /* srv_start's --listen comes first; this later one wins (last flag). */
  const char *args[] = {"--listen", "0.0.0.0:0", "--insecure-http", NULL};
  assert_int_equal(srv_start(&s, args), 0);
  char *body = NULL;
  assert_int_equal(http(&s, "GET", "/healthz", NULL, NULL, 0, &body), 200);
  free(body);
  assert_int_equal(srv_stop(&s), 0);
  srv_cleanup(&s);
}

static void write_tls(const srv *s, char **cert_path, char **key_path) {
  EVP_PKEY *k = EVP_EC_gen("P-256");
  X509 *x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, k);
  X509_NAME *n = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1, 0);
  X509_set_issuer_name(x, n);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
  X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
  X509_add_ext(x, san, -1);
  X509_EXTENSION_free(san);
  X509_sign(x, k, EVP_sha256());
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char *d;
  long len = BIO_get_mem_data(b, &d);
  *cert_path = srv_write(s, "tls.crt", d, (size_t)len);
  BIO_free(b);
  b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
  len = BIO_get_mem_data(b, &d);
  *key_path = srv_write(s, "tls.key", d, (size_t)len);
  BIO_free(b);
  X509_free(x);
  EVP_PKEY_free(k);
}

/* --collateral must name a readable folder: a missing one, a file or an unreadable
 * folder stops the server at startup (exit 2, the flag and the OS's reason named);
 * /readyz reports the folder only when it is really loaded. */
static void test_collateral_dir_checked(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  char *out;
  const char *a1[] = {"--collateral", "/nonexistent", NULL};
  assert_int_equal(run(a1, &out), 2);
  if (strstr(out, "teectl serve: --collateral /nonexistent: No such file or directory") == NULL)
    fail_msg("output: %s", out);
  assert_non_null(strstr(out, "collateral_unreadable"));
  assert_null(strstr(out, "listening"));
  free(out);
  char *f = srv_write(&s, "not-a-folder", "x", 1);
  const char *a2[] = {"--collateral", f, NULL};
  assert_int_equal(run(a2, &out), 2);
  assert_non_null(strstr(out, "Not a directory"));
  free(out);
  free(f);
  if (geteuid() != 0) { /* root reads any folder */
    char locked[300];
    snprintf(locked, sizeof locked, "%s/locked", s.dir);
    assert_int_equal(mkdir(locked, 0), 0);
    const char *a3[] = {"--collateral", locked, NULL};
    assert_int_equal(run(a3, &out), 2);
    assert_non_null(strstr(out, "Permission denied"));
    free(out);
    rmdir(locked);
  }
  /* The real state in /readyz: false without a folder, true with a readable one. Neither
   * holds collateral, and nothing is fetched: no TEE can be verified, 503 naming why. */
  char *body = NULL;
  assert_int_equal(srv_start(&s, NULL), 0);
  assert_int_equal(http(&s, "GET", "/readyz", NULL, NULL, 0, &body), 503);
  assert_non_null(strstr(body, "\"collateral_dir\":false"));
  assert_non_null(strstr(body, "\"error\":\"no_tee_verifiable\""));
  assert_non_null(strstr(body, "\"reason\":\"collateral_source_missing\""));
  free(body);
  /* and it said so at start */
  char *text = srv_stderr(&s);
  assert_non_null(strstr(text, "WARNING: no --collateral folder and no --fetch: TDX and SGX "
                               "quotes cannot be verified"));
  assert_non_null(strstr(text, "/readyz answers 503"));
  free(text);
  assert_int_equal(srv_stop(&s), 0);
  srv s2; /* its own folder: a fresh stderr.txt for the "listening" line */
  srv_init(&s2);
  const char *a4[] = {"--collateral", s.dir, NULL};
  assert_int_equal(srv_start(&s2, a4), 0);
  assert_int_equal(http(&s2, "GET", "/readyz", NULL, NULL, 0, &body), 503);
  assert_non_null(strstr(body, "\"collateral_dir\":true"));
  assert_non_null(strstr(body, "the collateral folder has no tcb_info.json for tdx"));
  free(body);
  assert_int_equal(srv_stop(&s2), 0);
  srv_cleanup(&s2);
  srv_cleanup(&s);
}

/* Each --trust-root must parse as a certificate (PEM or DER) at startup. */
static void test_trust_root_checked(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  char *out, *cert, *key;
  write_tls(&s, &cert, &key);
  char *txt = srv_write(&s, "notes.txt", "this is not a certificate\n", 26);
  const char *a1[] = {"--trust-root", cert, "--trust-root", txt, NULL};
  assert_int_equal(run(a1, &out), 2);
  char want[400];
  snprintf(want, sizeof want, "teectl serve: --trust-root %s: not a certificate", txt);
  if (strstr(out, want) == NULL || strstr(out, "trust_root_invalid") == NULL)
    fail_msg("output: %s", out);
  free(out);
  /* A PEM certificate, and the same certificate as DER, are accepted. */
  tc_buf pem = test_read_file(cert);
  BIO *b = BIO_new_mem_buf(pem.data, (int)pem.len);
  X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
  assert_non_null(x);
  unsigned char *der = NULL;
  int dl = i2d_X509(x, &der);
  assert_true(dl > 0);
  char *derp = srv_write(&s, "root.der", der, (size_t)dl);
  const char *a2[] = {"--trust-root", cert, "--trust-root", derp, NULL};
  assert_int_equal(srv_start(&s, a2), 0);
  assert_int_equal(srv_stop(&s), 0);
  OPENSSL_free(der);
  X509_free(x);
  BIO_free(b);
  tc_buf_free(&pem);
  free(derp);
  free(txt);
  free(cert);
  free(key);
  srv_cleanup(&s);
}

static size_t sink(char *p, size_t sz, size_t n, void *ud) {
  (void)p;
  (void)ud;
  return sz * n;
}

/* --metrics-listen: /metrics answers on its own address (and is counted there), the main
 * address answers 404 for it, and the metrics address serves nothing else. */
static void test_metrics_listen(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  const char *args[] = {"--metrics-listen", "127.0.0.1:0", NULL};
  assert_int_equal(srv_start(&s, args), 0);
  char *text = srv_stderr(&s);
  /* "metrics on http://127.0.0.1:N/metrics (port N)": the port bound, twice */
  const char *m = strstr(text, "metrics on http://127.0.0.1:");
  assert_non_null(m);
  char *end = NULL;
  unsigned in_url = (unsigned)strtoul(m + strlen("metrics on http://127.0.0.1:"), &end, 10);
  assert_int_equal(strncmp(end, "/metrics (port ", 15), 0);
  srv ms = s;
  ms.port = (unsigned)strtoul(end + 15, NULL, 10);
  assert_int_equal(in_url, ms.port);
  free(text);
  assert_true(ms.port > 0 && ms.port != s.port);
  char *body = NULL;
  assert_int_equal(http(&s, "GET", "/metrics", NULL, NULL, 0, &body), 404);
  free(body);
  assert_int_equal(http(&s, "POST", "/v1/challenge", NULL, NULL, 0, &body), 200);
  free(body);
  assert_int_equal(http(&ms, "POST", "/v1/challenge", NULL, NULL, 0, &body), 404);
  free(body);
  assert_int_equal(http(&ms, "GET", "/healthz", NULL, NULL, 0, &body), 404);
  free(body);
  assert_int_equal(http(&ms, "GET", "/metrics", NULL, NULL, 0, &body), 200);
  assert_non_null(
      strstr(body, "teectl_http_requests_total{route=\"/v1/challenge\",code=\"200\"} 1"));
  assert_non_null(strstr(body, "teectl_http_requests_total{route=\"other\",code=\"404\"} 3"));
  free(body);
  assert_int_equal(srv_stop(&s), 0);
  srv_cleanup(&s);
}

static void test_https(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  char *cert, *key;
  write_tls(&s, &cert, &key);
  /* TLS on a non-loopback address needs no --insecure-http. */
  const char *args[] = {"--listen", "0.0.0.0:0", "--tls-cert", cert, "--tls-key", key, NULL};
  assert_int_equal(srv_start(&s, args), 0);
  CURL *c = curl_easy_init();
  char url[128];
  snprintf(url, sizeof url, "https://127.0.0.1:%u/healthz", s.port);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CAINFO, cert); /* verified against the test certificate */
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
  assert_int_equal(curl_easy_perform(c), CURLE_OK);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  assert_int_equal(code, 200);
  curl_easy_cleanup(c);
  /* Plain HTTP to the TLS port gets no HTTP answer. */
  char *body = NULL;
  assert_int_equal(http(&s, "GET", "/healthz", NULL, NULL, 0, &body), 0);
  free(body);
  assert_int_equal(srv_stop(&s), 0);
  free(cert);
  free(key);
  srv_cleanup(&s);
}

static void test_sigterm_drains_inflight(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  const char *args[] = {"--drain-timeout", "5", NULL};
  assert_int_equal(srv_start(&s, args), 0);
  /* A request whose body is still arriving when SIGTERM comes. */
  int fd = srv_connect(&s);
  const char *head = "POST /v1/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                     "Connection: close\r\n\r\n{}";
  assert_int_equal(send(fd, head, strlen(head), 0), (ssize_t)strlen(head));
  sleep_ms(200);
  kill(s.pid, SIGTERM);
  sleep_ms(300);
  /* New connections are refused while draining... */
  int fd2 = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)s.port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_not_equal(connect(fd2, (struct sockaddr *)&a, sizeof a), 0);
  close(fd2);
  /* ... the in-flight one completes. */
  assert_int_equal(send(fd, "  ", 2, 0), 2);
  char buf[2048];
  long n = srv_read_all(fd, buf, sizeof buf, 5000);
  close(fd);
  assert_true(n > 0);
  assert_non_null(strstr(buf, "HTTP/1.1 200"));
  assert_non_null(strstr(buf, "\"nonce\""));
  /* ... and the process exits 0. */
  int st = 0;
  for (int i = 0; i < 250 && waitpid(s.pid, &st, WNOHANG) != s.pid; i++)
    sleep_ms(20);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  s.pid = 0;
  srv_cleanup(&s);
}

static void test_idle_timeout(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  const char *args[] = {"--connection-timeout", "1", NULL};
  assert_int_equal(srv_start(&s, args), 0);
  /* Slow client: half a request line, then nothing: closed after ~1 s. */
  int slow = srv_connect(&s);
  assert_int_equal(send(slow, "GET /hea", 8, 0), 8);
  char buf[1024];
  time_t t0 = time(NULL);
  long n = srv_read_all(slow, buf, sizeof buf, 4000);
  assert_true(n >= 0); /* closed by the server, not still open after 4 s */
  assert_true(time(NULL) - t0 <= 3);
  close(slow);
  assert_int_equal(srv_stop(&s), 0);
  srv_cleanup(&s);
}

/* The Content-Type of each route, as docs/service.md lists them: JSON everywhere except
 * the JWKS (application/jwk-set+json, RFC 7517 section 8.5.1), /metrics (Prometheus text)
 * and the compat /health (text). */
static void test_content_types(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  assert_int_equal(srv_start(&s, NULL), 0);
  const struct {
    const char *method, *path, *ctype;
  } cases[] = {
      {"GET", "/.well-known/jwks.json", "application/jwk-set+json"},
      {"GET", "/healthz", "application/json"},
      {"GET", "/readyz", "application/json"},
      {"POST", "/v1/challenge", "application/json"},
      {"GET", "/nowhere", "application/json"},
      {"GET", "/metrics", "text/plain; version=0.0.4; charset=utf-8"},
      {"GET", "/health", "text/plain; charset=utf-8"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int fd = srv_connect(&s);
    char req[256], buf[16384], want[128];
    snprintf(req, sizeof req,
             "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
             cases[i].method, cases[i].path);
    assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
    long n = srv_read_all(fd, buf, sizeof buf - 1, 5000);
    close(fd);
    assert_true(n > 0);
    buf[n] = '\0';
    snprintf(want, sizeof want, "\r\nContent-Type: %s\r\n", cases[i].ctype);
    if (strstr(buf, want) == NULL)
      fail_msg("%s %s: no '%s' in:\n%s", cases[i].method, cases[i].path, cases[i].ctype, buf);
  }
  assert_int_equal(srv_stop(&s), 0);
  srv_cleanup(&s);
}

static void test_body_trickle_dropped(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  const char *args[] = {"--request-timeout", "1", "--connection-timeout", "5", NULL};
  assert_int_equal(srv_start(&s, args), 0);
  int fd = srv_connect(&s);
  const char *head = "POST /v1/attest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: 100\r\n\r\n{";
  assert_int_equal(send(fd, head, strlen(head), 0), (ssize_t)strlen(head));
  /* One byte every 200 ms: never idle for 5 s, but the body takes 20 s. */
  int closed_after_ms = -1;
  for (int t = 0; t < 5000; t += 200) {
    sleep_ms(200);
    struct pollfd p = {fd, POLLIN, 0};
    char b[256];
    if (poll(&p, 1, 0) > 0 && recv(fd, b, sizeof b, MSG_DONTWAIT) <= 0) {
      closed_after_ms = t + 200;
      break;
    }
    if (send(fd, " ", 1, MSG_NOSIGNAL) != 1) {
      closed_after_ms = t + 200;
      break;
    }
  }
  close(fd);
  print_message("trickling upload closed after %d ms\n", closed_after_ms);
  assert_true(closed_after_ms >= 800 && closed_after_ms <= 3000);
  char *body = NULL;
  assert_int_equal(http(&s, "GET", "/metrics", NULL, NULL, 0, &body), 200);
  assert_non_null(strstr(body, "teectl_http_requests_total{route=\"/v1/attest\",code=\"408\"} 1"));
  free(body);
  assert_int_equal(srv_stop(&s), 0);
  srv_cleanup(&s);
}

static void test_connection_limit(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  /* One worker thread: libmicrohttpd splits the limit between the pool's threads. */
  const char *args[] = {"--max-connections", "2", "--threads", "1", NULL};
  assert_int_equal(srv_start(&s, args), 0);
  /* Two idle connections fill the limit; a third is not served while they last. */
  int a = srv_connect(&s), b = srv_connect(&s);
  sleep_ms(100);
  int c = srv_connect(&s);
  const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  send(c, req, strlen(req), MSG_NOSIGNAL);
  char buf[1024];
  long n = srv_read_all(c, buf, sizeof buf, 1500);
  assert_true(n <= 0 || strstr(buf, "200 OK") == NULL);
  /* Once one of them is gone, the waiting one is served. */
  close(a);
  n = srv_read_all(c, buf, sizeof buf, 3000);
  assert_true(n > 0);
  assert_non_null(strstr(buf, "200 OK"));
  close(c);
  close(b);
  assert_int_equal(srv_stop(&s), 0);
  srv_cleanup(&s);
}

static void test_port_in_use(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  assert_int_equal(srv_start(&s, NULL), 0);
  char listen[64], *out;
  snprintf(listen, sizeof listen, "127.0.0.1:%u", s.port);
  const char *args[] = {"--listen", listen, NULL};
  assert_int_equal(run(args, &out), 1);
  /* One clear line from teectl (besides the development-mode warnings), with the system's
   * reason; nothing from libmicrohttpd's own log. */
  char want[160];
  snprintf(want, sizeof want,
           "teectl serve: could not start the HTTP server on %s: Address already in use "
           "(listen_failed)\n",
           listen);
  if (strstr(out, want) == NULL || strstr(out, "Failed to bind") != NULL ||
      strstr(out, "libmicrohttpd") != NULL)
    fail_msg("output: %s", out);
  int lines = 0;
  for (const char *l = out; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
    lines += strncmp(l, "teectl serve: WARNING:", 22) != 0;
  assert_int_equal(lines, 1);
  free(out);
  assert_int_equal(srv_stop(&s), 0);
  srv_cleanup(&s);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cli_contract),
      cmocka_unit_test(test_bad_files),
      cmocka_unit_test(test_config_file),
      cmocka_unit_test(test_insecure_http_on_any),
      cmocka_unit_test(test_https),
      cmocka_unit_test(test_metrics_listen),
      cmocka_unit_test(test_sigterm_drains_inflight),
      cmocka_unit_test(test_idle_timeout),
      cmocka_unit_test(test_body_trickle_dropped),
      cmocka_unit_test(test_connection_limit),
      cmocka_unit_test(test_port_in_use),
      cmocka_unit_test(test_collateral_dir_checked),
      cmocka_unit_test(test_trust_root_checked),
      cmocka_unit_test(test_content_types),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
