/* Placeholder CLI until src/cli lands. */
#include <stdio.h>
int main(void) { fprintf(stderr, "spigot: CLI not built yet\n"); return 1; }
