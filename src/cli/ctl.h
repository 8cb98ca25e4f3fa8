/*
 * The control socket: a Unix stream socket (mode 0600) on which `spigot`
 * sends command lines and gets their output.  One session per connection,
 * with its own CLI mode (exec / config / config-if ...).
 *
 * Protocol (all lines UTF-8, '\n'-terminated):
 *   client -> server:  "X <line>"  execute   "H <line>"  ? help
 *                      "C <line>"  complete  "P"         prompt
 *   server -> client:  zero or more output lines, each prefixed "| ",
 *                      then a status line "= 0 <prompt>" or "= 1 <prompt>"
 *                      (or "= C <completed line>" for completion).
 * Long-running commands (ping) stream their output lines as they happen.
 */
#ifndef SPIGOT_CTL_H
#define SPIGOT_CTL_H

struct router;

int ctl_start(struct router *r, const char *path);
void ctl_stop(struct router *r);

#endif
