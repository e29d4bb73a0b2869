/* SPDX-License-Identifier: Apache-2.0 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#ifndef CHECK_TOKEN_PY
#error "CHECK_TOKEN_PY must name tests/service/check_token.py"
#endif

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

void srv_init(srv *s) {
  memset(s, 0, sizeof *s);
  test_mkdtemp("teectl-svc", s->dir, sizeof s->dir);
}

const char *srv_path(const srv *s, const char *name) {
  static char buf[512];
  snprintf(buf, sizeof buf, "%s/%s", s->dir, name);
  return buf;
}

char *srv_stderr(const srv *s) {
  tc_buf log = test_read_file(srv_path(s, "stderr.txt"));
  char *text = strndup((const char *)log.data, log.len);
  tc_buf_free(&log);
  return text;
}

char *srv_write(const srv *s, const char *name, const void *data, size_t len) {
  char *p = strdup(srv_path(s, name));
  char tmp[600];
  snprintf(tmp, sizeof tmp, "%s.tmp", p);
  FILE *f = fopen(tmp, "wb");
  if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0 || rename(tmp, p) != 0) {
    fprintf(stderr, "cannot write %s\n", p);
    exit(1);
  }
  return p;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  size_t cap = 4096, n = 0;
  char *b = malloc(cap);
  size_t r;
  while ((r = fread(b + n, 1, cap - n - 1, f)) > 0) {
    n += r;
    if (cap - n < 2) {
      cap *= 2;
      b = realloc(b, cap);
    }
  }
  fclose(f);
  b[n] = '\0';
  return b;
}

int srv_start(srv *s, const char *const *args) {
  const char *bin = test_teectl_bin();
  if (bin == NULL) {
    fprintf(stderr, "TEECTL_BIN is not set\n");
    return -1;
  }
  const char *argv[64];
  int n = 0;
  argv[n++] = bin;
  argv[n++] = "serve";
  argv[n++] = "--listen";
  argv[n++] = "127.0.0.1:0";
  argv[n++] = "--threads";
  argv[n++] = "2";
  for (int i = 0; args && args[i] && n < 62; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  char out[512], err[512];
  snprintf(out, sizeof out, "%s/audit.jsonl", s->dir);
  snprintf(err, sizeof err, "%s/stderr.txt", s->dir);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    /* a test that stops on a failed assertion never reaches srv_stop: the server ends with
     * the test process instead of running on */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
      _exit(127);
    int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fo < 0 || fe < 0)
      _exit(127);
    dup2(fo, 1);
    dup2(fe, 2);
    execv(bin, (char *const *)argv);
    _exit(127);
  }
  s->pid = pid;
  for (int i = 0; i < 2000; i++) { /* 10 s */
    char *text = slurp(err);
    const char *l = text ? strstr(text, "listening on") : NULL;
    const char *p = l ? strstr(l, " (port ") : NULL;
    char *end = NULL;
    unsigned long port = p ? strtoul(p + 7, &end, 10) : 0;
    if (p != NULL && end != NULL && strncmp(end, ")\n", 2) == 0 && port > 0 && port < 65536) {
      s->port = (unsigned)port; /* the whole line is there: the number is complete */
      free(text);
      return 0;
    }
    free(text);
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid) {
      s->pid = 0;
      char *e = slurp(err);
      fprintf(stderr, "server exited early (status %d):\n%s\n", st, e ? e : "");
      free(e);
      return -1;
    }
    sleep_ms(5);
  }
  fprintf(stderr, "server did not start listening within 10 s\n");
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  s->pid = 0;
  return -1;
}

static void print_server_stderr(const srv *s) {
  char path[512], line[1024];
  snprintf(path, sizeof path, "%s/stderr.txt", s->dir);
  FILE *f = fopen(path, "r");
  for (int n = 0; f != NULL && n < 200 && fgets(line, sizeof line, f) != NULL; n++)
    fprintf(stderr, "  | %s", line);
  if (f != NULL)
    fclose(f);
}

int srv_stop(srv *s) {
  if (s->pid <= 0)
    return -1;
  kill(s->pid, SIGTERM);
  int st = 0;
  for (int i = 0; i < 2000; i++) {
    if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
      s->pid = 0;
      if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
      /* Leave the evidence in the test log: how it ended and what the server said. */
      if (WIFSIGNALED(st))
        fprintf(stderr, "server ended by signal %d; its stderr:\n", WTERMSIG(st));
      else
        fprintf(stderr, "server exited %d; its stderr:\n", WEXITSTATUS(st));
      print_server_stderr(s);
      return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    sleep_ms(5);
  }
  fprintf(stderr, "server did not stop within 10 s of SIGTERM; its stderr:\n");
  print_server_stderr(s);
  kill(s->pid, SIGKILL);
  waitpid(s->pid, NULL, 0);
  s->pid = 0;
  return -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path) == 0 ? 0 : 0; /* best effort: keep going */
}

