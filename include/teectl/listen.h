/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — listen addresses of the HTTP servers (`serve`, `exporter`): one syntax, one
 * parser, one error for a failed bind. */
#ifndef TEECTL_LISTEN_H
#define TEECTL_LISTEN_H

#include <sys/socket.h>

#include "teectl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A parsed listen address. */
typedef struct tc_listen_addr {
  struct sockaddr_storage addr; /* the first address getaddrinfo gave (IPv4 or IPv6) */
  socklen_t addr_len;
  int is_v6;     /* addr is AF_INET6 */
  int loopback;  /* 127.0.0.0/8 or ::1 */
  unsigned port; /* 0..65535; 0: the system picks a free port */
} tc_listen_addr;

/**
 * Parse "HOST:PORT" (HOST an IPv4 address or a host name, no ':') or "[IPv6]:PORT";
 * PORT is 1 to 5 decimal digits, at most 65535. HOST is resolved with getaddrinfo
 * (AI_PASSIVE, stream sockets); the first answer is kept.
 * Errors: TC_ERR_USAGE "bad_listen_address" (the detail quotes the text and says what is
 * wrong: shape, port, or the resolver's message).
 */
tc_status tc_listen_parse(const char *text, tc_listen_addr *out, tc_error *err);

/**
 * The error for a server that could not listen on addr (text: as the user wrote it):
 * TC_ERR_INTERNAL "listen_failed", detail "could not start the HTTP server on TEXT:
 * REASON", the reason being the system's (strerror of a bind/listen tried here, e.g.
 * "Address already in use"), or fallback when the bind works now.
 */
tc_status tc_listen_failed(const tc_listen_addr *addr, const char *text, const char *fallback,
                           tc_error *err);

#ifdef __cplusplus
}
#endif
#endif
