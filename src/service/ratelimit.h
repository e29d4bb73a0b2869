/* SPDX-License-Identifier: Apache-2.0 */
/* Per-client request counting for the key broker's /kbs/v0/auth and /kbs/v0/attest
 * (docs/kbs.md "Operations", --auth-rate): fixed one-minute windows, one count per
 * (route, client) in a table of bounded size (256 sets of 4, the set chosen by a hash keyed
 * with a secret made at start, so no client can pick addresses that reset another's count;
 * when a set's four are all counting this minute, the one with the fewest requests makes
 * room). The client is what one host usually owns: an IPv4 address, or the
 * /64 prefix of an IPv6 address (RFC 4291 section 2.5.4: a global unicast interface ID is
 * 64 bits, so one host or subnet picks freely among the 2^64 addresses of its /64); an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d, a dual-stack socket's IPv4 client) counts as its
 * IPv4 address. */
#ifndef TEECTL_SERVICE_RATELIMIT_H
#define TEECTL_SERVICE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct svc_rate_limiter svc_rate_limiter;

/** A limiter with no counts. NULL when out of memory or no random bytes. Thread-safe; free with
 * svc_rate_free. */
svc_rate_limiter *svc_rate_new(void);
void svc_rate_free(svc_rate_limiter *l);

/**
 * The key a client address is counted under, into out (cap bytes, 64 are enough): an IPv4
 * address in its dotted form ("192.0.2.7"), the /64 of an IPv6 address in RFC 5952 form with
 * the prefix length ("2001:db8:1:2::/64"), the IPv4 address of an IPv4-mapped one; any other
 * text (no address known: "") as it is.
 */
void svc_rate_client_key(const char *remote, char *out, size_t cap);

/**
 * Count one request of route ("auth", "attest") from the client address remote (text as
 * inet_ntop writes it) at now (seconds since the epoch, UTC) and say whether it is within
 * limit requests in now's minute window: 1 yes, 0 no (the request is to be refused).
 */
int svc_rate_ok(svc_rate_limiter *l, const char *route, const char *remote, unsigned limit,
                int64_t now);

#endif
