/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the shared helpers: hex, little-endian reads, RFC 3339, growing strings. */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "teectl/bytes.h"
#include "teectl/error.h"
#include "teectl/file.h"
#include "teectl/listen.h"
#include "teectl/rfc3339.h"
#include "teectl/strbuf.h"
#include "testlib.h"

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

static void test_hex_digit(void **state) {
  (void)state;
  assert_int_equal(tc_hex_digit('0'), 0);
  assert_int_equal(tc_hex_digit('9'), 9);
  assert_int_equal(tc_hex_digit('a'), 10);
  assert_int_equal(tc_hex_digit('f'), 15);
  assert_int_equal(tc_hex_digit('A'), 10);
  assert_int_equal(tc_hex_digit('F'), 15);
  assert_int_equal(tc_hex_digit('g'), -1);
  assert_int_equal(tc_hex_digit('G'), -1);
  assert_int_equal(tc_hex_digit('/'), -1);
  assert_int_equal(tc_hex_digit(':'), -1);
  assert_int_equal(tc_hex_digit('@'), -1);
  assert_int_equal(tc_hex_digit('`'), -1);
  assert_int_equal(tc_hex_digit(-1), -1);
  assert_int_equal(tc_hex_digit(0xe0), -1);
  /* Exactly 22 of the 256 byte values are hex digits, and they cover 0..15 both cases. */
  int n = 0, seen_lower = 0, seen_upper = 0;
  for (int c = 0; c < 256; c++) {
    int v = tc_hex_digit(c);
    if (v < 0)
      continue;
    assert_true(v <= 15);
    n++;
    if (c >= 'a' && c <= 'f')
      seen_lower |= 1 << v;
    if (c >= 'A' && c <= 'F')
      seen_upper |= 1 << v;
  }
  assert_int_equal(n, 22);
  assert_int_equal(seen_lower, 0xfc00);
  assert_int_equal(seen_upper, 0xfc00);
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
  /* against libc's gmtime_r over years 0000 .. 9999: the ends and 20000 times between */
  /* 0000-01-01T00:00:00Z, 9999-12-31T23:59:59Z */
  const int64_t lo = -62167219200, hi = 253402300799;
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 20004; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    int64_t when = i == 0   ? lo
                   : i == 1 ? hi
                   : i == 2 ? -1
                   : i == 3 ? 86399
                            : lo + (int64_t)(x % (uint64_t)(hi - lo + 1));
    time_t tt = (time_t)when;
    struct tm tm;
    assert_non_null(gmtime_r(&tt, &tm));
    char want[64];
    snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    assert_string_equal(tc_rfc3339_format(when, buf), want);
  }
}

/* tc_sink_write: libcurl's write-callback shape; at most max bytes in all. */
static void test_sink_bounded(void **state) {
  (void)state;
  tc_sink k = {.max = 10};
  char a[] = "hello", b[] = "12345", c[] = "x";
  assert_int_equal(tc_sink_write(a, 1, 5, &k), 5);
  assert_int_equal(tc_sink_write(b, 5, 1, &k), 5); /* exactly max */
  assert_string_equal(k.buf.s, "hello12345");
  assert_int_equal(k.buf.len, 10);
  assert_int_equal(tc_sink_write(c, 1, 1, &k), 0); /* one past max */
  assert_int_equal(k.overflow, 1);
  assert_int_equal(tc_sink_write(c, 1, 0, &k), 0); /* nothing more after an overflow */
  assert_string_equal(k.buf.s, "hello12345");
  tc_strbuf_free(&k.buf);
  tc_sink w = {.max = SIZE_MAX};
  assert_int_equal(tc_sink_write(c, SIZE_MAX / 2 + 1, 2, &w), 0); /* size * count wraps */
  assert_null(w.buf.s);
  tc_sink e = {.max = 4};
  assert_int_equal(tc_sink_write(c, 1, 0, &e), 0);
  char *t = tc_strbuf_take(&e.buf);
  assert_string_equal(t, "");
  free(t);
}

