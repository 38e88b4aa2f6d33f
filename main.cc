// The prisn binary: `prisn server ...` goes to the daemon, everything else to
// the CLI, so that the CLI never links the engine's code paths.
#include <string_view>

#include "cli/cli.h"
#ifdef PRISN_HAVE_SERVER
#include "server/server_main.h"
#endif

int main(int argc, char** argv) {
#ifdef PRISN_HAVE_SERVER
  if (argc > 1 && std::string_view(argv[1]) == "server")
    return prisn::server::ServerMain(argc, argv);
#endif
  return prisn::cli::Main(argc, argv);
}
