/* Placeholder until src/cli lands. */
#include "cli/ctl.h"

int ctl_start(struct router *r, const char *path) { (void)r; (void)path; return 0; }
void ctl_stop(struct router *r) { (void)r; }

#include "cli/client.h"
int ctl_client_run(const char *sock_path, const char *line, FILE *out) { (void)sock_path; (void)line; (void)out; return 1; }
