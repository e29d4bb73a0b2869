/* SPDX-License-Identifier: Apache-2.0 */
/* `teectl serve` trusting a forged SEV-SNP hierarchy (tests/common/snp_forge), for the tests
 * that start the real server (tests/service/harness) and attest against it: the hierarchy's
 * files in one folder, a signed template report for evidence commands, and servers started
 * with its ARK as --trust-root and, as the test asks, its certificates as --collateral.
 *
 * Folder layout (snp_serve_init):
 *   DIR/ark.pem, DIR/ask.pem, DIR/vcek.der (VLEK: ask.pem is the ASVK, vlek.der): the
 *       collateral folder layout of `teectl verify --collateral`, written by snp_forge_write_dir
 *   DIR/ca/ark.pem, DIR/ca/ask.pem: the same CA certificates without the leaf (a server that
 *       must take the leaf from the evidence)
 *   DIR/leaf.pem: the leaf's private key (PKCS#8 PEM), for evidence commands that sign
 *   DIR/template.bin: a report signed by the leaf (snp_serve_template)
 */
#ifndef TEECTL_TESTS_SNP_SERVE_H
#define TEECTL_TESTS_SNP_SERVE_H

#include "harness.h"
#include "snp_forge.h"

/** What a server gets of the hierarchy besides --trust-root DIR/ark.pem. */
typedef enum {
  SNP_SERVE_ROOT_ONLY = 0, /* nothing: the leaf and ASK come with the request, or are fetched */
  SNP_SERVE_COLLATERAL,    /* --collateral DIR: ARK, ASK, leaf */
  SNP_SERVE_CA_ONLY,       /* --collateral DIR/ca: ARK and ASK; the leaf comes with the evidence */
} snp_serve_collateral;

typedef struct snp_serve {
  snp_forge *forge; /* the hierarchy (owned) */
  char dir[320];    /* the folder of the files */
  char root[360];   /* DIR/ark.pem */
  char ca[360];     /* DIR/ca */
  char key[360];    /* DIR/leaf.pem */
  char tpl[360];    /* DIR/template.bin */
} snp_serve;

/** Forge the hierarchy of o (NULL: snp_forge_opts_init's Genoa VCEK defaults) and write its
 *  files into dir (made if missing). 0, or -1 (the reason on stderr). */
int snp_serve_init(snp_serve *h, const char *dir, const snp_forge_opts *o);

/** Sign r (NULL: snp_forge_report_init's version 3 report) and write it as DIR/template.bin.
 *  0 or -1. */
int snp_serve_template(snp_serve *h, const tc_snp_report *r);

/** srv_start(s, "--trust-root DIR/ark.pem" [--collateral DIR | DIR/ca] args...): s must be
 *  srv_init'ed; args NULL-terminated (or NULL), at most 40. 0 or -1, as srv_start. */
int snp_serve_start(const snp_serve *h, srv *s, snp_serve_collateral col, const char *const *args);

/** Free the forge (the files stay; they go with the folder they are in). */
void snp_serve_free(snp_serve *h);

#endif
