// The way back in when no admin token is left: `prisn token create --admin
// --state-dir DIR` mints one into a stopped daemon's store and context file.
// Refused while a daemon runs on the directory (it would not see the token)
// and on a directory that holds no prisn state.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "tests/integration/daemon.h"

namespace prisn::testing {
namespace {

std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

TEST_CASE("a lost admin token is minted again from the stopped daemon's state dir") {
  TempDir dir;
  const std::string state = (dir.path() / "state").string();
  auto env = IsolatedEnv(dir.path() / "home");
  env["PRISN_STATE_DIR"] = state;
  auto prisn = [&](const std::vector<std::string>& args) {
    return Prisn(args, env, dir.path().string());
  };
  const std::vector<std::string> mint = {"token",  "create",      "--admin", "--name",
                                         "rescue", "--state-dir", state};
  std::string url;
  {
    Daemon daemon(state);
    url = daemon.url();
    auto busy = prisn(mint);
    INFO(busy.all());
    CHECK(busy.exit_code == 2);
    CHECK(busy.err.find("stop it") != std::string::npos);
    CHECK(busy.out.empty());
  }
  // The admin token is gone from the context file: the CLI has no way in.
  std::ofstream(state + "/context.json") << nlohmann::json{{"server", url}}.dump();

  auto minted = prisn(mint);
  INFO(minted.all());
  REQUIRE(minted.exit_code == 0);
  const std::string token = FirstLine(minted.out);
  CHECK(token.rfind("prisn_", 0) == 0);
  CHECK(minted.err.find("shown only this once") != std::string::npos);

  // The daemon starts with the context file's token (its helper waits for
  // one), and the CLI given the state dir works again.
  Daemon daemon(state);
  auto listed = prisn({"token", "ls", "-o", "json"});
  INFO(listed.all());
  REQUIRE(listed.exit_code == 0);
  auto items = nlohmann::json::parse(listed.out)["items"];
  bool found = false;
  for (const auto& t : items) found = found || (t["name"] == "rescue" && t["namespace"].is_null());
  CHECK(found);
  // And the token itself is an admin token.
  auto as_token = env;
  as_token.erase("PRISN_STATE_DIR");
  as_token["PRISN_SERVER"] = daemon.url();
  as_token["PRISN_TOKEN"] = token;
  auto direct = Prisn({"token", "create", "--namespace", "team-a"}, as_token, dir.path().string());
  INFO(direct.all());
  CHECK(direct.exit_code == 0);
}

TEST_CASE("minting into a directory without prisn state is refused and creates nothing") {
  TempDir dir;
  const std::string empty = (dir.path() / "empty").string();
  auto env = IsolatedEnv(dir.path() / "home");
  auto r = Prisn({"token", "create", "--admin", "--state-dir", empty}, env, dir.path().string());
  INFO(r.all());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("holds no prisn state") != std::string::npos);
  CHECK(r.out.empty());
  CHECK_FALSE(std::filesystem::exists(empty + "/prisn.db"));
}

}  // namespace
}  // namespace prisn::testing
