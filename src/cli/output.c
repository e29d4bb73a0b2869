/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/output.h"
#include "teectl/file.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void cli_print_json(FILE *f, const json_t *value) {
  json_dumpf(value, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  fputc('\n', f);
}

static void print_scalar(FILE *f, const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_STRING:
    fputs(json_string_value(v), f);
    break;
  case JSON_INTEGER:
    fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    break;
  case JSON_REAL:
    fprintf(f, "%g", json_real_value(v));
    break;
  case JSON_TRUE:
    fputs("true", f);
    break;
  case JSON_FALSE:
    fputs("false", f);
    break;
  case JSON_NULL:
    fputs("-", f);
    break;
  default: {
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputs(s ? s : "?", f);
    free(s);
  }
  }
}

static int all_scalars(const json_t *obj) {
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)obj, k, v) {
    if (json_is_object(v) ||
        (json_is_array(v) && json_array_size(v) > 0 && !json_is_string(json_array_get(v, 0))))
      return 0;
  }
  return 1;
}

static void print_value(FILE *f, const char *key, const json_t *v, int indent) {
  fprintf(f, "%*s%s:", indent, "", key);
  if (json_is_object(v) && all_scalars(v)) {
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) {
      fprintf(f, " %s=", k);
      print_scalar(f, x);
    }
    fputc('\n', f);
  } else if (json_is_object(v)) {
    fputc('\n', f);
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) print_value(f, k, x, indent + 2);
  } else if (json_is_array(v)) {
    size_t i;
    json_t *x;
    if (json_array_size(v) == 0)
      fputs(" (none)", f);
    json_array_foreach(v, i, x) {
      fputs(i ? ", " : " ", f);
      print_scalar(f, x);
    }
    fputc('\n', f);
  } else {
    fputc(' ', f);
    print_scalar(f, v);
    fputc('\n', f);
  }
}

void cli_print_result_text(FILE *f, const json_t *r) {
  const char *verdict = json_string_value(json_object_get(r, "verdict"));
  int valid = verdict != NULL && strcmp(verdict, "valid") == 0;
  fprintf(f, "%s", valid ? "VALID" : "INVALID");
  static const char *const head[] = {"tee", "product", "signing_key", "tcb_status"};
  for (size_t i = 0; i < sizeof head / sizeof head[0]; i++) {
    const char *s = json_string_value(json_object_get(r, head[i]));
    if (s != NULL)
      fprintf(f, " %s", s);
  }
  const char *at = json_string_value(json_object_get(r, "verified_at"));
  if (at != NULL)
    fprintf(f, " (at %s)", at);
  const char *anchor = json_string_value(json_object_get(r, "trust_anchor"));
  if (valid && anchor != NULL && strcmp(anchor, "operator_trust_root") == 0)
    fprintf(f, " through a --trust-root (TEST root, not a vendor root)");
  fputc('\n', f);
  /* Why first: reason and detail right under the verdict, whatever the TEE. */
  static const char *const first[] = {"reason", "detail"};
  for (size_t i = 0; i < sizeof first / sizeof first[0]; i++) {
    json_t *x = json_object_get(r, first[i]);
    if (x != NULL)
      print_value(f, first[i], x, 2);
  }
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)r, k, v) {
    if (strcmp(k, "verdict") == 0 || strcmp(k, "verified_at") == 0 || strcmp(k, "reason") == 0 ||
        strcmp(k, "detail") == 0 || strcmp(k, "trust_anchor") == 0)
      continue;
    int in_head = 0;
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
      in_head |= strcmp(k, head[i]) == 0 && json_is_string(v);
    if (!in_head)
      print_value(f, k, v, 2);
  }
}

int cli_locale_is_utf8(void) {
  static const char *const vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
  const char *loc = NULL;
  for (size_t i = 0; i < sizeof vars / sizeof vars[0] && loc == NULL; i++) {
    const char *v = getenv(vars[i]);
    if (v != NULL && v[0] != '\0')
      loc = v;
  }
  const char *dot = loc ? strchr(loc, '.') : NULL;
  if (dot == NULL)
    return 0;
  size_t n = strcspn(dot + 1, "@"); /* a modifier may follow: "de_DE.UTF-8@euro" */
  return (n == 5 && strncasecmp(dot + 1, "utf-8", 5) == 0) ||
         (n == 4 && strncasecmp(dot + 1, "utf8", 4) == 0);
}

int cli_load_probe_file(const char *cmd, const char *path, json_t **out) {
  *out = NULL;
  tc_buf b;
  tc_error err;
  if (tc_file_read(path, 16u << 20, &b, &err) != TC_OK) {
    fprintf(stderr, "teectl %s: --probe %s (a 'teectl probe --format json' file, or live)\n", cmd,
            err.detail);
    return -1;
  }
  json_error_t je;
  json_t *j = json_loadb((const char *)b.data, b.len, JSON_REJECT_DUPLICATES, &je);
  tc_buf_free(&b);
  if (j == NULL || !json_is_object(j)) {
    if (j == NULL)
      fprintf(stderr, "teectl %s: --probe %s:%d:%d: %s\n", cmd, path, je.line, je.column, je.text);
    else
      fprintf(stderr,
              "teectl %s: --probe %s: not a JSON object (a 'teectl probe --format json' "
              "result)\n",
              cmd, path);
    json_decref(j);
    return -1;
  }
  *out = j;
  return 0;
}
