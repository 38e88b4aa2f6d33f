// deploy, status, scale, logs and describe against a real daemon running real
// replicas.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/daemon.h"

namespace prisn::testing {
namespace {

using nlohmann::json;

struct CliWorkloadsFixture {
  TempDir dir;
  Daemon daemon{dir.path() / "state"};
  std::map<std::string, std::string> env = IsolatedEnv(dir.path() / "home");
  CliWorkloadsFixture() { env["PRISN_STATE_DIR"] = (dir.path() / "state").string(); }
  RunResult operator()(const std::vector<std::string>& args) const {
    return Prisn(args, env, dir.path().string());
  }
  json Json(const std::vector<std::string>& args) const {
    auto r = (*this)(args);
    INFO(r.all());
    REQUIRE((r.exit_code == 0 || r.exit_code == 1));
    return json::parse(r.out);
  }
};

// A TCP service on $PORT that says so on stdout.
constexpr const char* kService = R"(import os, socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(os.environ["PORT"])))
s.listen()
print("listening on", os.environ["PORT"], flush=True)
while True:
    c, _ = s.accept()
    c.close()
)";

std::map<std::string, int64_t> Pids(const json& status) {
  std::map<std::string, int64_t> out;
  for (const auto& r : status["replicas"]) out[r["name"]] = r["pid"];
  return out;
}

}  // namespace

TEST_CASE("deploy rolls a service out, scale, status, logs and describe follow it") {
  CliWorkloadsFixture prisn;
  prisn.dir.Write("svc/main.py", kService);
  prisn.dir.Write("svc/prisn.toml",
                  "name = \"svc\"\nport = \"auto\"\nreplicas = 2\n"
                  "[healthCheck]\ntcp = {}\nperiod = \"1s\"\n");
  auto deployed = prisn({"deploy", "svc/", "--timeout", "90s"});
  INFO(deployed.all());
  REQUIRE(deployed.exit_code == 0);
  CHECK(deployed.out.find("deployment/svc created (v-") == 0);
  CHECK(deployed.out.find("deployment/svc rolled out: 2/2 ready (v-") != std::string::npos);

  json status = prisn.Json({"status", "svc", "-o", "json"});
  CHECK(status["state"] == "running");
  REQUIRE(status["replicas"].size() == 2);
  auto pids = Pids(status);
  CHECK(pids.at("svc-0") > 0);
  CHECK(pids.at("svc-1") > 0);

  auto text = prisn({"status", "svc"});
  INFO(text.all());
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("deployment/svc: running, 2/2 ready") == 0);
  CHECK(text.out.find("svc-1   running   true") != std::string::npos);
  auto overview = prisn({"status"});
  CHECK(overview.exit_code == 0);
  CHECK(overview.out.find("DEPLOYMENTS: 1\n  svc   2/2 ready   running") == 0);

  // Logs: both replicas, prefixed; one replica as is.
  REQUIRE(Eventually([&] {
    return prisn({"logs", "svc"}).out.find("[svc-1] listening on") != std::string::npos;
  }));
  auto all_logs = prisn({"logs", "svc"});
  CHECK(all_logs.out.find("[svc-0] listening on") != std::string::npos);
  auto one = prisn({"logs", "svc-0"});
  CHECK(one.exit_code == 0);
  CHECK(one.out.rfind("listening on ", 0) == 0);

  auto described = prisn({"describe", "deploy", "svc"});
  INFO(described.all());
  CHECK(described.out.find("Replicas:") != std::string::npos);
  CHECK(described.out.find("svc-0") != std::string::npos);

  // Scale up: the running replicas keep their processes.
  auto up = prisn({"scale", "svc", "3"});
  INFO(up.all());
  CHECK(up.exit_code == 0);
  CHECK(up.out == "deployment/svc scaled from 2 to 3\n");
  REQUIRE(Eventually([&] {
    status = prisn.Json({"status", "svc", "-o", "json"});
    return status["ready"] == 3 && status["state"] == "running";
  }));
  auto after = Pids(status);
  CHECK(after.at("svc-0") == pids.at("svc-0"));
  CHECK(after.at("svc-1") == pids.at("svc-1"));
  CHECK(after.at("svc-2") > 0);

  // Scale down.
  CHECK(prisn({"scale", "svc", "--add", "-2"}).out == "deployment/svc scaled from 3 to 1\n");
  REQUIRE(Eventually([&] {
    status = prisn.Json({"status", "svc", "-o", "json"});
    return status["replicas"].size() == 1 && status["ready"] == 1 && status["state"] == "running";
  }));
  CHECK(status["replicas"][0]["name"] == "svc-0");
  CHECK(Pids(status).at("svc-0") == pids.at("svc-0"));

  CHECK(prisn({"scale", "nope", "2"}).exit_code == 1);
}

