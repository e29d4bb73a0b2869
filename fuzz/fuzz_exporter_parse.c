/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness for the exporter's parsers of untrusted text: /proc/<pid>/stat,
 * status and cmdline (any host process chooses its own argv), the misc cgroup files, and
 * the probe JSON -> exposition path. The first input byte picks the target. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/internal.h"
#include "teectl/exporter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t which = data[0] % 4;
  data++;
  size--;
  char *text = malloc(size + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  tc_error err;
  switch (which) {
  case 0: {
    char state;
    int ppid;
    uint64_t ut, st, rss;
    (void)kata_parse_stat(text, &state, &ppid, &ut, &st);
    (void)kata_parse_vmrss(text, &rss);
    break;
  }
  case 1: {
    char **argv = NULL;
    int argc = kata_split_cmdline(text, size, &argv);
    if (argc > 0) {
      char tee[16];
      (void)kata_flag_value(argv, argc, "id");
      kata_detect_tee(argv, argc, "qemu", tee, sizeof tee);
      kata_detect_tee(argv, argc, "cloud-hypervisor", tee, sizeof tee);
    }
    free(argv);
    break;
  }
  case 2: {
    tc_misc_current m = {-1, -1, -1};
    (void)tc_misc_current_parse(text, size, "fuzz", &m, &err);
    break;
  }
  default: {
    json_t *j = json_loadb(text, size, JSON_DECODE_ANY, NULL);
    if (j) {
      tc_prom_writer w;
      tc_prom_init(&w);
      tc_misc_current used = {1, 2, 3};
      (void)tc_exporter_write_tee(j, &used, &w, &err);
      tc_prom_free(&w);
      json_decref(j);
    }
    break;
  }
  }
  free(text);
  return 0;
}
