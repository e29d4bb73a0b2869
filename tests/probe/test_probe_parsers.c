/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the probe's pure parsers: whole-word cpuinfo flags, whole-key misc
 * cgroup lines, module parameter booleans, CPUID dump and DEVICES.txt formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "node/parse.h"
#include "teectl/probe.h"

static const char cpuinfo[] = "processor\t: 0\n"
                              "vendor_id\t: AuthenticAMD\n"
                              "flags\t\t: fpu sev_es sme hypervisor_x sgx_lc\n"
                              "bugs\t\t: sev sysret_ss_attrs\n"
                              "\n"
                              "processor\t: 1\n"
                              "flags\t\t: fpu sev_es sev_snp hypervisor_y sgx_lcx\n";

static void test_flags_whole_word(void **state) {
  (void)state;
  /* a flag on any processor's flags line counts (issue 13 item 11: the kernel may show a
   * feature on some processors only), and only whole words */
  assert_true(node_cpuinfo_has_flag(cpuinfo, "sev_es"));
  assert_true(node_cpuinfo_has_flag(cpuinfo, "sme"));
  assert_true(node_cpuinfo_has_flag(cpuinfo, "fpu"));
  assert_true(node_cpuinfo_has_flag(cpuinfo, "sgx_lc"));
  assert_false(node_cpuinfo_has_flag(cpuinfo, "sev"));        /* prefix of sev_es; in bugs line */
  assert_false(node_cpuinfo_has_flag(cpuinfo, "hypervisor")); /* prefix of hypervisor_x */
  assert_false(node_cpuinfo_has_flag(cpuinfo, "sgx"));        /* prefix of sgx_lc */
  assert_true(node_cpuinfo_has_flag(cpuinfo, "sev_snp"));     /* second processor only */
  assert_false(node_cpuinfo_has_flag(cpuinfo, "es"));
  assert_false(node_cpuinfo_has_flag(cpuinfo, ""));
  assert_false(node_cpuinfo_has_flag(NULL, "fpu"));
  assert_false(node_cpuinfo_has_flag("flagsx : fpu\n", "fpu")); /* key must be 'flags' */
  assert_true(node_cpuinfo_has_flag("flags: a b\tc", "c"));     /* no trailing newline */
}

static void test_misc_whole_key(void **state) {
  (void)state;
  const char *cap = "sev_es 99\nsev 410\ntdx 31\n";
  int64_t v = -1;
  assert_true(node_misc_lookup(cap, "sev", &v));
  assert_int_equal(v, 410);
  assert_true(node_misc_lookup(cap, "sev_es", &v));
  assert_int_equal(v, 99);
  assert_true(node_misc_lookup(cap, "tdx", &v));
  assert_int_equal(v, 31);
  assert_false(node_misc_lookup(cap, "se", &v));
  assert_false(node_misc_lookup(cap, "sev_e", &v));
  assert_false(node_misc_lookup("sev_es 5\n", "sev", &v));
  assert_false(node_misc_lookup("sev x12\n", "sev", &v)); /* not a number */
  assert_false(node_misc_lookup("sev -1\n", "sev", &v));  /* negative */
  assert_false(node_misc_lookup("sev\n", "sev", &v));     /* no value */
  assert_false(node_misc_lookup("sev 1 2\n", "sev", &v)); /* trailing junk */
  assert_false(node_misc_lookup(NULL, "sev", &v));
  assert_true(node_misc_lookup("  sev\t7", "sev", &v));
  assert_int_equal(v, 7);
}

static void test_param_bool(void **state) {
  (void)state;
  int on = -1;
  assert_true(node_param_bool("Y\n", &on));
  assert_int_equal(on, 1);
  assert_true(node_param_bool("N\n", &on));
  assert_int_equal(on, 0);
  assert_true(node_param_bool("1\n", &on)); /* 5.10-era int parameter */
  assert_int_equal(on, 1);
  assert_true(node_param_bool("0", &on));
  assert_int_equal(on, 0);
  assert_false(node_param_bool("y\n", &on));
  assert_false(node_param_bool("YES\n", &on));
  assert_false(node_param_bool("2\n", &on));
  assert_false(node_param_bool("", &on));
  assert_false(node_param_bool(NULL, &on));
}

