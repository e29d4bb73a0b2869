/* SPDX-License-Identifier: Apache-2.0 */
/* YAML front end of the appraisal policy: a YAML 1.2 document (libyaml) converted to the
 * same JSON value the JSON front end produces, then validated by the same schema.
 *
 * Scalars are typed like the YAML 1.2 core schema, restricted so that the result is
 * predictable: quoted scalars are strings; plain "true"/"false" are booleans, "null"/"~"
 * null; a plain optional minus sign followed by decimal digits without a leading zero that
 * fits in 64 bits is an integer; every other plain scalar is a string (so hex digests such
 * as 00ab.. or 1234... longer than 19 digits stay strings). Anchors, aliases, explicit tags,
 * non-scalar or duplicate mapping keys and several documents are rejected (fail closed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "appraisal/internal.h"

#define YAML_MAX_DEPTH 32

typedef struct {
  yaml_parser_t parser;
  const char *src;
  tc_error *err;
} yctx;

static tc_status yfail(yctx *y, const yaml_mark_t *m, const char *what) {
  return tc_fail(y->err, TC_ERR_PARSE, "policy_json_invalid", "%s:%zu:%zu: %s", y->src, m->line + 1,
                 m->column + 1, what);
}

static tc_status next(yctx *y, yaml_event_t *ev) {
  if (!yaml_parser_parse(&y->parser, ev)) {
    const char *problem = y->parser.problem ? y->parser.problem : "YAML syntax error";
    return tc_fail(y->err, TC_ERR_PARSE, "policy_json_invalid", "%s:%zu:%zu: %s", y->src,
                   y->parser.problem_mark.line + 1, y->parser.problem_mark.column + 1, problem);
  }
  return TC_OK;
}

static json_t *plain_scalar(const char *s, size_t n) {
  if ((n == 4 && memcmp(s, "true", 4) == 0))
    return json_true();
  if ((n == 5 && memcmp(s, "false", 5) == 0))
    return json_false();
  if ((n == 4 && memcmp(s, "null", 4) == 0) || (n == 1 && s[0] == '~') || n == 0)
    return json_null();
  size_t i = s[0] == '-' ? 1 : 0;
  int digits = i < n;
  for (size_t j = i; j < n; j++)
    digits &= s[j] >= '0' && s[j] <= '9';
  if (digits && !(s[i] == '0' && n - i > 1) && n - i <= 19) {
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno == 0 && end == s + n)
      return json_integer(v);
  }
  return json_stringn(s, n);
}

static tc_status node(yctx *y, yaml_event_t *ev, int depth, json_t **out);

/* Build the value that starts with event ev (consumed by the caller). */
static tc_status node(yctx *y, yaml_event_t *ev, int depth, json_t **out) {
  *out = NULL;
  if (depth > YAML_MAX_DEPTH)
    return yfail(y, &ev->start_mark, "nesting too deep");
  switch (ev->type) {
  case YAML_ALIAS_EVENT:
    return yfail(y, &ev->start_mark, "aliases are not supported in a policy");
  case YAML_SCALAR_EVENT: {
    if (ev->data.scalar.anchor)
      return yfail(y, &ev->start_mark, "anchors are not supported in a policy");
    if (ev->data.scalar.tag && !ev->data.scalar.plain_implicit && !ev->data.scalar.quoted_implicit)
      return yfail(y, &ev->start_mark, "explicit tags are not supported in a policy");
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    *out =
        ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? plain_scalar(s, n) : json_stringn(s, n);
    if (!*out)
      return yfail(y, &ev->start_mark, "scalar is not valid UTF-8");
    return TC_OK;
  }
  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT: {
    int is_map = ev->type == YAML_MAPPING_START_EVENT;
    if ((is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor))
      return yfail(y, &ev->start_mark, "anchors are not supported in a policy");
    if (!(is_map ? ev->data.mapping_start.implicit : ev->data.sequence_start.implicit))
      return yfail(y, &ev->start_mark, "explicit tags are not supported in a policy");
    json_t *c = is_map ? json_object() : json_array();
    if (!c)
      return tc_fail(y->err, TC_ERR_NOMEM, "out_of_memory", "policy");
    for (;;) {
      yaml_event_t kev;
      tc_status st = next(y, &kev);
      if (st != TC_OK) {
        json_decref(c);
        return st;
      }
      if (kev.type == (is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT)) {
        yaml_event_delete(&kev);
        break;
      }
      if (!is_map) {
        json_t *v = NULL;
        st = node(y, &kev, depth + 1, &v);
        yaml_event_delete(&kev);
        if (st == TC_OK && json_array_append_new(c, v) != 0)
          st = tc_fail(y->err, TC_ERR_NOMEM, "out_of_memory", "policy");
        if (st != TC_OK) {
          json_decref(c);
          return st;
        }
        continue;
      }
      if (kev.type != YAML_SCALAR_EVENT || kev.data.scalar.anchor) {
        st = yfail(y, &kev.start_mark, "mapping keys must be plain strings");
        yaml_event_delete(&kev);
        json_decref(c);
        return st;
      }
      yaml_mark_t kmark = kev.start_mark;
      if (memchr(kev.data.scalar.value, 0, kev.data.scalar.length)) {
        yaml_event_delete(&kev);
        json_decref(c);
        return yfail(y, &kmark, "mapping key contains a NUL character");
      }
      char *key = strndup((const char *)kev.data.scalar.value, kev.data.scalar.length);
      yaml_event_delete(&kev);
      if (!key) {
        json_decref(c);
        return tc_fail(y->err, TC_ERR_NOMEM, "out_of_memory", "policy");
      }
      if (json_object_get(c, key)) {
        char what[200];
        snprintf(what, sizeof what, "duplicate key '%.100s'", key);
        free(key);
        json_decref(c);
        return yfail(y, &kmark, what);
      }
      yaml_event_t vev;
      json_t *v = NULL;
      st = next(y, &vev);
      if (st == TC_OK) {
        st = node(y, &vev, depth + 1, &v);
        yaml_event_delete(&vev);
      }
      if (st == TC_OK && json_object_set_new(c, key, v) != 0)
        st = yfail(y, &kmark, "mapping key is not valid UTF-8");
      free(key);
      if (st != TC_OK) {
        json_decref(c);
        return st;
      }
    }
    *out = c;
    return TC_OK;
  }
  default:
    return yfail(y, &ev->start_mark, "unexpected YAML event");
  }
}

