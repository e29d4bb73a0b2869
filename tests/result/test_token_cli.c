/* SPDX-License-Identifier: Apache-2.0 */
/* `teectl token verify` end to end: exit codes 0 (valid), 1 (invalid), 2 (usage /
 * unreadable input), token from an argument, a file and stdin, JWKS from a file and
 * from an http URL (python3 http.server on loopback, when available). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/testlib.h"
#include "teectl/ear.h"

#define IAT 1751623200 /* 2025-07-04T10:00:00Z */
#define TTL 300

static char tmpdir[256];
static const char *bin;
static char *jwt;
static char out_text[65536];

static char *tmp_file(const char *name, const char *text) {
  char *path = test_path(tmpdir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return path;
}

/* Run `teectl token ARGS` (shell words, paths quoted by the caller); capture stdout. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
  char args[4096], cmd[5000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  snprintf(cmd, sizeof cmd, "'%s' token %s 2>/dev/null", bin, args);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t n = fread(out_text, 1, sizeof out_text - 1, p);
  out_text[n] = '\0';
  int rc = pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static json_t *out_json(void) {
  json_t *j = json_loads(out_text, 0, NULL);
  if (!j)
    fail_msg("output is not JSON: %s", out_text);
  return j;
}

static void test_valid_paths(void **state) {
  (void)state;
  char *tok = test_path(tmpdir, "token.jwt");
  char *jwks = test_path(tmpdir, "jwks.json");
  /* file token, JSON output: the claims we put in come back */
  assert_int_equal(
      run("verify '%s' --jwks '%s' --at 2025-07-04T10:01:00Z --format json", tok, jwks), 0);
  json_t *j = out_json();
  assert_true(json_is_true(json_object_get(j, "valid")));
  json_t *snp = json_object_get(json_object_get(json_object_get(j, "claims"), "submods"), "snp");
  assert_string_equal(json_string_value(json_object_get(snp, "ear.status")), "warning");
  assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "claims"), "exp")),
                   IAT + TTL);
  json_decref(j);
  /* literal token, text output */
  assert_int_equal(run("verify %s --jwks '%s' --at 2025-07-04T10:01:00Z", jwt, jwks), 0);
  assert_non_null(strstr(out_text, "token: valid"));
  assert_non_null(strstr(out_text, "submod snp: warning"));
  assert_non_null(strstr(out_text, "2025-07-04T10:05:00Z"));
  /* stdin */
  assert_int_equal(run("verify - --jwks '%s' --at 2025-07-04T10:01:00Z < '%s'", jwks, tok), 0);
  free(tok);
  free(jwks);
}

static void test_invalid_tokens(void **state) {
  (void)state;
  char *tok = test_path(tmpdir, "token.jwt");
  char *jwks = test_path(tmpdir, "jwks.json");
  char *other = test_path(tmpdir, "other.json");
  assert_int_equal(
      run("verify '%s' --jwks '%s' --at 2025-07-04T10:05:00Z --format json", tok, jwks), 1);
  json_t *j = out_json();
  assert_false(json_is_true(json_object_get(j, "valid")));
  assert_string_equal(json_string_value(json_object_get(j, "reason")), "token_expired");
  json_decref(j);
  assert_int_equal(run("verify '%s' --jwks '%s' --at 2025-07-04T10:05:00Z --leeway 1", tok, jwks),
                   0);
  assert_int_equal(run("verify '%s' --jwks '%s' --at 2025-07-04T09:59:59Z", tok, jwks), 1);
  assert_non_null(strstr(out_text, "token_not_yet_valid"));
  /* the relying party's nonce and minimum status */
  assert_int_equal(
      run("verify '%s' --jwks '%s' --at 2025-07-04T10:01:00Z --nonce bm9uY2U", tok, jwks), 0);
  assert_int_equal(
      run("verify '%s' --jwks '%s' --at 2025-07-04T10:01:00Z --nonce bm9uY2X", tok, jwks), 1);
  assert_non_null(strstr(out_text, "token_nonce_mismatch"));
  assert_int_equal(
      run("verify '%s' --jwks '%s' --at 2025-07-04T10:01:00Z --min-status warning", tok, jwks), 0);
  assert_int_equal(
      run("verify '%s' --jwks '%s' --at 2025-07-04T10:01:00Z --min-status affirming --format json",
          tok, jwks),
      1);
  json_t *jj = out_json();
  assert_string_equal(json_string_value(json_object_get(jj, "reason")),
                      "token_status_insufficient");
  json_decref(jj);
  assert_int_equal(run("verify '%s' --jwks '%s' --at 2025-07-04T10:01:00Z", tok, other), 1);
  assert_non_null(strstr(out_text, "token_kid_unknown"));
  /* flip one character of the signature */
  char *bad = strdup(jwt);
  char *sig = strrchr(bad, '.') + 1;
  sig[3] = sig[3] == 'A' ? 'B' : 'A';
  assert_int_equal(run("verify %s --jwks '%s' --at 2025-07-04T10:01:00Z", bad, jwks), 1);
  assert_non_null(strstr(out_text, "token_signature_invalid"));
  free(bad);
  free(tok);
  free(jwks);
  free(other);
}

