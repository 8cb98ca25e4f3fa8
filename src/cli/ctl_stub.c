/* Placeholder until src/cli lands. */
#include "cli/ctl.h"

int ctl_start(struct router *r, const char *path) { (void)r; (void)path; return 0; }
void ctl_stop(struct router *r) { (void)r; }