tc_status policy_yaml_to_json(const char *text, size_t len, const char *src, json_t **out,
                              tc_error *err) {
  yctx y = {.src = src, .err = err};
  *out = NULL;
  if (!yaml_parser_initialize(&y.parser))
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "policy");
  yaml_parser_set_input_string(&y.parser, (const unsigned char *)text, len);
  yaml_event_t ev;
  json_t *doc = NULL;
  tc_status st = next(&y, &ev); /* STREAM-START */
  if (st == TC_OK) {
    yaml_event_delete(&ev);
    st = next(&y, &ev); /* DOCUMENT-START or STREAM-END */
  }
  if (st == TC_OK && ev.type != YAML_DOCUMENT_START_EVENT)
    st = yfail(&y, &ev.start_mark, "empty document: expected a mapping");
  if (st == TC_OK) {
    yaml_event_delete(&ev);
    st = next(&y, &ev);
    if (st == TC_OK)
      st = node(&y, &ev, 0, &doc);
  }
  if (st == TC_OK) {
    yaml_event_delete(&ev);
    st = next(&y, &ev); /* DOCUMENT-END */
  }
  if (st == TC_OK) {
    yaml_event_delete(&ev);
    st = next(&y, &ev); /* STREAM-END, not a second document */
    if (st == TC_OK && ev.type != YAML_STREAM_END_EVENT)
      st = yfail(&y, &ev.start_mark, "only one YAML document is allowed");
  }
  yaml_event_delete(&ev);
  yaml_parser_delete(&y.parser);
  if (st != TC_OK) {
    json_decref(doc);
    return st;
  }
  *out = doc;
  return TC_OK;
}
