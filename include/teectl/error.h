/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — error values.
 *
 * Every fallible function in the core returns a tc_status and, when it is not
 * TC_OK, fills a caller-provided tc_error: a stable machine-readable reason code
 * (snake_case, e.g. "report_signature_invalid", the codes used by the test
 * vectors' expected.json) and a human detail naming what is wrong and where
 * (offset, field, file). No function below the CLI calls exit() or prints.
 * Resource failures use one code each, tree-wide: TC_ERR_NOMEM "out_of_memory",
 * TC_ERR_INTERNAL "internal_error" (the detail says what could not be made); the codes
 * every area shares, and their retired synonyms, are listed in src/core/reason.h.
 * Return convention of the public API: a function that can fail returns tc_status; an int
 * return is only a predicate (1 yes, 0 no) or a lookup that answers -1 for "no such name".
 */
#ifndef TEECTL_ERROR_H
#define TEECTL_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Status classes. The CLI maps TC_ERR_VERIFY to exit 1, everything else to 2. */
typedef enum {
  TC_OK = 0,
  TC_ERR_USAGE,    /**< bad arguments from the caller */
  TC_ERR_IO,       /**< a file or device could not be read or written */
  TC_ERR_PARSE,    /**< malformed input (evidence, collateral, config, JSON, TOML) */
  TC_ERR_VERIFY,   /**< well-formed input that fails verification (evidence is rejected) */
  TC_ERR_NOMEM,    /**< allocation failed */
  TC_ERR_INTERNAL, /**< a library call failed unexpectedly */
} tc_status;

/** Error value filled by failing functions. reason: stable code; detail: for humans. */
typedef struct tc_error {
  tc_status status;
  char reason[64];
  char detail[512];
} tc_error;

/**
 * Fill *err (if non-NULL) and return status. reason is copied (truncated to 63
 * bytes); detail is printf-formatted (truncated to 511 bytes). Both are made valid UTF-8
 * (tc_utf8_sanitize), so they can always go into JSON. Always returns status,
 * so callers write `return tc_fail(err, TC_ERR_PARSE, "report_truncated", "...")`.
 * err->reason and err->detail may themselves be arguments (adding context to an error).
 */
tc_status tc_fail(tc_error *err, tc_status status, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Reset *err to TC_OK with empty strings. */
void tc_error_clear(tc_error *err);

#ifdef __cplusplus
}
#endif
#endif
