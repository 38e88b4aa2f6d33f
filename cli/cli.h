#pragma once
// The `prisn` command line, except `prisn server ...` which main hands to the
// server library. The CLI is a client: it links manifests (local validation,
// offline diff) and the API types, never the engine.

namespace prisn::cli {

// Parses argv and runs one subcommand. Returns the process exit code; never
// throws.
int Main(int argc, char** argv);

}  // namespace prisn::cli