/* Run `teectl token ARGS` with stdout and stderr together in out_text. */
static int run_all(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run_all(const char *fmt, ...) {
  char args[8192], cmd[9000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' token %s 2>&1", tmpdir, bin, args);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t n = fread(out_text, 1, sizeof out_text - 1, p);
  out_text[n] = '\0';
  int rc = pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void expect_out(const char *needle) {
  if (strstr(out_text, needle) == NULL)
    fail_msg("expected '%s' in: %s", needle, out_text);
}

/* Damaged tokens given as the argument are tokens, not file names: token_malformed (exit
 * 1) with what is malformed; alg "none" with an empty signature is token_alg_unsupported. */
static void test_damaged_tokens(void **state) {
  (void)state;
  char *jwks = test_path(tmpdir, "jwks.json");
  const char *at = "--at 2025-07-04T10:01:00Z";
  char *t = strdup(jwt);
  char *d1 = strchr(t, '.'), *d2 = strrchr(t, '.');
  /* truncated in the payload: header.payl */
  char *trunc = strndup(t, (size_t)(d1 - t) + 1 + (size_t)(d2 - d1) / 2);
  assert_int_equal(run_all("verify '%s' --jwks '%s' %s", trunc, jwks, at), 1);
  expect_out("reason: token_malformed");
  expect_out("expected 3 parts separated by '.'");
  expect_out("found 2");
  assert_null(strstr(out_text, "No such file"));
  /* header.payload without the signature part */
  char *nosig = strndup(t, (size_t)(d2 - t));
  assert_int_equal(run_all("verify '%s' --jwks '%s' %s", nosig, jwks, at), 1);
  expect_out("reason: token_malformed");
  expect_out("found 2");
  /* header.payload. : an empty signature */
  char *emptysig = strndup(t, (size_t)(d2 - t) + 1);
  assert_int_equal(run_all("verify '%s' --jwks '%s' %s --format json", emptysig, jwks, at), 1);
  expect_out("\"token_malformed\"");
  expect_out("the signature part is empty");
  /* a leading space (and a trailing newline) around a good token: stripped, valid */
  assert_int_equal(run_all("verify ' %s\n' --jwks '%s' %s", jwt, jwks, at), 0);
  expect_out("token: valid");
  /* garbage */
  assert_int_equal(run_all("verify garbage --jwks '%s' %s", jwks, at), 1);
  expect_out("reason: token_malformed");
  expect_out("found 1");
  expect_out("no file of that name");
  /* a payload that is base64url but not JSON */
  char bad[4096];
  snprintf(bad, sizeof bad, "%.*s.bm90IGpzb24.%s", (int)(d1 - t), t, d2 + 1);
  assert_int_equal(run_all("verify '%s' --jwks '%s' %s", bad, jwks, at), 1);
  expect_out("token_"); /* the signature covers the payload: it fails first */
  /* a character outside base64url in the payload */
  snprintf(bad, sizeof bad, "%.*s.ab*d.%s", (int)(d1 - t), t, d2 + 1);
  assert_int_equal(run_all("verify '%s' --jwks '%s' %s", bad, jwks, at), 1);
  expect_out("reason: token_malformed");
  expect_out("the payload part is not base64url: '*' at offset 2");
  /* alg "none", empty signature: the header is judged first */
  snprintf(bad, sizeof bad, "eyJhbGciOiJub25lIn0.%.*s.", (int)(d2 - d1 - 1), d1 + 1);
  assert_int_equal(run_all("verify '%s' --jwks '%s' %s", bad, jwks, at), 1);
  expect_out("reason: token_alg_unsupported");
  expect_out("alg \"none\"");
  /* a header that is not JSON */
  snprintf(bad, sizeof bad, "bm90IGpzb24.%.*s.%s", (int)(d2 - d1 - 1), d1 + 1, d2 + 1);
  assert_int_equal(run_all("verify '%s' --jwks '%s' %s", bad, jwks, at), 1);
  expect_out("reason: token_malformed");
  expect_out("the header is not JSON");
  /* a path (has '/') that does not exist stays unreadable input, with the command's prefix */
  assert_int_equal(run_all("verify '%s/none.jwt' --jwks '%s' %s", tmpdir, jwks, at), 2);
  expect_out("teectl token verify: ");
  expect_out("No such file or directory");
  assert_int_equal(run_all("verify '%s' --jwks '%s/none.json' %s", jwt, tmpdir, at), 2);
  expect_out("teectl token verify: JWKS ");
  free(trunc);
  free(nosig);
  free(emptysig);
  free(t);
  free(jwks);
}

static void test_usage_and_unreadable(void **state) {
  (void)state;
  char *tok = test_path(tmpdir, "token.jwt");
  char *jwks = test_path(tmpdir, "jwks.json");
  char *notjson = test_path(tmpdir, "notjson.txt");
  char *notset = test_path(tmpdir, "notset.json");
  char *missing = test_path(tmpdir, "missing.json");
  assert_int_equal(run("%s", ""), 2);
  assert_int_equal(run("--help"), 0);
  assert_int_equal(run("verify --help"), 0);
  assert_int_equal(run("frobnicate"), 2);
  assert_int_equal(run("verify '%s'", tok), 2);                             /* no --jwks */
  assert_int_equal(run("verify --jwks '%s'", jwks), 2);                     /* no token */
  assert_int_equal(run("verify '%s' '%s' --jwks '%s'", tok, tok, jwks), 2); /* two tokens */
  assert_int_equal(run("verify '%s' --jwks '%s' --bogus", tok, jwks), 2);
  assert_int_equal(run("verify '%s' --jwks '%s' --at yesterday", tok, jwks), 2);
  assert_int_equal(run("verify '%s' --jwks '%s' --format xml", tok, jwks), 2);
  assert_int_equal(run("verify '%s' --jwks '%s' --leeway 3601", tok, jwks), 2);
  assert_int_equal(run("verify '%s' --jwks '%s' --min-status contraindicated", tok, jwks), 2);
  assert_int_equal(run("verify '%s' --jwks '%s' --leeway 5s", tok, jwks), 2);
  assert_int_equal(run("verify '%s' --jwks '%s'", missing, jwks), 2);
  assert_int_equal(run("verify '%s' --jwks '%s'", tok, missing), 2);
  assert_int_equal(run("verify '%s' --jwks '%s'", tok, notjson), 2);
  assert_int_equal(run("verify '%s' --jwks '%s'", tok, notset), 2);
  assert_int_equal(run("verify '%s' --jwks http://127.0.0.1:1/jwks.json", tok), 2);
  /* a JWKS holding a private key member is refused (exit 2), though the token verifies */
  json_t *pub = json_load_file(jwks, 0, NULL);
  assert_non_null(pub);
  const char *members[] = {"d", "k"};
  for (size_t m = 0; m < 2; m++) {
    json_t *priv = json_deep_copy(pub);
    json_object_set_new(json_array_get(json_object_get(priv, "keys"), 0), members[m],
                        json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    char *text = json_dumps(priv, 0);
    char *pf = tmp_file("jwks-private.json", text);
    assert_int_equal(run("verify '%s' --jwks '%s' --at 2025-07-04T10:01:00Z", tok, pf), 2);
    unlink(pf); /* the folder is removed at the end: nothing of a test may stay in it */
    free(pf);
    free(text);
    json_decref(priv);
  }
  assert_int_equal(run("verify '%s' --jwks '%s' --at 2025-07-04T10:01:00Z", tok, jwks), 0);
  json_decref(pub);
  /* a file that holds garbage is a token that does not verify */
  assert_int_equal(run("verify '%s' --jwks '%s'", notjson, jwks), 1);
  free(tok);
  free(jwks);
  free(notjson);
  free(notset);
  free(missing);
}

static void test_jwks_url(void **state) {
  (void)state;
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    if (chdir(tmpdir) != 0)
      _exit(127);
    execlp("python3", "python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
           (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  FILE *f = fdopen(fds[0], "r");
  char line[512] = "";
  int port = 0;
  /* "Serving HTTP on 127.0.0.1 port NNNNN (http://127.0.0.1:NNNNN/) ..." */
  if (fgets(line, sizeof line, f)) {
    const char *p = strstr(line, " port ");
    if (p)
      port = atoi(p + 6);
  }
  if (port <= 0) {
    fprintf(stderr, "note: python3 http.server not available, JWKS URL test skipped\n");
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    fclose(f);
    return;
  }
  char *tok = test_path(tmpdir, "token.jwt");
  int rc =
      run("verify '%s' --jwks http://127.0.0.1:%d/jwks.json --at 2025-07-04T10:01:00Z", tok, port);
  int rc404 =
      run("verify '%s' --jwks http://127.0.0.1:%d/nope.json --at 2025-07-04T10:01:00Z", tok, port);
  int rc_other =
      run("verify '%s' --jwks http://127.0.0.1:%d/other.json --at 2025-07-04T10:01:00Z", tok, port);
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  fclose(f);
  free(tok);
  assert_int_equal(rc, 0);
  assert_int_equal(rc404, 2);
  assert_int_equal(rc_other, 1);
}

int main(void) {
  bin = test_teectl_bin();
  if (!bin) {
    fprintf(stderr, "TEECTL_BIN is not set\n");
    return 1;
  }
  test_mkdtemp("teectl-token", tmpdir, sizeof tmpdir);
  tc_keyset *ks = NULL, *other = NULL;
  tc_error err;
  if (tc_keyset_generate_ephemeral(&ks, &err) != TC_OK ||
      tc_keyset_generate_ephemeral(&other, &err) != TC_OK)
    return 1;
  json_t *appraisal =
      json_pack("{s:s, s:s, s:[], s:[s]}", "ear.status", "warning", "ear.appraisal-policy-id",
                "teectl-default-strict", "failed_rules", "unappraised", "measurement");
  tc_ear_params prm = {.nonce = "bm9uY2U", .iat = IAT, .ttl = TTL};
  if (tc_ear_issue(ks, &prm, "snp", appraisal, NULL, &jwt, &err) != TC_OK)
    return 1;
  json_decref(appraisal);
  json_t *jwks = tc_keyset_jwks(ks), *ojwks = tc_keyset_jwks(other);
  char *jt = json_dumps(jwks, 0), *ot = json_dumps(ojwks, 0);
  char *files[] = {tmp_file("token.jwt", jwt), tmp_file("jwks.json", jt),
                   tmp_file("other.json", ot), tmp_file("notjson.txt", "hello\n"),
                   tmp_file("notset.json", "{\"hello\": 1}\n")};
  free(jt);
  free(ot);
  json_decref(jwks);
  json_decref(ojwks);

  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_paths),
      cmocka_unit_test(test_invalid_tokens),
      cmocka_unit_test(test_usage_and_unreadable),
      cmocka_unit_test(test_damaged_tokens),
      cmocka_unit_test(test_jwks_url),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    unlink(files[i]);
    free(files[i]);
  }
  rmdir(tmpdir);
  free(jwt);
  tc_keyset_free(ks);
  tc_keyset_free(other);
  return rc;
}
