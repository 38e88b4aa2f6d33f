// GitOps sources end to end: a real daemon, the real CLI and a git
// repository served over file://.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/webhook.h"
#include "tests/common/loopback_listener.h"
#include "tests/integration/daemon.h"

namespace prisn::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string Sleeper(const std::string& name, const std::string& script) {
  return "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\nspec:\n  replicas: 1\n  terminationGracePeriod: 2s\n  source:\n    path: " + script +
         "\n";
}

constexpr char kScript[] = "trap 'exit 0' TERM\nwhile true; do sleep 0.2; done\n";

struct Fixture {
  TempDir dir;
  Daemon daemon;
  std::map<std::string, std::string> env = IsolatedEnv(dir.path() / "home");
  std::string repo = dir / "repo";
  explicit Fixture(std::vector<std::string> daemon_args = {})
      : daemon(dir.path() / "state", std::move(daemon_args)) {
    env["PRISN_STATE_DIR"] = (dir.path() / "state").string();
    std::filesystem::create_directories(repo);
    Git({"init", "-q", "-b", "main"});
  }
  RunResult operator()(const std::vector<std::string>& args) const {
    return Prisn(args, env, dir.path().string());
  }
  void Git(std::vector<std::string> args) const {
    args.insert(args.begin(), "/usr/bin/git");
    auto r = Run(args, env, repo);
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
  }
  std::string Commit(const std::string& message) const {
    Git({"add", "-A"});
    Git({"commit", "-q", "-m", message});
    auto r = Run({"/usr/bin/git", "rev-parse", "HEAD"}, env, repo);
    return r.out.substr(0, 40);
  }
  json Get(const std::string& args0, const std::string& name) const {
    auto r = (*this)({args0, "get", name, "-o", "json"});
    return json::parse(r.out, nullptr, false);
  }
  json Status(const std::string& name) const {
    auto r = (*this)({"status", name, "-o", "json"});
    return json::parse(r.out, nullptr, false);
  }
  RunResult Hook(const std::string& name, const std::string& body,
                 const std::string& signature) const {
    return Run({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H",
                "X-Hub-Signature-256: " + signature, "--data-binary", body,
                daemon.url() + "/v1/hooks/" + name},
               env, dir.path().string());
  }
};

// `git daemon` serving the bare repositories under `base` over git:// on
// loopback, stopped with the test.
class GitDaemon {
 public:
  explicit GitDaemon(const std::string& base) {
    port_ = FreeLoopbackPort();
    std::vector<std::string> args = {"/usr/bin/git", "daemon", "--reuseaddr", "--export-all",
                                     "--listen=127.0.0.1", "--port=" + std::to_string(port_),
                                     "--base-path=" + base, base};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
    REQUIRE(Eventually([&] { return Accepts(port_); }, 10s));
  }
  ~GitDaemon() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  GitDaemon(const GitDaemon&) = delete;
  GitDaemon& operator=(const GitDaemon&) = delete;
  std::string Url(const std::string& repo) const {
    return "git://127.0.0.1:" + std::to_string(port_) + "/" + repo;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

bool Running(const json& s) {
  return s.is_object() && s.value("state", "") == "running" && s.value("ready", 0) == 1;
}

}  // namespace

TEST_CASE("a git source converges, follows commits via reconcile and webhook, and keeps the "
          "last good commit") {
  Fixture f;
  f.dir.Write("repo/web.yaml", Sleeper("web", "web.sh"));
  f.dir.Write("repo/web.sh", kScript);
  std::string c1 = f.Commit("one");

  auto add = f({"source", "add", "site", "--git", "file://" + f.repo, "--branch", "main",
                "--interval", "1h", "--hook-secret", "hooky"});
  INFO(add.all());
  REQUIRE(add.exit_code == 0);
  REQUIRE(Eventually([&] { return Running(f.Status("web")); }));
  json got = f.Get("source", "site");
  CHECK(got["status"]["lastAppliedCommit"] == c1);
  CHECK(got["status"]["objects"] == 1);
  std::string v1 = f.Status("web").value("version", "");

  SECTION("a script change applied by reconcile rolls the Deployment, with the commit in events") {
    f.dir.Write("repo/web.sh", std::string("# two\n") + kScript);
    std::string c2 = f.Commit("two");
    auto r = f({"source", "reconcile", "site"});
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find(c2.substr(0, 12)) != std::string::npos);
    REQUIRE(Eventually([&] {
      json s = f.Status("web");
      return Running(s) && s.value("version", "") != v1;
    }));
    auto events = f({"events", "-o", "json"});
    CHECK(events.out.find("source:site@" + c2.substr(0, 12)) != std::string::npos);

    // Owned objects refuse imperative edits unless forced.
    auto del = f({"delete", "deployment", "web"});
    CHECK(del.exit_code != 0);
    CHECK(del.all().find("owned by source site") != std::string::npos);
    CHECK(del.all().find(c2.substr(0, 12)) != std::string::npos);
    auto scale = f({"scale", "web", "3"});
    CHECK(scale.exit_code != 0);
    CHECK(scale.all().find("owned by source site") != std::string::npos);
    // --force overrides; the next reconcile restores what git says.
    auto forced = f({"delete", "deployment", "web", "--force"});
    INFO(forced.all());
    CHECK(forced.exit_code == 0);
    CHECK(f({"status", "web"}).exit_code != 0);
    REQUIRE(f({"source", "reconcile", "site"}).exit_code == 0);
    CHECK(Eventually([&] { return Running(f.Status("web")); }));
  }

