/* SPDX-License-Identifier: Apache-2.0 */
/* `teectl serve` trusting a forged SEV-SNP hierarchy (see snp_serve.h). */
#include "snp_serve.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "teectl/file.h"

static int put(const char *dir, const char *name, const tc_buf *b) {
  char p[400];
  tc_error err;
  snprintf(p, sizeof p, "%s/%s", dir, name);
  if (tc_file_write_atomic(p, b->data, b->len, &err) == TC_OK)
    return 0;
  fprintf(stderr, "snp_serve: %s\n", err.detail);
  return -1;
}

int snp_serve_init(snp_serve *h, const char *dir, const snp_forge_opts *o) {
  memset(h, 0, sizeof *h);
  snp_forge_opts d;
  if (o == NULL) {
    snp_forge_opts_init(&d, TC_SNP_GENOA, 0);
    o = &d;
  }
  snprintf(h->dir, sizeof h->dir, "%s", dir);
  snprintf(h->root, sizeof h->root, "%s/ark.pem", dir);
  snprintf(h->ca, sizeof h->ca, "%s/ca", dir);
  snprintf(h->key, sizeof h->key, "%s/leaf.pem", dir);
  snprintf(h->tpl, sizeof h->tpl, "%s/template.bin", dir);
  if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || (mkdir(h->ca, 0700) != 0 && errno != EEXIST)) {
    fprintf(stderr, "snp_serve: cannot make %s: %s\n", h->ca, strerror(errno));
    return -1;
  }
  h->forge = snp_forge_new(o);
  if (h->forge == NULL || snp_forge_write_dir(h->forge, dir) != 0 ||
      put(h->ca, "ark.pem", snp_forge_ark_pem(h->forge)) != 0 ||
      put(h->ca, "ask.pem", snp_forge_ask_pem(h->forge)) != 0 ||
      snp_forge_write_leaf_key(h->forge, h->key) != 0)
    return -1;
  return 0;
}

int snp_serve_template(snp_serve *h, const tc_snp_report *r) {
  tc_snp_report d;
  if (r == NULL) {
    snp_forge_report_init(h->forge, 3, &d);
    r = &d;
  }
  uint8_t rep[TC_SNP_REPORT_SIZE];
  tc_error err;
  if (snp_forge_sign_report(h->forge, r, rep) != 0)
    return -1;
  if (tc_file_write_atomic(h->tpl, rep, sizeof rep, &err) == TC_OK)
    return 0;
  fprintf(stderr, "snp_serve: %s\n", err.detail);
  return -1;
}

int snp_serve_start(const snp_serve *h, srv *s, snp_serve_collateral col, const char *const *args) {
  const char *all[48] = {"--trust-root", h->root};
  size_t n = 2;
  if (col != SNP_SERVE_ROOT_ONLY) {
    all[n++] = "--collateral";
    all[n++] = col == SNP_SERVE_CA_ONLY ? h->ca : h->dir;
  }
  for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
    if (n + 1 >= sizeof all / sizeof all[0]) {
      fprintf(stderr, "snp_serve: too many arguments\n");
      return -1;
    }
    all[n++] = args[i];
  }
  all[n] = NULL;
  return srv_start(s, all);
}

void snp_serve_free(snp_serve *h) {
  snp_forge_free(h->forge);
  h->forge = NULL;
}