static void test_strbuf_printf_grows(void **state) {
  (void)state;
  tc_strbuf b = {0};
  assert_int_equal(tc_strbuf_printf(&b, "%s=%d;", "a", 1), 0);
  assert_string_equal(b.s, "a=1;");
  assert_int_equal(b.len, 4);
  size_t first_cap = b.cap;
  assert_true(first_cap > 4);
  /* Write well past the first allocation, in pieces that straddle its end. */
  char want[4000];
  size_t wl = 4;
  memcpy(want, "a=1;", 4);
  for (int i = 0; i < 300; i++) {
    assert_int_equal(tc_strbuf_printf(&b, "[%03d]x", i), 0);
    wl += (size_t)snprintf(want + wl, sizeof want - wl, "[%03d]x", i);
  }
  assert_int_equal(wl, 4 + 300 * 6);
  assert_int_equal(b.len, wl);
  assert_true(b.cap > first_cap);
  assert_true(b.cap > b.len);
  assert_int_equal(strlen(b.s), wl);
  assert_memory_equal(b.s, want, wl + 1);
  /* One write larger than several doublings at once. */
  char big[5000];
  memset(big, 'z', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  assert_int_equal(tc_strbuf_printf(&b, "%s|", big), 0);
  assert_int_equal(b.len, wl + 5000);
  assert_int_equal(b.s[wl], 'z');
  assert_int_equal(b.s[b.len - 1], '|');
  assert_int_equal(b.s[b.len], '\0');
  char *s = tc_strbuf_take(&b);
  assert_non_null(s);
  assert_int_equal(strlen(s), wl + 5000);
  assert_null(b.s);
  assert_int_equal(b.len, 0);
  assert_int_equal(b.cap, 0);
  free(s);
}

static void test_strbuf_append_take_free(void **state) {
  (void)state;
  tc_strbuf b = {0};
  /* Nothing written: take gives an empty string, not NULL. */
  char *s = tc_strbuf_take(&b);
  assert_non_null(s);
  assert_string_equal(s, "");
  free(s);
  /* n = 0 allocates an empty string. */
  assert_int_equal(tc_strbuf_append(&b, "", 0), 0);
  assert_non_null(b.s);
  assert_string_equal(b.s, "");
  /* Bytes with a NUL inside are kept, and the text stays NUL-terminated. */
  assert_int_equal(tc_strbuf_append(&b, "ab\0cd", 5), 0);
  assert_int_equal(tc_strbuf_printf(&b, "%u", 42u), 0);
  assert_int_equal(b.len, 7);
  assert_memory_equal(b.s, "ab\0cd42", 8);
  tc_strbuf_free(&b);
  assert_null(b.s);
  assert_int_equal(b.len, 0);
  tc_strbuf_free(NULL);
}

static void test_strbuf_failure_flag(void **state) {
  (void)state;
  tc_strbuf b = {0};
  assert_int_equal(tc_strbuf_printf(&b, "kept"), 0);
  /* A write too large for any allocation fails and sets the sticky flag. */
  assert_int_equal(tc_strbuf_append(&b, "x", SIZE_MAX - 1), TC_ERR_NOMEM);
  assert_int_equal(b.failed, 1);
  assert_string_equal(b.s, "kept"); /* what was written before stays until take/free */
  assert_int_equal(tc_strbuf_printf(&b, "more"), TC_ERR_NOMEM);
  assert_int_equal(tc_strbuf_append(&b, "more", 4), TC_ERR_NOMEM);
  assert_int_equal(b.len, 4);
  /* take reports the failure with NULL and resets the buffer for reuse. */
  assert_null(tc_strbuf_take(&b));
  assert_int_equal(b.failed, 0);
  assert_null(b.s);
  assert_int_equal(tc_strbuf_printf(&b, "again %d", 2), 0);
  assert_string_equal(b.s, "again 2");
  tc_strbuf_free(&b);
}

static void test_utf8_sanitize(void **state) {
  (void)state;
  /* Valid: ASCII, U+00E9 (2 bytes), U+20AC (3), U+1F600 (4) are kept as they are. */
  char ok[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
  tc_utf8_sanitize(ok);
  assert_string_equal(ok, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z");
  /* A sequence cut by truncation at the end: each of its bytes becomes '?'. */
  char cut[] = "key '\xe2\x82";
  tc_utf8_sanitize(cut);
  assert_string_equal(cut, "key '??");
  /* Lone continuation byte, overlong '/' (C0 AF), UTF-16 surrogate U+D800 (ED A0 80),
   * above U+10FFFF (F4 90 80 80), and bytes F8/FF that start nothing. */
  char bad[] = "\x80|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xf8\xff";
  tc_utf8_sanitize(bad);
  assert_string_equal(bad, "?|??|???|????|??");
  /* The decoder behind it: lengths and code points, and a sequence cut by n. */
  uint32_t cp = 0;
  assert_int_equal(tc_utf8_decode((const uint8_t *)"\xe2\x82\xac", 3, &cp), 3);
  assert_int_equal(cp, 0x20AC);
  assert_int_equal(tc_utf8_decode((const uint8_t *)"\xf0\x9f\x98\x80", 4, &cp), 4);
  assert_int_equal(cp, 0x1F600);
  assert_int_equal(tc_utf8_decode((const uint8_t *)"\xe2\x82\xac", 2, &cp), 0);
  assert_int_equal(tc_utf8_decode((const uint8_t *)"", 0, &cp), 0);
  assert_true(tc_utf8_valid("a\xc3\xa9"));
  assert_false(tc_utf8_valid("a\xc3"));
  /* tc_fail sanitises what it formats, so details can always go into JSON. */
  tc_error err;
  tc_fail(&err, TC_ERR_PARSE, "x", "name '%s'", "\xc3");
  assert_string_equal(err.detail, "name '?'");
}

/* tc_file_write_atomic never renames over a device node, FIFO, socket or directory; it writes
 * through a symbolic link to a regular file. Everything happens in a fresh temporary folder:
 * the test never touches /dev/null (as root, the old behaviour turned it into a regular file). */
static char *tmp_path(const char *dir, const char *name) {
  static char buf[16][512]; /* distinct for every name of one test */
  static int i;
  char *p = buf[i++ % 16];
  snprintf(p, 512, "%s/%s", dir, name);
  return p;
}

static void read_back(const char *path, const char *want) {
  tc_buf b;
  tc_error err;
  assert_int_equal(tc_file_read(path, 0, &b, &err), TC_OK);
  assert_int_equal(b.len, strlen(want));
  assert_memory_equal(b.data, want, b.len);
  free(b.data);
}

static void test_write_atomic_targets(void **state) {
  (void)state;
  char dir[256];
  assert_non_null(test_mkdtemp("teectl-file", dir, sizeof dir));
  tc_error err;
  struct stat st;

  /* missing, then regular: replaced */
  const char *reg = tmp_path(dir, "out.txt");
  assert_int_equal(tc_file_write_atomic(reg, "one", 3, &err), TC_OK);
  assert_int_equal(tc_file_write_atomic(reg, "two!", 4, &err), TC_OK);
  read_back(reg, "two!");

  /* a FIFO: refused, still a FIFO, nothing written next to it */
  const char *fifo = tmp_path(dir, "fifo");
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(tc_file_write_atomic(fifo, "x", 1, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "file_not_regular");
  assert_non_null(strstr(err.detail, "a FIFO"));
  assert_non_null(strstr(err.detail, fifo));
  assert_int_equal(lstat(fifo, &st), 0);
  assert_true(S_ISFIFO(st.st_mode));

  /* a character device (the /dev/null case), where we may create one (root) */
  const char *dev = tmp_path(dir, "null");
  if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) == 0) {
    assert_int_equal(tc_file_write_atomic(dev, "x", 1, &err), TC_ERR_IO);
    assert_string_equal(err.reason, "file_not_regular");
    assert_non_null(strstr(err.detail, "a character device"));
    assert_int_equal(lstat(dev, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    /* and through a symbolic link to it */
    const char *devlink = tmp_path(dir, "null-link");
    assert_int_equal(symlink(dev, devlink), 0);
    assert_int_equal(tc_file_write_atomic(devlink, "x", 1, &err), TC_ERR_IO);
    assert_string_equal(err.reason, "file_not_regular");
    assert_int_equal(lstat(dev, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    unlink(devlink);
    unlink(dev);
  } else {
    print_message("[ SKIPPED  ] character-device case: mknod needs root here\n");
  }

  /* a directory: refused */
  const char *sub = tmp_path(dir, "sub");
  assert_int_equal(mkdir(sub, 0700), 0);
  assert_int_equal(tc_file_write_atomic(sub, "x", 1, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "file_not_regular");
  assert_non_null(strstr(err.detail, "a directory"));
  rmdir(sub);

  /* a symbolic link to a regular file: the target is replaced, the link kept */
  const char *link = tmp_path(dir, "link.txt");
  assert_int_equal(symlink("out.txt", link), 0);
  assert_int_equal(tc_file_write_atomic(link, "three", 5, &err), TC_OK);
  assert_int_equal(lstat(link, &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  read_back(reg, "three");

  /* a dangling link: refused */
  const char *dangling = tmp_path(dir, "dangling");
  assert_int_equal(symlink("missing", dangling), 0);
  assert_int_equal(tc_file_write_atomic(dangling, "x", 1, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "file_not_regular");

  /* no temporary file left behind by any refusal */
  DIR *d = opendir(dir);
  assert_non_null(d);
  int entries = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      entries++;
    assert_null(strstr(e->d_name, ".tmp"));
  }
  closedir(d);
  assert_int_equal(entries, 4); /* out.txt, fifo, link.txt, dangling */
  unlink(dangling);
  unlink(link);
  unlink(fifo);
  unlink(reg);
  assert_int_equal(rmdir(dir), 0);
}

/* tc_file_check_write_target answers as tc_file_write_atomic would, and writes nothing. */
static void test_check_write_target(void **state) {
  (void)state;
  char dir[256];
  assert_non_null(test_mkdtemp("teectl-check", dir, sizeof dir));
  tc_error err;
  const char *missing = tmp_path(dir, "missing");
  const char *reg = tmp_path(dir, "reg");
  const char *link = tmp_path(dir, "link");
  const char *fifo = tmp_path(dir, "fifo");
  const char *dangling = tmp_path(dir, "dangling");
  const char *nofolder = tmp_path(dir, "no-folder/file");
  const char *underfile = tmp_path(dir, "reg/file");
  assert_int_equal(tc_file_check_write_target(missing, &err), TC_OK);
  assert_int_equal(access(missing, F_OK), -1);
  assert_int_equal(tc_file_write_atomic(reg, "a", 1, &err), TC_OK);
  assert_int_equal(tc_file_check_write_target(reg, &err), TC_OK);
  assert_int_equal(symlink("reg", link), 0);
  assert_int_equal(tc_file_check_write_target(link, &err), TC_OK);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(tc_file_check_write_target(fifo, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "file_not_regular");
  assert_non_null(strstr(err.detail, "a FIFO"));
  assert_int_equal(tc_file_check_write_target(dir, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "file_not_regular");
  assert_int_equal(symlink("missing", dangling), 0);
  assert_int_equal(tc_file_check_write_target(dangling, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "file_not_regular");
  assert_int_equal(tc_file_check_write_target(nofolder, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "file_unwritable");
  assert_non_null(strstr(err.detail, "No such file or directory"));
  assert_int_equal(tc_file_check_write_target(underfile, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "file_unwritable");
  assert_non_null(strstr(err.detail, underfile));
  read_back(reg, "a");
  unlink(dangling);
  unlink(fifo);
  unlink(link);
  unlink(reg);
  assert_int_equal(rmdir(dir), 0);
}

/* tc_file_read refuses what is not a regular file before reading: a FIFO without a writer
 * used to block forever (alarm turns such a hang into a failure), /dev/zero to read without
 * end. tc_file_read_input("-") still reads standard input when it is a pipe. */
static void test_read_refuses_non_regular(void **state) {
  (void)state;
  char dir[256];
  assert_non_null(test_mkdtemp("teectl-read", dir, sizeof dir));
  tc_error err;
  tc_buf b;
  const char *fifo = tmp_path(dir, "fifo");
  assert_int_equal(mkfifo(fifo, 0600), 0);
  alarm(10);
  assert_int_equal(tc_file_read(fifo, 0, &b, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "file_not_regular");
  assert_non_null(strstr(err.detail, "a FIFO"));
  assert_non_null(strstr(err.detail, fifo));
  /* "-" is only special for tc_file_read_input; the FIFO is refused there too */
  assert_int_equal(tc_file_read_input(fifo, 0, &b, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "file_not_regular");
  assert_int_equal(tc_file_read("/dev/zero", 1024, &b, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "file_not_regular");
  assert_non_null(strstr(err.detail, "a character device"));
  assert_int_equal(tc_file_read(dir, 0, &b, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "file_not_regular");
  assert_non_null(strstr(err.detail, "a directory"));
  alarm(0);

  /* a symbolic link to a regular file is read; the read is blocking again after the check */
  const char *reg = tmp_path(dir, "reg");
  const char *link = tmp_path(dir, "reg-link");
  assert_int_equal(tc_file_write_atomic(reg, "abc", 3, &err), TC_OK);
  assert_int_equal(symlink("reg", link), 0);
  read_back(link, "abc");

  /* standard input as a pipe */
  int p[2];
  assert_int_equal(pipe(p), 0);
  int saved = dup(STDIN_FILENO);
  assert_true(saved >= 0);
  assert_int_equal(write(p[1], "from-pipe", 9), 9);
  close(p[1]);
  assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
  close(p[0]);
  assert_int_equal(tc_file_read_input("-", 0, &b, &err), TC_OK);
  assert_int_equal(b.len, 9);
  assert_memory_equal(b.data, "from-pipe", 9);
  free(b.data);
  assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
  close(saved);

  unlink(link);
  unlink(reg);
  unlink(fifo);
  assert_int_equal(rmdir(dir), 0);
}

/* tc_fail may be given the error's own reason and detail as arguments (adding context); the
 * result keeps them (an overlapping snprintf used to leave an empty detail). */
static void test_fail_with_own_fields(void **state) {
  (void)state;
  tc_error err;
  tc_fail(&err, TC_ERR_IO, "file_unreadable", "x.pem: No such file or directory");
  assert_int_equal(tc_fail(&err, TC_ERR_PARSE, err.reason, "%s (while loading roots)", err.detail),
                   TC_ERR_PARSE);
  assert_string_equal(err.reason, "file_unreadable");
  assert_string_equal(err.detail, "x.pem: No such file or directory (while loading roots)");
  assert_int_equal(err.status, TC_ERR_PARSE);
}

/* One listen-address syntax for serve and exporter: HOST:PORT or [IPv6]:PORT. */
static void test_listen_parse(void **state) {
  (void)state;
  tc_listen_addr a;
  tc_error err;
  assert_int_equal(tc_listen_parse("127.0.0.1:8443", &a, &err), TC_OK);
  assert_int_equal(a.addr.ss_family, AF_INET);
  assert_int_equal(ntohs(((struct sockaddr_in *)&a.addr)->sin_port), 8443);
  assert_int_equal(a.port, 8443);
  assert_true(a.loopback);
  assert_false(a.is_v6);
  assert_int_equal(tc_listen_parse("0.0.0.0:0", &a, &err), TC_OK);
  assert_false(a.loopback);
  assert_int_equal(a.port, 0);
  assert_int_equal(tc_listen_parse("[::1]:65535", &a, &err), TC_OK);
  assert_true(a.is_v6);
  assert_true(a.loopback);
  assert_int_equal(a.port, 65535);
  const char *bad[] = {"localhost",     "127.0.0.1:",    "127.0.0.1:65536",
                       "127.0.0.1:+80", "127.0.0.1: 80", "127.0.0.1:123456",
                       ":8443",         "::1:80",        "[::1]80",
                       "[::1:80",       "127.0.0.1:80x", "no.such.host.invalid:80"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (tc_listen_parse(bad[i], &a, &err) != TC_ERR_USAGE)
      fail_msg("'%s' accepted", bad[i]);
    assert_string_equal(err.reason, "bad_listen_address");
    assert_non_null(strstr(err.detail, bad[i]));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hex_roundtrip),
      cmocka_unit_test(test_hex_digit),
      cmocka_unit_test(test_le),
      cmocka_unit_test(test_rfc3339),
      cmocka_unit_test(test_utf8_sanitize),
      cmocka_unit_test(test_strbuf_printf_grows),
      cmocka_unit_test(test_sink_bounded),
      cmocka_unit_test(test_strbuf_append_take_free),
      cmocka_unit_test(test_strbuf_failure_flag),
      cmocka_unit_test(test_write_atomic_targets),
      cmocka_unit_test(test_read_refuses_non_regular),
      cmocka_unit_test(test_check_write_target),
      cmocka_unit_test(test_fail_with_own_fields),
      cmocka_unit_test(test_listen_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
