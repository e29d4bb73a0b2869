/* SPDX-License-Identifier: Apache-2.0 */
/* Policy reload reads only complete files (docs/service.md, "Policy reload"): a YAML policy
 * written in place is not loaded while it is half written (only "id: ..." on disk: a
 * valid, weaker policy), it is loaded once it has rested; a file replaced by a rename is
 * loaded at once; a new policy that drops a configured section is audited
 * ("sections_lost"). The policy in force is read from /readyz's policy_id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static const char FULL_1[] =
    "id: strict-prod\n"
    "snp:\n"
    "  measurements:\n"
    "    - c57729018b0a6fb90dc17bb138b0aa35e4401004283ff4a2c24d3739ff3750f52384370e77b7032862a08c"
    "440a9bc4dc\n"
    "  min_tcb: {bootloader: 10, snp: 25, microcode: 84}\n";
static const char HEAD_2[] = "id: strict-prod-2\n";
static const char TAIL_2[] =
    "snp:\n"
    "  measurements:\n"
    "    - c57729018b0a6fb90dc17bb138b0aa35e4401004283ff4a2c24d3739ff3750f52384370e77b7032862a08c"
    "440a9bc4dc\n"
    "  min_tcb: {bootloader: 10, snp: 25, microcode: 84}\n";
static const char NO_SNP_3[] = "id: strict-prod-3\n";

static char *policy_in_force(const srv *s) {
  char *body = NULL;
  assert_int_equal(http(s, "GET", "/readyz", NULL, NULL, 0, &body), 200);
  json_t *v = json_loads(body, 0, NULL);
  free(body);
  assert_non_null(v);
  char *id = strdup(json_string_value(json_object_get(v, "policy_id")));
  json_decref(v);
  return id;
}

static void expect_policy(const srv *s, const char *id) {
  char *got = policy_in_force(s);
  if (strcmp(got, id) != 0)
    fail_msg("policy in force: %s, expected %s", got, id);
  free(got);
}

static void test_reload_complete_files_only(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  char *path = srv_write(&s, "policy.yaml", FULL_1, sizeof FULL_1 - 1);
  /* --snp-client-certs: /readyz answers 200 (SNP verifiable with the clients' certificates) */
  const char *args[] = {"--policy", path, "--snp-client-certs", NULL};
  assert_int_equal(srv_start(&s, args), 0);
  expect_policy(&s, "strict-prod");
  /* In place, as an editor or `cat >` writes: first only the id line... */
  int fd = open(path, O_WRONLY | O_TRUNC);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, HEAD_2, sizeof HEAD_2 - 1), (ssize_t)(sizeof HEAD_2 - 1));
  expect_policy(&s, "strict-prod"); /* half written: not loaded */
  /* ... then the rest; once it rested a second, it is the policy. */
  assert_int_equal(write(fd, TAIL_2, sizeof TAIL_2 - 1), (ssize_t)(sizeof TAIL_2 - 1));
  close(fd);
  expect_policy(&s, "strict-prod");
  struct timespec rest = {1, 300 * 1000 * 1000};
  nanosleep(&rest, NULL);
  expect_policy(&s, "strict-prod-2");
  assert_int_equal(audit_count(&s, "\"policy_id\":\"strict-prod-2\""), 1);
  assert_int_equal(audit_count(&s, "sections_lost"), 0);
  /* Replaced by a rename (as a ConfigMap update does): at once; the snp section it drops
   * is audited. */
  free(srv_write(&s, "policy.yaml", NO_SNP_3, sizeof NO_SNP_3 - 1));
  expect_policy(&s, "strict-prod-3");
  assert_int_equal(audit_count(&s, "\"sections_lost\":[\"snp\"]"), 1);
  assert_int_equal(audit_count(&s, "\"warning\":\"sections_lost\""), 1);
  assert_int_equal(srv_stop(&s), 0);
  free(path);
  srv_cleanup(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reload_complete_files_only),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
