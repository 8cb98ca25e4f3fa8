/* A control-socket client for one command (used by `spigot` and the lab runner). */
#ifndef SPIGOT_CLIENT_H
#define SPIGOT_CLIENT_H

#include <stdio.h>

/* Runs one command line on the router at sock_path, printing its output to
 * out.  Returns 0 when the command succeeded, 1 when it failed or the router
 * could not be reached (said on stderr). */
int ctl_client_run(const char *sock_path, const char *line, FILE *out);

#endif
