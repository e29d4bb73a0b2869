/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — a TOML 1.0.0 reader (https://toml.io/en/v1.0.0).
 *
 * Parses a whole document held in memory into a tree of tc_toml_value nodes. Every
 * key and every value keeps the 1-based line and 1-based column (in bytes) where it
 * starts, so that callers (the config linter) can point at the place in the file.
 * No I/O, no global state; the caller owns the returned document.
 *
 * Conformance: full TOML 1.0.0 syntax and semantics (all four string kinds and their
 * escapes, decimal/hex/octal/binary integers with underscores, floats incl. inf/nan,
 * booleans, offset and local date-times, local dates and times, arrays, inline tables,
 * tables, arrays of tables, dotted keys), UTF-8 validation of the whole input, and the
 * TOML rules on redefinition (duplicate keys, duplicate tables, extending inline tables
 * or static arrays, dotted keys re-opening tables). Checked against the toml-test
 * suite (files-toml-1.0.0) by tests/toml.
 */
#ifndef TEECTL_TOML_H
#define TEECTL_TOML_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "teectl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Nesting limit for arrays and inline tables (values inside values). */
#define TC_TOML_MAX_DEPTH 128

typedef enum {
  TC_TOML_TABLE,
  TC_TOML_ARRAY,
  TC_TOML_STRING,
  TC_TOML_INTEGER,
  TC_TOML_FLOAT,
  TC_TOML_BOOL,
  TC_TOML_DATETIME,       /**< offset date-time, e.g. 1979-05-27T07:32:00Z */
  TC_TOML_DATETIME_LOCAL, /**< local date-time, no offset */
  TC_TOML_DATE_LOCAL,     /**< local date */
  TC_TOML_TIME_LOCAL,     /**< local time */
} tc_toml_type;

/** Date/time fields as written (no time-zone conversion). nanosecond: 0..999999999
 *  (digits after the 9th are truncated); frac_digits: digits written (0 = no fraction);
 *  offset_minutes: UTC offset in minutes (TC_TOML_DATETIME only, "Z" = 0). */
typedef struct tc_toml_datetime {
  int year, month, day;
  int hour, minute, second;
  int32_t nanosecond;
  int frac_digits;
  int offset_minutes;
} tc_toml_datetime;

typedef struct tc_toml_value tc_toml_value;

/** One key of a table: the key text (UTF-8, may contain NUL when escaped: use
 *  key_len), where the key was written, and its value. For a table created by a
 *  [header] or a dotted key, line/column are those of the key's first mention. */
typedef struct tc_toml_entry {
  char *key;
  size_t key_len;
  unsigned line, column;
  tc_toml_value *value;
} tc_toml_entry;

/** A node. line/column: where the value starts (for a table defined by a [header],
 *  the header's '['; for the root table 1:1). */
struct tc_toml_value {
  tc_toml_type type;
  unsigned line, column;
  unsigned flags; /* internal bookkeeping of how the node was defined */
  union {
    struct {
      char *ptr; /* NUL-terminated; may contain NUL, use len */
      size_t len;
    } str;
    int64_t integer;
    double flt;
    int boolean;
    tc_toml_datetime dt;
    struct {
      tc_toml_entry *items;
      size_t len, cap;
      size_t *index; /* internal: hash index (entry number + 1) for large tables */
      size_t index_cap;
    } table;
    struct {
      tc_toml_value **items;
      size_t len, cap;
    } array;
  } u;
};

/** A problem the parser recovered from (only with TC_TOML_RECOVER_DUPLICATES). */
typedef struct tc_toml_diag {
  unsigned line, column;
  char reason[40]; /**< e.g. "duplicate_key", "duplicate_table" */
  char message[200];
  char *key_path; /**< full dotted path of the key or table from the root
                   *   ("runtime.enable_pprof"; non-bare parts quoted), malloc'd */
} tc_toml_diag;

/** Parse options. */
enum {
  /** Instead of failing on a redefined key or table, record a tc_toml_diag, keep the
   *  first definition and go on (used by the linter to report every finding). Any
   *  other error still fails the parse. */
  TC_TOML_RECOVER_DUPLICATES = 1u << 0,
};

/** A parsed document: root table plus recovered diagnostics. */
typedef struct tc_toml_doc {
  tc_toml_value *root;
  tc_toml_diag *diags;
  size_t n_diags;
} tc_toml_doc;

/**
 * Parse len bytes of TOML 1.0.0 text (need not be NUL-terminated; a NUL byte is an
 * error). On success *out is a new document (free with tc_toml_doc_free).
 * Errors: TC_ERR_PARSE with reasons "toml_utf8" (invalid UTF-8), "toml_syntax"
 * (anything malformed: bad string/number/date, missing '=', junk after a value,
 * control characters, bare CR), "toml_duplicate_key", "toml_duplicate_table",
 * "toml_redefinition" (extending an inline table or static array, dotted keys into a
 * [table], a key used as both table and value), "toml_range" (integer outside int64,
 * invalid date), "toml_too_deep" (nesting over TC_TOML_MAX_DEPTH); TC_ERR_NOMEM.
 * detail starts with "line:col: " and says what is wrong and, for keys, which key.
 */
tc_status tc_toml_parse(const char *text, size_t len, unsigned options, tc_toml_doc **out,
                        tc_error *err);

/** Free a document (NULL-safe). */
void tc_toml_doc_free(tc_toml_doc *doc);

/** Look up key (NUL-terminated, exact byte compare) in a table; NULL when absent or
 *  when tbl is not a table. The entry pointer stays valid until the doc is freed. */
const tc_toml_entry *tc_toml_get(const tc_toml_value *tbl, const char *key);

/** Follow a dotted path of plain keys ("hypervisor.qemu"; keys must not contain '.')
 *  from tbl; NULL when any step is missing or not a table (for the last step: any). */
const tc_toml_value *tc_toml_path(const tc_toml_value *tbl, const char *dotted);

/** Short type name: "table", "array", "string", "integer", "float", "bool",
 *  "datetime", "datetime-local", "date-local", "time-local" (toml-test's tags). */
const char *tc_toml_type_name(tc_toml_type type);

/**
 * Convert a value to toml-test's tagged JSON encoding: tables to objects, arrays to
 * arrays, every scalar to {"type": <tc_toml_type_name>, "value": <string>}. Integers
 * in decimal, floats as "inf"/"-inf"/"nan" or shortest round-trip decimal, date-times
 * as RFC 3339 ("T" separator, "Z" for a zero offset, fraction as written).
 * Returns a new reference or NULL on allocation failure.
 */
json_t *tc_toml_to_tagged_json(const tc_toml_value *v);

#ifdef __cplusplus
}
#endif
#endif
