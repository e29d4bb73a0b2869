/* Unit tests of the shared helpers: hex, little-endian reads, RFC 3339. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "teectl/bytes.h"
#include "teectl/rfc3339.h"

static void test_hex_roundtrip(void **state) {
  (void)state;
  const uint8_t in[] = {0x00, 0x01, 0xab, 0xff};
  char out[9];
  assert_string_equal(tc_hex_encode(in, 4, out), "0001abff");
  uint8_t back[4];
  size_t n = 0;
  tc_error err;
  assert_int_equal(tc_hex_decode("0x0001ABff", back, sizeof back, &n, &err), TC_OK);
  assert_int_equal(n, 4);
  assert_memory_equal(back, in, 4);
  assert_int_equal(tc_hex_decode("abc", back, sizeof back, &n, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "bad_hex");
  assert_int_equal(tc_hex_decode("zz", back, sizeof back, &n, &err), TC_ERR_PARSE);
  assert_int_equal(tc_hex_decode("0011223344", back, sizeof back, &n, &err), TC_ERR_PARSE);
}

static void test_le(void **state) {
  (void)state;
  const uint8_t b[8] = {0x00, 0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x47};
  assert_int_equal(tc_le16(b), 0x0100);
  assert_int_equal(tc_le32(b), 0x00000100);
  assert_true(tc_le64(b) == 0x4700000200000100ULL);
  assert_true(tc_all_zero((const uint8_t *)"\0\0\0", 3));
  assert_false(tc_all_zero(b, 2));
}

static void test_rfc3339(void **state) {
  (void)state;
  int64_t t = 0;
  tc_error err;
  /* 2025-07-18T00:00:00Z = 1752796800 (date -u -d 2025-07-18 +%s) */
  assert_int_equal(tc_rfc3339_parse("2025-07-18T00:00:00Z", &t, &err), TC_OK);
  assert_int_equal(t, 1752796800);
  assert_int_equal(tc_rfc3339_parse("2025-07-18T02:00:00.123+02:00", &t, &err), TC_OK);
  assert_int_equal(t, 1752796800);
  assert_int_equal(tc_rfc3339_parse("1970-01-01T00:00:00Z", &t, &err), TC_OK);
  assert_int_equal(t, 0);
  /* 2000-02-29 is a leap day: 951782400 */
  assert_int_equal(tc_rfc3339_parse("2000-02-29T00:00:00Z", &t, &err), TC_OK);
  assert_int_equal(t, 951782400);
  assert_int_equal(tc_rfc3339_parse("2001-02-29T00:00:00Z", &t, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "bad_time");
  assert_int_equal(tc_rfc3339_parse("2025-07-18", &t, &err), TC_ERR_PARSE);
  assert_int_equal(tc_rfc3339_parse("2025-07-18T00:00:00", &t, &err), TC_ERR_PARSE);
  assert_int_equal(tc_rfc3339_parse("2025-07-18T00:00:00Zjunk", &t, &err), TC_ERR_PARSE);
  char buf[21];
  assert_string_equal(tc_rfc3339_format(1752796800, buf), "2025-07-18T00:00:00Z");
  assert_string_equal(tc_rfc3339_format(951782400 + 86399, buf), "2000-02-29T23:59:59Z");
  assert_string_equal(tc_rfc3339_format(0, buf), "1970-01-01T00:00:00Z");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hex_roundtrip),
      cmocka_unit_test(test_le),
      cmocka_unit_test(test_rfc3339),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
