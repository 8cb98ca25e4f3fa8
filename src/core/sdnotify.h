/*
 * The two systemd service protocols spigotd speaks, without libsystemd
 * (runtime dependencies stay libc + libcrypto; both protocols are a few
 * lines and documented as stable in sd_notify(3) and systemd.exec(5)):
 *  - sd_notify: one datagram of "KEY=VALUE\n..." to the AF_UNIX socket
 *    named by $NOTIFY_SOCKET ("/path" or "@abstract").
 *  - the journal's stderr stream: when $JOURNAL_STREAM names the device and
 *    inode of our stderr, a line starting "<N>" is logged at priority N.
 */
#ifndef SPIGOT_SDNOTIFY_H
#define SPIGOT_SDNOTIFY_H

#include <stdbool.h>

/* Sends state (e.g. "READY=1\nSTATUS=up") to $NOTIFY_SOCKET.
 * Returns 1 when sent, 0 when not under a notify-aware manager, -1 on error. */
int sdn_notify(const char *state);

/* True when stderr is connected to the journal (systemd.exec(5),
 * $JOURNAL_STREAM "DEV:INODE" equals stderr's). */
bool sdn_stderr_is_journal(void);

#endif
