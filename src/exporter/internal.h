/* Private helpers shared by the exporter's source files. */
#ifndef TEECTL_EXPORTER_INTERNAL_H
#define TEECTL_EXPORTER_INTERNAL_H

#include <stddef.h>

#include "teectl/exporter.h"

/** A point in a writer's output to roll back to. */
typedef struct prom_mark {
  size_t len;
  size_t n_names;
  char family[128];
} prom_mark;

prom_mark prom_mark_get(const tc_prom_writer *w);

/** Drop everything written after mark (text and family names). */
void prom_rollback(tc_prom_writer *w, const prom_mark *mark);

#endif
