// The SourceManager's thread: syncing at start, on request, on folder writes,
// and not at all while suspended.
#include "reconciler/source_manager.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "reconciler/apply.h"
#include "reconciler/source_git.h"
#include "store_fixture.h"
#include "tests/common/loopback_listener.h"

namespace prisn::reconciler {
namespace {

namespace fs = std::filesystem;
using store::testing::StoreFixture;

std::string SourceManagerDeployment(const std::string& name, const std::string& script) {
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

struct SourceManagerFixture : StoreFixture {
  Synchronized<store::Store> sync{Open()};
  StoreSourceTarget target{sync};
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
  SourceManagerFixture f;
  std::string repo = f.dir.File("repo");
  fs::create_directories(repo);
  std::ofstream(repo + "/a.yaml") << SourceManagerDeployment("a", "a.py");
  std::ofstream(repo + "/a.py") << "print(0)\n";
  std::string git = "cd " + repo + " && git -c user.name=t -c user.email=t@t ";
  Sh(git + "init -q -b main && " + git + "add -A && " + git + "commit -qm one");
  f.Add(R"({"name":"web","url":"file://)" + repo + R"(","interval":"1h"})");
  REQUIRE(f.manager.Start());
  REQUIRE(Eventually([&] { return f.Has("a"); }));
  // The commit is recorded just after the apply, so it may lag the object.
  REQUIRE(Eventually([&] { return f.Applied("web").has_value(); }));
  auto first = f.Applied("web");

  std::ofstream(repo + "/b.yaml") << SourceManagerDeployment("b", "a.py");
  Sh(git + "add -A && " + git + "commit -qm two");
  f.manager.Request("web");
  REQUIRE(Eventually([&] { return f.Has("b"); }));
  // The status is recorded right after the apply.
  CHECK(Eventually([&] { return f.Applied("web") != first; }));
  f.manager.Stop();
}

TEST_CASE("source manager: a dir source follows writes after the debounce") {
  SourceManagerFixture f;
  std::string folder = f.dir.File("folder");
  fs::create_directories(folder + "/sub");
  std::ofstream(folder + "/a.yaml") << SourceManagerDeployment("a", "a.py");
  std::ofstream(folder + "/a.py") << "print(0)\n";
  f.Add(R"({"name":"local","dir":")" + folder + R"(","interval":"1h"})");
  REQUIRE(f.manager.Start());
  REQUIRE(Eventually([&] { return f.Has("a"); }));
  // No request: only inotify can notice this, in a sub-folder.
  std::ofstream(folder + "/sub/b.yaml") << SourceManagerDeployment("b", "../a.py");
  REQUIRE(Eventually([&] { return f.Has("b"); }));
  fs::remove(folder + "/sub/b.yaml");
  REQUIRE(Eventually([&] { return !f.Has("b"); }));
}

TEST_CASE("source manager: a suspended source does not sync until resumed") {
  SourceManagerFixture f;
  std::string folder = f.dir.File("folder");
  fs::create_directories(folder);
  std::ofstream(folder + "/a.yaml") << SourceManagerDeployment("a", "a.py");
  std::ofstream(folder + "/a.py") << "print(0)\n";
  f.Add(R"({"name":"local","dir":")" + folder + R"("})", /*suspended=*/true);
  REQUIRE(f.manager.Start());
  f.manager.Request("local");
  // A second source that syncs proves the thread has passed the request.
  std::string other = f.dir.File("other");
  fs::create_directories(other);
  std::ofstream(other + "/z.yaml") << SourceManagerDeployment("z", "z.py");
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
  REQUIRE(f.store.Put(ToDesired(set.objects.front()), false, "tester"));
  auto values = SecretValues(f.store, "ops/creds");
  REQUIRE(values);
  CHECK(values->at("token") == "t0k");
  auto missing = SecretValues(f.store, "creds");  // namespace default
  REQUIRE(!missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
}

// A remote that completes the TCP handshake (the kernel does, from the
// backlog) and then never sends a byte: libgit2 1.5 has no timeout of its own.
// ssh:// is bounded the same way (libssh2 blocks on the stream's socket
// until the watchdog shuts it down), but libgit2 1.5 leaks 32 bytes when an
// ssh handshake fails, which LeakSanitizer would report here.
TEST_CASE("FetchGitSource gives up on a silent remote at the deadline, over git and http") {
  StoreFixture f;
  testing::Listener silent;
  std::string hung = "127.0.0.1:" + std::to_string(silent.port);
  for (const std::string& url : {"git://" + hung + "/r.git", "http://" + hung + "/r.git"}) {
    INFO(url);
    SourceSpec spec;
    spec.name = "hung";
    spec.type = "git";
    spec.url = url;
    spec.branch = "main";
    FetchLimits limits;
    limits.total = std::chrono::milliseconds(1500);
    auto started = std::chrono::steady_clock::now();
    auto fetched = FetchGitSource(spec, f.dir.File("mirror.git"), {}, nullptr, limits);
    auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().code == ErrorCode::kTimeout);
    CHECK(fetched.error().message.find("fetch timed out after 1.5s") != std::string::npos);
    CHECK(took >= std::chrono::milliseconds(1400));
    CHECK(took < std::chrono::seconds(5));
  }
}

TEST_CASE("FetchGitSource stops a fetch blocked on a silent remote when cancelled") {
  StoreFixture f;
  testing::Listener silent;
  SourceSpec spec;
  spec.name = "hung";
  spec.type = "git";
  spec.url = "git://127.0.0.1:" + std::to_string(silent.port) + "/r.git";
  spec.branch = "main";
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  auto started = std::chrono::steady_clock::now();
  auto fetched = FetchGitSource(spec, f.dir.File("mirror.git"), {}, &cancel);  // 300 s limit
  auto took = std::chrono::steady_clock::now() - started;
  canceller.join();
  REQUIRE_FALSE(fetched);
  CHECK(fetched.error().message.find("cancelled") != std::string::npos);
  CHECK(took < std::chrono::seconds(3));
}

TEST_CASE("FetchGitSource: a connection nobody accepts fails at the connect limit") {
  // A listener whose backlog is full leaves further SYNs unanswered.
  StoreFixture f;
  testing::Listener full;
  REQUIRE(::listen(full.fd.Get(), 0) == 0);
  std::vector<UniqueFd> fillers;
  for (int i = 0; i < 4; ++i) {
    UniqueFd c(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(full.port));
    ::connect(c.Get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(std::move(c));
  }
  SourceSpec spec;
  spec.name = "full";
  spec.type = "git";
  spec.url = "git://127.0.0.1:" + std::to_string(full.port) + "/r.git";
  spec.branch = "main";
  FetchLimits limits;
  limits.connect = std::chrono::milliseconds(700);
  limits.total = std::chrono::seconds(30);
  auto started = std::chrono::steady_clock::now();
  auto fetched = FetchGitSource(spec, f.dir.File("mirror.git"), {}, nullptr, limits);
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(fetched);
  INFO(fetched.error().ToString());
  CHECK(took < std::chrono::seconds(5));
  CHECK(fetched.error().code == ErrorCode::kTimeout);
  CHECK(fetched.error().message.find("fetch timed out after 0.7s") != std::string::npos);
}

}  // namespace
}  // namespace prisn::reconciler
