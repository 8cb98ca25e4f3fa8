/* `spigot lab ...`: runs a lab of spigotd routers on loopback. */
#ifndef SPIGOT_LAB_H
#define SPIGOT_LAB_H

int lab_main(int argc, char **argv);

#endif
