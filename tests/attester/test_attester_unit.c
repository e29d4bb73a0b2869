/* SPDX-License-Identifier: Apache-2.0 */
/* The attester's evidence sources and wire forms:
 *  - configfs-tsm against a fake tree, with a helper that plays the kernel's part (fills the
 *    entry's attributes on mkdir, makes outblob/auxblob and bumps generation on the inblob
 *    write, drops the attributes on rmdir): SNP with a certificate table, a missing auxblob,
 *    TDX, privlevel, a generation that moved (retried, and given up after 3 tries), an
 *    unknown provider;
 *  - device fallbacks on a fake tree (no device, a /dev/sev-guest that is no driver, a
 *    /dev/tdx_guest that can give no quote), the evidence command;
 *  - the SNP certificate table (GUIDs written from their RFC 4122 text here), the SNP evidence
 *    JSON against a real attestation-agent message (../shared/vectors/kbs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snp_forge.h"
#include "teectl/attester.h"
#include "teectl/kbs.h"
#include "testlib.h"

static char ROOT[256];
static const char *VECTORS;

/* ---- the kernel's part of configfs-tsm ---- */

struct fake_kernel {
  const char *provider;
  int conflicts;      /* this many first writes see another writer (generation += 2) */
  const uint8_t *aux; /* auxblob content, or NULL: no auxblob attribute */
  size_t aux_len;
  int writes;
  char privlevel[8];
  uint8_t inblob[64];
};

static void put(const char *dir, const char *name, const void *d, size_t n) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(d, 1, n, f), n);
  fclose(f);
}

static void kernel(tc_tsm_event ev, const char *entry, void *arg) {
  struct fake_kernel *k = arg;
  char p[1024];
  if (ev == TC_TSM_ENTRY_MADE) {
    put(entry, "provider", k->provider, strlen(k->provider));
    put(entry, "generation", "0\n", 2);
    put(entry, "inblob", "", 0);
    put(entry, "privlevel", "", 0);
  } else if (ev == TC_TSM_INBLOB_WRITTEN) {
    snprintf(p, sizeof p, "%s/inblob", entry);
    tc_buf in = test_read_file(p);
    assert_int_equal(in.len, 64);
    memcpy(k->inblob, in.data, 64);
    tc_buf_free(&in);
    snprintf(p, sizeof p, "%s/privlevel", entry);
    tc_buf pl = test_read_file(p);
    snprintf(k->privlevel, sizeof k->privlevel, "%.*s", (int)pl.len, (const char *)pl.data);
    tc_buf_free(&pl);
    /* outblob: a report-sized blob with the inblob at REPORT_DATA (0x50). */
    uint8_t out[0x4A0];
    memset(out, 0xA5, sizeof out);
    memcpy(out + 0x50, k->inblob, 64);
    put(entry, "outblob", out, sizeof out);
    if (k->aux)
      put(entry, "auxblob", k->aux, k->aux_len);
    k->writes++;
    const char *gen = k->writes <= k->conflicts ? "2\n" : "1\n";
    put(entry, "generation", gen, 2);
  } else {
    DIR *d = opendir(entry);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
      if (de->d_name[0] == '.')
        continue;
      snprintf(p, sizeof p, "%s/%s", entry, de->d_name);
      unlink(p);
    }
    closedir(d);
  }
}

static char *tsm_dir(void) {
  static char p[512];
  snprintf(p, sizeof p, "%s/sys/kernel/config/tsm/report", ROOT);
  return p;
}

static int entries_left(void) {
  DIR *d = opendir(tsm_dir());
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    n += de->d_name[0] != '.';
  closedir(d);
  return n;
}

static void opts_for(tc_attester_opts *o, struct fake_kernel *k) {
  tc_attester_opts_init(o);
  o->root = ROOT;
  o->tsm_hook = kernel;
  o->tsm_hook_arg = k;
}

static void rd_pattern(uint8_t rd[64]) {
  for (int i = 0; i < 64; i++)
    rd[i] = (uint8_t)(i * 7 + 1);
}

