// GitOps: time from `git push` to the change applied and converged, for
// repositories of N manifests where one changes, via a webhook and via a 1 s
// poll.
//
//   gitops_bench PRISN_BINARY [SIZES, e.g. 10,100,1000] [ROUNDS]
//
// Each repository holds N Deployments; the one that changes ("target") runs
// one replica of a bash script, the others are stored, versioned and
// validated on every sync like it but scaled to 0, so the figure is the
// source pipeline (fetch, load and validate N, apply, roll one) and not the
// machine's process count. Each round edits the target's script (a rolling
// restart), commits and pushes to a bare repository served over file://; the
// clock starts when `git push` has returned.
//
// Baseline, measured in the same process: the same change sent straight to
// the API (`prisn apply` of the N files) until converged, in a namespace of
// its own.
#include <fmt/core.h>
#include <sodium.h>

#include "bench/bench_util.h"

namespace {

using namespace prisn::bench;
namespace fs = std::filesystem;

std::string Manifest(const std::string& ns, const std::string& name, int replicas,
                     const std::string& script) {
  return fmt::format(
      "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: {}\n  namespace: {}\n"
      "spec:\n  replicas: {}\n  terminationGracePeriod: 1s\n  source:\n    path: {}\n",
      name, ns, replicas, script);
}

std::string Script(int round) {
  return fmt::format("# round {}\ntrap 'exit 0' TERM\nwhile true; do sleep 1; done\n", round);
}

void Sh(const std::string& cmd) {
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
}

std::string Output(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + cmd);
  char buf[256];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string Sign(const std::string& body, const std::string& key) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(body.data()),
                                body.size());
  crypto_auth_hmacsha256_final(&st, mac);
  std::string hex(sizeof mac * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), mac, sizeof mac);
  hex.pop_back();
  return "sha256=" + hex;
}

nlohmann::json Get(Http& http, const std::string& path) {
  if (http.Request("GET", path) != 200) return {};
  return nlohmann::json::parse(http.body(), nullptr, false);
}

std::string TargetVersionRunning(Http& http, const std::string& ns) {
  auto s = Get(http, "/v1/namespaces/" + ns + "/deployments/target/status");
  if (!s.is_object() || s.value("state", "") != "running" || s.value("ready", 0) != 1 ||
      s.value("updated", 0) != 1 || s["replicas"].size() != 1)
    return {};
  return s.value("version", "");
}