static void test_cpuid_dump(void **state) {
  (void)state;
  const char *ok = "# leaf subleaf eax ebx ecx edx (hex)\n"
                   "0x00000000 0x0 0x00000010 0x68747541 0x444d4163 0x69746e65\n"
                   "\n"
                   "8000001f 0 0101fd3f 00004173 000001fd 00000064\n";
  node_cpuid_table t;
  tc_error err;
  assert_int_equal(node_cpuid_parse(ok, strlen(ok), "ok.txt", &t, &err), TC_OK);
  assert_int_equal(t.count, 2);
  uint32_t r[4];
  assert_true(node_cpuid_get(&t, 0x8000001f, 0, r));
  assert_int_equal(r[0], 0x0101fd3f);
  assert_int_equal(r[1], 0x4173);
  assert_int_equal(r[2], 0x1fd);
  assert_int_equal(r[3], 0x64);
  assert_true(node_cpuid_get(&t, 0, 0, r));
  assert_int_equal(r[1], 0x68747541); /* "Auth" little-endian */
  assert_false(node_cpuid_get(&t, 0x8000001f, 1, r));
  assert_false(node_cpuid_get(&t, 7, 0, r));
  node_cpuid_table_free(&t);

  struct {
    const char *text, *where;
  } bad[] = {
      {"0x0 0x0 0x1 0x2 0x3\n", "bad.txt:1:"},                              /* 5 fields */
      {"# c\n0x0 0x0 0x1 0x2 0x3 0x4 0x5\n", "bad.txt:2:"},                 /* 7 fields */
      {"0x0 0x0 0x1 0x2 0x3 0x4\n\n0x1 0x0 0xg 0 0 0\n", "bad.txt:3: eax"}, /* not hex */
      {"0x1 0x0 0x1 0x1ffffffff 0 0\n", "bad.txt:1: ebx"},                  /* above 32 bits */
      {"1 0 1 2 3 4\n1 0 1 2 3 4\n", "bad.txt:2:"},                         /* duplicate */
      {"0x 0 1 2 3 4\n", "bad.txt:1: leaf"},                                /* empty hex */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    tc_error_clear(&err);
    assert_int_equal(node_cpuid_parse(bad[i].text, strlen(bad[i].text), "bad.txt", &t, &err),
                     TC_ERR_PARSE);
    assert_string_equal(err.reason, "cpuid_dump_malformed");
    if (strstr(err.detail, bad[i].where) == NULL)
      fail_msg("case %zu: detail '%s' lacks '%s'", i, err.detail, bad[i].where);
    assert_null(t.entries);
  }
  /* an embedded NUL byte is malformed input, with its line */
  const char nul[] = "0 0 1 2 3 4\n1 0\0 1 2 3 4\n";
  assert_int_equal(node_cpuid_parse(nul, sizeof nul - 1, "nul.txt", &t, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "cpuid_dump_malformed");
  assert_non_null(strstr(err.detail, "nul.txt:2:"));
  /* an empty dump is valid: no leaves known */
  assert_int_equal(node_cpuid_parse("# none\n", 7, "e.txt", &t, &err), TC_OK);
  assert_int_equal(t.count, 0);
  assert_false(node_cpuid_get(&t, 0, 0, r));
  node_cpuid_table_free(&t);
}

static void test_chardev_list(void **state) {
  (void)state;
  const char *ok = "# path type major:minor\n"
                   "dev/kvm c 10:232\n"
                   "/dev/sev c 10:dynamic\n";
  node_chardev_list l;
  tc_error err;
  assert_int_equal(node_chardev_parse(ok, strlen(ok), "DEVICES.txt", &l, &err), TC_OK);
  assert_int_equal(l.count, 2);
  assert_string_equal(l.paths[0], "dev/kvm");
  assert_string_equal(l.paths[1], "dev/sev"); /* leading '/' removed */
  node_chardev_list_free(&l);
  const char *bad[] = {"dev/kvm b 10:232\n", "dev/kvm c 10\n", "dev/kvm c x:1\n",
                       "dev/kvm c 10:dyn\n", "dev/kvm\n",      "../etc/x c 1:1\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(node_chardev_parse(bad[i], strlen(bad[i]), "D.txt", &l, &err), TC_ERR_PARSE);
    assert_string_equal(err.reason, "char_devices_malformed");
    assert_non_null(strstr(err.detail, "D.txt:1:"));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_flags_whole_word), cmocka_unit_test(test_misc_whole_key),
      cmocka_unit_test(test_param_bool),       cmocka_unit_test(test_cpuid_dump),
      cmocka_unit_test(test_chardev_list),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