static void test_tsm_snp_with_certs(void **state) {
  (void)state;
  const uint8_t aux[] = "certificate table bytes";
  struct fake_kernel k = {.provider = "sev_guest\n", .aux = aux, .aux_len = sizeof aux};
  tc_attester_opts o;
  opts_for(&o, &k);
  o.privlevel = 2;
  uint8_t rd[64];
  rd_pattern(rd);
  tc_evidence ev;
  tc_error err;
  assert_int_equal(tc_attester_evidence(&o, rd, &ev, &err), TC_OK);
  assert_string_equal(ev.tee, "snp");
  assert_string_equal(ev.source, "configfs-tsm");
  assert_int_equal(ev.evidence.len, 0x4A0);
  assert_memory_equal(ev.evidence.data + 0x50, rd, 64);
  assert_memory_equal(k.inblob, rd, 64);
  assert_int_equal(ev.aux.len, sizeof aux);
  assert_memory_equal(ev.aux.data, aux, sizeof aux);
  assert_string_equal(k.privlevel, "2\n");
  assert_int_equal(k.writes, 1);
  assert_int_equal(entries_left(), 0);
  tc_evidence_free(&ev);
}

static void test_tsm_missing_auxblob(void **state) {
  (void)state;
  struct fake_kernel k = {.provider = "sev_guest\n"};
  tc_attester_opts o;
  opts_for(&o, &k);
  uint8_t rd[64];
  rd_pattern(rd);
  tc_evidence ev;
  tc_error err;
  assert_int_equal(tc_tsm_report(&o, "snp", rd, &ev, &err), TC_OK);
  assert_int_equal(ev.aux.len, 0);
  assert_null(ev.aux.data);
  assert_string_equal(k.privlevel, ""); /* not asked: not written */
  tc_evidence_free(&ev);
}

