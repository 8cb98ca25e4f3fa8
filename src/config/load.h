/* Loading, rendering and saving whole configurations. */
#ifndef SPIGOT_CONFIG_LOAD_H
#define SPIGOT_CONFIG_LOAD_H

#include "config/config.h"
#include "core/strbuf.h"

/*
 * Parses a whole file into a fresh config.  On a malformed line of a handled
 * command returns NULL and `err` holds
 *   FILE:LINE: % Invalid input detected at '^' marker.
 * followed by the line and the caret line; nothing is applied anywhere.
 * Lines accepted but not supported are reported in `notes`, one each:
 *   FILE:LINE: % Not supported, kept in running-config: TEXT
 */
struct config *config_load_file(const char *path, struct strbuf *err, struct strbuf *notes);
struct config *config_load_string(const char *text, const char *name, struct strbuf *err,
				  struct strbuf *notes);
/* `show running-config` (starting "Building configuration..."). */
void config_render(const struct config *cfg, struct strbuf *out);
/* `write memory`: renders and atomically replaces path. 0 or -1 with err. */
int config_save(const struct config *cfg, const char *path, struct strbuf *err);

#endif
