/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — RFC 3339 timestamps (UTC) <-> seconds since the Unix epoch.
 * The core never reads the clock: verification time is always an argument. */
#ifndef TEECTL_RFC3339_H
#define TEECTL_RFC3339_H

#include <stdint.h>

#include "teectl/error.h"

/**
 * Parse an RFC 3339 date-time ("2025-07-18T00:00:00Z", fractional seconds and
 * "+hh:mm"/"-hh:mm" offsets accepted; fraction truncated) into seconds since
 * 1970-01-01T00:00:00Z. Errors: TC_ERR_PARSE reason "bad_time".
 */
tc_status tc_rfc3339_parse(const char *text, int64_t *out_seconds, tc_error *err);

/** Format seconds since the epoch as "YYYY-MM-DDThh:mm:ssZ" into out (>= 21 bytes). */
char *tc_rfc3339_format(int64_t seconds, char out[21]);

/** Days-from-civil: seconds since the epoch of a UTC calendar time (no range checks). */
int64_t tc_utc_seconds(int year, int month, int day, int hour, int min, int sec);

#endif
