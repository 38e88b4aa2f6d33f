// The prisn binary: `prisn server ...` goes to the daemon, everything else to
// the CLI, so that the CLI never links the engine's code paths.
#include "cli/cli.h"

int main(int argc, char** argv) { return prisn::cli::Main(argc, argv); }