void srv_cleanup(srv *s) {
  if (s->pid > 0)
    srv_stop(s);
  if (s->dir[0] != '\0')
    nftw(s->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct grow {
  char *p;
  size_t n;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud) {
  struct grow *g = ud;
  size_t add = size * nmemb;
  char *q = realloc(g->p, g->n + add + 1);
  if (q == NULL)
    return 0;
  memcpy(q + g->n, ptr, add);
  g->n += add;
  q[g->n] = '\0';
  g->p = q;
  return add;
}

long http(const srv *s, const char *method, const char *path, const char *ctype, const char *data,
          size_t len, char **body) {
  CURL *c = curl_easy_init();
  if (c == NULL)
    return 0;
  char url[512];
  snprintf(url, sizeof url, "http://127.0.0.1:%u%s", s->port, path);
  struct grow g = {calloc(1, 1), 0};
  struct curl_slist *h = NULL;
  h = curl_slist_append(h, "Expect:");
  if (ctype != NULL) {
    char line[256];
    snprintf(line, sizeof line, "Content-Type: %s", ctype);
    h = curl_slist_append(h, line);
  }
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (data != NULL) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  } else if (strcmp(method, "POST") == 0) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &g);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  long status = 0;
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  else
    fprintf(stderr, "curl %s %s: %s\n", method, path, curl_easy_strerror(rc));
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  if (body != NULL)
    *body = g.p;
  else
    free(g.p);
  return status;
}

long http_json(const srv *s, const char *path, json_t *req, json_t **resp) {
  char *text = json_dumps(req, JSON_COMPACT);
  json_decref(req);
  char *body = NULL;
  long st = http(s, "POST", path, "application/json", text, strlen(text), &body);
  free(text);
  *resp = json_loads(body ? body : "", 0, NULL);
  if (*resp == NULL)
    fprintf(stderr, "answer to %s is not JSON: %s\n", path, body ? body : "(none)");
  free(body);
  return st;
}

const char *resp_error(const json_t *resp) {
  const char *e = json_string_value(json_object_get(resp, "error"));
  return e ? e : "";
}

int check_token(const srv *s, const char *token, json_t *expect) {
  char *jwks = NULL;
  if (http(s, "GET", "/.well-known/jwks.json", NULL, NULL, 0, &jwks) != 200) {
    free(jwks);
    json_decref(expect);
    return -1;
  }
  char *jp = srv_write(s, "jwks.json", jwks, strlen(jwks));
  char *tp = srv_write(s, "token.txt", token, strlen(token));
  char *et = json_dumps(expect, JSON_COMPACT);
  char *ep = srv_write(s, "expect.json", et, strlen(et));
  json_decref(expect);
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "python3 '%s' '%s' '%s' '%s' >'%s' 2>&1", CHECK_TOKEN_PY, jp, tp, ep,
           srv_path(s, "check.out"));
  int rc = system(cmd);
  char *out = slurp(srv_path(s, "check.out"));
  if (rc != 0)
    fprintf(stderr, "check_token.py: %s\n", out ? out : "");
  free(out);
  free(jwks);
  free(jp);
  free(tp);
  free(et);
  free(ep);
  return rc == -1 ? -1 : WEXITSTATUS(rc);
}

char *b64_std(const unsigned char *data, size_t len) {
  char *out = malloc(4 * ((len + 2) / 3) + 1);
  EVP_EncodeBlock((unsigned char *)out, data, (int)len);
  return out;
}

