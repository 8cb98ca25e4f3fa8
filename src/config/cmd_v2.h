/*
 * Helpers shared by the crypto ikev2 commands (cmd_ikev2.c: proposal,
 * policy, keyring; cmd_ikev2_profile.c: profile): one way to create,
 * enter and remove a named object and to edit its small lists, so both
 * files behave the same.  Defined in cmd_ikev2.c.
 */
#ifndef SPIGOT_CONFIG_CMD_V2_H
#define SPIGOT_CONFIG_CMD_V2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg_int.h"

/* Appends a zeroed element; secrets never stay behind in freed memory. */
void *cfg_v2_append(void **arr, size_t *n, size_t sz);
/* Removes element i (its owned memory already released), wiping the tail. */
void cfg_v2_remove_at(void *arr, size_t *n, size_t sz, size_t i);
/* Enters sub-mode `mode` on the object named `key`. */
void cfg_v2_enter(struct cli_ctx *ctx, enum cli_mode mode, const char *key);
/* false (and the IOS marker under argv[i]) if the name is too long. */
bool cfg_v2_name_ok(struct cli_ctx *ctx, const struct cmd_args *a, int i);
/* false (and "% Incomplete command.") if fewer than `need` words. */
bool cfg_v2_complete(struct cli_ctx *ctx, const struct cmd_args *a, int need);
/* A mask IOS takes: contiguous ones. */
bool cfg_v2_mask_ok(uint32_t m);
/* description LINE / no description, into dst[n]. */
int cfg_v2_description(struct cli_ctx *ctx, const struct cmd_args *a, char *dst, size_t n);
/*
 * Adds `item` (sz bytes, no padding) to the set list[*n] unless it is
 * there, or with `negated` removes it; -1 when the set already holds max.
 */
int cfg_v2_set_edit(void *list, size_t *n, size_t sz, size_t max, const void *item, bool negated);

#endif
