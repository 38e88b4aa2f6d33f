// The SourceManager's thread: syncing at start, on request, on folder writes,
// and not at all while suspended.
#include "reconciler/source_manager.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "server/api_internal.h"
#include "store_fixture.h"

namespace prisn::reconciler {
namespace {

namespace fs = std::filesystem;
using store::testing::StoreFixture;

std::string Deployment(const std::string& name, const std::string& script) {
  return "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\nspec:\n  source:\n    path: " + script + "\n";
}

void Sh(const std::string& cmd) {
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
}

// Polls `fn` until it is true or 20 s pass.
template <class Fn>
bool Eventually(Fn&& fn) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

struct Fixture : StoreFixture {
  Synchronized<store::Store> sync{Open()};
  StoreSourceTarget target{sync, server::ToDesired};
  SourceManager manager{sync, target, Options()};

  SourceManagerOptions Options() {
    SourceManagerOptions o;
    o.state_dir = dir.path();
    o.debounce = std::chrono::milliseconds(100);
    return o;
  }
  void Add(const std::string& json, bool suspended = false) {
    auto spec = SourceSpecFromJson(nlohmann::json::parse(json));
    REQUIRE(spec);
    store::SourceRecord r;
    r.name = spec->name;
    r.type = spec->type;
    r.spec_json = SourceSpecToJson(*spec).dump();
    r.suspended = suspended;
    sync.With([&](store::Store& s) { REQUIRE(s.PutSource(r, false, "tester")); });
  }
  std::optional<std::string> Applied(const std::string& name) {
    return sync.With([&](store::Store& s) -> std::optional<std::string> {
      auto r = s.GetSource(name);
      if (!r || !*r) return std::nullopt;
      return (*r)->last_applied_commit;
    });
  }
  bool Has(const std::string& name) {
    return sync.With([&](store::Store& s) {
      auto o = s.Get({"Deployment", "default", name});
      return o && *o;
    });
  }
};

TEST_CASE("source manager: a git source syncs at start and again on request") {
  Fixture f;
  std::string repo = f.dir.File("repo");
  fs::create_directories(repo);
  std::ofstream(repo + "/a.yaml") << Deployment("a", "a.py");
  std::ofstream(repo + "/a.py") << "print(0)\n";
  std::string git = "cd " + repo + " && git -c user.name=t -c user.email=t@t ";
  Sh(git + "init -q -b main && " + git + "add -A && " + git + "commit -qm one");
  f.Add(R"({"name":"web","url":"file://)" + repo + R"(","interval":"1h"})");
  REQUIRE(f.manager.Start());
  REQUIRE(Eventually([&] { return f.Has("a"); }));
  auto first = f.Applied("web");
  REQUIRE(first);

  std::ofstream(repo + "/b.yaml") << Deployment("b", "a.py");
  Sh(git + "add -A && " + git + "commit -qm two");
  f.manager.Request("web");
  REQUIRE(Eventually([&] { return f.Has("b"); }));
  // The status is recorded right after the apply.
  CHECK(Eventually([&] { return f.Applied("web") != first; }));
  f.manager.Stop();
}

TEST_CASE("source manager: a dir source follows writes after the debounce") {
  Fixture f;
  std::string folder = f.dir.File("folder");
  fs::create_directories(folder + "/sub");
  std::ofstream(folder + "/a.yaml") << Deployment("a", "a.py");
  std::ofstream(folder + "/a.py") << "print(0)\n";
  f.Add(R"({"name":"local","dir":")" + folder + R"(","interval":"1h"})");
  REQUIRE(f.manager.Start());
  REQUIRE(Eventually([&] { return f.Has("a"); }));
  // No request: only inotify can notice this, in a sub-folder.
  std::ofstream(folder + "/sub/b.yaml") << Deployment("b", "../a.py");
  REQUIRE(Eventually([&] { return f.Has("b"); }));
  fs::remove(folder + "/sub/b.yaml");
  REQUIRE(Eventually([&] { return !f.Has("b"); }));
}

TEST_CASE("source manager: a suspended source does not sync until resumed") {
  Fixture f;
  std::string folder = f.dir.File("folder");
  fs::create_directories(folder);
  std::ofstream(folder + "/a.yaml") << Deployment("a", "a.py");
  std::ofstream(folder + "/a.py") << "print(0)\n";
  f.Add(R"({"name":"local","dir":")" + folder + R"("})", /*suspended=*/true);
  REQUIRE(f.manager.Start());
  f.manager.Request("local");
  // A second source that syncs proves the thread has passed the request.
  std::string other = f.dir.File("other");
  fs::create_directories(other);
  std::ofstream(other + "/z.yaml") << Deployment("z", "z.py");
  std::ofstream(other + "/z.py") << "print(0)\n";
  f.Add(R"({"name":"other","dir":")" + other + R"("})");
  f.manager.Reload();
  REQUIRE(Eventually([&] { return f.Has("z"); }));
  CHECK(!f.Has("a"));
  f.sync.With([&](store::Store& s) { REQUIRE(s.SetSourceSuspended("local", false, "t")); });
  f.manager.Reload();
  REQUIRE(Eventually([&] { return f.Has("a"); }));
}

TEST_CASE("source manager: fetch credentials come from a Secret's values") {
  StoreFixture f;
  manifests::MemoryTree tree(std::map<std::string, std::string>{{"s.yaml",
                               "apiVersion: prisn.io/v1\nkind: Secret\nmetadata:\n  name: creds\n"
                               "  namespace: ops\nspec:\n  stringData:\n    token: t0k\n"}});
  auto set = manifests::LoadSet(tree, {"."});
  REQUIRE(set.ok());
  REQUIRE(f.store.Put(server::ToDesired(set.objects.front()), false, "tester"));
  auto values = SecretValues(f.store, "ops/creds");
  REQUIRE(values);
  CHECK(values->at("token") == "t0k");
  auto missing = SecretValues(f.store, "creds");  // namespace default
  REQUIRE(!missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
}

}  // namespace
}  // namespace prisn::reconciler
