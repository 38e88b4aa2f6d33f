// Converge speed: apply of a new Deployment to healthy, 100 Deployments from
// empty to all healthy, and the heal time of a replica killed from outside,
// with a python3 service; then 1, 100 and 1000 Deployments of a small HTTP
// service (busybox httpd) from empty to all healthy, and the daemon's memory
// with 1000 replicas running.
//
//   converge_bench PRISN_BINARY [N_DEPLOYMENTS] [RUNS] [SMALL_SIZES]
//
// Baseline, measured in the same process: the same server started directly,
// timed until its port accepts a connection (what "healthy" means for a tcp
// health check).
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

// What a set holds when it should be empty: an apply with no object never
// prunes, so the set keeps one Deployment with no replicas.
constexpr char kIdle[] =
    "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: idle\nspec:\n"
    "  runtime: bash\n  replicas: 0\n  source:\n    inline: sleep 1\n";

constexpr char kSmallServer[] = "exec /usr/bin/busybox httpd -f -p \"127.0.0.1:$PORT\" -h \"$PWD\"\n";

std::string SmallManifest(const std::string& name) {
  return fmt::format(
      "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: {}\nspec:\n"
      "  runtime: bash\n  port: auto\n  source:\n    path: httpd.sh\n"
      "  healthCheck:\n    tcp: {{}}\n",
      name);
}

std::string SmallApplyBody(const std::vector<std::string>& names) {
  nlohmann::json body{{"set", "small"}, {"paths", {"."}}, {"prune", true}, {"confirmPrune", true}};
  body["files"]["httpd.sh"] = Base64(kSmallServer);
  for (const auto& n : names) body["files"][n + ".yaml"] = Base64(SmallManifest(n));
  if (names.empty()) body["files"]["idle.yaml"] = Base64(kIdle);
  return body.dump();
}

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
  if (names.empty()) body["files"]["idle.yaml"] = Base64(kIdle);
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

// The server started directly on a port, until the port accepts: python3,
// or with `small` busybox httpd.
double BaselineMs(const std::string& dir, int port, bool small = false) {
  std::string script = dir + "/server.py";
  std::ofstream(script) << kServer;
  std::string addr = "127.0.0.1:" + std::to_string(port);
  auto t0 = Clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("PORT", std::to_string(port).c_str(), 1);
    if (small)
      ::execl("/usr/bin/busybox", "busybox", "httpd", "-f", "-p", addr.c_str(), "-h", dir.c_str(), nullptr);
    else
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

// Polls every `every` until `done` or three minutes passed; returns the
// elapsed ms or -1.
template <class Done>
double Until(Clock::time_point t0, Done done, std::chrono::milliseconds every = std::chrono::milliseconds(1)) {
  while (Clock::now() - t0 < std::chrono::minutes(3)) {
    if (done()) return Ms(Clock::now() - t0);
    std::this_thread::sleep_for(every);
  }
  return -1;
}

// Deployments whose name starts with `prefix` that run with a ready replica,
// and all of them.
std::pair<int, int> Healthy(Http& http, const std::string& prefix) {
  if (http.Request("GET", "/v1/status") != 200) return {0, 0};
  auto j = nlohmann::json::parse(http.body(), nullptr, false);
  int up = 0, all = 0;
  for (auto& w : j["workloads"]) {
    if (w.value("name", "").rfind(prefix, 0) != 0) continue;
    ++all;
    up += Running(w);
  }
  return {up, all};
}

struct SmallRow {
  int n;
  double ms;
  double base_ms;  // n serial direct starts
  double rss;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: converge_bench PRISN_BINARY [N_DEPLOYMENTS] [RUNS]\n");
    return 2;
  }
  if (sodium_init() < 0) return 2;
  int n = argc > 2 ? std::atoi(argv[2]) : 100;
  int runs = argc > 3 ? std::atoi(argv[3]) : 7;
  std::vector<int> small_sizes;
  for (std::string_view rest = argc > 4 ? argv[4] : "1,100,1000"; !rest.empty();) {
    auto comma = rest.find(',');
    small_sizes.push_back(std::atoi(std::string(rest.substr(0, comma)).c_str()));
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
  }
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
  double all_ms = Until(t0, [&] { return Healthy(http, "svc-").first == n; });
  double rss = RssMiB(daemon.pid());
  http.Request("POST", "/v1/apply", ApplyBody({}, "many"));
  Until(Clock::now(), [&] { return Healthy(http, "svc-").second == 0; }, std::chrono::milliseconds(20));

  // 4. The small service: 1, 100, 1000 Deployments from empty.
  std::vector<double> small_base;
  for (int r = 0; r < 20; ++r) small_base.push_back(BaselineMs(tmp, 21000 + r, true));
  double sb50 = Percentile(small_base, 50);
  std::vector<SmallRow> small;
  for (int size : small_sizes) {
    std::vector<std::string> smalls;
    for (int i = 0; i < size; ++i) smalls.push_back(fmt::format("web-{}", i));
    auto s0 = Clock::now();
    if (http.Request("POST", "/v1/apply", SmallApplyBody(smalls)) != 200) {
      fmt::print(stderr, "apply of {} small Deployments failed: {}\n", size, http.body());
      return 1;
    }
    auto every = std::chrono::milliseconds(size >= 100 ? 20 : 1);
    double ms = Until(s0, [&] { return Healthy(http, "web-").first == size; }, every);
    small.push_back({size, ms, sb50 * size, RssMiB(daemon.pid())});
    if (ms < 0) {
      auto [up, all] = Healthy(http, "web-");
      fmt::print(stderr, "{} small Deployments: {} of {} healthy after 3 minutes\n", size, up, all);
      return 1;
    }
    http.Request("POST", "/v1/apply", SmallApplyBody({}));
    Until(Clock::now(), [&] { return Healthy(http, "web-").second == 0; }, std::chrono::milliseconds(20));
  }

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

  fmt::print("\n### A small HTTP service (busybox httpd, tcp health check), from empty to all healthy\n\n");
  fmt::print("| Deployments | prisn | baseline: n direct starts, one after the other | ratio | daemon RSS after |\n");
  fmt::print("|---:|---:|---:|---:|---:|\n");
  for (const auto& r : small)
    fmt::print("| {} | {:.0f} ms | {:.0f} ms | {:.2f}x | {:.1f} MiB |\n", r.n, r.ms, r.base_ms,
               r.ms / r.base_ms, r.rss);
  fmt::print("\nOne direct start of busybox httpd until its port accepts: median {:.2f} ms of 20. "
             "Daemon RSS excludes the workloads (they are other processes).\n", sb50);

  std::vector<Target> targets;
  for (const auto& r : small) {
    if (r.n == 100)
      targets.push_back({"100 small HTTP Deployments from empty to healthy", "<= 3 s",
                         fmt::format("{:.2f} s", r.ms / 1000), r.ms <= 3000});
    if (r.n == 1000)
      targets.push_back({"daemon RSS with 1000 running replicas", "<= 100 MB",
                         fmt::format("{:.1f} MiB", r.rss), r.rss * 1.048576 <= 100});
  }
  if (!heal.empty())
    targets.push_back({"a killed replica replaced and healthy (median)", "<= 0.5 s",
                       fmt::format("{:.0f} ms", Percentile(heal, 50)), Percentile(heal, 50) <= 500});
  PrintTargets(targets);
  std::filesystem::remove_all(tmp);
  return all_ms < 0 ? 1 : 0;
}