static void test_tsm_tdx(void **state) {
  (void)state;
  struct fake_kernel k = {.provider = "tdx_guest\n"};
  tc_attester_opts o;
  opts_for(&o, &k);
  o.privlevel = 1; /* SNP only: a TDX entry never gets it */
  uint8_t rd[64];
  rd_pattern(rd);
  tc_evidence ev;
  tc_error err;
  assert_int_equal(tc_tsm_report(&o, NULL, rd, &ev, &err), TC_OK);
  assert_string_equal(ev.tee, "tdx");
  assert_string_equal(k.privlevel, "");
  tc_evidence_free(&ev);
  /* Asking for SNP evidence from a TDX provider is refused. */
  assert_int_equal(tc_tsm_report(&o, "snp", rd, &ev, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "tsm_provider_mismatch");
  assert_int_equal(entries_left(), 0);
}

static void test_tsm_generation_retry(void **state) {
  (void)state;
  struct fake_kernel k = {.provider = "sev_guest\n", .conflicts = 2};
  tc_attester_opts o;
  opts_for(&o, &k);
  uint8_t rd[64];
  rd_pattern(rd);
  tc_evidence ev;
  tc_error err;
  assert_int_equal(tc_tsm_report(&o, "snp", rd, &ev, &err), TC_OK);
  assert_int_equal(k.writes, 3); /* two conflicts, then a clean try */
  assert_int_equal(entries_left(), 0);
  tc_evidence_free(&ev);
}

static void test_tsm_generation_gives_up(void **state) {
  (void)state;
  struct fake_kernel k = {.provider = "sev_guest\n", .conflicts = 100};
  tc_attester_opts o;
  opts_for(&o, &k);
  uint8_t rd[64];
  rd_pattern(rd);
  tc_evidence ev;
  tc_error err;
  assert_int_equal(tc_tsm_report(&o, "snp", rd, &ev, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "tsm_generation_conflict");
  assert_non_null(strstr(err.detail, "from 0 to 2"));
  assert_non_null(strstr(err.detail, "(3 tries)"));
  assert_int_equal(k.writes, 3);
  assert_null(ev.evidence.data);
  assert_int_equal(entries_left(), 0);
}

static void test_tsm_unknown_provider(void **state) {
  (void)state;
  struct fake_kernel k = {.provider = "foo_guest\n"};
  tc_attester_opts o;
  opts_for(&o, &k);
  uint8_t rd[64] = {0};
  tc_evidence ev;
  tc_error err;
  assert_int_equal(tc_tsm_report(&o, NULL, rd, &ev, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "tsm_provider_unknown");
  assert_non_null(strstr(err.detail, "'foo_guest'"));
  assert_int_equal(k.writes, 0);
  assert_int_equal(entries_left(), 0);
}

/* ---- devices and detection ---- */

static void make_root(const char *name, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s", ROOT, name);
  mkdir(out, 0700);
  char d[600];
  snprintf(d, sizeof d, "%s/dev", out);
  mkdir(d, 0700);
}

static void test_no_device(void **state) {
  (void)state;
  char r[512];
  make_root("none", r, sizeof r);
  tc_attester_opts o;
  tc_attester_opts_init(&o);
  o.root = r;
  const char *iface, *tee;
  tc_error err;
  assert_int_equal(tc_attester_detect(&o, &iface, &tee, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "no_tee_device");
  uint8_t rd[64] = {0};
  tc_evidence ev;
  assert_int_equal(tc_attester_evidence(&o, rd, &ev, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "no_tee_device");
}

static void test_sev_guest_not_a_driver(void **state) {
  (void)state;
  char r[512], p[700];
  make_root("sev", r, sizeof r);
  snprintf(p, sizeof p, "%s/DEVICES.txt", r);
  put(r, "dev/sev-guest", "", 0);
  put(r, "DEVICES.txt", "dev/sev-guest c 10:dynamic\n", 26);
  tc_attester_opts o;
  tc_attester_opts_init(&o);
  o.root = r;
  const char *iface, *tee;
  tc_error err;
  /* A regular file is no device: not detected (the probe's S_ISCHR rule). */
  assert_int_equal(tc_attester_detect(&o, &iface, &tee, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "no_tee_device");
  o.char_devices_file = p;
  assert_int_equal(tc_attester_detect(&o, &iface, &tee, &err), TC_OK);
  assert_string_equal(iface, "sev-guest");
  assert_string_equal(tee, "snp");
  uint8_t rd[64] = {0};
  tc_evidence ev;
  assert_int_equal(tc_attester_evidence(&o, rd, &ev, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "sev_guest_failed");
  assert_non_null(strstr(err.detail, "SNP_GET_EXT_REPORT"));
  assert_non_null(strstr(err.detail, "SNP_GET_REPORT"));
}

static void test_tdx_guest_no_quote(void **state) {
  (void)state;
  static const char *const names[] = {"tdx_guest", "tdx-guest"};
  for (int i = 0; i < 2; i++) {
    char r[512], rel[64], list[700], line[80];
    make_root(names[i], r, sizeof r);
    snprintf(rel, sizeof rel, "dev/%s", names[i]);
    put(r, rel, "", 0);
    int n = snprintf(line, sizeof line, "%s c 10:dynamic\n", rel);
    put(r, "DEVICES.txt", line, (size_t)n);
    snprintf(list, sizeof list, "%s/DEVICES.txt", r);
    tc_attester_opts o;
    tc_attester_opts_init(&o);
    o.root = r;
    o.char_devices_file = list;
    const char *iface, *tee;
    tc_error err;
    assert_int_equal(tc_attester_detect(&o, &iface, &tee, &err), TC_OK);
    assert_string_equal(iface, names[i]);
    assert_string_equal(tee, "tdx");
    uint8_t rd[64] = {0};
    tc_evidence ev;
    assert_int_equal(tc_attester_evidence(&o, rd, &ev, &err), TC_ERR_IO);
    assert_string_equal(err.reason, "tdx_quote_unavailable");
    assert_non_null(strstr(err.detail, "configfs-tsm"));
    assert_non_null(strstr(err.detail, "quote generation service"));
  }
}

/* ---- evidence command ---- */

static void test_evidence_cmd(void **state) {
  (void)state;
  char cmd[700], got[600];
  snprintf(got, sizeof got, "%s/cmd-input.txt", ROOT);
  snprintf(cmd, sizeof cmd, "cat > '%s'; printf 'QUOTE\\001\\000X'", got);
  tc_attester_opts o;
  tc_attester_opts_init(&o);
  o.evidence_cmd = cmd;
  o.tee = "sgx";
  uint8_t rd[64];
  rd_pattern(rd);
  tc_evidence ev;
  tc_error err;
  assert_int_equal(tc_attester_evidence(&o, rd, &ev, &err), TC_OK);
  assert_string_equal(ev.tee, "sgx");
  assert_string_equal(ev.source, "evidence-cmd");
  assert_int_equal(ev.evidence.len, 8);
  assert_memory_equal(ev.evidence.data, "QUOTE\001\000X", 8);
  tc_evidence_free(&ev);
  tc_buf in = test_read_file(got);
  char want[130];
  for (int i = 0; i < 64; i++)
    sprintf(want + 2 * i, "%02x", rd[i]);
  want[128] = '\n';
  assert_int_equal(in.len, 129);
  assert_memory_equal(in.data, want, 129);
  tc_buf_free(&in);

  o.evidence_cmd = "echo broken >&2; exit 3";
  assert_int_equal(tc_attester_evidence(&o, rd, &ev, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "evidence_cmd_failed");
  assert_non_null(strstr(err.detail, "status 3"));
  o.evidence_cmd = "true";
  assert_int_equal(tc_attester_evidence(&o, rd, &ev, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "evidence_cmd_empty");
  o.evidence_cmd = "exec sleep 5";
  o.cmd_timeout = 1;
  assert_int_equal(tc_attester_evidence(&o, rd, &ev, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "evidence_cmd_timeout");
  o.tee = NULL;
  assert_int_equal(tc_attester_evidence(&o, rd, &ev, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "tee_unsupported");
}

/* ---- certificate table ---- */

/* GUID bytes from the RFC 4122 text (hex digits in order, dashes skipped). */
static void guid(const char *text, uint8_t out[16]) {
  int n = 0;
  for (const char *p = text; *p; p++)
    if (*p != '-') {
      unsigned v;
      sscanf(p, "%2x", &v);
      out[n++] = (uint8_t)v;
      p++;
    }
  assert_int_equal(n, 16);
}

static void le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* A table of entries (GUID text, data), closed by a zero entry; returns its length. */
static size_t make_table(uint8_t *t, const char *const *guids, const tc_buf *data, size_t n) {
  size_t off = 24 * (n + 1);
  memset(t, 0, off);
  for (size_t i = 0; i < n; i++) {
    guid(guids[i], t + 24 * i);
    le32(t + 24 * i + 16, (uint32_t)off);
    le32(t + 24 * i + 20, (uint32_t)data[i].len);
    memcpy(t + off, data[i].data, data[i].len);
    off += data[i].len;
  }
  return off;
}

static void test_cert_table(void **state) {
  (void)state;
  const char *const g[] = {
      "63da758d-e664-4564-adc5-f4b93be8accd", "4ab7b379-bbac-4fe4-a02f-05aef327c782",
      "c0b406a4-a803-4952-9743-3fb6014cd0ae", "a8074bc2-a25a-483e-aae6-39c045a0b8a1",
      "00000000-1111-2222-3333-444444444444"};
  tc_buf d[5] = {{(uint8_t *)"vcek", 4},
                 {(uint8_t *)"ask!", 4},
                 {(uint8_t *)"ark", 3},
                 {(uint8_t *)"vlek", 4},
                 {(uint8_t *)"x", 1}};
  uint8_t t[512];
  size_t len = make_table(t, g, d, 5);
  tc_snp_cert c[8];
  size_t n;
  tc_error err;
  assert_int_equal(tc_snp_cert_table_parse(t, len, c, 8, &n, &err), TC_OK);
  assert_int_equal(n, 5);
  const char *want[] = {"VCEK", "ASK", "ARK", "VLEK"};
  for (int i = 0; i < 4; i++) {
    assert_string_equal(c[i].type, want[i]);
    assert_int_equal(c[i].len, d[i].len);
    assert_memory_equal(c[i].der, d[i].data, d[i].len);
  }
  assert_null(c[4].type);
  /* Empty table: no certificates. */
  assert_int_equal(tc_snp_cert_table_parse(t, 0, c, 8, &n, &err), TC_OK);
  assert_int_equal(n, 0);
  /* No closing entry within the bytes. */
  assert_int_equal(tc_snp_cert_table_parse(t, 24 * 5, c, 8, &n, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "cert_table_invalid");
  /* An entry pointing past the end. */
  le32(t + 20, 4000);
  assert_int_equal(tc_snp_cert_table_parse(t, len, c, 8, &n, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "cert_table_invalid");
  assert_non_null(strstr(err.detail, "entry 0"));
}

/* ---- SNP evidence JSON vs a real attestation-agent message ---- */

static void test_snp_evidence_json_vector(void **state) {
  (void)state;
  char p[1024];
  snprintf(p, sizeof p, "%s/kbs/snp-genoa-v3-trustee-e2e/evidence.json", VECTORS);
  json_t *want = json_load_file(p, 0, NULL);
  assert_non_null(want);
  snprintf(p, sizeof p, "%s/snp/genoa-v3-trustee-e2e/report.bin", VECTORS);
  tc_buf rep = test_read_file(p);
  snprintf(p, sizeof p, "%s/snp/genoa-v3-trustee-e2e/vcek.der", VECTORS);
  tc_buf vcek = test_read_file(p);
  uint8_t *t = malloc(vcek.len + 48);
  const char *const g[] = {"63da758d-e664-4564-adc5-f4b93be8accd"};
  size_t tl = make_table(t, g, &vcek, 1);
  json_t *got;
  tc_error err;
  assert_int_equal(tc_snp_evidence_json(rep.data, rep.len, t, tl, &got, &err), TC_OK);
  json_t *wr = json_object_get(want, "attestation_report"),
         *gr = json_object_get(got, "attestation_report");
  const char *k;
  json_t *v;
  json_object_foreach(wr, k, v) {
    json_t *mine = json_object_get(gr, k);
    if (!json_equal(v, mine)) {
      char *a = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
      char *b = mine ? json_dumps(mine, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
      fail_msg("attestation_report.%s: want %s, got %s", k, a, b ? b : "(absent)");
    }
  }
  /* The newer AttestationReport's Option fields, none for a version 3 report. */
  assert_int_equal(json_object_size(gr), json_object_size(wr) + 2);
  assert_true(json_is_null(json_object_get(gr, "launch_mit_vector")));
  assert_true(json_is_null(json_object_get(gr, "current_mit_vector")));
  assert_true(json_equal(json_object_get(want, "cert_chain"), json_object_get(got, "cert_chain")));
  /* No certificates: cert_chain null. */
  json_decref(got);
  assert_int_equal(tc_snp_evidence_json(rep.data, rep.len, NULL, 0, &got, &err), TC_OK);
  assert_true(json_is_null(json_object_get(got, "cert_chain")));
  json_decref(got);
  assert_int_equal(tc_snp_evidence_json(rep.data, 100, NULL, 0, &got, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "report_length_invalid");
  json_decref(want);
  free(t);
  tc_buf_free(&rep);
  tc_buf_free(&vcek);
}

/* The SNP JSON read back by the broker's own decoder (src/kbs) gives the report byte for byte,
 * and both sides agree on the TCB layout of each product line: a number "fmc" exactly on Turin
 * (the product forged here, not a field the code under test reads), for report versions 2, 3,
 * 4 and 5, with CHIP_ID and with it masked (all zeros, MASK_CHIP_ID). A version 2 report with a
 * masked CHIP_ID names no CPU (no CPUID fields before version 3, SEV-SNP ABI spec
 * "ATTESTATION_REPORT Structure"): virtee/sev refuses it (MaskedChipId), and so do the encoder
 * (chip_id_masked) and the decoder given that form anyway (snp_evidence_invalid). */
static void round_trip(const uint8_t rep[TC_SNP_REPORT_SIZE], int turin, const char *what) {
  json_t *j = NULL;
  tc_error err;
  uint8_t back[TC_SNP_REPORT_SIZE];
  if (tc_snp_evidence_json(rep, TC_SNP_REPORT_SIZE, NULL, 0, &j, &err) != TC_OK)
    fail_msg("%s: encoder: %s: %s", what, err.reason, err.detail);
  static const char *const tcbs[] = {"current_tcb", "reported_tcb", "committed_tcb", "launch_tcb"};
  static const size_t offs[] = {0x38, 0x180, 0x1E0, 0x1F0};
  for (size_t i = 0; i < 4; i++) {
    json_t *fmc =
        json_object_get(json_object_get(json_object_get(j, "attestation_report"), tcbs[i]), "fmc");
    if (turin ? !json_is_integer(fmc) || json_integer_value(fmc) != rep[offs[i]]
              : !json_is_null(fmc))
      fail_msg("%s: %s.fmc is not %s", what, tcbs[i], turin ? "the Turin FMC byte" : "null");
  }
  tc_buf *certs = NULL;
  size_t n = 0;
  if (tc_kbs_snp_evidence(j, back, &certs, &n, &err) != TC_OK)
    fail_msg("%s: decoder: %s: %s", what, err.reason, err.detail);
  if (memcmp(back, rep, TC_SNP_REPORT_SIZE) != 0)
    fail_msg("%s: the decoder's report differs from the encoder's input", what);
  assert_int_equal(n, 0);
  free(certs);
  json_decref(j);
}

/* A version 2 report whose CHIP_ID is masked: refused both ways with the same cause. */
static void masked_v2_refused(const uint8_t rep[TC_SNP_REPORT_SIZE], const char *what) {
  uint8_t r2[TC_SNP_REPORT_SIZE];
  memcpy(r2, rep, sizeof r2);
  memset(r2 + 0x1A0, 0, 64);
  json_t *j = NULL;
  tc_error err;
  if (tc_snp_evidence_json(r2, sizeof r2, NULL, 0, &j, &err) != TC_ERR_PARSE)
    fail_msg("%s: the encoder took a version 2 report with a masked CHIP_ID", what);
  assert_string_equal(err.reason, "chip_id_masked");
  assert_null(j);
  /* the same form with CHIP_ID unmasked encodes; masked again in the JSON, the decoder refuses */
  assert_int_equal(tc_snp_evidence_json(rep, TC_SNP_REPORT_SIZE, NULL, 0, &j, &err), TC_OK);
  json_t *chip = json_array();
  for (int i = 0; i < 64; i++)
    json_array_append_new(chip, json_integer(0));
  json_object_set_new(json_object_get(j, "attestation_report"), "chip_id", chip);
  uint8_t back[TC_SNP_REPORT_SIZE];
  tc_buf *certs = NULL;
  size_t n = 0;
  if (tc_kbs_snp_evidence(j, back, &certs, &n, &err) != TC_ERR_PARSE)
    fail_msg("%s: the decoder took a version 2 report with a masked CHIP_ID", what);
  assert_string_equal(err.reason, "snp_evidence_invalid");
  if (!strstr(err.detail, "chip_id_masked"))
    fail_msg("%s: decoder detail: %s", what, err.detail);
  json_decref(j);
}

static void test_snp_evidence_json_round_trip(void **state) {
  (void)state;
  const tc_snp_product products[] = {TC_SNP_MILAN, TC_SNP_GENOA, TC_SNP_TURIN};
  const uint32_t versions[] = {2, 3, 4, 5};
  snp_forge *reuse = NULL;
  for (size_t p = 0; p < 3; p++) {
    snp_forge_opts o;
    snp_forge_opts_init(&o, products[p], 0);
    o.reuse_keys = reuse;
    snp_forge *f = snp_forge_new(&o);
    assert_non_null(f);
    for (size_t v = 0; v < 4; v++) {
      for (int masked = 0; masked <= 1; masked++) {
        char what[96];
        snprintf(what, sizeof what, "%s version %u%s", tc_snp_product_name(products[p]),
                 versions[v], masked ? " CHIP_ID masked" : "");
        tc_snp_report r;
        snp_forge_report_init(f, versions[v] == 4 ? 3 : versions[v], &r);
        r.version = versions[v]; /* version 4: the version 3 fields */
        rd_pattern(r.report_data);
        uint8_t rep[TC_SNP_REPORT_SIZE];
        assert_int_equal(snp_forge_sign_report(f, &r, rep), 0);
        if (!masked) {
          round_trip(rep, products[p] == TC_SNP_TURIN, what);
          continue;
        }
        memset(rep + 0x1A0, 0, 64);
        assert_int_equal(snp_forge_resign(f, rep), 0);
        if (versions[v] == 2) {
          memcpy(rep + 0x1A0, o.chip_id, 64);
          masked_v2_refused(rep, what);
        } else {
          round_trip(rep, products[p] == TC_SNP_TURIN, what);
        }
      }
    }
    if (reuse)
      snp_forge_free(f);
    else
      reuse = f;
  }
  snp_forge_free(reuse);
}

/* The real Genoa report of ../shared/vectors/kbs through encoder and decoder, as it is, with
 * CHIP_ID masked (version 3: the layout still comes from CPUID), and as version 2 masked. */
static void test_snp_evidence_json_round_trip_vector(void **state) {
  (void)state;
  char p[1024];
  snprintf(p, sizeof p, "%s/kbs/snp-genoa-v3-trustee-e2e/expected.json", VECTORS);
  json_t *exp = json_load_file(p, 0, NULL);
  assert_non_null(exp);
  assert_string_equal(json_string_value(json_object_get(exp, "product")), "Genoa");
  snprintf(p, sizeof p, "%s/kbs/snp-genoa-v3-trustee-e2e/%s", VECTORS,
           json_string_value(json_object_get(exp, "report_bin")));
  tc_buf rep = test_read_file(p);
  assert_int_equal(rep.len, TC_SNP_REPORT_SIZE);
  assert_int_equal(rep.data[0], json_integer_value(json_object_get(exp, "report_version")));
  assert_false(tc_all_zero(rep.data + 0x1A0, 64));
  round_trip(rep.data, 0, "real Genoa v3");
  uint8_t r[TC_SNP_REPORT_SIZE];
  memcpy(r, rep.data, sizeof r);
  memset(r + 0x1A0, 0, 64);
  round_trip(r, 0, "real Genoa v3, CHIP_ID masked");
  memcpy(r, rep.data, sizeof r);
  r[0] = 2;
  memset(r + 0x188, 0, 3); /* reserved in version 2 */
  masked_v2_refused(r, "real Genoa as version 2");
  json_decref(exp);
  tc_buf_free(&rep);
}

int main(int argc, char **argv) {
  VECTORS = test_vectors_dir(argc, argv, "kbs");
  assert_non_null(test_mkdtemp("teectl-attester", ROOT, sizeof ROOT));
  char p[512];
  const char *parts[] = {"/sys", "/sys/kernel", "/sys/kernel/config", "/sys/kernel/config/tsm",
                         "/sys/kernel/config/tsm/report"};
  for (int i = 0; i < 5; i++) {
    snprintf(p, sizeof p, "%s%s", ROOT, parts[i]);
    mkdir(p, 0700);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tsm_snp_with_certs),
      cmocka_unit_test(test_tsm_missing_auxblob),
      cmocka_unit_test(test_tsm_tdx),
      cmocka_unit_test(test_tsm_generation_retry),
      cmocka_unit_test(test_tsm_generation_gives_up),
      cmocka_unit_test(test_tsm_unknown_provider),
      cmocka_unit_test(test_no_device),
      cmocka_unit_test(test_sev_guest_not_a_driver),
      cmocka_unit_test(test_tdx_guest_no_quote),
      cmocka_unit_test(test_evidence_cmd),
      cmocka_unit_test(test_cert_table),
      cmocka_unit_test(test_snp_evidence_json_vector),
      cmocka_unit_test(test_snp_evidence_json_round_trip),
      cmocka_unit_test(test_snp_evidence_json_round_trip_vector),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", ROOT);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", ROOT);
  return rc;
}