// Polls every 2 ms until `done` or two minutes passed; elapsed ms or -1.
template <class Done>
double Until(Clock::time_point t0, Done done) {
  while (Clock::now() - t0 < std::chrono::minutes(2)) {
    if (done()) return Ms(Clock::now() - t0);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return -1;
}

struct Times {
  std::vector<double> applied, converged;
};

// One repository of n manifests in namespace `ns`, its bare remote, and a
// source following it.
class Repo {
 public:
  Repo(const fs::path& root, const std::string& ns, int n) : ns_(ns) {
    work_ = root / (ns + "-work");
    bare_ = root / (ns + ".git");
    fs::create_directories(work_);
    Sh(fmt::format("git init -q --bare {} && git -C {} init -q -b main && "
                   "git -C {} remote add origin {}",
                   bare_.string(), work_.string(), work_.string(), bare_.string()));
    std::ofstream(work_ / "target.sh") << Script(0);
    std::ofstream(work_ / "idle.sh") << Script(0);
    std::ofstream(work_ / "target.yaml") << Manifest(ns, "target", 1, "target.sh");
    for (int i = 1; i < n; ++i)
      std::ofstream(work_ / fmt::format("svc-{:04}.yaml", i))
          << Manifest(ns, fmt::format("svc-{:04}", i), 0, "idle.sh");
    Commit(0);
  }
  // Edits the target's script, commits and pushes; returns the commit.
  std::string Commit(int round) {
    std::ofstream(work_ / "target.sh") << Script(round);
    Sh(fmt::format("cd {} && git add -A && git -c user.name=b -c user.email=b@b commit -q -m "
                   "r{} && git push -q origin main 2>/dev/null",
                   work_.string(), round));
    return Output("git -C " + work_.string() + " rev-parse HEAD");
  }
  std::string url() const { return "file://" + bare_.string(); }
  const fs::path& work() const { return work_; }

 private:
  std::string ns_;
  fs::path work_, bare_;
};

bool AppliedCommit(Http& http, const std::string& source, const std::string& commit) {
  auto s = Get(http, "/v1/sources/" + source);
  return s.is_object() && s["status"].value("lastAppliedCommit", "") == commit;
}

// Webhook or poll rounds against `source`; the clock starts after the push.
Times Rounds(Http& http, Repo& repo, const std::string& ns, const std::string& source,
             bool webhook, int rounds, int& round) {
  Times t;
  for (int r = 0; r < rounds; ++r) {
    // Polls: pushes land at spread phases of the interval, not right after
    // the poll that ended the last round.
    if (!webhook) std::this_thread::sleep_for(std::chrono::milliseconds(1000 * r / rounds));
    std::string before = TargetVersionRunning(http, ns);
    std::string commit = repo.Commit(++round);
    auto t0 = Clock::now();
    if (webhook) {
      // A push's payload names its commit: the daemon accepts a body (and
      // its signature) once, as a replay guard.
      std::string body = R"({"ref":"refs/heads/main","after":")" + commit + R"("})";
      Http hook(http.base(), "");
      hook.SetHeader("X-Hub-Signature-256: " + Sign(body, "bench-key"));
      if (hook.Request("POST", "/v1/hooks/" + source, body) != 202)
        throw std::runtime_error("webhook refused: " + hook.body());
    }
    double applied = Until(t0, [&] { return AppliedCommit(http, source, commit); });
    double converged = Until(t0, [&] {
      std::string v = TargetVersionRunning(http, ns);
      return !v.empty() && v != before;
    });
    if (applied < 0 || converged < 0)
      throw std::runtime_error(fmt::format("{}: round {} did not converge", source, r));
    t.applied.push_back(applied);
    t.converged.push_back(converged);
  }
  return t;
}

// The baseline: the same files applied straight through the API.
Times DirectRounds(Http& http, const fs::path& dir, const std::string& ns, int rounds,
                   int& round) {
  Times t;
  for (int r = 0; r < rounds; ++r) {
    std::string before = TargetVersionRunning(http, ns);
    std::ofstream(dir / "target.sh") << Script(++round);
    auto t0 = Clock::now();
    nlohmann::json body{{"set", "bench-" + ns}, {"paths", {"."}}, {"prune", true}};
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) body["files"][e.path().filename().string()] = Base64(ReadAll(e.path()));
    if (http.Request("POST", "/v1/apply", body.dump()) != 200)
      throw std::runtime_error("apply failed: " + http.body());
    t.applied.push_back(Ms(Clock::now() - t0));
    double converged = Until(t0, [&] {
      std::string v = TargetVersionRunning(http, ns);
      return !v.empty() && v != before;
    });
    if (converged < 0) throw std::runtime_error("direct apply did not converge");
    t.converged.push_back(converged);
  }
  return t;
}