  SECTION("a webhook with a bad signature gets 401; a good one syncs") {
    f.dir.Write("repo/more.yaml", Sleeper("more", "web.sh"));
    f.Commit("more");
    std::string body = R"({"ref":"refs/heads/main"})";
    auto bad = f.Hook("site", body, server::SignWebhook(body, "wrong"));
    CHECK(bad.out == "401");
    auto unknown = f.Hook("nope", body, server::SignWebhook(body, "hooky"));
    CHECK(unknown.out == "401");
    auto good = f.Hook("site", body, server::SignWebhook(body, "hooky"));
    CHECK(good.out == "202");
    REQUIRE(Eventually([&] { return Running(f.Status("more")); }));
    auto metrics = Run({"/usr/bin/curl", "-s", "-H", "Authorization: Bearer " + f.daemon.token(),
                        f.daemon.url() + "/metrics"},
                       f.env, f.dir.path().string());
    CHECK(metrics.out.find("prisn_source_webhooks_total{result=\"accepted\"} 1") !=
          std::string::npos);
    CHECK(metrics.out.find("prisn_source_webhooks_total{result=\"denied\"} 2") !=
          std::string::npos);
    CHECK(metrics.out.find("prisn_source_syncs_total{outcome=\"applied\",type=\"git\"}") !=
          std::string::npos);
    CHECK(metrics.out.find("prisn_source_sync_duration_seconds_count{type=\"git\"}") !=
          std::string::npos);
  }

  SECTION("a broken commit shows its error and the old state stays") {
    f.dir.Write("repo/web.yaml", Sleeper("web", "web.sh") + "  replicaz: 2\n");
    std::string bad = f.Commit("broken");
    auto r = f({"source", "reconcile", "site"});
    CHECK(r.exit_code == 1);
    auto get = f({"source", "get", "site"});
    INFO(get.all());
    CHECK(get.exit_code == 1);
    CHECK(get.out.find("replicaz") != std::string::npos);
    CHECK(get.out.find(bad) != std::string::npos);  // last fetched
    json s = f.Get("source", "site");
    CHECK(s["status"]["lastAppliedCommit"] == c1);
    CHECK(f.Status("web").value("version", "") == v1);
  }
}

