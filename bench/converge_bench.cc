// Converge speed: apply of a new Deployment to healthy, 100 Deployments from
// empty to all healthy, and the heal time of a replica killed from outside.
//
//   converge_bench PRISN_BINARY [N_DEPLOYMENTS] [RUNS]
//
// Baseline, measured in the same process: a bare `python3 server.py` started
// directly, timed until its port accepts a connection (what "healthy" means
// for a tcp health check).
#include <arpa/inet.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>

#include "bench/bench_util.h"

namespace {

using namespace prisn::bench;

constexpr char kServer[] =
    "import http.server, os\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')\n"
    "    def log_message(self, *a): pass\n"
    "http.server.ThreadingHTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()\n";

std::string Manifest(const std::string& name) {
  return fmt::format(
      "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: {}\nspec:\n"
      "  runtime: python3\n  port: auto\n  source:\n    path: server.py\n"
      "  healthCheck:\n    tcp: {{}}\n",
      name);
}

std::string ApplyBody(const std::vector<std::string>& names, const std::string& set) {
  nlohmann::json body{{"set", set}, {"paths", {"."}}, {"prune", true}, {"confirmPrune", true}};
  body["files"]["server.py"] = Base64(kServer);
  for (const auto& n : names) body["files"][n + ".yaml"] = Base64(Manifest(n));
  return body.dump();
}

bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// Bare python3 serving on a port, until the port accepts.
double BaselineMs(const std::string& dir, int port) {
  std::string script = dir + "/server.py";
  std::ofstream(script) << kServer;
  auto t0 = Clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("PORT", std::to_string(port).c_str(), 1);
    ::execl("/usr/bin/python3", "python3", script.c_str(), nullptr);
    ::_exit(127);
  }
  while (!Accepts(port)) std::this_thread::sleep_for(std::chrono::microseconds(200));
  double ms = Ms(Clock::now() - t0);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return ms;
}

nlohmann::json Status(Http& http, const std::string& name) {
  if (http.Request("GET", "/v1/namespaces/default/deployments/" + name + "/status") != 200)
    return {};
  return nlohmann::json::parse(http.body(), nullptr, false);
}

bool Running(const nlohmann::json& s) {
  return s.is_object() && s.value("state", "") == "running" && s.value("ready", 0) >= 1;
}

// Polls until `done` or a minute passed; returns the elapsed ms or -1.
template <class Done>
double Until(Clock::time_point t0, Done done) {
  while (Clock::now() - t0 < std::chrono::minutes(1)) {
    if (done()) return Ms(Clock::now() - t0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: converge_bench PRISN_BINARY [N_DEPLOYMENTS] [RUNS]\n");
    return 2;
  }
  if (sodium_init() < 0) return 2;
  int n = argc > 2 ? std::atoi(argv[2]) : 100;
  int runs = argc > 3 ? std::atoi(argv[3]) : 7;
  Daemon daemon(argv[1]);
  Http http(daemon.server(), daemon.token());
  std::string tmp = std::filesystem::temp_directory_path() / ("prisn-bench-base-" + std::to_string(::getpid()));
  std::filesystem::create_directories(tmp);

  // 1. One new Deployment: apply -> healthy.
  std::vector<double> one, base;
  std::vector<std::string> ones;  // the set grows: earlier ones stay unchanged
  for (int r = 0; r < runs; ++r) {
    base.push_back(BaselineMs(tmp, 20000 + r));
    std::string name = fmt::format("one-{}", r);
    ones.push_back(name);
    auto t0 = Clock::now();
    if (http.Request("POST", "/v1/apply", ApplyBody(ones, "one")) != 200) {
      fmt::print(stderr, "apply failed: {}\n", http.body());
      return 1;
    }
    double ms = Until(t0, [&] { return Running(Status(http, name)); });
    if (ms < 0) {
      fmt::print(stderr, "{} did not become healthy: {}\n", name, Status(http, name).dump());
      return 1;
    }
    one.push_back(ms);
  }

  // 2. Heal: kill a replica from outside, time until a new one is healthy.
  // One kill per Deployment: a second kill of the same replica would time
  // the crash backoff (1 s, 2 s, ...), not the heal.
  std::vector<double> heal;
  for (int r = 0; r < runs; ++r) {
    std::string name = fmt::format("one-{}", r);
    auto s = Status(http, name);
    int64_t pid = s["replicas"][0].value("pid", 0);
    if (pid <= 0) break;
    auto t0 = Clock::now();
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    double ms = Until(t0, [&] {
      auto now = Status(http, name);
      return Running(now) && now["replicas"][0].value("pid", 0) != pid;
    });
    if (ms < 0) break;
    heal.push_back(ms);
  }

  // 3. N Deployments from empty (the set above is pruned away first).
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back(fmt::format("svc-{}", i));
  http.Request("POST", "/v1/apply", ApplyBody({}, "one"));
  auto t0 = Clock::now();
  if (http.Request("POST", "/v1/apply", ApplyBody(names, "many")) != 200) {
    fmt::print(stderr, "apply of {} failed: {}\n", n, http.body());
    return 1;
  }
  double all_ms = Until(t0, [&] {
    if (http.Request("GET", "/v1/status") != 200) return false;
    auto j = nlohmann::json::parse(http.body(), nullptr, false);
    int up = 0;
    for (auto& w : j["workloads"]) up += Running(w) && w.value("name", "").rfind("svc-", 0) == 0;
    return up == n;
  });
  double rss = RssMiB(daemon.pid());

  double b50 = Percentile(base, 50), o50 = Percentile(one, 50);
  fmt::print("## Converge ({} runs; python3 http.server with a tcp health check)\n\n", runs);
  fmt::print("| measure | prisn | baseline (bare python3 until its port accepts) | ratio |\n");
  fmt::print("|---|---|---|---|\n");
  fmt::print("| apply of a new Deployment -> healthy, median | {:.1f} ms | {:.1f} ms | {:.2f}x (+{:.1f} ms) |\n",
             o50, b50, o50 / b50, o50 - b50);
  fmt::print("| apply -> healthy, p95 | {:.1f} ms | {:.1f} ms | |\n", Percentile(one, 95),
             Percentile(base, 95));
  if (!heal.empty())
    fmt::print("| heal of a replica killed with SIGKILL, median | {:.1f} ms | {:.1f} ms | {:.2f}x |\n",
               Percentile(heal, 50), b50, Percentile(heal, 50) / b50);
  fmt::print("| {} Deployments from empty -> all healthy | {:.0f} ms | {:.0f} ms ({} x one start, serial) | |\n",
             n, all_ms, b50 * n, n);
  fmt::print("| daemon RSS with {} replicas running | {:.1f} MiB | | |\n", n, rss);
  std::filesystem::remove_all(tmp);
  return all_ms < 0 ? 1 : 0;
}
