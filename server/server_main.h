#pragma once
// `prisn server start | stop | status`: main() hands argv here when argv[1]
// is "server", so that the CLI never links the engine.

namespace prisn::server {

// argv[0] is the program, argv[1] "server". Returns the exit code (0 ok,
// 1 "no" answer such as status of a stopped server, 2 error); never throws.
int ServerMain(int argc, char** argv);

}  // namespace prisn::server
