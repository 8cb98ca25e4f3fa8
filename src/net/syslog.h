/*
 * Syslog to remote collectors (`logging host`), sent as IOS sends it: BSD
 * syslog over UDP (RFC 3164 framing, no hostname in the header),
 *     <PRI>SEQ: *Mar 24 20:55:45.739: %CRYPTO-4-RECVD_PKT_INV_SPI: text
 * PRI = facility * 8 + severity (local7 and 4: <188>), SEQ the router's
 * count of messages sent to syslog since boot.  Datagrams leave from the
 * router's own UDP (udp_send), sourced from `logging source-interface`,
 * so they meet routes and crypto maps like any of its packets.
 */
#ifndef SPIGOT_SYSLOG_H
#define SPIGOT_SYSLOG_H

struct router;

int syslog_init(struct router *r);
void syslog_free(struct router *r);
/* logging host / trap / facility / source-interface changed. */
void syslog_config_changed(struct router *r);

#endif
