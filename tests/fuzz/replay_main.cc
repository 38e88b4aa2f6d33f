// A libFuzzer-compatible driver for toolchains without libFuzzer: GCC, or
// clang 14, which cannot compile this project (its libstdc++ 12 <expected>
// needs newer concepts support). It replays every seed, then mutates seeds
// at random until the time budget is spent. Built with ASan and UBSan, a
// crash aborts with the sanitizer's report, and the input that caused it is
// written to ./crash-<pid> first, ready to replay:
//
//   manifest_fuzz [-max_total_time=SECONDS] [-seed=N] [-max_len=BYTES] [-runs=N] PATH...
//
// A PATH is a seed file or a folder of seed files (walked recursively).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace {

// The input being run, for the crash handlers (async-signal-safe writes only).
const std::string* g_current = nullptr;

void DumpCurrent() {
  if (g_current == nullptr) return;
  char name[64];
  std::snprintf(name, sizeof(name), "crash-%d", static_cast<int>(::getpid()));
  int fd = ::open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  const char* p = g_current->data();
  size_t left = g_current->size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::close(fd);
  static const char kMsg[] = "manifest_fuzz: input written to ./crash-<pid>\n";
  [[maybe_unused]] ssize_t ignored = ::write(2, kMsg, sizeof(kMsg) - 1);
}

void OnSignal(int sig) {
  DumpCurrent();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

const char* const kTokens[] = {
    "- ", ": ", "[", "]", "{", "}", ",", "&a ", "*a", "<<: *a\n", "---\n", "...\n", "\t", "\"", "'", "|\n",
    ">-\n", "!!str ", "? ", "%YAML 1.2\n", "\n  ", "\n    ", "#", "~", "null", "true", "0x1F", "1e9", "-1",
    "99999999999999999999", "apiVersion: prisn.io/v1\n", "kind: Deployment\n", "kind: CronJob\n", "kind: Ingress\n",
    "metadata:\n  name: a\n", "spec:\n", "  replicas: ", "  port: ", "  source:\n    path: ", "    inline: ",
    "app", "../", "/etc/passwd", "  healthCheck:\n    http:\n      port: ", "  dependsOn: [a]\n",
    "  envFrom: [known]\n", "  schedule: \"", "0 25 * * *", "@every 1s", "  every: ", "  timeZone: ",
    "512Mi", "500m", "10m", "  runtime: ", "python3", "  resources:\n    memory: ", "\xff", "\x00", "\xc3\xa9",
};

std::string Mutate(std::string s, const std::vector<std::string>& seeds, std::mt19937_64& rng, size_t max_len) {
  const int rounds = 1 + static_cast<int>(rng() % 4);
  for (int r = 0; r < rounds; ++r) {
    size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 8) {
      case 0:
        if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:
        s.insert(at, 1, static_cast<char>(rng() % 256));
        break;
      case 2:
        if (!s.empty()) s.erase(rng() % s.size(), 1 + rng() % 16);
        break;
      case 3: {
        if (s.empty()) break;
        size_t from = rng() % s.size();
        size_t len = 1 + rng() % std::min<size_t>(64, s.size() - from);
        s.insert(at, s.substr(from, len));
        break;
      }
      case 4:
      case 5:
        s.insert(at, kTokens[rng() % (sizeof(kTokens) / sizeof(kTokens[0]))]);
        break;
      case 6: {
        const std::string& other = seeds[rng() % seeds.size()];
        if (other.empty()) break;
        size_t from = rng() % other.size();
        s = s.substr(0, at) + other.substr(from, rng() % (other.size() - from + 1));
        break;
      }
      default:
        if (!s.empty()) s.resize(rng() % s.size());
        break;
    }
  }
  if (s.size() > max_len) s.resize(max_len);
  return s;
}

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  long max_time = 60;
  long runs = -1;
  uint64_t seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  size_t max_len = 8192;
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("-max_total_time=", 0) == 0) max_time = std::atol(a.c_str() + 16);
    else if (a.rfind("-runs=", 0) == 0) runs = std::atol(a.c_str() + 6);
    else if (a.rfind("-seed=", 0) == 0) seed = std::strtoull(a.c_str() + 6, nullptr, 10);
    else if (a.rfind("-max_len=", 0) == 0) max_len = std::strtoull(a.c_str() + 9, nullptr, 10);
    else if (a.rfind("-", 0) == 0) std::fprintf(stderr, "manifest_fuzz: ignoring %s\n", a.c_str());
    else if (std::filesystem::is_directory(a)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(a)) {
        if (e.is_regular_file()) seeds.push_back(Slurp(e.path()));
      }
    } else {
      seeds.push_back(Slurp(a));
    }
  }
  if (seeds.empty()) seeds.emplace_back();
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(DumpCurrent);
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, OnSignal);

  auto run = [](const std::string& input) {
    g_current = &input;
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
    g_current = nullptr;
  };
  for (const auto& s : seeds) run(s);
  std::fprintf(stderr, "manifest_fuzz: replayed %zu seeds; seed=%llu\n", seeds.size(),
               static_cast<unsigned long long>(seed));

  std::mt19937_64 rng(seed);
  const auto start = std::chrono::steady_clock::now();
  long done = 0;
  double slowest = 0;
  std::string slowest_input;
  while (runs < 0 || done < runs) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (runs < 0 && elapsed >= static_cast<double>(max_time)) break;
    std::string input = Mutate(seeds[rng() % seeds.size()], seeds, rng, max_len);
    auto t0 = std::chrono::steady_clock::now();
    run(input);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (took > slowest) {
      slowest = took;
      slowest_input = input;
    }
    if (took > 10.0) {  // a hang in all but name
      g_current = &input;
      DumpCurrent();
      std::fprintf(stderr, "manifest_fuzz: one input took %.1f s\n", took);
      return 1;
    }
    if (++done % 100000 == 0) std::fprintf(stderr, "manifest_fuzz: %ld runs\n", done);
  }
  std::fprintf(stderr, "manifest_fuzz: %ld mutated runs in %.0f s, slowest %.3f s (kept in ./slowest-input), no crash\n",
               done, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), slowest);
  std::ofstream(std::string("slowest-input"), std::ios::binary) << slowest_input;
  return 0;
}
