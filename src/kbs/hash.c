/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — the KBS protocol's hash algorithms (names, lengths, zero-padded digests), used by
 * the runtime-data binding (kbs/binding.c) and init-data (kbs/initdata.c). Apart from
 * binding.c so that init-data users (teectl measure) do not link libjose. */
#include <string.h>
#include <strings.h>

#include "teectl/crypto.h"
#include "teectl/kbs.h"

const char *tc_kbs_hash_name(tc_kbs_hash h) {
  switch (h) {
  case TC_KBS_SHA256:
    return "sha256";
  case TC_KBS_SHA384:
    return "sha384";
  case TC_KBS_SHA512:
    return "sha512";
  }
  return "unknown";
}

tc_kbs_hash tc_kbs_hash_from_name(const char *name) {
  static const struct {
    const char *a, *b;
    tc_kbs_hash h;
  } names[] = {{"sha256", "sha-256", TC_KBS_SHA256},
               {"sha384", "sha-384", TC_KBS_SHA384},
               {"sha512", "sha-512", TC_KBS_SHA512}};
  if (!name)
    return 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcasecmp(name, names[i].a) == 0 || strcasecmp(name, names[i].b) == 0)
      return names[i].h;
  return 0;
}

size_t tc_kbs_hash_len(tc_kbs_hash h) {
  return h == TC_KBS_SHA256 ? 32 : h == TC_KBS_SHA384 ? 48 : h == TC_KBS_SHA512 ? 64 : 0;
}

tc_status tc_kbs_digest(tc_kbs_hash h, const void *data, size_t len, uint8_t out[64],
                        tc_error *err) {
  tc_hash_alg alg = h == TC_KBS_SHA256 ? TC_HASH_SHA256 : TC_HASH_SHA384;
  if (h == TC_KBS_SHA512)
    alg = TC_HASH_SHA512;
  else if (h != TC_KBS_SHA256 && h != TC_KBS_SHA384)
    return tc_fail(err, TC_ERR_USAGE, "hash_unsupported", "hash algorithm %d", (int)h);
  memset(out, 0, 64);
  tc_span part = {data, len};
  if (tc_hash(alg, &part, 1, out, err) != TC_OK)
    return tc_fail(err, TC_ERR_INTERNAL, "internal_error", "%s digest failed", tc_kbs_hash_name(h));
  return TC_OK;
}
