// Deployment, Job and CronJob fields: values, defaults and mistakes.
#include <catch2/catch.hpp>

#include "tests/manifests/test_util.h"

namespace prisn::manifests {
namespace {

using testing::Dump;
using testing::FindError;
using testing::LoadYaml;
using testing::Only;

std::string DecodeWorkloadDoc(const std::string& kind, const std::string& spec_lines) {
  return "apiVersion: prisn.io/v1\nkind: " + kind + "\nmetadata:\n  name: w\nspec:\n" + spec_lines;
}
const char* kPySource = "  source:\n    path: app.py\n";
std::map<std::string, std::string> Files() { return {{"app.py", "print('hi')\n"}}; }

TEST_CASE("Deployment: every default is filled in", "[decode][deployment]") {
  auto set = LoadYaml(DecodeWorkloadDoc("Deployment", kPySource), Files());
  const auto& d = std::get<DeploymentSpec>(Only(set).spec);
  CHECK(d.runtime == "python3");
  CHECK(d.entrypoint == "app.py");
  CHECK(d.replicas == 1);
  CHECK(d.port.mode == Port::Mode::kNone);
  CHECK(d.protocol == Protocol::kTcp);
  CHECK_FALSE(d.health_check.has_value());
  CHECK(d.strategy.type == StrategyType::kRolling);
  CHECK(d.strategy.max_surge == IntOrPercent{25, true});
  CHECK(d.strategy.max_unavailable == IntOrPercent{25, true});
  CHECK(d.restart_policy == RestartPolicy::kAlways);
  CHECK(d.progress_deadline == std::chrono::minutes(10));
  CHECK_FALSE(d.auto_revert);
  CHECK(d.resources.cpu.value == 1000);
  CHECK(d.resources.memory.value == 512LL << 20);
  CHECK(d.resources.pids == 256);
  CHECK(d.resources.disk.value == 1LL << 30);
  CHECK(d.isolation.level == 1);
  CHECK(d.isolation.user.empty());
  CHECK(d.termination_grace_period == std::chrono::seconds(30));
  CHECK(Only(set).meta.namespace_ == "default");
  CHECK(Only(set).sources.at("app.py") == "print('hi')\n");
}

TEST_CASE("Deployment: every field is read", "[decode][deployment]") {
  auto set = LoadYaml(
      DecodeWorkloadDoc("Deployment",
                        std::string(kPySource) +
                            "  runtime: python3\n"
                            "  args: [--port, 8080, 'x y']\n"
                            "  env: {A: '1', B: 2, C: \"\"}\n"
                            "  envFrom:\n"
                            "    - db\n"
                            "    - secretRef: {name: api-keys}\n"
                            "      prefix: API_\n"
                            "  resources: {cpu: 250m, memory: 1Gi, pids: 64, disk: 2Gi}\n"
                            "  isolation: {level: 2, user: svc}\n"
                            "  terminationGracePeriod: 45s\n"
                            "  dependsOn: [db-migrate]\n"
                            "  replicas: 3\n"
                            "  port: 8080\n"
                            "  protocol: http\n"
                            "  healthCheck:\n"
                            "    http: {path: /health, port: 9000, expectedStatus: 204}\n"
                            "    initialDelay: 2s\n"
                            "    period: 5s\n"
                            "    timeout: 2s\n"
                            "    failureThreshold: 4\n"
                            "    successThreshold: 2\n"
                            "  livenessCheck:\n"
                            "    exec: {command: [python3, -c, 'print(1)']}\n"
                            "  strategy: {type: rolling, maxSurge: 1, maxUnavailable: 0}\n"
                            "  restartPolicy: OnFailure\n"
                            "  progressDeadline: 5m\n"
                            "  autoRevert: true\n"
                            "---\n"
                            "apiVersion: prisn.io/v1\nkind: Secret\nmetadata: {name: db}\n"
                            "---\n"
                            "apiVersion: prisn.io/v1\nkind: Secret\nmetadata: {name: api-keys}\n"
                            "---\n"
                            "apiVersion: prisn.io/v1\nkind: Job\nmetadata: {name: db-migrate}\n"
                            "spec: {runtime: bash, source: {inline: 'true'}}\n"),
      Files());
  INFO(Dump(set));
  REQUIRE(set.ok());
  const auto& d = std::get<DeploymentSpec>(set.objects[0].spec);
  CHECK(d.args == std::vector<std::string>{"--port", "8080", "x y"});
  CHECK(d.env == std::map<std::string, std::string>{{"A", "1"}, {"B", "2"}, {"C", ""}});
  REQUIRE(d.env_from.size() == 2);
  CHECK(d.env_from[0].name == "db");
  CHECK(d.env_from[1].name == "api-keys");
  CHECK(d.env_from[1].prefix == "API_");
  CHECK(d.resources.cpu.value == 250);
  CHECK(d.resources.memory.value == 1LL << 30);
  CHECK(d.resources.pids == 64);
  CHECK(d.resources.disk.value == 2LL << 30);
  CHECK(d.isolation.level == 2);
  CHECK(d.isolation.user == "svc");
  CHECK(d.termination_grace_period == std::chrono::seconds(45));
  CHECK(d.depends_on == std::vector<std::string>{"db-migrate"});
  CHECK(d.replicas == 3);
  CHECK(d.port == Port{Port::Mode::kFixed, 8080});
  CHECK(d.protocol == Protocol::kHttp);
  REQUIRE(d.health_check.has_value());
  const auto& http = std::get<HttpProbe>(d.health_check->probe);
  CHECK(http.path == "/health");
  CHECK(http.port == 9000);
  CHECK(http.expected_status == 204);
  CHECK(d.health_check->initial_delay == std::chrono::seconds(2));
  CHECK(d.health_check->period == std::chrono::seconds(5));
  CHECK(d.health_check->timeout == std::chrono::seconds(2));
  CHECK(d.health_check->failure_threshold == 4);
  CHECK(d.health_check->success_threshold == 2);
  REQUIRE(d.liveness_check.has_value());
  CHECK(std::get<ExecProbe>(d.liveness_check->probe).command.size() == 3);
  CHECK(d.strategy.max_surge == IntOrPercent{1, false});
  CHECK(d.strategy.max_unavailable == IntOrPercent{0, false});
  CHECK(d.restart_policy == RestartPolicy::kOnFailure);
  CHECK(d.progress_deadline == std::chrono::minutes(5));
  CHECK(d.auto_revert);
}

TEST_CASE("Deployment: port auto, tcp checks and Kubernetes probe spellings", "[decode][deployment]") {
  auto set = LoadYaml(
      DecodeWorkloadDoc("Deployment", std::string(kPySource) + "  port: auto\n"
                                                               "  healthCheck:\n"
                                                               "    tcp: {}\n"
                                                               "    periodSeconds: 7\n"
                                                               "    timeoutSeconds: 3\n"
                                                               "    initialDelaySeconds: 1\n"),
      Files());
  const auto& d = std::get<DeploymentSpec>(Only(set).spec);
  CHECK(d.port.mode == Port::Mode::kAuto);
  CHECK(std::get<TcpProbe>(d.health_check->probe).port == 0);
  CHECK(d.health_check->period == std::chrono::seconds(7));
  CHECK(d.health_check->timeout == std::chrono::seconds(3));
  CHECK(d.health_check->initial_delay == std::chrono::seconds(1));
  auto interval = LoadYaml(
      DecodeWorkloadDoc(
          "Deployment",
          std::string(kPySource) + "  port: 80\n  healthCheck: {http: {path: /}, interval: 3s}\n"),
      Files());
  CHECK(std::get<DeploymentSpec>(Only(interval).spec).health_check->period == std::chrono::seconds(3));
}

TEST_CASE("Deployment: field mistakes name the field, what was expected and what was found", "[decode][deployment]") {
  struct Case {
    std::string lines, field, text;
  };
  std::vector<Case> cases{
      {"  replicas: three\n", "spec.replicas", "expected an integer from 0 to 10000, found \"three\""},
      {"  replicas: -1\n", "spec.replicas", "found -1"},
      {"  replicas: \"3\"\n", "spec.replicas", "remove the quotes"},
      {"  port: 70000\n", "spec.port", "expected an integer from 1 to 65535, found 70000"},
      {"  port: 0\n", "spec.port", "found 0"},
      {"  port: http\n", "spec.port", "or \"auto\", found \"http\""},
      {"  protocol: https\n", "spec.protocol", "expected tcp or http"},
      {"  port: 80\n  healthCheck: {http: {port: eighty}}\n", "spec.healthCheck.http.port", "found \"eighty\""},
      {"  healthCheck: {http: {path: /}}\n", "spec.healthCheck.http", "has no port"},
      {"  port: 80\n  healthCheck: {http: {path: health}}\n", "spec.healthCheck.http.path", "did you mean \"/health\"?"},
      {"  port: 80\n  healthCheck: {tcp: {}, exec: {command: [x]}}\n", "spec.healthCheck", "exactly one"},
      {"  port: 80\n  healthCheck: {period: 5s}\n", "spec.healthCheck", "needs one of http, tcp or exec"},
      {"  port: 80\n  healthCheck: {path: /health}\n", "spec.healthCheck.path", "write http:"},
      {"  port: 80\n  healthCheck: {tcp: {}, period: 5s, periodSeconds: 5}\n", "spec.healthCheck.periodSeconds",
       "given twice"},
      {"  port: 80\n  healthCheck: {tcp: {}, period: 0s}\n", "spec.healthCheck.period", "greater than zero"},
      {"  port: 80\n  livenessCheck: {tcp: {}, successThreshold: 2}\n", "spec.livenessCheck.successThreshold",
       "must be 1"},
      {"  port: 80\n  healthCheck: {exec: {command: []}}\n", "spec.healthCheck.exec.command", "empty"},
      {"  strategy: {type: RollingUpdate}\n", "spec.strategy.type", "did you mean \"rolling\"?"},
      {"  strategy: {type: recreate, maxSurge: 1}\n", "spec.strategy.maxSurge", "rolling strategy only"},
      {"  strategy: {maxSurge: 0, maxUnavailable: 0}\n", "spec.strategy", "cannot both be 0"},
      {"  strategy: {maxSurge: 150%}\n", "spec.strategy.maxSurge", "percentage"},
      {"  restartPolicy: always\n", "spec.restartPolicy", "did you mean \"Always\"?"},
      {"  progressDeadline: 10\n", "spec.progressDeadline", "did you mean \"10s\"?"},
      {"  autoRevert: yes\n", "spec.autoRevert", "did you mean true?"},
      {"  timeout: 5m\n", "spec.timeout", "a Deployment runs until it is stopped"},
      {"  backoffLimit: 3\n", "spec.backoffLimit", "applies to Jobs and CronJobs"},
      {"  schedule: '* * * * *'\n", "spec.schedule", "applies to CronJobs"},
      {"  replcas: 3\n", "spec.replcas", "did you mean \"replicas\"?"},
      {"  image: python:3.12\n", "spec.image", "not container images"},
      {"  command: [python3]\n", "spec.command", "belongs to a Runner"},
      {"  port: 80\n  env: {PORT: '1'}\n", "spec.env.PORT", "set by prisn"},
      {"  resources: {memory: 512MB}\n", "spec.resources.memory", "did you mean \"512Mi\"?"},
      {"  resources: {memory: 1Mi}\n", "spec.resources.memory", "at least 4Mi"},
      {"  resources: {memory: 512m}\n", "spec.resources.memory", "thousandth"},
      {"  resources: {cpu: 500M}\n", "spec.resources.cpu", "did you mean \"500m\"?"},
      {"  resources: {cpu: 0}\n", "spec.resources.cpu", "at least 1m"},
      {"  resources: {pids: 0}\n", "spec.resources.pids", "from 1 to 1000000"},
      {"  resources: {disk: 10k}\n", "spec.resources.disk", "at least 1Mi"},
      {"  resources: {limits: {cpu: 1}}\n", "spec.resources.limits", "limits already"},
      {"  isolation: {level: 3}\n", "spec.isolation.level", "from 0 to 2"},
      {"  isolation: {user: root}\n", "spec.isolation.user", "never run as root"},
      {"  isolation: {user: 'Bad User'}\n", "spec.isolation.user", "user name or numeric uid"},
      {"  args: --verbose\n", "spec.args", "expected a list of strings, found a string"},
      {"  args: [{a: b}]\n", "spec.args[0]", "expected a string, found a mapping"},
      {"  env: [A, B]\n", "spec.env[0]", "a mapping with name and value"},
      {"  env: {1BAD: x}\n", "spec.env.1BAD", "not a valid environment variable name"},
      {"  env: {A: }\n", "spec.env.A", "write \"\" for an empty value"},
      {"  env: {A: [1]}\n", "spec.env.A", "expected a string, found a list"},
      {"  envFrom: db\n", "spec.envFrom", "expected a list of secret references"},
      {"  envFrom: [{configMapRef: {name: x}}]\n", "spec.envFrom[0].configMapRef", "no ConfigMaps"},
      {"  envFrom: [{secretRef: {}}]\n", "spec.envFrom[0].secretRef", "missing field \"name\""},
      {"  envFrom: [Bad_Name]\n", "spec.envFrom[0]", "not a valid name"},
      {"  dependsOn: db\n", "spec.dependsOn", "expected a list of strings"},
      {"  dependsOn: [Bad]\n", "spec.dependsOn[0]", "not a valid name"},
      {"  terminationGracePeriod: forever\n", "spec.terminationGracePeriod", "expected a duration"},
      {"  entrypoint: ../x.py\n", "spec.entrypoint", "inside the source"},
  };
  for (const auto& c : cases) {
    auto set = LoadYaml(DecodeWorkloadDoc("Deployment", std::string(kPySource) + c.lines), Files());
    INFO(c.lines << "\n" << Dump(set));
    const Diagnostic* d = FindError(set, c.field, c.text);
    REQUIRE(d != nullptr);
    CHECK(d->file == "m.yaml");
    CHECK(d->line >= 6);
    CHECK(d->column >= 3);
  }
}

TEST_CASE("Deployment: positions point at the offending value", "[decode][deployment]") {
  auto set = LoadYaml(DecodeWorkloadDoc("Deployment", std::string(kPySource) + "  port: 70000\n"),
                      Files());
  const Diagnostic* d = FindError(set, "spec.port");
  REQUIRE(d != nullptr);
  CHECK(d->line == 8);
  CHECK(d->column == 9);
}

TEST_CASE("Source: path, inline and the mistakes around them", "[decode][source]") {
  auto inline_set =
      LoadYaml(DecodeWorkloadDoc("Job", "  runtime: node\n  source: {inline: 'console.log(1)'}\n"));
  const auto& job = std::get<JobSpec>(Only(inline_set).spec);
  CHECK(job.entrypoint == "main.js");
  CHECK(Only(inline_set).sources.at("main.js") == "console.log(1)");

  CHECK(FindError(LoadYaml(DecodeWorkloadDoc("Job", "  source: app.py\n"), Files()), "spec.source",
                  "path: app.py"));
  CHECK(FindError(LoadYaml(DecodeWorkloadDoc("Job", "  source: {path: a.py, inline: x}\n")),
                  "spec.source.inline", "not both"));
  CHECK(FindError(LoadYaml(DecodeWorkloadDoc("Job", "  source: {}\n")), "spec.source",
                  "needs path or inline"));
  CHECK(FindError(LoadYaml(DecodeWorkloadDoc("Job", "  runtime: bash\n")), "spec",
                  "missing field \"source\""));
  CHECK(FindError(LoadYaml(DecodeWorkloadDoc("Job", "  source: {path: /etc/passwd}\n")),
                  "spec.source.path", "relative"));
  CHECK(FindError(LoadYaml(DecodeWorkloadDoc("Job", "  source: {inline: '  '}\n  runtime: bash\n")),
                  "spec.source.inline", "empty"));
  CHECK(FindError(LoadYaml(DecodeWorkloadDoc("Job", "  source: {inline: 'x'}\n")),
                  "spec.source.inline", "needs a runtime"));
  CHECK(FindError(LoadYaml(DecodeWorkloadDoc("Job", "  source: {git: 'https://x'}\n")),
                  "spec.source.git", "register the repository"));
  CHECK(FindError(LoadYaml(DecodeWorkloadDoc("Job", "  source: {file: a.py}\n")),
                  "spec.source.file", "did you mean \"path\"?"));
}

TEST_CASE("Workloads: an empty spec or source is an error, not a default", "[decode][job]") {
  // Found by fuzzing: `spec:` and `source` with no value once loaded cleanly.
  CHECK(FindError(LoadYaml("apiVersion: prisn.io/v1\nkind: Job\nmetadata: {name: j}\nspec:\n"), "spec",
                  "spec is empty"));
  CHECK(FindError(LoadYaml(DecodeWorkloadDoc("Job", "  runtime: bash\n  source:\n")), "spec",
                  "source is empty"));
  CHECK(FindError(LoadYaml(DecodeWorkloadDoc("Deployment", "  runtime: python3\n  source\n")),
                  "spec", "source is empty"));
}

TEST_CASE("Job: defaults, fields and impossible combinations", "[decode][job]") {
  const auto j =
      std::get<JobSpec>(Only(LoadYaml(DecodeWorkloadDoc("Job", kPySource), Files())).spec);
  CHECK(j.backoff_limit == 6);
  CHECK(j.active_deadline.count() == 0);
  CHECK(j.timeout.count() == 0);
  CHECK(j.restart_policy == RestartPolicy::kOnFailure);

  auto full = LoadYaml(
      DecodeWorkloadDoc("Job", std::string(kPySource) +
                                   "  backoffLimit: 2\n  activeDeadline: 1h\n  timeout: 90s\n"
                                   "  restartPolicy: OnFailure\n"),
      Files());
  const auto& f = std::get<JobSpec>(Only(full).spec);
  CHECK(f.backoff_limit == 2);
  CHECK(f.active_deadline == std::chrono::hours(1));
  CHECK(f.timeout == std::chrono::seconds(90));

  struct Case {
    std::string lines, field, text;
  };
  std::vector<Case> cases{
      {"  replicas: 2\n", "spec.replicas", "a Job runs once to completion"},
      {"  port: 80\n", "spec.port", "applies to Deployments"},
      {"  healthCheck: {tcp: {}}\n", "spec.healthCheck", "applies to Deployments"},
      {"  schedule: '0 3 * * *'\n", "spec.schedule", "use kind: CronJob"},
      {"  restartPolicy: Always\n", "spec.restartPolicy", "must be OnFailure or Never"},
      {"  restartPolicy: Never\n  backoffLimit: 2\n", "spec.backoffLimit", "no effect"},
      {"  backoffLimit: -1\n", "spec.backoffLimit", "from 0 to 1000"},
      {"  timeout: 10 minutes\n", "spec.timeout", "did you mean \"10m\"?"},
      {"  activeDeadline: 1h 30m\n", "spec.activeDeadline", "did you mean \"1h30m\"?"},
  };
  for (const auto& c : cases) {
    auto set = LoadYaml(DecodeWorkloadDoc("Job", std::string(kPySource) + c.lines), Files());
    INFO(c.lines << "\n" << Dump(set));
    CHECK(FindError(set, c.field, c.text) != nullptr);
  }
}

TEST_CASE("CronJob: defaults and every field", "[decode][cronjob]") {
  const auto c = std::get<CronJobSpec>(
      Only(LoadYaml(
               DecodeWorkloadDoc("CronJob", std::string(kPySource) + "  schedule: '0 3 * * *'\n"),
               Files()))
          .spec);
  CHECK(c.schedule == "0 3 * * *");
  CHECK(c.every.empty());
  CHECK(c.time_zone.empty());
  CHECK(c.concurrency_policy == ConcurrencyPolicy::kForbid);
  CHECK(c.starting_deadline.count() == 0);
  CHECK_FALSE(c.suspend);
  CHECK(c.successful_jobs_history_limit == 3);
  CHECK(c.failed_jobs_history_limit == 1);
  CHECK(c.backoff_limit == 6);

  auto full = LoadYaml(
      DecodeWorkloadDoc(
          "CronJob", std::string(kPySource) +
                         "  every: 15m\n  timeZone: Europe/Berlin\n  concurrencyPolicy: Replace\n"
                         "  startingDeadline: 5m\n  suspend: true\n"
                         "  successfulJobsHistoryLimit: 10\n  failedJobsHistoryLimit: 0\n"
                         "  timeout: 1m\n  backoffLimit: 0\n"),
      Files());
  const auto& f = std::get<CronJobSpec>(Only(full).spec);
  CHECK(f.every == "15m");
  CHECK(f.time_zone == "Europe/Berlin");
  CHECK(f.concurrency_policy == ConcurrencyPolicy::kReplace);
  CHECK(f.starting_deadline == std::chrono::minutes(5));
  CHECK(f.suspend);
  CHECK(f.successful_jobs_history_limit == 10);
  CHECK(f.failed_jobs_history_limit == 0);
  CHECK(f.timeout == std::chrono::minutes(1));
  CHECK(f.backoff_limit == 0);
  CHECK(Only(LoadYaml(
                 DecodeWorkloadDoc("CronJob", std::string(kPySource) + "  schedule: '@hourly'\n"),
                 Files()))
            .kind == "CronJob");
}

TEST_CASE("CronJob: schedule mistakes point at the offending character", "[decode][cronjob]") {
  auto set = LoadYaml(
      DecodeWorkloadDoc("CronJob", std::string(kPySource) + "  schedule: \"0 25 * * *\"\n"),
      Files());
  const Diagnostic* d = FindError(set, "spec.schedule", "25");
  REQUIRE(d != nullptr);
  CHECK(d->line == 8);
  CHECK(d->column == 16);  // the '2' of 25, after the opening quote
  auto plain = LoadYaml(
      DecodeWorkloadDoc("CronJob", std::string(kPySource) + "  every: 5 minutes\n"), Files());
  CHECK(FindError(plain, "spec.every", "invalid interval"));

  struct Case {
    std::string lines, field, text;
  };
  std::vector<Case> cases{
      {"  schedule: '* * * * *'\n  every: 1h\n", "spec.every", "not both"},
      {"  suspend: false\n", "spec", "needs schedule or every"},
      {"  schedule: '0 3 * *'\n", "spec.schedule", "invalid cron schedule"},
      {"  schedule: '0 3 * * *'\n  timeZone: Mars/Olympus\n", "spec.timeZone", "unknown time zone"},
      {"  schedule: '0 3 * * *'\n  concurrencyPolicy: forbid\n", "spec.concurrencyPolicy", "did you mean \"Forbid\"?"},
      {"  schedule: '0 3 * * *'\n  replicas: 2\n", "spec.replicas", "each CronJob run runs once"},
      {"  cron: '0 3 * * *'\n", "spec.cron", "did you mean \"schedule\"?"},
      {"  schedule: '0 3 * * *'\n  jobTemplate: {}\n", "spec.jobTemplate", "directly under spec"},
      {"  schedule: '0 3 * * *'\n  failedJobsHistoryLimit: -2\n", "spec.failedJobsHistoryLimit", "from 0 to 1000"},
  };
  for (const auto& c : cases) {
    auto s = LoadYaml(DecodeWorkloadDoc("CronJob", std::string(kPySource) + c.lines), Files());
    INFO(c.lines << "\n" << Dump(s));
    CHECK(FindError(s, c.field, c.text) != nullptr);
  }
}

}  // namespace
}  // namespace prisn::manifests
