/* SPDX-License-Identifier: Apache-2.0 */
/* A main() for the libFuzzer harnesses in the ordinary build (no libFuzzer): runs
 * LLVMFuzzerTestOneInput once on every file named on the command line, or on every regular
 * file in a named folder (not recursive). The ordinary build and test run therefore compile
 * every harness (an API change cannot silently break the fuzz build) and replay the kept
 * regression inputs of fuzz/corpus/<name>. Exit 0 when every input ran; 2 when an input could
 * not be read. A crash is the harness's own failure, as under libFuzzer. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return 2;
  }
  size_t cap = 1 << 16, len = 0;
  uint8_t *buf = malloc(cap);
  for (size_t n; buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0;) {
    len += n;
    if (len == cap) {
      uint8_t *g = realloc(buf, cap *= 2);
      if (g == NULL)
        free(buf);
      buf = g;
    }
  }
  int bad = ferror(f) || buf == NULL;
  fclose(f);
  if (bad) {
    free(buf);
    fprintf(stderr, "replay: cannot read %s\n", path);
    return 2;
  }
  LLVMFuzzerTestOneInput(buf, len);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  int rc = 0, runs = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "replay: %s: no such file or folder\n", argv[i]);
      return 2;
    }
    if (!S_ISDIR(st.st_mode)) {
      rc |= run_file(argv[i]);
      runs++;
      continue;
    }
    DIR *d = opendir(argv[i]);
    if (d == NULL)
      return 2;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
      char p[4096];
      snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
      if (e->d_name[0] == '.' || stat(p, &st) != 0 || !S_ISREG(st.st_mode))
        continue;
      rc |= run_file(p);
      runs++;
    }
    closedir(d);
  }
  printf("replay: %d input(s)\n", runs);
  return rc;
}
