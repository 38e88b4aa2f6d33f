// apply and diff against a real daemon, driven through the real CLI.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/integration/daemon.h"
#include "util/unique_fd.h"

namespace prisn::testing {
namespace {

using nlohmann::json;

std::string JobYaml(const std::string& name, const std::string& ns = "default") {
  return "apiVersion: prisn.io/v1\nkind: Job\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
         "\nspec:\n  runtime: bash\n  source:\n    inline: echo " + name + "\n";
}

std::string DeploymentYaml(const std::string& mode, int replicas = 2) {
  return "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
         "  source:\n    path: src\n  entrypoint: main.py\n  port: 8080\n  replicas: " +
         std::to_string(replicas) + "\n  env:\n    MODE: " + mode + "\n";
}

// A daemon, a project folder and an environment that finds the daemon
// through PRISN_STATE_DIR only.
struct Fixture {
  TempDir dir;
  Daemon daemon{dir.path() / "state"};
  std::map<std::string, std::string> env = IsolatedEnv(dir.path() / "home");
  Fixture() { env["PRISN_STATE_DIR"] = (dir.path() / "state").string(); }
  RunResult operator()(const std::vector<std::string>& args) const {
    return Prisn(args, env, dir.path().string());
  }
  void WriteApp(const std::string& mode, int replicas = 2) const {
    dir.Write("app/deploy.yaml", DeploymentYaml(mode, replicas));
    dir.Write("app/src/main.py", "print('hello')\n");
    dir.Write("app/jobs.yaml", JobYaml("hello"));
  }
};

std::int64_t StateIndex(const Fixture& prisn) {
  auto diff = prisn({"diff", "-f", "app/", "-o", "json"});
  REQUIRE(diff.exit_code != 2);
  return json::parse(diff.out).at("index").get<std::int64_t>();
}

}  // namespace

TEST_CASE("apply creates, applies again unchanged, and a changed field diffs with its class") {
  Fixture prisn;
  prisn.WriteApp("prod");

  auto first = prisn({"apply", "-f", "app/"});
  INFO(first.all());
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.find("deployment/api created") != std::string::npos);
  CHECK(first.out.find("job/hello created") != std::string::npos);
  CHECK(std::regex_search(first.out, std::regex("Applied set app-[0-9a-f]{8}: 2 created")));

  auto again = prisn({"apply", "-f", "app/"});
  INFO(again.all());
  REQUIRE(again.exit_code == 0);
  CHECK(again.out.find("deployment/api unchanged") != std::string::npos);
  CHECK(again.out.find("job/hello unchanged") != std::string::npos);

  auto same = prisn({"diff", "-f", "app/"});
  INFO(same.all());
  CHECK(same.exit_code == 0);
  CHECK(same.out.find("No changes: 2 objects up to date; state index") != std::string::npos);

  prisn.WriteApp("staging");
  auto diff = prisn({"diff", "-f", "app/"});
  INFO(diff.all());
  REQUIRE(diff.exit_code == 1);
  CHECK(diff.out.find("# deployment/api: rolling restart (v-") != std::string::npos);
  CHECK(diff.out.find("--- Deployment/default/api (v-") != std::string::npos);
  CHECK(diff.out.find("-    MODE: prod\n+    MODE: staging\n") != std::string::npos);
  CHECK(diff.out.find("Summary: 0 to create, 1 to change (1 rolling restart), 0 to delete, 1 "
                      "unchanged; state index") != std::string::npos);
  CHECK(diff.out.find('\x1b') == std::string::npos);  // not a terminal: no color

  auto as_json = prisn({"diff", "-f", "app/", "-o", "json"});
  REQUIRE(as_json.exit_code == 1);
  json j = json::parse(as_json.out);
  CHECK(j["changed"] == true);
  REQUIRE(j["objects"].size() == 1);
  CHECK(j["objects"][0]["changeClass"] == "rolling");
  CHECK(j["objects"][0]["diff"].get<std::string>().find("+    MODE: staging") != std::string::npos);

  auto scale = prisn({"apply", "-f", "app/"});
  INFO(scale.all());
  REQUIRE(scale.exit_code == 0);
  CHECK(scale.out.find("deployment/api configured (rolling restart, v-") != std::string::npos);
  CHECK(prisn({"diff", "-f", "app/"}).exit_code == 0);

  prisn.WriteApp("staging", 5);
  auto in_place = prisn({"diff", "-f", "app/"});
  INFO(in_place.all());
  CHECK(in_place.exit_code == 1);
  CHECK(in_place.out.find("# deployment/api: in place (") != std::string::npos);
  CHECK(in_place.out.find("version unchanged") != std::string::npos);
}

