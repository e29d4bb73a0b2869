/* SPDX-License-Identifier: Apache-2.0 */
/* Per-client request counting (service/ratelimit.h). */
#include "service/ratelimit.h"

#include "teectl/crypto.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 256 sets of 4 ways: a client's set comes from a keyed hash (SHA-256 of a random secret
 * made at start and the key), so nobody can choose addresses that share a set; within a
 * set, a client keeps its own way. */
#define RATE_SETS 256
#define RATE_WAYS 4

typedef struct {
  char key[80]; /* "<route> <client key>" */
  int64_t window;
  unsigned count;
} rate_slot;

struct svc_rate_limiter {
  pthread_mutex_t mu;
  uint8_t secret[32];
  rate_slot set[RATE_SETS][RATE_WAYS];
};

svc_rate_limiter *svc_rate_new(void) {
  svc_rate_limiter *l = calloc(1, sizeof *l);
  if (l == NULL)
    return NULL;
  if (tc_random_bytes(l->secret, sizeof l->secret, NULL) != TC_OK) {
    free(l);
    return NULL;
  }
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

/* The way of set for key in window: its own; else a way of an older window; else, all
 * four counting other clients this minute, the one with the fewest requests (a client near
 * its limit keeps its count; the newcomers churn among themselves). */
static rate_slot *rate_way(rate_slot *set, const char *key, int64_t window) {
  rate_slot *free_way = NULL, *least = &set[0];
  for (int w = 0; w < RATE_WAYS; w++) {
    rate_slot *s = &set[w];
    if (strcmp(s->key, key) == 0) {
      if (s->window != window) {
        s->window = window;
        s->count = 0;
      }
      return s;
    }
    if (s->window != window && free_way == NULL)
      free_way = s;
    if (s->count < least->count)
      least = s;
  }
  rate_slot *s = free_way != NULL ? free_way : least;
  snprintf(s->key, sizeof s->key, "%s", key);
  s->window = window;
  s->count = 0;
  return s;
}

int svc_rate_ok(svc_rate_limiter *l, const char *route, const char *remote, unsigned limit,
                int64_t now) {
  char client[64], key[80];
  svc_rate_client_key(remote, client, sizeof client);
  snprintf(key, sizeof key, "%s %s", route, client);
  uint8_t h[TC_SHA256_LEN];
  const tc_span parts[] = {{l->secret, sizeof l->secret}, {(const uint8_t *)key, strlen(key)}};
  if (tc_hash(TC_HASH_SHA256, parts, 2, h, NULL) != TC_OK)
    return 0; /* cannot count: refuse */
  pthread_mutex_lock(&l->mu);
  rate_slot *s = rate_way(l->set[h[0]], key, now / 60);
  int ok = ++s->count <= limit;
  pthread_mutex_unlock(&l->mu);
  return ok;
}
