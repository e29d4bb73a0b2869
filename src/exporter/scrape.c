/* SPDX-License-Identifier: Apache-2.0 */
/* One scrape: the probe's TEE facts, the Kata sandboxes, and the exporter's own
 * families. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exporter/internal.h"
#include "teectl/exporter.h"
#include "teectl/file.h"
#include "teectl/probe.h"
#include "teectl/version.h"

tc_status tc_exporter_init(tc_exporter *x, const tc_exporter_opts *opts, tc_error *err) {
  memset(x, 0, sizeof *x);
  if (opts != NULL)
    x->opts = *opts;
  if (x->opts.clk_tck < 0)
    return tc_fail(err, TC_ERR_USAGE, "bad_clk_tck", "clock ticks per second must be >= 0");
  if (x->opts.clk_tck == 0) {
    long t = sysconf(_SC_CLK_TCK);
    x->opts.clk_tck = t > 0 ? t : 100;
  }
  if (pthread_mutex_init(&x->lock, NULL) != 0)
    return tc_fail(err, TC_ERR_INTERNAL, "mutex_init_failed", "pthread_mutex_init");
  return TC_OK;
}

void tc_exporter_destroy(tc_exporter *x) {
  if (x != NULL)
    pthread_mutex_destroy(&x->lock);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Add one child's values to the sum; 0 if a sum would pass INT64_MAX (then nothing is added). */
static int misc_add(tc_misc_current *used, const tc_misc_current *one) {
  int64_t *dst[] = {&used->sev, &used->sev_es, &used->tdx};
  const int64_t src[] = {one->sev, one->sev_es, one->tdx};
  for (size_t i = 0; i < 3; i++)
    if (src[i] > 0 && *dst[i] > 0 && src[i] > INT64_MAX - *dst[i])
      return 0;
  for (size_t i = 0; i < 3; i++)
    if (src[i] >= 0)
      *dst[i] = (*dst[i] < 0 ? 0 : *dst[i]) + src[i];
  return 1;
}

/* misc.current of the root's child cgroups, summed: the root cgroup shows misc.current
 * only since Linux 6.5 ("cgroup/misc: Expose misc.current on cgroup v2 root"). Charges
 * of processes in the root cgroup itself are not visible this way. A child's file that does
 * not parse is skipped and counted in *skipped (the others still add up). */
static tc_status misc_current_children(const char *root, tc_misc_current *used, size_t *skipped,
                                       tc_error *err) {
  char dir[4096];
  int dn = snprintf(dir, sizeof dir, "%s/sys/fs/cgroup", root);
  if (dn < 0 || (size_t)dn >= sizeof dir)
    return tc_fail(err, TC_ERR_USAGE, "path_too_long", "root path too long");
  DIR *d = opendir(dir);
  if (d == NULL)
    return TC_OK; /* no cgroup2 tree: use unknown */
  tc_status st = TC_OK;
  struct dirent *de;
  while (st == TC_OK && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    char path[4096 + 256];
    int n = snprintf(path, sizeof path, "%s/%s/misc.current", dir, de->d_name);
    if (n < 0 || (size_t)n >= sizeof path)
      continue;
    tc_buf b = {0};
    tc_error e;
    if (tc_file_read(path, 1u << 20, &b, &e) != TC_OK)
      continue; /* not a cgroup folder, or no misc controller there */
    tc_misc_current one = {-1, -1, -1};
    tc_error pe;
    if (tc_misc_current_parse((const char *)b.data, b.len, path, &one, &pe) != TC_OK ||
        !misc_add(used, &one))
      (*skipped)++;
    tc_buf_free(&b);
  }
  closedir(d);
  return st;
}

/* The "tee" collector. */
static tc_status collect_tee(const tc_exporter *x, tc_prom_writer *w, size_t *skipped,
                             tc_error *err) {
  tc_probe_opts po = {x->opts.root, x->opts.cpuid_file, x->opts.char_devices_file};
  json_t *probe = NULL;
  tc_status st = tc_probe_run(&po, &probe, err);
  if (st != TC_OK)
    return st;
  tc_misc_current used = {-1, -1, -1};
  const json_t *cur = json_object_get(json_object_get(probe, "misc"), "current");
  if (cur != NULL && !json_is_object(cur)) {
    json_decref(probe);
    return tc_fail(err, TC_ERR_PARSE, "probe_field_type",
                   "probe JSON: 'misc.current' must be an object");
  }
  if (json_object_size(cur) > 0) {
    int64_t *slots[] = {&used.sev, &used.sev_es, &used.tdx};
    const char *keys[] = {"sev", "sev_es", "tdx"};
    for (size_t i = 0; i < 3; i++) {
      const json_t *v = json_object_get(cur, keys[i]);
      if (v == NULL)
        continue;
      if (!json_is_integer(v) || json_integer_value(v) < 0) {
        json_decref(probe);
        return tc_fail(err, TC_ERR_PARSE, "probe_field_type",
                       "probe JSON: 'misc.current.%s' must be a non-negative integer", keys[i]);
      }
      *slots[i] = json_integer_value(v);
    }
  } else {
    st = misc_current_children(x->opts.root ? x->opts.root : "/", &used, skipped, err);
  }
  if (st == TC_OK)
    st = tc_exporter_write_tee(probe, &used, w, err);
  json_decref(probe);
  return st;
}

