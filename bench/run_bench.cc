// `prisn run` against the bare interpreter, and dependency environments.
//
//   run_bench PRISN_BINARY [RUNS]
//
// Each round runs, one after the other: the bare interpreter by its absolute
// path (the baseline), then `prisn run` of the same script at isolation
// level 1 and level 0, through a daemon started for the benchmark. The whole
// CLI process is timed, from spawn to exit. Then: a new Python environment
// built from a local wheel (no network), and a run with that environment
// cached.
#include <fcntl.h>
#include <fmt/core.h>
#include <spawn.h>

#include "bench/bench_util.h"

extern char** environ;

namespace {

using namespace prisn::bench;

// Spawns argv with stdout/stderr to /dev/null and waits; returns ms, or -1
// when it did not exit 0.
double TimeRun(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  auto t0 = Clock::now();
  pid_t pid = 0;
  if (posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ) != 0) return -1;
  int status = 0;
  ::waitpid(pid, &status, 0);
  double ms = Ms(Clock::now() - t0);
  posix_spawn_file_actions_destroy(&fa);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ms : -1;
}

void Write(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A pure-Python wheel written by hand (zip with module, METADATA, WHEEL,
// RECORD), so that the environment build needs no network.
void MakeWheel(const std::string& house, const std::string& name) {
  std::string script =
      "import base64, hashlib, sys, zipfile\n"
      "house, name = sys.argv[1:3]\n"
      "mod = name.replace('-', '_')\n"
      "info = f'{mod}-0.1.dist-info'\n"
      "files = {f'{mod}/__init__.py': 'VALUE = 1\\n',\n"
      "         f'{info}/METADATA': f'Metadata-Version: 2.1\\nName: {name}\\nVersion: 0.1\\n',\n"
      "         f'{info}/WHEEL': 'Wheel-Version: 1.0\\nGenerator: prisn-bench\\nRoot-Is-Purelib: "
      "true\\nTag: py3-none-any\\n'}\n"
      "record = []\n"
      "with zipfile.ZipFile(f'{house}/{mod}-0.1-py3-none-any.whl', 'w') as z:\n"
      "    for path, text in files.items():\n"
      "        z.writestr(path, text)\n"
      "        d = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=')\n"
      "        record.append(f'{path},sha256={d.decode()},{len(text)}')\n"
      "    record.append(f'{info}/RECORD,,')\n"
      "    z.writestr(f'{info}/RECORD', '\\n'.join(record) + '\\n')\n";
  if (TimeRun({"/usr/bin/python3", "-c", script, house, name}) < 0)
    throw std::runtime_error("cannot build the wheel " + name);
}

struct Row {
  explicit Row(std::string w) : what(std::move(w)) {}
  std::string what;
  std::vector<double> prisn, base;
};

void PrintRow(const Row& r) {
  double p = Percentile(r.prisn, 50), b = Percentile(r.base, 50);
  fmt::print("| {} | {:.1f} ms | {:.1f} ms | {:.1f} ms | {:.1f} ms | {:.2f}x | {:+.1f} ms |\n", r.what, p,
             Percentile(r.prisn, 95), b, Percentile(r.base, 95), p / b, p - b);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: run_bench PRISN_BINARY [RUNS]\n");
    return 2;
  }
  std::string prisn = std::filesystem::absolute(argv[1]);
  int runs = argc > 2 ? std::atoi(argv[2]) : 30;
  auto dir = std::filesystem::temp_directory_path() / ("prisn-run-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "wheels");
  MakeWheel((dir / "wheels").string(), "prisn-bench-cached");
  for (int i = 0; i < 3; ++i) MakeWheel((dir / "wheels").string(), fmt::format("prisn-bench-new{}", i));
  // The daemon's environment builds read these (they pass through to pip).
  ::setenv("PIP_NO_INDEX", "1", 1);
  ::setenv("PIP_FIND_LINKS", (dir / "wheels").c_str(), 1);
  ::setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1", 1);
  // Some hosts set this for every process; it costs node ~55 ms at start
  // (the CA bundle is read), and a workload's environment does not carry it:
  // left in, the baseline would be the slower one.
  ::unsetenv("NODE_EXTRA_CA_CERTS");

  Write(dir / "hello.py", "print('hello')\n");
  Write(dir / "hello.sh", "echo hello\n");
  Write(dir / "hello.js", "console.log('hello');\n");
  Write(dir / "deps/hello.py", "import prisn_bench_cached\nprint('hello')\n");
  Write(dir / "deps/requirements.txt", "prisn-bench-cached\n");
  for (int i = 0; i < 3; ++i) {
    Write(dir / fmt::format("new{}/hello.py", i), fmt::format("import prisn_bench_new{}\n", i));
    Write(dir / fmt::format("new{}/requirements.txt", i), fmt::format("prisn-bench-new{}\n", i));
  }

  Daemon daemon(prisn);
  ::setenv("PRISN_SERVER", daemon.server().c_str(), 1);
  ::setenv("PRISN_TOKEN", daemon.token().c_str(), 1);
  std::string py = (dir / "hello.py").string(), sh = (dir / "hello.sh").string(),
              js = (dir / "hello.js").string();

  // Warm up: interpreters resolved, page cache hot.
  for (int i = 0; i < 3; ++i) {
    TimeRun({prisn, "run", py});
    TimeRun({prisn, "run", sh});
    TimeRun({"/usr/bin/python3", py});
    TimeRun({prisn, "run", js});
    TimeRun({"/usr/bin/node", js});
  }
  Row py1("python3, level 1"), py0("python3, level 0"), sh1("bash, level 1"), sh0("bash, level 0"),
      js1("node, level 1"), js0("node, level 0");
  for (int i = 0; i < runs; ++i) {
    double b = TimeRun({"/usr/bin/python3", py});
    py1.base.push_back(b);
    py0.base.push_back(b);
    py1.prisn.push_back(TimeRun({prisn, "run", py}));
    py0.prisn.push_back(TimeRun({prisn, "run", "--isolation", "0", py}));
    double bb = TimeRun({"/usr/bin/bash", sh});
    sh1.base.push_back(bb);
    sh0.base.push_back(bb);
    sh1.prisn.push_back(TimeRun({prisn, "run", sh}));
    sh0.prisn.push_back(TimeRun({prisn, "run", "--isolation", "0", sh}));
    double bj = TimeRun({"/usr/bin/node", js});
    js1.base.push_back(bj);
    js0.base.push_back(bj);
    js1.prisn.push_back(TimeRun({prisn, "run", js}));
    js0.prisn.push_back(TimeRun({prisn, "run", "--isolation", "0", js}));
  }
  std::vector<double> fresh;
  for (int i = 0; i < 3; ++i) fresh.push_back(TimeRun({prisn, "run", (dir / fmt::format("new{}/hello.py", i)).string()}));
  TimeRun({prisn, "run", (dir / "deps/hello.py").string()});  // builds it once
  Row cached("python3 + requirements.txt (cached env), level 1");
  for (int i = 0; i < std::max(runs / 3, 5); ++i) {
    cached.base.push_back(TimeRun({"/usr/bin/python3", py}));
    cached.prisn.push_back(TimeRun({prisn, "run", (dir / "deps/hello.py").string()}));
  }

  const std::vector<const Row*> rows{&py1, &py0, &sh1, &sh0, &js1, &js0, &cached};
  for (const Row* r : rows) {
    for (double v : r->prisn) {
      if (v < 0) {
        fmt::print(stderr, "a run failed ({}); see the daemon's log\n", r->what);
        return 1;
      }
    }
  }
  fmt::print("## prisn run ({} rounds; whole CLI process, daemon running)\n\n", runs);
  fmt::print("| script | prisn p50 | prisn p95 | bare p50 | bare p95 | ratio | added |\n");
  fmt::print("|---|---|---|---|---|---|---|\n");
  for (const Row* r : rows) PrintRow(*r);
  fmt::print("\nNew Python environment from a local wheel (venv + pip install), then the run: "
             "median {:.0f} ms of {} builds (min {:.0f}, max {:.0f}).\n",
             Percentile(fresh, 50), fresh.size(), *std::min_element(fresh.begin(), fresh.end()),
             *std::max_element(fresh.begin(), fresh.end()));
  std::vector<Target> targets;
  for (const Row* r : {&py1, &sh1, &js1, &cached}) {
    double added = Percentile(r->prisn, 50) - Percentile(r->base, 50);
    targets.push_back({"`prisn run`, " + r->what + ", over the bare interpreter (p50)", "<= +3 ms",
                       fmt::format("{:+.1f} ms", added), added <= 3});
  }
  PrintTargets(targets);
  std::filesystem::remove_all(dir);
  return 0;
}
