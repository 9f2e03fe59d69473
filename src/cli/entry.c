/* entry.c - the racelab command's main(): everything is rl_cli_main's. */
#include "cli.h"

int main(int argc, char **argv) { return rl_cli_main(argc, argv); }
