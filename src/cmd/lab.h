/* The lab runner, reached as `spigot lab ...`. */
#ifndef SPIGOT_LAB_H
#define SPIGOT_LAB_H

int lab_main(int argc, char **argv);

#endif
