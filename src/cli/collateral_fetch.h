/* SPDX-License-Identifier: Apache-2.0 */
/* Collateral fetching for the CLI commands that verify (verify --fetch, serve): the
 * options they share with `teectl collateral fetch` and a helper that fills the missing
 * items of a tc_collateral from the cache / AMD KDS / Intel PCS (or a PCCS). */
#ifndef TEECTL_CLI_COLLATERAL_FETCH_H
#define TEECTL_CLI_COLLATERAL_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "teectl/collateral.h"
#include "teectl/verify.h"

typedef struct cli_fetch_options {
  const char *kds_url;        /* --kds-url, NULL: AMD KDS */
  const char *pcs_url;        /* --pcs-url, NULL: Intel PCS */
  const char *cache_dir;      /* --cache-dir, NULL: the default cache folder */
  const char *api_key_file;   /* --api-key-file: Intel PCS subscription key (first line) */
  const char *pcs_ca_file;    /* --pcs-ca-file: PEM CA bundle for the --pcs-url server, or NULL */
  const char *product;        /* --product Milan|Genoa|Turin (SNP v2 reports), or NULL */
  int no_cache;               /* --no-cache */
  int offline;                /* --offline: cache only */
  double max_wait_s;          /* --max-wait seconds, < 0: provider default */
  double kds_interval_s;      /* --kds-interval seconds between KDS requests after a burst,
                                 0: no pacing, < 0: provider default (10) */
  double fill_deadline_s;     /* one fill ends within this long, 0: none (provider default) */
  int64_t host_backoff_s;     /* per-host back-off after a failure, 0: none, < 0: default (2) */
  int64_t host_backoff_max_s; /* its bound, < 0: provider default (30) */
} cli_fetch_options;

/* Default cache folder: $TEECTL_CACHE_DIR, else $XDG_CACHE_HOME/teectl/collateral, else
 * $HOME/.cache/teectl/collateral; NULL if none can be named. Writes into buf. */
const char *cli_default_cache_dir(char *buf, size_t cap);

/* Make a provider from the options (reads the API key file). On failure prints
 * "teectl <cmd>: ..." to stderr and returns NULL. */
tc_provider *cli_fetch_provider(const char *cmd, const cli_fetch_options *o);

/* Fill the missing items of col for this evidence (now: seconds since the epoch). Prints
 * one line per item to diag (origin, expiry, stale / expired markers) unless diag is NULL.
 * *report (optional) gets the provider's JSON report. Returns 0 when everything needed
 * is present, 1 when some collateral could not be had (printed), 2 for unusable evidence
 * or options. */
int cli_fetch_missing(const char *cmd, const cli_fetch_options *o, tc_tee tee,
                      const uint8_t *evidence, size_t len, int64_t now, tc_collateral *col,
                      FILE *diag, json_t **report);

#endif
