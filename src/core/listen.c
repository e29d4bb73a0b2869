/* SPDX-License-Identifier: Apache-2.0 */
/* Listen addresses of the HTTP servers: "HOST:PORT" or "[IPv6]:PORT" (see listen.h). */
#include "teectl/listen.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static tc_status bad(tc_error *err, const char *text, const char *why) {
  return tc_fail(err, TC_ERR_USAGE, "bad_listen_address",
                 "listen address '%s': %s (expected HOST:PORT, or [IPv6]:PORT)", text, why);
}

tc_status tc_listen_parse(const char *text, tc_listen_addr *out, tc_error *err) {
  char host[256];
  const char *port, *h = text;
  size_t hlen;
  memset(out, 0, sizeof *out);
  if (text == NULL)
    return bad(err, "", "empty");
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (close == NULL || close[1] != ':')
      return bad(err, text, "no ']:' after the IPv6 address");
    h = text + 1;
    hlen = (size_t)(close - h);
    port = close + 2;
  } else {
    const char *colon = strchr(text, ':');
    if (colon == NULL || strchr(colon + 1, ':') != NULL)
      return bad(err, text, colon ? "an IPv6 address needs brackets" : "no ':PORT'");
    hlen = (size_t)(colon - text);
    port = colon + 1;
  }
  if (hlen == 0 || hlen >= sizeof host)
    return bad(err, text, hlen ? "host name too long" : "no host");
  size_t plen = strlen(port);
  unsigned long p = 0;
  for (size_t i = 0; i < plen; i++)
    p = port[i] >= '0' && port[i] <= '9' ? p * 10 + (unsigned long)(port[i] - '0') : 70000;
  if (plen == 0 || plen > 5 || p > 65535)
    return bad(err, text, "the port is not a number in 0..65535");
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  int rc = getaddrinfo(host, port, &hints, &ai);
  if (rc != 0 || ai == NULL || ai->ai_addrlen > sizeof out->addr) {
    if (ai != NULL)
      freeaddrinfo(ai);
    return bad(err, text, rc != 0 ? gai_strerror(rc) : "no address");
  }
  memcpy(&out->addr, ai->ai_addr, ai->ai_addrlen);
  out->addr_len = ai->ai_addrlen;
  freeaddrinfo(ai);
  out->port = (unsigned)p;
  out->is_v6 = out->addr.ss_family == AF_INET6;
  if (out->is_v6)
    out->loopback = IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&out->addr)->sin6_addr);
  else
    out->loopback = (ntohl(((const struct sockaddr_in *)&out->addr)->sin_addr.s_addr) >> 24) == 127;
  return TC_OK;
}

tc_status tc_listen_failed(const tc_listen_addr *a, const char *text, const char *fallback,
                           tc_error *err) {
  char why[160];
  snprintf(why, sizeof why, "%s", fallback);
  int fd = socket(a->addr.ss_family, SOCK_STREAM, 0);
  if (fd < 0)
    snprintf(why, sizeof why, "%s", strerror(errno));
  else {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)&a->addr, a->addr_len) != 0 || listen(fd, 1) != 0)
      snprintf(why, sizeof why, "%s", strerror(errno));
    close(fd);
  }
  return tc_fail(err, TC_ERR_INTERNAL, "listen_failed", "could not start the HTTP server on %s: %s",
                 text, why);
}
