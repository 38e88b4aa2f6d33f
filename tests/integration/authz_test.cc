// What a namespace token may ask of the host, against a real daemon driven
// by the real CLI: isolation level 0 and host users (isolation.user) are
// refused with 403 on every path that creates or restores a workload (run,
// apply, deploy, the cron shortcut, rollback, release), admins keep them, and
// host users listed with --allow-host-user are open to namespace tokens. Also
// the listings that name another namespace: 403, never an empty answer.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/integration/daemon.h"

namespace prisn::testing {
namespace {

using nlohmann::json;

std::string JobYaml(const std::string& name, int level, const std::string& user = "",
                    const std::string& text = "echo hi") {
  std::string yaml =
      "apiVersion: prisn.io/v1\nkind: Job\nmetadata:\n  name: " + name +
      "\n  namespace: team-a\nspec:\n  runtime: bash\n  source:\n    inline: " + text +
      "\n  isolation:\n    level: " + std::to_string(level) + "\n";
  if (!user.empty()) yaml += "    user: " + user + "\n";
  return yaml;
}

struct Fixture {
  TempDir dir;
  // "nobody" exists on every host; namespace tokens may name it, no other.
  Daemon daemon{dir.path() / "state", {"--allow-host-user", "nobody"}};
  std::map<std::string, std::string> env = IsolatedEnv(dir.path() / "home");
  std::string team;  // a token scoped to team-a

  Fixture() {
    env["PRISN_STATE_DIR"] = (dir.path() / "state").string();
    auto created = (*this)({"token", "create", "--namespace", "team-a", "--name", "team"});
    INFO(created.all());
    REQUIRE(created.exit_code == 0);
    team = created.out.substr(0, created.out.find('\n'));
    REQUIRE(team.rfind("prisn_", 0) == 0);
  }
  // As the admin (the context file's token).
  RunResult operator()(const std::vector<std::string>& args) const {
    return Prisn(args, env, dir.path().string());
  }
  // As the team-a token.
  RunResult AsTeam(const std::vector<std::string>& args) const {
    auto team_env = env;
    team_env["PRISN_TOKEN"] = team;
    return Prisn(args, team_env, dir.path().string());
  }
  json Json(const std::vector<std::string>& args) const {
    auto r = (*this)(args);
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
  }
  std::string VersionOf(const std::string& job) const {
    return Json({"get", "job", job, "-n", "team-a", "-o", "json"})["version"];
  }
};

// A 403 about level 0 that says who may and what to do.
void CheckLevelZeroRefused(const RunResult& r) {
  INFO(r.all());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("isolation level 0") != std::string::npos);
  CHECK(r.err.find("only an admin token may ask for it") != std::string::npos);
  CHECK(r.err.find("Use level 1 (the default) or 2") != std::string::npos);
}

}  // namespace

TEST_CASE("a namespace token cannot ask for isolation level 0 by any path, an admin can") {
  Fixture f;
  f.dir.Write("s.sh", "echo ran\n");

  // prisn run --isolation 0 (POST /v1/runs): refused, and no run exists.
  CheckLevelZeroRefused(f.AsTeam({"run", "-n", "team-a", "--isolation", "0", "s.sh"}));
  auto runs = f.Json({"get", "jobs", "-A", "-o", "json"});
  CHECK(runs["runs"].empty());
  // The same script at the default level runs.
  auto plain = f.AsTeam({"run", "-n", "team-a", "s.sh"});
  INFO(plain.all());
  CHECK(plain.exit_code == 0);
  CHECK(plain.out == "ran\n");

  // An applied manifest (and its diff): refused, nothing stored.
  f.dir.Write("zero/job.yaml", JobYaml("zero", 0));
  CheckLevelZeroRefused(f.AsTeam({"apply", "-f", "zero/"}));
  CheckLevelZeroRefused(f.AsTeam({"diff", "-f", "zero/"}));
  CHECK(f({"get", "job", "zero", "-n", "team-a"}).exit_code == 1);

  // deploy and the cron shortcut send a set through the same apply.
  f.dir.Write("svc/main.sh", "sleep 600\n");
  f.dir.Write("svc/prisn.toml", "[isolation]\nlevel = 0\n");
  CheckLevelZeroRefused(f.AsTeam({"deploy", "svc", "-n", "team-a"}));
  CheckLevelZeroRefused(f.AsTeam({"cron", "svc", "--every", "1h", "-n", "team-a"}));
  CHECK(f({"get", "deploy", "svc", "-n", "team-a"}).exit_code == 1);
  CHECK(f({"get", "cronjob", "svc", "-n", "team-a"}).exit_code == 1);

  // An admin keeps level 0.
  auto admin = f({"apply", "-f", "zero/"});
  INFO(admin.all());
  CHECK(admin.exit_code == 0);
  auto admin_run = f({"run", "-n", "team-a", "--isolation", "0", "s.sh"});
  INFO(admin_run.all());
  CHECK(admin_run.exit_code == 0);
}

