// The command line's own answers, with no daemon: `prisn --version`, and a
// mistyped verb named with its nearest command.
#include <catch2/catch.hpp>

#include "tests/integration/daemon.h"

namespace prisn::testing {
namespace {

RunResult PrisnHere(const std::vector<std::string>& args) {
  TempDir dir;
  return Prisn(args, IsolatedEnv(dir.path() / "home"), dir.path().string());
}

TEST_CASE("prisn --version answers as prisn version does") {
  auto flag = PrisnHere({"--version"});
  auto verb = PrisnHere({"version"});
  INFO(flag.all());
  CHECK(flag.exit_code == 0);
  CHECK(verb.exit_code == 0);
  CHECK(flag.out == verb.out);
  CHECK(flag.out.rfind("prisn ", 0) == 0);
}

TEST_CASE("a mistyped verb is named with the nearest command, exit 2") {
  auto typo = PrisnHere({"aply", "-f", "x"});
  INFO(typo.all());
  CHECK(typo.exit_code == 2);
  CHECK(typo.err.find("unknown command \"aply\"; did you mean \"apply\"?") != std::string::npos);

  auto after_root_flag = PrisnHere({"--no-color", "sever", "status"});
  INFO(after_root_flag.all());
  CHECK(after_root_flag.exit_code == 2);
  CHECK(after_root_flag.err.find("did you mean \"server\"?") != std::string::npos);

  auto far = PrisnHere({"frobnicate"});
  INFO(far.all());
  CHECK(far.exit_code == 2);
  CHECK(far.err.find("unknown command \"frobnicate\"") != std::string::npos);
  CHECK(far.err.find("did you mean") == std::string::npos);

  // A known verb with a bad flag keeps the parser's own message.
  auto flag = PrisnHere({"get", "deploy", "--bogus"});
  INFO(flag.all());
  CHECK(flag.exit_code == 2);
  CHECK(flag.err.find("unknown command") == std::string::npos);
  CHECK(flag.err.find("--bogus") != std::string::npos);
}

}  // namespace
}  // namespace prisn::testing
