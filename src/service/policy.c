/* SPDX-License-Identifier: Apache-2.0 */
/* The service's appraisal policy: loading the file, reference counting (requests hold
 * the policy they started with; a reload swaps it without waiting for them) and reloading
 * when the file changes. API in service/state.h.
 *
 * Reload rule: only a complete file is loaded. A file replaced by a rename (a new inode:
 * `mv`, Kubernetes ConfigMap updates) is read at once; a file written in place is read once
 * its mtime is SETTLE_S seconds old (a writer between two writes leaves a fresh mtime), and
 * any file whose size or mtime changes while it is read is left for the next check. A new
 * policy that drops a section the old one configured (back to the defaults) is loaded but
 * audited as suspicious ("sections_lost"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "service/state.h"
#include "teectl/file.h"

/* Seconds a file written in place must rest before it is read. */
#define SETTLE_S 1

static int same_file_state(const struct stat *a, const struct stat *b) {
  return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
         a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

tc_status svc_policy_load_file(const char *path, tc_policy **out, struct stat *st, tc_error *err) {
  tc_buf text = {0};
  struct stat after;
  if (stat(path, st) != 0)
    return tc_fail(err, TC_ERR_IO, "file_unreadable", "policy %s: %s", path, strerror(errno));
  tc_status s = tc_file_read(path, 4u << 20, &text, err);
  if (s != TC_OK)
    return s;
  if (stat(path, &after) != 0 || !same_file_state(st, &after)) {
    tc_buf_free(&text);
    return tc_fail(err, TC_ERR_IO, "policy_changing", "policy %s changed while it was read", path);
  }
  s = tc_policy_parse((const char *)text.data, text.len, path, out, err);
  tc_buf_free(&text);
  /* the key broker's "resources" rules must parse too, or the policy is refused whole */
  tc_kbs_rules *rules = NULL;
  if (s == TC_OK && (s = tc_kbs_rules_parse(json_object_get(tc_policy_json(*out), "resources"),
                                            &rules, err)) != TC_OK) {
    tc_policy_free(*out);
    *out = NULL;
  }
  tc_kbs_rules_free(rules);
  return s;
}

/* Is the changed file now (vs the loaded one, was) complete enough to read? */
static int settled(const struct stat *now, const struct stat *was) {
  if (now->st_ino != was->st_ino || now->st_dev != was->st_dev)
    return 1; /* replaced by a rename: written elsewhere, complete */
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t.tv_sec - now->st_mtim.tv_sec >= SETTLE_S;
}

/* The top-level sections the old policy set (differ from the default policy's) that the
 * new one leaves at the default: a JSON array of names, or NULL if none. */
static json_t *sections_lost(const tc_policy *old, const tc_policy *fresh) {
  tc_policy *def = tc_policy_default();
  const json_t *o = tc_policy_json(old), *n = tc_policy_json(fresh);
  const json_t *d = def ? tc_policy_json(def) : NULL;
  json_t *lost = NULL;
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)o, key, v) {
    if (strcmp(key, "id") == 0 || json_equal(v, json_object_get(d, key)))
      continue;
    const json_t *nv = json_object_get(n, key);
    if (nv == NULL || json_equal(nv, json_object_get(d, key))) {
      if (lost == NULL)
        lost = json_array();
      json_array_append_new(lost, json_string(key));
    }
  }
  tc_policy_free(def);
  return lost;
}

struct svc_policy_ref *svc_policy_ref_new(tc_policy *p) {
  struct svc_policy_ref *r = calloc(1, sizeof *r);
  if (r == NULL)
    return NULL;
  r->policy = p;
  atomic_init(&r->refs, 1);
  return r;
}

struct svc_policy_ref *svc_policy_acquire(tc_service *svc) {
  pthread_mutex_lock(&svc->policy_mu);
  struct svc_policy_ref *r = svc->policy;
  atomic_fetch_add(&r->refs, 1);
  pthread_mutex_unlock(&svc->policy_mu);
  return r;
}

void svc_policy_release(struct svc_policy_ref *r) {
  if (r != NULL && atomic_fetch_sub(&r->refs, 1) == 1) {
    tc_policy_free(r->policy);
    free(r);
  }
}

void svc_policy_maybe_reload(tc_service *svc) {
  if (svc->opts.policy == NULL)
    return;
  struct stat now;
  if (stat(svc->opts.policy, &now) != 0)
    return; /* gone for a moment (e.g. ConfigMap update): keep the loaded policy */
  pthread_mutex_lock(&svc->reload_lock);
  tc_policy *p = NULL;
  tc_error err;
  struct stat st;
  tc_status s = TC_ERR_IO;
  if (!same_file_state(&now, &svc->policy_stat) && settled(&now, &svc->policy_stat)) {
    s = svc_policy_load_file(svc->opts.policy, &p, &st, &err);
    if (s == TC_OK || strcmp(err.reason, "policy_changing") != 0)
      goto reload;
  }
  pthread_mutex_unlock(&svc->reload_lock); /* unchanged, or still being written */
  return;
reload:
  svc->policy_stat = s == TC_OK ? st : now; /* a bad file is retried only when it changes */
  json_t *audit;
  struct svc_policy_ref *fresh = s == TC_OK ? svc_policy_ref_new(p) : NULL;
  if (s == TC_OK && fresh == NULL) {
    tc_policy_free(p);
    s = tc_fail(&err, TC_ERR_NOMEM, "out_of_memory", "policy reference");
  }
  if (s == TC_OK) {
    audit = json_pack("{s:s, s:s, s:s}", "event", "policy_reload", "result", "success", "policy_id",
                      tc_policy_id(p));
    json_t *lost = sections_lost(svc->policy->policy, p);
    if (lost != NULL && audit != NULL) {
      json_object_set_new(audit, "warning", json_string("sections_lost"));
      json_object_set_new(audit, "sections_lost", lost);
    } else
      json_decref(lost);
    pthread_mutex_lock(&svc->policy_mu);
    struct svc_policy_ref *old = svc->policy;
    svc->policy = fresh;
    pthread_mutex_unlock(&svc->policy_mu);
    svc_policy_release(old); /* freed when its last in-flight holder is done */
  } else {
    audit = json_pack("{s:s, s:s, s:s, s:s}", "event", "policy_reload", "result", "failure",
                      "reason", err.reason, "detail", err.detail);
  }
  svc_metrics_policy_reload(svc->metrics, s == TC_OK);
  pthread_mutex_unlock(&svc->reload_lock);
  svc_audit(audit);
  json_decref(audit);
}
