/* SPDX-License-Identifier: Apache-2.0 */
#include "yamljson.h"

#include <stdio.h>
#include <string.h>
#include <yaml.h>

static json_t *node_to_json(yaml_document_t *doc, yaml_node_t *n, int depth) {
  if (n == NULL || depth > 64)
    return NULL;
  switch (n->type) {
  case YAML_SCALAR_NODE:
    return json_stringn((const char *)n->data.scalar.value, n->data.scalar.length);
  case YAML_SEQUENCE_NODE: {
    json_t *a = json_array();
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
      json_array_append_new(a, node_to_json(doc, yaml_document_get_node(doc, *it), depth + 1));
    return a;
  }
  case YAML_MAPPING_NODE: {
    json_t *o = json_object();
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
      yaml_node_t *k = yaml_document_get_node(doc, p->key);
      if (k == NULL || k->type != YAML_SCALAR_NODE)
        continue;
      char key[256];
      snprintf(key, sizeof key, "%.*s", (int)k->data.scalar.length,
               (const char *)k->data.scalar.value);
      if (json_object_get(o, key) != NULL) { /* duplicate key: mark it */
        json_object_set_new(o, "__duplicate_key__", json_string(key));
        continue;
      }
      json_object_set_new(o, key,
                          node_to_json(doc, yaml_document_get_node(doc, p->value), depth + 1));
    }
    return o;
  }
  default:
    return json_null();
  }
}

json_t *yaml_to_json(const char *text, size_t len, char *errbuf, size_t errlen) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    snprintf(errbuf, errlen, "yaml_parser_initialize failed");
    return NULL;
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  json_t *docs = json_array();
  for (;;) {
    yaml_document_t doc;
    if (!yaml_parser_load(&parser, &doc)) {
      snprintf(errbuf, errlen, "line %zu: %s", parser.problem_mark.line + 1,
               parser.problem ? parser.problem : "YAML error");
      json_decref(docs);
      yaml_parser_delete(&parser);
      return NULL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL) {
      yaml_document_delete(&doc);
      break;
    }
    json_array_append_new(docs, node_to_json(&doc, root, 0));
    yaml_document_delete(&doc);
  }
  yaml_parser_delete(&parser);
  return docs;
}

json_t *jpath(const json_t *v, const char *dotted) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", dotted);
  char *save = NULL;
  const json_t *cur = v;
  for (char *k = strtok_r(buf, ".", &save); k && cur; k = strtok_r(NULL, ".", &save))
    cur = json_object_get(cur, k);
  return (json_t *)cur;
}

const char *jstr(const json_t *v, const char *dotted) {
  return json_string_value(jpath(v, dotted));
}
