#include "api/context.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>

#include "util/files.h"

namespace prisn::api {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("prisn-context-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

EnvLookup MapEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

void WriteContext(const fs::path& file, const std::string& json) {
  fs::create_directories(file.parent_path());
  REQUIRE(WriteFileAtomic(file.string(), json, 0600));
}

}  // namespace

TEST_CASE("DiscoverConnection prefers flags over the environment and files") {
  TempDir tmp;
  WriteContext(tmp.path / "state/context.json", R"({"server":"http://s:1","token":"file"})");
  auto c = DiscoverConnection({"http://flag:9/", "flagtoken"},
                              MapEnv({{"PRISN_SERVER", "http://env:2"},
                                      {"PRISN_TOKEN", "envtoken"},
                                      {"PRISN_STATE_DIR", (tmp.path / "state").string()}}));
  REQUIRE(c);
  CHECK(c->server == "http://flag:9");
  CHECK(c->token == "flagtoken");
  CHECK(c->origin == "--server");
}

TEST_CASE("DiscoverConnection prefers PRISN_SERVER and PRISN_TOKEN over context files") {
  TempDir tmp;
  WriteContext(tmp.path / "state/context.json", R"({"server":"http://s:1","token":"file"})");
  auto c = DiscoverConnection({}, MapEnv({{"PRISN_SERVER", "http://env:2"},
                                          {"PRISN_TOKEN", "envtoken"},
                                          {"PRISN_STATE_DIR", (tmp.path / "state").string()}}));
  REQUIRE(c);
  CHECK(c->server == "http://env:2");
  CHECK(c->token == "envtoken");
  CHECK(c->origin == "PRISN_SERVER");
}

TEST_CASE("DiscoverConnection reads the state dir's context before the user's") {
  TempDir tmp;
  WriteContext(tmp.path / "state/context.json", R"({"server":"http://state:1","token":"st"})");
  WriteContext(tmp.path / "xdg/prisn/context.json", R"({"server":"http://user:1","token":"us"})");
  auto c = DiscoverConnection({}, MapEnv({{"PRISN_STATE_DIR", (tmp.path / "state").string()},
                                          {"XDG_CONFIG_HOME", (tmp.path / "xdg").string()}}));
  REQUIRE(c);
  CHECK(c->server == "http://state:1");
  CHECK(c->token == "st");
  CHECK(c->origin == (tmp.path / "state/context.json").string());
}

TEST_CASE("DiscoverConnection falls back to XDG_CONFIG_HOME, then ~/.config") {
  TempDir tmp;
  WriteContext(tmp.path / "xdg/prisn/context.json", R"({"server":"http://xdg:1","token":"x"})");
  WriteContext(tmp.path / "home/.config/prisn/context.json",
               R"({"server":"http://home:1","token":"h"})");
  auto with_xdg = DiscoverConnection({}, MapEnv({{"XDG_CONFIG_HOME", (tmp.path / "xdg").string()},
                                                 {"HOME", (tmp.path / "home").string()}}));
  REQUIRE(with_xdg);
  CHECK(with_xdg->server == "http://xdg:1");
  auto home_only = DiscoverConnection({}, MapEnv({{"HOME", (tmp.path / "home").string()}}));
  REQUIRE(home_only);
  CHECK(home_only->server == "http://home:1");
  CHECK(home_only->token == "h");
}

TEST_CASE("DiscoverConnection skips a missing state-dir file and uses the default address") {
  TempDir tmp;
  auto c = DiscoverConnection({}, MapEnv({{"PRISN_STATE_DIR", (tmp.path / "none").string()},
                                          {"HOME", (tmp.path / "nohome").string()}}));
  REQUIRE(c);
  CHECK(c->server == std::string(kDefaultServer));
  CHECK(c->token.empty());
  CHECK(c->origin == "default");
}

TEST_CASE(
    "DiscoverConnection with a state dir never talks to the user's daemon or the default port") {
  TempDir tmp;
  WriteContext(tmp.path / "xdg/prisn/context.json", R"({"server":"http://user:1","token":"us"})");
  auto c = DiscoverConnection({}, MapEnv({{"PRISN_STATE_DIR", (tmp.path / "none").string()},
                                          {"PRISN_LISTEN", "127.0.0.1:0"},
                                          {"XDG_CONFIG_HOME", (tmp.path / "xdg").string()}}));
  REQUIRE(c);
  CHECK(c->server == "http://127.0.0.1:0");
  CHECK(c->token.empty());
  CHECK(c->origin == "PRISN_LISTEN");

  auto wildcard = DiscoverConnection({}, MapEnv({{"PRISN_STATE_DIR", (tmp.path / "none").string()},
                                                 {"PRISN_LISTEN", "0.0.0.0:7400"}}));
  REQUIRE(wildcard);
  CHECK(wildcard->server == "http://127.0.0.1:7400");

  auto no_listen =
      DiscoverConnection({}, MapEnv({{"PRISN_STATE_DIR", (tmp.path / "none").string()},
                                     {"XDG_CONFIG_HOME", (tmp.path / "xdg").string()}}));
  REQUIRE(no_listen);
  CHECK(no_listen->server == std::string(kDefaultServer));
  CHECK(no_listen->token.empty());
}

TEST_CASE("DiscoverConnection never pairs a context file's token with another server") {
  TempDir tmp;
  WriteContext(tmp.path / "xdg/prisn/context.json", R"({"server":"http://user:1","token":"us"})");
  auto other = DiscoverConnection({"http://elsewhere:2", ""},
                                  MapEnv({{"XDG_CONFIG_HOME", (tmp.path / "xdg").string()}}));
  REQUIRE(other);
  CHECK(other->token.empty());
  auto same = DiscoverConnection({"http://user:1/", ""},
                                 MapEnv({{"XDG_CONFIG_HOME", (tmp.path / "xdg").string()}}));
  REQUIRE(same);
  CHECK(same->token == "us");
}

TEST_CASE("DiscoverConnection rejects a context file that is not the documented JSON") {
  TempDir tmp;
  WriteContext(tmp.path / "state/context.json", "server = x");
  auto c = DiscoverConnection({}, MapEnv({{"PRISN_STATE_DIR", (tmp.path / "state").string()}}));
  REQUIRE_FALSE(c);
  CHECK(c.error().code == ErrorCode::kInvalid);
  CHECK(c.error().context == (tmp.path / "state/context.json").string());

  WriteContext(tmp.path / "state/context.json", R"({"server": 7373})");
  auto wrong_type =
      DiscoverConnection({}, MapEnv({{"PRISN_STATE_DIR", (tmp.path / "state").string()}}));
  REQUIRE_FALSE(wrong_type);
  CHECK(wrong_type.error().message.find("server: expected a string") != std::string::npos);
}

}  // namespace prisn::api
