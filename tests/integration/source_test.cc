// GitOps sources end to end: a real daemon, the real CLI and a git
// repository served over file://.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/webhook.h"
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
  Daemon daemon{dir.path() / "state"};
  std::map<std::string, std::string> env = IsolatedEnv(dir.path() / "home");
  std::string repo = dir / "repo";
  Fixture() {
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

template <class F>
bool Eventually(F done, std::chrono::milliseconds limit = 60s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

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
    // force=1 overrides; the next reconcile restores what git says.
    auto forced = Run({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X",
                       "DELETE", "-H", "Authorization: Bearer " + f.daemon.token(),
                       f.daemon.url() + "/v1/namespaces/default/deployments/web?force=1"},
                      f.env, f.dir.path().string());
    CHECK(forced.out == "200");
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

}  // namespace prisn::testing