long b64url_decode(const char *text, unsigned char *out, size_t cap) {
  size_t n = strlen(text);
  size_t padded = (n + 3) / 4 * 4;
  char *t = malloc(padded + 1);
  for (size_t i = 0; i < n; i++)
    t[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
  for (size_t i = n; i < padded; i++)
    t[i] = '=';
  t[padded] = '\0';
  unsigned char *buf = malloc(padded / 4 * 3 + 1);
  int r = EVP_DecodeBlock(buf, (unsigned char *)t, (int)padded);
  free(t);
  if (r < 0) {
    free(buf);
    return -1;
  }
  size_t len = (size_t)r - (padded - n); /* EVP_DecodeBlock counts padding as zero bytes */
  if (len > cap) {
    free(buf);
    return -1;
  }
  memcpy(out, buf, len);
  free(buf);
  return (long)len;
}

char *der_to_pem(const unsigned char *der, size_t len) {
  const unsigned char *p = der;
  X509 *x = d2i_X509(NULL, &p, (long)len);
  if (x == NULL)
    return NULL;
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char *data;
  long n = BIO_get_mem_data(b, &data);
  char *out = malloc((size_t)n + 1);
  memcpy(out, data, (size_t)n);
  out[n] = '\0';
  BIO_free(b);
  X509_free(x);
  return out;
}

/* The audit log's lines that contain needle: their number, and the first of them
 * (malloc'd) in *first when first is not NULL (NULL if none). */
static int audit_scan(const srv *s, const char *needle, char **first) {
  char *text = slurp(srv_path(s, "audit.jsonl"));
  int n = 0;
  if (first != NULL)
    *first = NULL;
  for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n"))
    if (strstr(line, needle) != NULL && n++ == 0 && first != NULL)
      *first = strdup(line);
  free(text);
  return n;
}

char *audit_line(const srv *s, const char *needle) {
  char *found;
  audit_scan(s, needle, &found);
  return found;
}

int audit_count(const srv *s, const char *needle) {
  return audit_scan(s, needle, NULL);
}

char *srv_challenge(const srv *s, unsigned char raw[SRV_NONCE_BYTES]) {
  char *body = NULL;
  if (http(s, "POST", "/v1/challenge", NULL, NULL, 0, &body) != 200) {
    free(body);
    return NULL;
  }
  json_t *j = json_loads(body, 0, NULL);
  free(body);
  const char *n = json_string_value(json_object_get(j, "nonce"));
  char *out = NULL;
  if (n != NULL && strlen(n) == SRV_NONCE_CHARS &&
      b64url_decode(n, raw, SRV_NONCE_BYTES) == SRV_NONCE_BYTES)
    out = strdup(n);
  json_decref(j);
  return out;
}

static json_t *g_batch;

void token_batch_add(const srv *s, const char *name, const char *token, json_t *expect) {
  char *jwks = NULL;
  if (g_batch == NULL)
    g_batch = json_array();
  long st = http(s, "GET", "/.well-known/jwks.json", NULL, NULL, 0, &jwks);
  json_t *j = st == 200 ? json_loads(jwks, 0, NULL) : NULL;
  free(jwks);
  json_array_append_new(g_batch, json_pack("{s:s, s:o*, s:s, s:o}", "name", name, "jwks", j,
                                           "token", token ? token : "", "expect", expect));
}

int token_batch_run(void) {
  char dir[256];
  test_mkdtemp("teectl-tokens", dir, sizeof dir);
  char file[300], out[300], cmd[2048];
  snprintf(file, sizeof file, "%s/batch.json", dir);
  snprintf(out, sizeof out, "%s/out.txt", dir);
  if (g_batch == NULL)
    g_batch = json_array();
  json_dump_file(g_batch, file, JSON_COMPACT);
  json_decref(g_batch);
  g_batch = NULL;
  snprintf(cmd, sizeof cmd, "python3 '%s' --batch '%s' >'%s' 2>&1", CHECK_TOKEN_PY, file, out);
  int rc = system(cmd);
  char *text = slurp(out);
  fprintf(stderr, "%s", text ? text : "");
  free(text);
  unlink(file);
  unlink(out);
  rmdir(dir);
  return rc == -1 ? -1 : WEXITSTATUS(rc);
}

int srv_connect(const srv *s) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)s->port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    fprintf(stderr, "connect to port %u: %s\n", s->port, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

long srv_read_all(int fd, char *buf, size_t cap, int timeout_ms) {
  size_t n = 0;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, timeout_ms);
    if (r <= 0)
      return -1;
    ssize_t k = recv(fd, buf + n, cap - n - 1, 0);
    if (k <= 0)
      break;
    n += (size_t)k;
    if (n + 1 >= cap)
      break;
  }
  buf[n] = '\0';
  return (long)n;
}

int srv_metric(const char *body, const char *series, unsigned long long *value) {
  size_t n = strlen(series);
  for (const char *p = body; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p)
    if (strncmp(p, series, n) == 0 && p[n] == ' ' && sscanf(p + n + 1, "%llu", value) == 1)
      return 0;
  fprintf(stderr, "metric %s absent from:\n%s", series, body);
  return -1;
}