/* The "kata" collector. */
static tc_status collect_kata(const tc_exporter *x, tc_prom_writer *w, size_t *skipped,
                              tc_error *err) {
  tc_kata_sandboxes s = {0};
  tc_status st = tc_kata_discover(x->opts.root ? x->opts.root : "/", &s, err);
  *skipped = s.skipped;
  if (st == TC_OK)
    st = tc_exporter_write_kata(&s, x->opts.clk_tck, w, err);
  tc_kata_sandboxes_free(&s);
  return st;
}

static tc_status write_self(tc_exporter *x, tc_prom_writer *w, double seconds, int tee_ok,
                            int kata_ok, const size_t skipped[2], tc_error *err) {
  tc_status st;
  tc_prom_label tee = {"collector", "tee"}, kata = {"collector", "kata"};
  tc_prom_label version = {"version", TEECTL_VERSION};
  if ((st =
           tc_prom_family(w, "teectl_exporter_build_info", TC_PROM_GAUGE,
                          "Version of the teectl exporter serving these metrics; value 1.", err)) ||
      (st = tc_prom_sample(w, &version, 1, 1, err)))
    return st;
  if ((st = tc_prom_family(w, "teectl_exporter_collector_success", TC_PROM_GAUGE,
                           "1 if the collector succeeded in this scrape, else 0.", err)) ||
      (st = tc_prom_sample(w, &kata, 1, kata_ok, err)) ||
      (st = tc_prom_sample(w, &tee, 1, tee_ok, err)))
    return st;
  if ((st = tc_prom_family(w, "teectl_exporter_scrape_errors_total", TC_PROM_COUNTER,
                           "Collector runs that failed since the exporter started.", err)) ||
      (st = tc_prom_sample(w, &kata, 1, (double)x->errors_kata, err)) ||
      (st = tc_prom_sample(w, &tee, 1, (double)x->errors_tee, err)))
    return st;
  if ((st = tc_prom_family(w, "teectl_exporter_entries_skipped", TC_PROM_GAUGE,
                           "Malformed entries skipped in this scrape (kata: a /proc/<pid>/stat "
                           "or status; tee: a cgroup's misc.current); the collector's other "
                           "metrics are still reported.",
                           err)) ||
      (st = tc_prom_sample(w, &kata, 1, (double)skipped[1], err)) ||
      (st = tc_prom_sample(w, &tee, 1, (double)skipped[0], err)))
    return st;
  if ((st = tc_prom_family(w, "teectl_exporter_scrapes_total", TC_PROM_COUNTER,
                           "Scrapes served since the exporter started, this one included.", err)) ||
      (st = tc_prom_sample(w, NULL, 0, (double)x->scrapes, err)))
    return st;
  if ((st = tc_prom_family(w, "teectl_exporter_scrape_duration_seconds", TC_PROM_GAUGE,
                           "Time this scrape took to collect, in seconds.", err)) ||
      (st = tc_prom_sample(w, NULL, 0, seconds, err)))
    return st;
  return TC_OK;
}

tc_status tc_exporter_scrape(tc_exporter *x, char **text, size_t *len, tc_error *collector_err,
                             tc_error *err) {
  *text = NULL;
  *len = 0;
  if (collector_err)
    tc_error_clear(collector_err);
  pthread_mutex_lock(&x->lock);
  double start = now_seconds();
  tc_prom_writer w;
  tc_prom_init(&w);
  tc_error e;
  size_t skipped[2] = {0, 0}; /* tee, kata */
  int tee_ok = collect_tee(x, &w, &skipped[0], &e) == TC_OK;
  if (!tee_ok) {
    x->errors_tee++;
    if (collector_err)
      *collector_err = e;
  }
  int kata_ok = collect_kata(x, &w, &skipped[1], &e) == TC_OK;
  if (!kata_ok) {
    x->errors_kata++;
    if (collector_err)
      *collector_err = e;
  }
  x->scrapes++;
  tc_status st = write_self(x, &w, now_seconds() - start, tee_ok, kata_ok, skipped, err);
  pthread_mutex_unlock(&x->lock);
  if (st != TC_OK) {
    tc_prom_free(&w);
    return st;
  }
  if (w.text == NULL) {
    tc_prom_free(&w);
    return tc_fail(err, TC_ERR_INTERNAL, "empty_scrape", "scrape produced no text");
  }
  *text = w.text;
  *len = w.len;
  w.text = NULL;
  tc_prom_free(&w);
  return TC_OK;
}
