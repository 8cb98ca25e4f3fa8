/* Placeholder: the lab runner. */
#include <stdio.h>

#include "cmd/lab.h"

/* Minimal until the lead's lab runner lands. */
int lab_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "spigot lab: not built yet\n");
	return 2;
}