TEST_CASE("a namespace token cannot roll back or release to a version that asks for level 0") {
  Fixture f;
  // v1 at level 0 and v2 at level 1, both applied by the admin.
  f.dir.Write("app/job.yaml", JobYaml("api", 0, "", "echo one"));
  REQUIRE(f({"apply", "-f", "app/"}).exit_code == 0);
  std::string v1 = f.VersionOf("api");
  f.dir.Write("app/job.yaml", JobYaml("api", 1, "", "echo two"));
  REQUIRE(f({"apply", "-f", "app/"}).exit_code == 0);
  std::string v2 = f.VersionOf("api");
  REQUIRE(v1 != v2);

  // Back to v1 would run the admin's level 0 version on the team's say.
  CheckLevelZeroRefused(f.AsTeam({"rollback", "job/api", "-n", "team-a"}));
  CheckLevelZeroRefused(f.AsTeam({"rollback", "job/api", v1, "-n", "team-a"}));
  CHECK(f.VersionOf("api") == v2);

  // v3 at level 0 (admin); the team may roll back to v2 (level 1) but not
  // release the hold, which would bring v3 back.
  f.dir.Write("app/job.yaml", JobYaml("api", 0, "", "echo three"));
  REQUIRE(f({"apply", "-f", "app/"}).exit_code == 0);
  std::string v3 = f.VersionOf("api");
  auto back = f.AsTeam({"rollback", "job/api", v2, "-n", "team-a"});
  INFO(back.all());
  REQUIRE(back.exit_code == 0);
  CHECK(f.VersionOf("api") == v2);
  CheckLevelZeroRefused(f.AsTeam({"rollback", "job/api", "--release", "-n", "team-a"}));
  CHECK(f.VersionOf("api") == v2);
  // The admin may do both.
  auto released = f({"rollback", "job/api", "--release", "-n", "team-a"});
  INFO(released.all());
  CHECK(released.exit_code == 0);
  CHECK(f.VersionOf("api") == v3);
}

TEST_CASE("host users are for admins and for the users the daemon allows") {
  Fixture f;
  // "daemon" (uid 1 on Debian) is a host user the daemon did not allow.
  f.dir.Write("other/job.yaml", JobYaml("other", 1, "daemon"));
  auto refused = f.AsTeam({"apply", "-f", "other/"});
  INFO(refused.all());
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("host user \"daemon\"") != std::string::npos);
  CHECK(refused.err.find("--allow-host-user daemon") != std::string::npos);
  CHECK(f({"get", "job", "other", "-n", "team-a"}).exit_code == 1);

  f.dir.Write("allowed/job.yaml", JobYaml("allowed", 1, "nobody"));
  auto allowed = f.AsTeam({"apply", "-f", "allowed/"});
  INFO(allowed.all());
  CHECK(allowed.exit_code == 0);

  auto admin = f({"apply", "-f", "other/"});
  INFO(admin.all());
  CHECK(admin.exit_code == 0);
}

TEST_CASE("a namespace token naming another namespace in a listing gets 403, never an empty list") {
  Fixture f;
  auto expect_403 = [&](const std::vector<std::string>& args) {
    auto r = f.AsTeam(args);
    INFO(r.all());
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("may not access namespace team-b") != std::string::npos);
  };
  expect_403({"get", "endpoints", "-n", "team-b"});
  expect_403({"get", "endpoints", "api", "-n", "team-b"});
  expect_403({"get", "deploy", "-n", "team-b"});  // objects
  expect_403({"get", "jobs", "-n", "team-b"});    // runs
  expect_403({"events", "-n", "team-b"});
  expect_403({"secret", "ls", "-n", "team-b"});
  expect_403({"status", "-n", "team-b"});
  expect_403({"dns", "lookup", "api.team-b"});
  // Its own namespace answers.
  auto own = f.AsTeam({"get", "endpoints", "-n", "team-a", "-o", "json"});
  INFO(own.all());
  CHECK(own.exit_code == 0);
}

}  // namespace prisn::testing