TEST_CASE("a deploy whose replicas crash fails with the last exit and log lines") {
  CliWorkloadsFixture prisn;
  prisn.dir.Write("crash.sh", "echo 'about to fail'\nexit 1\n");
  auto r = prisn({"deploy", "crash.sh", "--timeout", "60s"});
  INFO(r.all());
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("deployment/crash") != std::string::npos);
  CHECK(r.err.find("exit 1") != std::string::npos);
  CHECK(r.err.find("about to fail") != std::string::npos);
  CHECK(prisn({"status", "crash"}).exit_code == 1);
}

TEST_CASE("a deploy of a script that dies at its first import fails and names no healthy version") {
  CliWorkloadsFixture prisn;
  // Python's start, then the import error, a moment later: a replica that
  // is up when the deploy first looks, but never stays up.
  prisn.dir.Write("flaky.py", "import time\ntime.sleep(0.3)\nimport flask_is_not_installed_here\n");
  auto r = prisn({"deploy", "flaky.py", "--timeout", "60s"});
  INFO(r.all());
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("rolled out") == std::string::npos);
  CHECK(r.err.find("No module named 'flask_is_not_installed_here'") != std::string::npos);
  auto status = prisn({"status", "flaky"});
  INFO(status.all());
  CHECK(status.exit_code == 1);
  auto healthy = status.out.find("Healthy version:");
  REQUIRE(healthy != std::string::npos);
  CHECK(status.out.substr(healthy, status.out.find('\n', healthy) - healthy).find("none yet") !=
        std::string::npos);
}

TEST_CASE("status --why follows dependsOn to the deployment that is not ready") {
  CliWorkloadsFixture prisn;
  // db listens nowhere, so its tcp check never passes; worker waits for it.
  prisn.dir.Write("app/db.sh", "echo db up\nsleep 1000\n");
  prisn.dir.Write("app/worker.sh", "sleep 1000\n");
  prisn.dir.Write("app/db.yaml",
                  "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: db\nspec:\n"
                  "  source:\n    path: db.sh\n  port: auto\n  healthCheck:\n    tcp: {}\n"
                  "    period: 1s\n");
  prisn.dir.Write("app/worker.yaml",
                  "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: worker\nspec:\n"
                  "  source:\n    path: worker.sh\n  dependsOn: [db]\n");
  auto applied = prisn({"apply", "-f", "app/"});
  INFO(applied.all());
  REQUIRE(applied.exit_code == 0);
  json status;
  REQUIRE(Eventually([&] {
    status = prisn.Json({"status", "worker", "-o", "json"});
    return status["state"] == "waiting";
  }));
  CHECK(status["waitingFor"][0] == "Deployment/default/db");

  auto why = prisn({"status", "worker", "--why"});
  INFO(why.all());
  CHECK(why.exit_code == 1);
  CHECK(why.out.find("deployment/worker: waiting") == 0);
  CHECK(why.out.find("\nWhy:\n  deployment/worker: waiting (0/1 ready)") != std::string::npos);
  CHECK(why.out.find("\n    deployment/db: ") != std::string::npos);
  json chain = prisn.Json({"status", "worker", "--why", "-o", "json"});
  REQUIRE(chain["why"].size() == 1);
  CHECK(chain["why"][0]["key"] == "Deployment/default/db");
  CHECK(chain["why"][0]["status"]["ready"] == 0);
}

}  // namespace prisn::testing
