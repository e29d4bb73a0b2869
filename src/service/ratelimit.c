/* SPDX-License-Identifier: Apache-2.0 */
/* Per-client request counting (service/ratelimit.h). */
#include "service/ratelimit.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE_SLOTS 1024

struct svc_rate_limiter {
  pthread_mutex_t mu;
  struct {
    char key[80]; /* "<route> <client key>" */
    int64_t window;
    unsigned count;
  } slot[RATE_SLOTS];
};

svc_rate_limiter *svc_rate_new(void) {
  svc_rate_limiter *l = calloc(1, sizeof *l);
  if (l != NULL)
    pthread_mutex_init(&l->mu, NULL);
  return l;
}

void svc_rate_free(svc_rate_limiter *l) {
  if (l == NULL)
    return;
  pthread_mutex_destroy(&l->mu);
  free(l);
}

void svc_rate_client_key(const char *remote, char *out, size_t cap) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  uint8_t a[16];
  char text[INET6_ADDRSTRLEN];
  if (strchr(remote, ':') == NULL || inet_pton(AF_INET6, remote, a) != 1) {
    snprintf(out, cap, "%s", remote); /* IPv4, or nothing known */
    return;
  }
  if (memcmp(a, mapped, sizeof mapped) == 0) {
    inet_ntop(AF_INET, a + 12, text, sizeof text);
    snprintf(out, cap, "%s", text);
    return;
  }
  memset(a + 8, 0, 8);
  inet_ntop(AF_INET6, a, text, sizeof text);
  snprintf(out, cap, "%s/64", text);
}

int svc_rate_ok(svc_rate_limiter *l, const char *route, const char *remote, unsigned limit,
                int64_t now) {
  char client[64], key[80];
  svc_rate_client_key(remote, client, sizeof client);
  snprintf(key, sizeof key, "%s %s", route, client);
  unsigned h = 2166136261u; /* FNV-1a */
  for (const char *p = key; *p; p++)
    h = (h ^ (unsigned char)*p) * 16777619u;
  pthread_mutex_lock(&l->mu);
  __typeof__(l->slot[0]) *s = &l->slot[h % RATE_SLOTS];
  if (strcmp(s->key, key) != 0 || s->window != now / 60) {
    snprintf(s->key, sizeof s->key, "%s", key);
    s->window = now / 60;
    s->count = 0;
  }
  int ok = ++s->count <= limit;
  pthread_mutex_unlock(&l->mu);
  return ok;
}