TEST_CASE(
    "apply --prune removes only its own set's missing objects, guarded against mass deletes") {
  Fixture prisn;
  for (const char* name : {"a", "b", "c", "d"}) {
    prisn.dir.Write(std::string("jobs/") + name + ".yaml", JobYaml(name));
  }
  prisn.dir.Write("other/x.yaml", JobYaml("x"));
  REQUIRE(prisn({"apply", "-f", "jobs/"}).exit_code == 0);
  REQUIRE(prisn({"apply", "-f", "other/"}).exit_code == 0);

  std::filesystem::remove(prisn.dir.path() / "jobs/a.yaml");
  auto diff = prisn({"diff", "-f", "jobs/", "--prune"});
  INFO(diff.all());
  CHECK(diff.exit_code == 1);
  CHECK(diff.out.find("# job/a: delete, pruned") != std::string::npos);
  auto without = prisn({"diff", "-f", "jobs/"});
  CHECK(without.exit_code == 0);

  auto pruned = prisn({"apply", "-f", "jobs/", "--prune"});
  INFO(pruned.all());
  REQUIRE(pruned.exit_code == 0);
  CHECK(pruned.out.find("job/a pruned") != std::string::npos);
  CHECK(prisn({"get", "job", "a"}).exit_code == 1);
  CHECK(prisn({"get", "job", "x"}).exit_code == 0);  // another set: never pruned

  // 2 of the 3 remaining members would go: more than half.
  std::filesystem::remove(prisn.dir.path() / "jobs/b.yaml");
  std::filesystem::remove(prisn.dir.path() / "jobs/c.yaml");
  auto refused = prisn({"apply", "-f", "jobs/", "--prune"});
  INFO(refused.all());
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("--confirm-prune") != std::string::npos);
  CHECK(prisn({"get", "job", "b"}).exit_code == 0);
  CHECK(prisn({"get", "job", "c"}).exit_code == 0);

  auto confirmed = prisn({"apply", "-f", "jobs/", "--prune", "--confirm-prune"});
  INFO(confirmed.all());
  REQUIRE(confirmed.exit_code == 0);
  CHECK(confirmed.out.find("job/b pruned") != std::string::npos);
  CHECK(confirmed.out.find("job/c pruned") != std::string::npos);
  CHECK(prisn({"get", "job", "b"}).exit_code == 1);
  CHECK(prisn({"get", "job", "d"}).exit_code == 0);
  CHECK(prisn({"get", "job", "x"}).exit_code == 0);
}

TEST_CASE("apply --check-index refuses a moved state with exit 2 and changes nothing") {
  Fixture prisn;
  prisn.WriteApp("prod");
  REQUIRE(prisn({"apply", "-f", "app/"}).exit_code == 0);
  prisn.WriteApp("staging");
  std::int64_t reviewed = StateIndex(prisn);
  auto before = json::parse(prisn({"get", "deploy", "api", "-o", "json"}).out);

  prisn.dir.Write("other/x.yaml", JobYaml("x"));
  REQUIRE(prisn({"apply", "-f", "other/"}).exit_code == 0);  // someone else moves the state
  std::int64_t now = StateIndex(prisn);
  REQUIRE(now > reviewed);

  auto stale = prisn({"apply", "-f", "app/", "--check-index", std::to_string(reviewed)});
  INFO(stale.all());
  CHECK(stale.exit_code == 2);
  CHECK(stale.err.find("state moved from " + std::to_string(reviewed) + " to " +
                       std::to_string(now) + " since your diff; run `prisn diff` again") !=
        std::string::npos);
  auto after = json::parse(prisn({"get", "deploy", "api", "-o", "json"}).out);
  CHECK(after["version"] == before["version"]);

  auto fresh = prisn({"apply", "-f", "app/", "--check-index", std::to_string(now)});
  INFO(fresh.all());
  CHECK(fresh.exit_code == 0);
  CHECK(fresh.out.find("deployment/api configured") != std::string::npos);
}

TEST_CASE("diff and apply of an invalid manifest exit 2, never 1, and change nothing") {
  Fixture prisn;
  prisn.dir.Write("bad/job.yaml",
                  "apiVersion: prisn.io/v1\nkind: Job\nmetadata:\n  name: broken\nspec:\n"
                  "  runtime: bash\n  sourc:\n    inline: echo\n");
  auto diff = prisn({"diff", "-f", "bad/"});
  INFO(diff.all());
  CHECK(diff.exit_code == 2);
  CHECK(diff.err.find("bad/job.yaml:7:") != std::string::npos);
  CHECK(diff.out.empty());
  auto apply = prisn({"apply", "-f", "bad/"});
  CHECK(apply.exit_code == 2);
  CHECK(prisn({"get", "job", "broken"}).exit_code == 1);
  auto missing = prisn({"diff", "-f", "nowhere/"});
  CHECK(missing.exit_code == 2);
}

TEST_CASE("a CLI with no server to talk to says so and how to start one, exit 2") {
  TempDir dir;
  // Bind, learn a free port, close it: nothing listens there.
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd.Get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd.Get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  fd.Reset();
  auto env = IsolatedEnv(dir.path());
  env["PRISN_SERVER"] = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  dir.Write("app/job.yaml", JobYaml("hello"));
  for (std::vector<std::string> args : {std::vector<std::string>{"get", "deploy"},
                                        {"diff", "-f", "app/"},
                                        {"apply", "-f", "app/"},
                                        {"events"},
                                        {"secret", "ls"}}) {
    auto r = Prisn(args, env, dir.path().string());
    INFO(args[0] << ": " << r.all());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("no prisn server answers at " + env["PRISN_SERVER"] +
                     "; start one with `prisn server start`") != std::string::npos);
  }
}

}  // namespace prisn::testing
