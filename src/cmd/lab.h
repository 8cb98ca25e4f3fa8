/* `spigot lab ...`: runs a lab of spigotd routers on loopback. */
#ifndef SPIGOT_LAB_H
#define SPIGOT_LAB_H

#include <stdio.h>

int lab_main(int argc, char **argv);

/* From spigot.c, so that `spigot lab exec` is `spigot --control` on the
 * router's socket: the same usage text, the same session (";"-separated
 * words, an interactive shell on a terminal, else lines from stdin). */
void spigot_usage(FILE *f);
int spigot_session(const char *sock, int argc, char **argv);

#endif
