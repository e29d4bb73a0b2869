/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "teectl/rfc3339.h"

/* Howard Hinnant's days_from_civil (public domain algorithm description). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

int64_t tc_utc_seconds(int year, int month, int day, int hour, int min, int sec) {
  return days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 + (int64_t)hour * 3600 +
         (int64_t)min * 60 + sec;
}

static int digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i]))
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

static int leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

tc_status tc_rfc3339_parse(const char *t, int64_t *out, tc_error *err) {
  int Y, M, D, h, m, s;
  size_t n = strlen(t);
  if (n < 20 || digits(t, 4, &Y) || t[4] != '-' || digits(t + 5, 2, &M) || t[7] != '-' ||
      digits(t + 8, 2, &D) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      digits(t + 11, 2, &h) || t[13] != ':' || digits(t + 14, 2, &m) || t[16] != ':' ||
      digits(t + 17, 2, &s))
    return tc_fail(err, TC_ERR_PARSE, "bad_time",
                   "'%s' is not an RFC 3339 date-time (YYYY-MM-DDThh:mm:ssZ)", t);
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] + (M == 2 && leap(Y)) || h > 23 || m > 59 ||
      s > 60)
    return tc_fail(err, TC_ERR_PARSE, "bad_time", "'%s': field out of range", t);
  const char *p = t + 19;
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p))
      return tc_fail(err, TC_ERR_PARSE, "bad_time", "'%s': empty fraction", t);
    while (isdigit((unsigned char)*p))
      p++;
  }
  int offset = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om;
    if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
      return tc_fail(err, TC_ERR_PARSE, "bad_time", "'%s': bad UTC offset", t);
    offset = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
    p += 6;
  } else {
    return tc_fail(err, TC_ERR_PARSE, "bad_time", "'%s': missing 'Z' or UTC offset", t);
  }
  if (*p != '\0')
    return tc_fail(err, TC_ERR_PARSE, "bad_time", "'%s': trailing characters", t);
  *out = tc_utc_seconds(Y, M, D, h, m, s > 59 ? 59 : s) - offset;
  return TC_OK;
}

char *tc_rfc3339_format(int64_t secs, char out[21]) {
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  /* civil_from_days */
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = (unsigned)(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
  if (y >= 0 && y <= 9999) { /* the digits by hand: a verification formats several times */
    const unsigned f[6] = {
        (unsigned)y, m, d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60)};
    static const char sep[] = "--T::Z";
    char *o = out;
    for (int i = 0; i < 6; i++) {
      if (i == 0) {
        *o++ = (char)('0' + f[0] / 1000);
        *o++ = (char)('0' + f[0] / 100 % 10);
      }
      *o++ = (char)('0' + f[i] / 10 % 10);
      *o++ = (char)('0' + f[i] % 10);
      *o++ = sep[i];
    }
    *o = '\0';
    return out;
  }
  char tmp[64];
  snprintf(tmp, sizeof tmp, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)(y % 10000), m % 100, d % 100,
           (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
  memcpy(out, tmp, 20);
  out[20] = '\0';
  return out;
}
