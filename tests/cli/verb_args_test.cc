// Argument handling of scale, logs and the run-aware `get job`, and the exit
// codes of usage mistakes (no server needed: they fail before connecting).
#include <catch2/catch.hpp>
#include <limits>

#include "cli/cli.h"
#include "cli/get_runs.h"
#include "cli/log_target.h"
#include "cli/scale_args.h"

namespace prisn::cli {
namespace {

int Main(std::vector<std::string> args) {
  args.insert(args.begin(), "prisn");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return cli::Main(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("scale takes exactly one of a count, --add and --multiply") {
  auto set = ParseScaleWords({"api", "5"}, {});
  REQUIRE(set);
  CHECK(set->name == "api");
  CHECK(api::Encode(set->body) == nlohmann::ordered_json{{"replicas", 5}});
  auto add = ParseScaleWords({"deploy/api"}, {-2, std::nullopt});
  REQUIRE(add);
  CHECK(add->name == "api");
  CHECK(api::Encode(add->body) == nlohmann::ordered_json{{"add", -2}});
  auto mul = ParseScaleWords({"api"}, {std::nullopt, 1.5});
  REQUIRE(mul);
  CHECK(api::Encode(mul->body) == nlohmann::ordered_json{{"multiply", 1.5}});

  CHECK_FALSE(ParseScaleWords({"api"}, {}));
  CHECK_FALSE(ParseScaleWords({"api", "3"}, {1, std::nullopt}));
  CHECK_FALSE(ParseScaleWords({"api"}, {1, 2.0}));
  CHECK_FALSE(ParseScaleWords({"api", "-1"}, {}));
  CHECK_FALSE(ParseScaleWords({"api", "three"}, {}));
  CHECK_FALSE(ParseScaleWords({"api"}, {std::nullopt, -1.0}));
  auto job = ParseScaleWords({"job/report", "2"}, {});
  REQUIRE_FALSE(job);
  CHECK(job.error().message == "only deployments scale");
  CHECK(ScaleText("api", 3, 5) == "deployment/api scaled from 3 to 5\n");
  CHECK(ScaleText("api", 1, 1) == "deployment/api already has 1 replica\n");
}

TEST_CASE("scale refuses counts and factors no replica count can come from, before sending") {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const char* count : {"1e308", "99999999999999999999", "-9223372036854775809", "1.5", "nan"}) {
    INFO(count);
    CHECK_FALSE(ParseScaleWords({"api", count}, {}));
  }
  for (double factor : {nan, inf, -inf, -1.0, -1e308}) {
    INFO(factor);
    CHECK_FALSE(ParseScaleWords({"api"}, {std::nullopt, factor}));
  }
  // Finite and large: the server refuses it with the replica limit.
  auto large = ParseScaleWords({"api"}, {std::nullopt, 1e308});
  REQUIRE(large);
  CHECK(large->body.multiply == 1e308);
  // As command lines: a usage error (exit 2), no server asked.
  CHECK(Main({"scale", "api", "--add", "1e308"}) == 2);
  CHECK(Main({"scale", "api", "--add", "99999999999999999999"}) == 2);
  CHECK(Main({"scale", "api", "--multiply", "nan"}) == 2);
  CHECK(Main({"scale", "api", "--multiply", "inf"}) == 2);
}

TEST_CASE("log targets name runs, deployments, jobs or something to look up") {
  CHECK(IsRunId("r-0123456789"));
  CHECK(IsRunId("r-abcdef0123"));
  CHECK_FALSE(IsRunId("r-ABCDEF0123"));
  CHECK_FALSE(IsRunId("r-012345678"));
  CHECK_FALSE(IsRunId("x-0123456789"));

  auto run = ParseLogTarget("job/r-0123456789");
  REQUIRE(run);
  CHECK(run->type == LogTarget::Type::kRun);
  CHECK(run->run_id == "r-0123456789");
  CHECK(ParseLogTarget("r-0123456789")->type == LogTarget::Type::kRun);
  auto deploy = ParseLogTarget("deploy/api");
  REQUIRE(deploy);
  CHECK(deploy->type == LogTarget::Type::kDeployment);
  CHECK(deploy->name == "api");
  CHECK(ParseLogTarget("jobs/report")->type == LogTarget::Type::kJob);
  auto bare = ParseLogTarget("api-0");
  REQUIRE(bare);
  CHECK(bare->type == LogTarget::Type::kBare);
  CHECK_FALSE(ParseLogTarget("secret/db"));
  CHECK_FALSE(ParseLogTarget("deploy/"));
  CHECK_FALSE(ParseLogTarget("deploymnt/api"));

  CHECK(ReplicaBase("api-0") == "api");
  CHECK(ReplicaBase("my-api-12") == "my-api");
  CHECK_FALSE(ReplicaBase("api"));
  CHECK_FALSE(ReplicaBase("api-"));
  CHECK_FALSE(ReplicaBase("api-x1"));
}

TEST_CASE("get job with a run id shows the run, with a name the object") {
  CHECK(RunIdIn({"job", "r-0123456789"}) == "r-0123456789");
  CHECK(RunIdIn({"jobs/r-0123456789"}) == "r-0123456789");
  CHECK_FALSE(RunIdIn({"job", "backup"}));
  CHECK_FALSE(RunIdIn({"deploy", "r-0123456789"}));
  CHECK_FALSE(RunIdIn({"jobs"}));
}

TEST_CASE("usage mistakes of the workload commands exit 2 before any request") {
  // An address nothing listens on: a request would fail too, but with a
  // different message; these must fail on their arguments.
  ::setenv("PRISN_SERVER", "http://127.0.0.1:9", 1);
  CHECK(Main({"scale", "api"}) == 2);
  CHECK(Main({"scale", "api", "3", "--add", "1"}) == 2);
  CHECK(Main({"scale"}) == 2);
  CHECK(Main({"run"}) == 2);
  CHECK(Main({"run", "/nonexistent/script.py"}) == 2);
  CHECK(Main({"run", "x.py", "--isolation", "5"}) == 2);
  CHECK(Main({"logs"}) == 2);
  CHECK(Main({"logs", "secret/db"}) == 2);
  CHECK(Main({"logs", "api", "--tail", "-1"}) == 2);
  CHECK(Main({"deploy", "/nonexistent/app"}) == 2);
  CHECK(Main({"deploy", "x.py", "--replicas", "-1"}) == 2);
  CHECK(Main({"status", "--why"}) == 2);
  CHECK(Main({"get", "jobs", "--limit", "0"}) == 2);
  CHECK(Main({"run", "--help"}) == 0);
  ::unsetenv("PRISN_SERVER");
}

}  // namespace prisn::cli
