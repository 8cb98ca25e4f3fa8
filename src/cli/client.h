/* The control-socket client, shared by `spigot` and the lab runner. */
#ifndef SPIGOT_CLI_CLIENT_H
#define SPIGOT_CLI_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ctl_conn;
struct ctl_conn *ctl_conn_open(const char *sock_path);
void ctl_conn_close(struct ctl_conn *c);
int ctl_conn_set_timeout(struct ctl_conn *c, int seconds);
bool ctl_conn_timed_out(const struct ctl_conn *c);
/*
 * Sends one request ('X', 'I', 'H', 'C' or 'P') and streams the reply's
 * output to out (may be NULL).  Returns 0 or 1 (the command's status),
 * 2 when the session ended (exit), -1 on a broken connection.  The new
 * prompt (or, for 'C', the completed line) goes to `reply`.
 */
int ctl_conn_request(struct ctl_conn *c, char type, const char *line, FILE *out, char *reply,
		     size_t reply_len);

#endif
