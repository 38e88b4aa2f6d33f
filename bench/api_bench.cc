// API latency and daemon memory with 1000 objects stored.
//
//   api_bench PRISN_BINARY [N_OBJECTS]
//
// Baseline, measured in the same process over the same keep-alive
// connection: GET /health, which is the HTTP path alone (no auth, no store).
#include <fmt/core.h>
#include <sodium.h>

#include "bench/bench_util.h"

namespace {

using namespace prisn::bench;

// A small HTTP service Deployment, scaled to zero so that nothing runs.
std::string Manifest(int i, const std::string& value) {
  return fmt::format(
      "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: svc-{}\nspec:\n"
      "  runtime: python3\n  replicas: 0\n  env:\n    VALUE: \"{}\"\n"
      "  source:\n    inline: |\n      print('hello {}')\n",
      i, value, i);
}

std::string ApplyBody(const std::vector<std::pair<std::string, std::string>>& files,
                      const std::string& set) {
  nlohmann::json body{{"set", set}, {"paths", {"."}}};
  for (auto& [name, content] : files) body["files"][name] = Base64(content);
  return body.dump();
}

struct Series {
  std::vector<double> ms;
  void Add(Clock::time_point t0) { ms.push_back(Ms(Clock::now() - t0)); }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: api_bench PRISN_BINARY [N_OBJECTS]\n");
    return 2;
  }
  if (sodium_init() < 0) return 2;
  int n = argc > 2 ? std::atoi(argv[2]) : 1000;
  Daemon daemon(argv[1]);
  Http http(daemon.server(), daemon.token());
  double rss_idle = RssMiB(daemon.pid());

  // Apply N objects into an empty store, one file each, as one set.
  std::vector<std::pair<std::string, std::string>> files;
  for (int i = 0; i < n; ++i) files.emplace_back(fmt::format("svc-{}.yaml", i), Manifest(i, "a"));
  std::string body = ApplyBody(files, "bench");
  auto t0 = Clock::now();
  long code = http.Request("POST", "/v1/apply", body);
  double apply_all_ms = Ms(Clock::now() - t0);
  if (code != 200) {
    fmt::print(stderr, "apply of {} objects failed: {} {}\n", n, code, http.body());
    return 1;
  }
  double rss_loaded = RssMiB(daemon.pid());

  // Diff of the same N with one change.
  files[n / 2].second = Manifest(n / 2, "b");
  std::string diff_body = ApplyBody(files, "bench");
  t0 = Clock::now();
  code = http.Request("POST", "/v1/diff", diff_body);
  double diff_ms = Ms(Clock::now() - t0);
  if (code != 200) fmt::print(stderr, "diff failed: {} {}\n", code, http.body());

  constexpr int kGets = 2000, kApplies = 300;
  Series health, get, apply_one;
  for (int i = 0; i < kGets; ++i) {
    t0 = Clock::now();
    http.Request("GET", "/health");
    health.Add(t0);
  }
  for (int i = 0; i < kGets; ++i) {
    std::string path = fmt::format("/v1/namespaces/default/deployment/svc-{}", i % n);
    t0 = Clock::now();
    if (http.Request("GET", path) != 200) {
      fmt::print(stderr, "get {} failed: {}\n", path, http.body());
      return 1;
    }
    get.Add(t0);
  }
  // One object applied into its own set, changing every time (configured).
  for (int i = 0; i < kApplies; ++i) {
    std::string one = ApplyBody({{"one.yaml", Manifest(n + 1, std::to_string(i))}}, "bench-one");
    t0 = Clock::now();
    if (http.Request("POST", "/v1/apply", one) != 200) {
      fmt::print(stderr, "apply one failed: {}\n", http.body());
      return 1;
    }
    apply_one.Add(t0);
  }

  double base50 = Percentile(health.ms, 50), base99 = Percentile(health.ms, 99);
  fmt::print("# API with {} objects stored (keep-alive loopback HTTP, libcurl)\n\n", n);
  fmt::print("| measure | p50 ms | p99 ms | baseline p50 ms (GET /health) | ratio p50 |\n");
  fmt::print("|---|---|---|---|---|\n");
  fmt::print("| GET one object | {:.3f} | {:.3f} | {:.3f} | {:.2f}x |\n", Percentile(get.ms, 50),
             Percentile(get.ms, 99), base50, Percentile(get.ms, 50) / base50);
  fmt::print("| apply one object (configured) | {:.3f} | {:.3f} | {:.3f} | {:.2f}x |\n",
             Percentile(apply_one.ms, 50), Percentile(apply_one.ms, 99), base50,
             Percentile(apply_one.ms, 50) / base50);
  fmt::print("| GET /health (baseline) | {:.3f} | {:.3f} | | |\n\n", base50, base99);
  fmt::print("| measure | value |\n|---|---|\n");
  fmt::print("| apply {} objects into an empty store | {:.1f} ms |\n", n, apply_all_ms);
  fmt::print("| diff {} objects, one changed | {:.1f} ms |\n", n, diff_ms);
  fmt::print("| daemon RSS idle | {:.1f} MiB |\n", rss_idle);
  fmt::print("| daemon RSS with {} objects (after the runs above: {:.1f} MiB) | {:.1f} MiB |\n", n,
             RssMiB(daemon.pid()), rss_loaded);
  double get50 = Percentile(get.ms, 50), get99 = Percentile(get.ms, 99);
  // Targets speak of MB; /proc reports KiB.
  auto mb = [](double mib) { return mib * 1.048576; };
  PrintTargets({
      {fmt::format("apply of {} manifests into an empty store", n), "<= 200 ms",
       fmt::format("{:.1f} ms", apply_all_ms), apply_all_ms <= 200},
      {fmt::format("diff of {} manifests, one changed", n), "<= 200 ms", fmt::format("{:.1f} ms", diff_ms),
       diff_ms <= 200},
      {"API GET p50", "<= 0.2 ms", fmt::format("{:.3f} ms", get50), get50 <= 0.2},
      {"API GET p99", "<= 1 ms", fmt::format("{:.3f} ms", get99), get99 <= 1},
      {"daemon RSS idle", "<= 20 MB", fmt::format("{:.1f} MB", mb(rss_idle)), mb(rss_idle) <= 20},
      {fmt::format("daemon RSS with {} objects", n), "<= 50 MB", fmt::format("{:.1f} MB", mb(rss_loaded)),
       mb(rss_loaded) <= 50},
  });
  return 0;
}
