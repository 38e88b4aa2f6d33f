#include "server/paths.h"

#include <catch2/catch.hpp>

namespace prisn::server {
namespace {

TEST_CASE("ParseListen accepts IPv4, IPv6 and a bare port, refuses names and bad ports") {
  auto v4 = ParseListen("127.0.0.1:7373");
  REQUIRE(v4);
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 7373);
  auto v6 = ParseListen("[::1]:0");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->ToString() == "[::1]:0");
  auto bare = ParseListen(":8080");
  REQUIRE(bare);
  CHECK(bare->ToString() == "127.0.0.1:8080");
  for (const char* bad :
       {"localhost:7373", "127.0.0.1", "127.0.0.1:65536", "127.0.0.1:-1", "[::1", "1.2.3.4:x"}) {
    auto r = ParseListen(bad);
    CHECK_FALSE(r);
    if (!r) CHECK(r.error().message.find("HOST:PORT") != std::string::npos);
  }
}

TEST_CASE("PathsFor names every file in the state dir") {
  StatePaths p = PathsFor("/s");
  CHECK(p.db == "/s/prisn.db");
  CHECK(p.key == "/s/secret.key");
  CHECK(p.pid == "/s/prisn.pid");
  CHECK(p.context == "/s/context.json");
  CHECK(p.log_file == "/s/logs/prisn.log");
}

TEST_CASE("ChooseStateDir prefers the flag, then PRISN_STATE_DIR, and makes it absolute") {
  ::setenv("PRISN_STATE_DIR", "/from/env", 1);
  auto flag = ChooseStateDir("/from/flag/");
  REQUIRE(flag);
  CHECK(flag->dir == "/from/flag/");
  CHECK_FALSE(flag->is_default);
  auto env = ChooseStateDir("");
  REQUIRE(env);
  CHECK(env->dir == "/from/env");
  ::unsetenv("PRISN_STATE_DIR");
  auto def = ChooseStateDir("");
  REQUIRE(def);
  CHECK(def->is_default);
  auto relative = ChooseStateDir("rel/dir");
  REQUIRE(relative);
  CHECK(relative->dir.starts_with("/"));
}

}  // namespace
}  // namespace prisn::server
