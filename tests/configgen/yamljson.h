/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: YAML (libyaml) to JSON values, for checking generated and shipped
 * Kubernetes manifests. Scalars become JSON strings (no type guessing), mappings objects,
 * sequences arrays; anchors/aliases are resolved by libyaml's document loader. */
#ifndef TEECTL_TEST_YAMLJSON_H
#define TEECTL_TEST_YAMLJSON_H

#include <jansson.h>
#include <stddef.h>

/** Parse every document of a YAML stream. Returns a JSON array (one element per
 *  non-empty document), or NULL with a message in errbuf (line number included). */
json_t *yaml_to_json(const char *text, size_t len, char *errbuf, size_t errlen);

/** Follow a dotted path ("spec.template.spec") through objects; NULL if missing. */
json_t *jpath(const json_t *v, const char *dotted);

/** String value at a dotted path, or NULL. */
const char *jstr(const json_t *v, const char *dotted);

#endif
