/* Placeholder CLI until src/cli lands: only the lab runner. */
#include <stdio.h>
#include <string.h>

#include "cmd/lab.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "lab") == 0)
		return lab_main(argc, argv);
	fprintf(stderr, "spigot: CLI not built yet\n");
	return 1;
}