std::string Row(const std::string& what, int n, const Times& t, const Times& base) {
  double conv = Percentile(t.converged, 50), base_conv = Percentile(base.converged, 50);
  return fmt::format("| {} | {} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f}x |\n", what, n,
                     Percentile(t.applied, 50), conv, Percentile(t.converged, 100), base_conv,
                     base_conv > 0 ? conv / base_conv : 0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: gitops_bench PRISN_BINARY [SIZES] [ROUNDS]\n");
    return 2;
  }
  if (sodium_init() < 0) return 2;
  std::vector<int> sizes;
  {
    std::string list = argc > 2 ? argv[2] : "10,100,1000";
    for (size_t p = 0; p < list.size();) {
      size_t c = list.find(',', p);
      sizes.push_back(std::atoi(list.substr(p, c - p).c_str()));
      p = c == std::string::npos ? list.size() : c + 1;
    }
  }
  int rounds = argc > 3 ? std::atoi(argv[3]) : 5;
  Daemon daemon(argv[1]);
  Http http(daemon.server(), daemon.token());
  fs::path root = fs::temp_directory_path() / ("prisn-bench-gitops-" + std::to_string(::getpid()));
  fs::create_directories(root);
  std::string table;
  std::map<int, double> hook_applied;  // manifests -> webhook push->applied p50 ms
  try {
    for (int n : sizes) {
      std::string ns = fmt::format("g{}", n);
      Repo repo(root, ns, n);
      std::string source = "site-" + std::to_string(n);
      nlohmann::json def{{"name", source},       {"url", repo.url()},     {"branch", "main"},
                         {"interval", "1h"},     {"hookSecret", "bench-key"},
                         {"allowMassPrune", true}};
      auto t0 = Clock::now();
      if (http.Request("POST", "/v1/sources", def.dump()) != 201)
        throw std::runtime_error("source add failed: " + http.body());
      if (Until(t0, [&] { return !TargetVersionRunning(http, ns).empty(); }) < 0)
        throw std::runtime_error(source + ": first sync did not converge");
      double first = Ms(Clock::now() - t0);
      int round = 0;
      Times hook = Rounds(http, repo, ns, source, true, rounds, round);
      def["interval"] = "1s";
      if (http.Request("PUT", "/v1/sources/" + source, def.dump()) != 200)
        throw std::runtime_error("source update failed: " + http.body());
      // The changed definition syncs once at once; let that settle.
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      Times poll = Rounds(http, repo, ns, source, false, rounds, round);
      def["interval"] = "1h";
      http.Request("PUT", "/v1/sources/" + source, def.dump());

      // Baseline: a copy of the files in a namespace of their own.
      std::string base_ns = fmt::format("d{}", n);
      fs::path dir = root / (base_ns + "-dir");
      fs::create_directories(dir);
      for (const auto& e : fs::directory_iterator(repo.work())) {
        if (!e.is_regular_file()) continue;
        std::string text = ReadAll(e.path());
        for (size_t p; (p = text.find("namespace: " + ns + "\n")) != std::string::npos;)
          text.replace(p, ns.size() + 12, "namespace: " + base_ns + "\n");
        std::ofstream(dir / e.path().filename()) << text;
      }
      int base_round = 0;
      DirectRounds(http, dir, base_ns, 1, base_round);  // creates everything
      Times direct = DirectRounds(http, dir, base_ns, rounds, base_round);

      fmt::print(stderr, "{} manifests: first sync to converged {:.0f} ms\n", n, first);
      table += Row("webhook", n, hook, direct);
      hook_applied[n] = Percentile(hook.applied, 50);
      table += Row("poll every 1s", n, poll, direct);
      table += fmt::format("| direct `POST /v1/apply` (baseline) | {} | {:.1f} | {:.1f} | {:.1f} | | |\n",
                           n, Percentile(direct.applied, 50), Percentile(direct.converged, 50),
                           Percentile(direct.converged, 100));
      http.Request("DELETE", "/v1/sources/" + source);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "gitops_bench: {}\n", e.what());
    fs::remove_all(root);
    return 1;
  }
  fs::remove_all(root);
  fmt::print("## GitOps: git push to converged ({} rounds each, one Deployment changes)\n\n",
             rounds);
  fmt::print("| trigger | manifests | push->applied p50 ms | push->converged p50 ms | max ms | "
             "direct apply->converged p50 ms | ratio |\n|---|---|---|---|---|---|---|\n{}",
             table);
  fmt::print("\nFlux's published mean time to production: 27 s (100 Kustomizations), 2 m 2 s "
             "(500), 4 m 15 s (1000).\n");
  std::vector<Target> targets;
  for (auto [n, limit] : {std::pair{10, 50.0}, std::pair{1000, 100.0}}) {
    if (auto it = hook_applied.find(n); it != hook_applied.end())
      targets.push_back({fmt::format("webhook push->applied p50, {} manifests", n),
                         fmt::format("<= {:.0f} ms", limit), fmt::format("{:.1f} ms", it->second),
                         it->second <= limit});
  }
  PrintTargets(targets);
  return 0;
}