TEST_CASE("a git source served by git daemon follows pushes on a 1s poll, restores forced edits "
          "and switches branch") {
  Fixture f;
  std::string served = f.dir / "served";
  std::filesystem::create_directories(served);
  REQUIRE(Run({"/usr/bin/git", "init", "-q", "--bare", served + "/site.git"}, f.env, served)
              .exit_code == 0);
  f.Git({"remote", "add", "origin", served + "/site.git"});
  f.dir.Write("repo/web.yaml", Sleeper("web", "web.sh"));
  f.dir.Write("repo/web.sh", kScript);
  f.Commit("one");
  f.Git({"push", "-q", "origin", "main"});
  GitDaemon git_daemon(served);

  auto add = f({"source", "add", "site", "--git", git_daemon.Url("site.git"), "--branch", "main",
                "--interval", "1s"});
  INFO(add.all());
  REQUIRE(add.exit_code == 0);
  REQUIRE(Eventually([&] { return Running(f.Status("web")); }));
  std::string v1 = f.Status("web").value("version", "");

  // A push alone (no webhook, no reconcile): the next poll applies it.
  f.dir.Write("repo/web.sh", std::string("# two\n") + kScript);
  std::string c2 = f.Commit("two");
  f.Git({"push", "-q", "origin", "main"});
  REQUIRE(Eventually([&] {
    json s = f.Status("web");
    return Running(s) && s.value("version", "") != v1;
  }));
  CHECK(f.Get("source", "site")["status"]["lastAppliedCommit"] == c2);

  // A forced scale goes through; the next poll, at the same commit, puts
  // back git's one replica.
  auto scaled = f({"scale", "web", "3", "--force"});
  INFO(scaled.all());
  REQUIRE(scaled.exit_code == 0);
  CHECK(scaled.out.find("3") != std::string::npos);
  CHECK(Eventually([&] { return f.Status("web").value("desired", 0) == 1; }, 15s));
  auto events = f({"events", "-o", "json"});
  CHECK(events.out.find("source:site@" + c2.substr(0, 12)) != std::string::npos);

  // Switch the source to another branch: its objects follow that branch
  // and what only main had is pruned (all of the source's objects: the
  // mass-delete guard needs --allow-mass-prune).
  f.Git({"checkout", "-q", "-b", "other"});
  std::filesystem::remove(f.dir / "repo/web.yaml");
  f.dir.Write("repo/other.yaml", Sleeper("other", "web.sh"));
  std::string c3 = f.Commit("other branch");
  f.Git({"push", "-q", "origin", "other"});
  auto update = f({"source", "add", "site", "--git", git_daemon.Url("site.git"), "--branch",
                   "other", "--interval", "1s", "--allow-mass-prune", "--update"});
  INFO(update.all());
  REQUIRE(update.exit_code == 0);
  bool switched = Eventually([&] { return Running(f.Status("other")); });
  INFO(f({"source", "get", "site"}).all());
  REQUIRE(switched);
  CHECK(Eventually([&] { return f({"status", "web"}).exit_code != 0; }, 15s));
  json got = f.Get("source", "site");
  CHECK(got["status"]["lastAppliedCommit"] == c3);
  CHECK(got["spec"]["branch"] == "other");
}

TEST_CASE("a git remote that accepts and never answers times out alone: other sources sync on "
          "time and source get shows the timeout") {
  Fixture f({"--source-fetch-timeout", "6"});
  std::string served = f.dir / "served";
  std::filesystem::create_directories(served);
  REQUIRE(Run({"/usr/bin/git", "init", "-q", "--bare", served + "/site.git"}, f.env, served)
              .exit_code == 0);
  f.Git({"remote", "add", "origin", served + "/site.git"});
  f.dir.Write("repo/web.yaml", Sleeper("web", "web.sh"));
  f.dir.Write("repo/web.sh", kScript);
  std::string c1 = f.Commit("one");
  f.Git({"push", "-q", "origin", "main"});
  GitDaemon git_daemon(served);

  // The kernel completes the handshakes; nobody ever reads or writes.
  Listener silent;
  std::string hung = "127.0.0.1:" + std::to_string(silent.port);
  for (const auto& [name, url] : std::vector<std::pair<std::string, std::string>>{
           {"hung-git", "git://" + hung + "/site.git"}, {"hung-http", "http://" + hung + "/site.git"}}) {
    auto add = f({"source", "add", name, "--git", url, "--branch", "main"});
    INFO(add.all());
    REQUIRE(add.exit_code == 0);
  }
  auto add = f({"source", "add", "site", "--git", git_daemon.Url("site.git"), "--branch", "main"});
  INFO(add.all());
  REQUIRE(add.exit_code == 0);

  // Applied well inside the 6 s the hung fetches hold their workers: before,
  // one hung fetch held every source for good.
  auto status = [&](const std::string& name, const char* field) {
    json got = f.Get("source", name);
    return got.is_object() ? got["status"].value(field, json()) : json("no answer");
  };
  bool synced = Eventually([&] { return status("site", "lastAppliedCommit") == c1; }, 5s);
  INFO(f({"source", "get", "site"}).all());
  CHECK(synced);
  CHECK(status("hung-git", "lastError").is_null());

  for (const char* name : {"hung-git", "hung-http"}) {
    bool timed_out = Eventually(
        [&] {
          return f({"source", "get", name}).out.find("fetch timed out after 6s") != std::string::npos;
        },
        20s);
    INFO(f({"source", "get", name}).all());
    CHECK(timed_out);
  }
  // The good source keeps its revision and no error.
  CHECK(status("site", "lastAppliedCommit") == c1);
  CHECK(status("site", "lastError").is_null());
}

}  // namespace prisn::testing
