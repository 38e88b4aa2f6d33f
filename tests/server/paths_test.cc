#include "server/paths.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "daemon_fixture.h"

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

TEST_CASE("CheckStateDir: only a missing or empty directory is a fresh install") {
  struct Case {
    std::vector<std::pair<std::string, std::string>> files;  // path, content
    bool ok;
    bool fresh;
    std::string says;
  };
  const std::string db = "SQLite format 3";
  const std::string key(32, 'k');
  std::vector<Case> cases = {
      {{}, true, true, ""},
      // What a start that failed before the store leaves.
      {{{"prisn.pid", ""}, {"logs/prisn.log", "x"}}, true, true, ""},
      // ... or one that failed later: caches every start makes afresh.
      {{{"envs/cache", ""}, {"run/x", ""}, {"resolv.conf", "x"}}, true, true, ""},
      {{{"prisn.db", db}, {"secret.key", key}}, true, false, ""},
      {{{"prisn.db", ""}, {"secret.key", key}, {"context.json", "{}"}}, false, false,
       "prisn.db is empty (0 bytes)"},
      {{{"prisn.db", ""}}, false, false, "prisn.db is empty"},
      {{{"secret.key", key}, {"context.json", "{}"}}, false, false, "prisn.db is missing"},
      {{{"logs/default/web/0.log", "x"}}, false, false, "prisn.db is missing"},
      {{{"sources/site.git/HEAD", "x"}}, false, false, "prisn.db is missing"},
      {{{"prisn.db", db}}, false, false, "secret.key is missing"},
      {{{"prisn.db", db}, {"prisn.db-wal", "w"}, {"context.json", "{}"}}, false, false,
       "secret.key is missing"},
  };
  for (const Case& c : cases) {
    testing::ScratchDir dir("statedir");
    std::string state = dir.File("state");
    std::filesystem::create_directories(state);
    std::string listing;
    for (const auto& [rel, content] : c.files) {
      std::filesystem::create_directories(std::filesystem::path(state + "/" + rel).parent_path());
      std::ofstream(state + "/" + rel) << content;
      listing += rel + " ";
    }
    INFO(listing);
    auto checked = CheckStateDir(PathsFor(state));
    REQUIRE(checked.has_value() == c.ok);
    if (c.ok) {
      CHECK(checked->fresh == c.fresh);
    } else {
      CHECK(checked.error().message.find(c.says) != std::string::npos);
      CHECK(checked.error().message.find("backup copy of the state directory") !=
            std::string::npos);
    }
  }
  testing::ScratchDir dir("statedir");
  auto missing = CheckStateDir(PathsFor(dir.File("not-there")));
  REQUIRE(missing);
  CHECK(missing->fresh);
}

}  // namespace
}  // namespace prisn::server
