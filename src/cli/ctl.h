/*
 * The control socket: a Unix stream socket (mode 0600) on which `spigot`
 * sends command lines and gets their output.  One session per connection,
 * with its own CLI mode (exec / config / config-if ...).
 *
 * Protocol (all lines UTF-8, '\n'-terminated):
 *   client -> server:  "X <line>"  execute   "H <line>"  ? help
 *                      "C <line>"  complete  "P"         prompt
 *                      "J <line>"  execute, JSON output (`spigot --json`,
 *                                  docs/JSON.md); refused by commands
 *                                  without a JSON rendering
 *                      "I <line>"  execute, interactive: an error's caret
 *                                  is placed under prompt+line (the client
 *                                  already shows them); with "X" the line
 *                                  is echoed above the caret instead.
 *   server -> client:  zero or more output lines, each prefixed "| ",
 *                      then a status line "= 0 <prompt>" or "= 1 <prompt>"
 *                      (or "= C <completed line>" for completion).
 *                      "~ <text>" is output without a line end (ping's
 *                      progress marks); "= X" means the session ended (exit).
 * Long-running commands (ping) stream their output lines as they happen.
 * Output filters "| include RE", "| exclude RE", "| begin RE", "| count"
 * are applied here, on the server.
 */
#ifndef SPIGOT_CTL_H
#define SPIGOT_CTL_H

struct router;
struct cli_ctx;
struct strbuf;

int ctl_start(struct router *r, const char *path);
void ctl_stop(struct router *r);

/* For exec commands in src/cli: the session's history and terminal settings. */
struct ctl_session;
struct ctl_session *ctl_session_of(struct cli_ctx *ctx);
void ctl_session_history(struct ctl_session *s, struct strbuf *out);
void ctl_session_set_length(struct ctl_session *s, unsigned lines);
void ctl_session_end(struct ctl_session *s);

#endif
