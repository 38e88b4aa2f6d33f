// The local Backend with real processes: every test starts instances,
// waits (with deadlines) for the observations they cause, and checks the
// processes, logs and workspaces they leave.
#include "executor/local_backend.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "executor/log_file.h"
#include "tests/executor/probe_test_util.h"
#include "tests/executor/test_util.h"

namespace prisn::executor {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using reconciler::InstanceSpec;
using reconciler::Observation;
using Type = reconciler::Observation::Type;
using Clock = std::chrono::steady_clock;
using testing::TempDir;

struct Seen {
  Observation o;
  Clock::time_point at;
};

// Collects observations; tests wait for a condition over them.
class Recorder {
 public:
  void Add(Observation o) {
    {
      std::lock_guard lock(mutex_);
      seen_.push_back({std::move(o), Clock::now()});
    }
    changed_.notify_all();
  }

  // The observations of `id`, in order.
  std::vector<Seen> Of(const std::string& id) {
    std::lock_guard lock(mutex_);
    std::vector<Seen> out;
    for (const auto& s : seen_) {
      if (s.o.id == id) out.push_back(s);
    }
    return out;
  }

  bool WaitFor(const std::function<bool(const std::vector<Seen>&)>& done,
               std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(seen_); });
  }

  // Waits for the first observation of `type` for `id`.
  std::optional<Seen> WaitForType(const std::string& id, Type type,
                                  std::chrono::milliseconds timeout = 10s) {
    std::optional<Seen> found;
    WaitFor(
        [&](const std::vector<Seen>& all) {
          for (const auto& s : all) {
            if (s.o.id == id && s.o.type == type) {
              found = s;
              return true;
            }
          }
          return false;
        },
        timeout);
    return found;
  }

  std::vector<Type> TypesOf(const std::string& id) {
    std::vector<Type> out;
    for (const auto& s : Of(id)) out.push_back(s.o.type);
    return out;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Seen> seen_;
};

struct LocalBackendFixture {
  explicit LocalBackendFixture(const std::string& parent = "/tmp") : dir(parent) {
    fs::create_directories(dir / "logs");
    LocalBackendOptions o;
    o.state_dir = dir / "state";
    o.build_env = {"PATH=/usr/bin:/bin", "HOME=" + dir.path(), "PIP_NO_INDEX=1",
                   "PIP_FIND_LINKS=" + (dir / "wheelhouse")};
    options = o;
    Restart();
  }

  // A new backend on the same state directory (a daemon restart).
  void Restart() {
    backend.reset();
    auto created = LocalBackend::Create(options);
    if (!created) FAIL(created.error().ToString());
    backend = std::move(*created);
    backend->SetObserver([r = recorder](Observation o) { r->Add(std::move(o)); });
  }

  // A wheel of a one-module package `name` with VALUE = value, in the
  // wheelhouse pip is pointed at.
  void MakeWheel(const std::string& name, const std::string& value) {
    fs::create_directories(dir / "wheelhouse");
    SpawnOptions o;
    o.argv = {
        "/usr/bin/python3",
        "-c",
        "import base64, hashlib, sys, zipfile\n"
        "house, mod, value = sys.argv[1:4]\n"
        "info = mod + '-0.1.dist-info'\n"
        "files = {mod + '/__init__.py': 'VALUE = ' + value + '\\n',\n"
        "  info + '/METADATA': 'Metadata-Version: 2.1\\nName: ' + mod + '\\nVersion: 0.1\\n',\n"
        "  info + '/WHEEL': 'Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n'}\n"
        "rows = []\n"
        "with zipfile.ZipFile(house + '/' + mod + '-0.1-py3-none-any.whl', 'w') as z:\n"
        "  for path, text in files.items():\n"
        "    z.writestr(path, text)\n"
        "    h = hashlib.sha256(text.encode()).digest()\n"
        "    rows.append(path + ',sha256=' + "
        "base64.urlsafe_b64encode(h).rstrip(b'=').decode() + ',' + str(len(text)))\n"
        "  z.writestr(info + '/RECORD', '\\n'.join(rows + [info + '/RECORD,,']) + '\\n')\n",
        dir / "wheelhouse",
        name,
        value};
    o.isolation_level = 0;
    REQUIRE(testing::RunCapture(o).status.Success());
  }

  // A bash script as a Job attempt; level 1 as root, else 0.
  InstanceSpec Bash(const std::string& name, const std::string& script) {
    InstanceSpec s;
    s.id = "Job/default/" + name + "/1#1";
    s.kind = manifests::Kind::kJob;
    s.ns = "default";
    s.owner = name;
    s.replica = name + "-1";
    s.version = "v-0000test";
    s.workload.entrypoint = "main.sh";
    s.workload.isolation.level = ::geteuid() == 0 ? 1 : 0;
    s.workload.termination_grace_period = 10s;
    s.workload.resources.disk = manifests::Quantity{16 << 20};
    s.sources["main.sh"] = script;
    return s;
  }

  InstanceSpec Python(const std::string& name, const std::string& script) {
    InstanceSpec s = Bash(name, "");
    s.sources.clear();
    s.workload.entrypoint = "main.py";
    s.sources["main.py"] = script;
    return s;
  }

  // The log the backend keeps for Bash(name), in whichever namespace it ran.
  std::string LogPath(const std::string& name) {
    std::error_code ec;  // no logs folder until the first instance is prepared
    for (const auto& ns : fs::directory_iterator(options.state_dir + "/logs", ec)) {
      fs::path p = ns.path() / name / (name + "-1.log");
      if (fs::exists(p)) return p.string();
    }
    return options.state_dir + "/logs/default/" + name + "/" + name + "-1.log";
  }
  std::vector<LogLine> Log(const std::string& name) {
    auto lines = TailLogLines(LogPath(name), 1000);
    REQUIRE(lines);
    std::vector<LogLine> out;
    for (const auto& l : *lines) out.push_back(ParseLogLine(l));
    return out;
  }
  std::vector<std::string> LogTexts(const std::string& name) {
    std::vector<std::string> out;
    for (const auto& l : Log(name)) out.push_back(l.text);
    return out;
  }
  bool LogHas(const std::string& name, const std::string& text) {
    auto lines = TailLogLines(LogPath(name), 1000);
    if (!lines) return false;
    for (const auto& l : *lines) {
      if (ParseLogLine(l).text == text) return true;
    }
    return false;
  }
  bool RunDirEmpty() {
    std::error_code ec;
    return fs::is_empty(dir / "state/run", ec);
  }

  TempDir dir;
  std::shared_ptr<Recorder> recorder = std::make_shared<Recorder>();
  LocalBackendOptions options;
  std::unique_ptr<LocalBackend> backend;
};

manifests::HealthCheck Check(
    std::variant<manifests::TcpProbe, manifests::HttpProbe, manifests::ExecProbe> probe,
    int failure_threshold = 3) {
  manifests::HealthCheck c;
  c.probe = std::move(probe);
  c.period = 100ms;
  c.timeout = 500ms;
  c.failure_threshold = failure_threshold;
  c.success_threshold = 1;
  return c;
}

// A python3 HTTP server on $PORT, listening only after $DELAY seconds:
// /live answers 500, everything else 200.
const char* kHttpServer = R"(import http.server, os, time
time.sleep(float(os.environ.get('DELAY', '0')))
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(500 if self.path == '/live' else 200)
        self.end_headers()
        self.wfile.write(b'ok')
    def log_message(self, *args):
        pass
s = http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H)
print('listening', flush=True)
s.serve_forever()
)";

}  // namespace

TEST_CASE(
    "LocalBackend: a script that exits 0 is started, ready, then exited 0, its output in the "
    "log") {
  LocalBackendFixture f;
  InstanceSpec spec = f.Bash("ok", "echo hello; echo oops >&2; printf 'no newline'");
  std::string id = spec.id;
  f.backend->Start(spec);
  auto exited = f.recorder->WaitForType(id, Type::kExited);
  REQUIRE(exited);
  CHECK(f.recorder->TypesOf(id) == std::vector<Type>{Type::kStarted, Type::kReady, Type::kExited});
  auto started = f.recorder->Of(id).front().o;
  CHECK(started.pid > 0);
  if (::geteuid() == 0) CHECK(started.degraded == f.backend->degraded());
  CHECK(exited->o.pid == started.pid);
  CHECK(exited->o.exit_code == 0);
  CHECK(exited->o.signal == 0);
  CHECK_FALSE(exited->o.timed_out);
  CHECK_FALSE(exited->o.oom_killed);
  CHECK(exited->o.message == "exit 0");
  auto log = f.Log("ok");
  REQUIRE(log.size() == 3);
  std::sort(log.begin(), log.end(),
            [](const LogLine& a, const LogLine& b) { return a.text < b.text; });
  CHECK(log[0].text == "hello");
  CHECK(log[0].stream == LogStream::kOut);
  CHECK(log[1].text == "no newline");
  CHECK(log[2].text == "oops");
  CHECK(log[2].stream == LogStream::kErr);
  CHECK(log[0].time.size() == 24);  // 2026-11-26T06:44:29.817Z
  // The workspace goes once the instance has exited.
  CHECK(testing::PollUntil([&] { return f.RunDirEmpty(); }));
}

TEST_CASE("LocalBackend: an exit code is reported as it is") {
  LocalBackendFixture f;
  InstanceSpec spec = f.Bash("three", "exit 3");
  f.backend->Start(spec);
  auto exited = f.recorder->WaitForType(spec.id, Type::kExited);
  REQUIRE(exited);
  CHECK(exited->o.exit_code == 3);
  CHECK(exited->o.signal == 0);
  CHECK(exited->o.message == "exit 3");
}

TEST_CASE("LocalBackend: Stop ends a running instance with SIGTERM well within the grace") {
  LocalBackendFixture f;
  InstanceSpec spec = f.Bash("stop", "sleep 1000");
  f.backend->Start(spec);
  REQUIRE(f.recorder->WaitForType(spec.id, Type::kStarted));
  auto asked = Clock::now();
  f.backend->Stop(spec.id, 10s);
  auto exited = f.recorder->WaitForType(spec.id, Type::kExited);
  REQUIRE(exited);
  CHECK(exited->at - asked < 5s);
  CHECK(exited->o.signal == SIGTERM);
  CHECK(exited->o.exit_code == 128 + SIGTERM);
  CHECK(exited->o.message == "killed by SIGTERM");
  CHECK_FALSE(testing::ProcessAlive(static_cast<pid_t>(exited->o.pid)));
}

TEST_CASE("LocalBackend: a workload that ignores SIGTERM is killed after the grace") {
  LocalBackendFixture f;
  InstanceSpec spec =
      f.Bash("stubborn", "trap '' TERM; echo trapped; while :; do sleep 0.05; done");
  f.backend->Start(spec);
  REQUIRE(testing::PollUntil([&] { return f.LogHas("stubborn", "trapped"); }));
  auto asked = Clock::now();
  f.backend->Stop(spec.id, 300ms);
  auto exited = f.recorder->WaitForType(spec.id, Type::kExited);
  REQUIRE(exited);
  CHECK(exited->at - asked >= 300ms);
  CHECK(exited->at - asked < 5s);
  CHECK(exited->o.signal == SIGKILL);
  CHECK(exited->o.exit_code == 128 + SIGKILL);
}

TEST_CASE("LocalBackend: an instance past its timeout is stopped and reported timed out") {
  LocalBackendFixture f;
  InstanceSpec spec = f.Bash("slow", "sleep 1000");
  spec.timeout = 300ms;
  f.backend->Start(spec);
  auto started = f.recorder->WaitForType(spec.id, Type::kStarted);
  REQUIRE(started);
  auto exited = f.recorder->WaitForType(spec.id, Type::kExited);
  REQUIRE(exited);
  CHECK(exited->at - started->at >= 300ms);
  CHECK(exited->o.timed_out);
  CHECK(exited->o.signal == SIGTERM);
  CHECK(exited->o.message == "killed by SIGTERM (timed out)");
}

TEST_CASE("LocalBackend: the workload sees PORT, PRISN_* and its env, spec.env winning") {
  LocalBackendFixture f;
  InstanceSpec spec =
      f.Bash("env",
             "echo port=$PORT; echo replica=$PRISN_REPLICA; echo ns=$PRISN_NAMESPACE; "
             "echo name=$PRISN_NAME; echo version=$PRISN_VERSION; echo greeting=$GREETING; "
             "echo mode=$MODE; echo lang=$LANG; test \"$HOME\" = \"$PWD\" && echo home=cwd; "
             "test -x main.sh && echo entry=here; echo args=\"$*\"");
  spec.wants_port = true;
  spec.workload.env = {{"GREETING", "hi there"}, {"MODE", "workload"}};
  spec.workload.args = {"a", "b c"};
  spec.env = {{"MODE", "spec"}};
  f.backend->Start(spec);
  // The backend chose the port, and says where the instance listens.
  auto started = f.recorder->WaitForType(spec.id, Type::kStarted);
  REQUIRE(started);
  CHECK(started->o.host == "127.0.0.1");
  REQUIRE(started->o.port > 0);
  auto exited = f.recorder->WaitForType(spec.id, Type::kExited);
  REQUIRE(exited);
  CHECK(exited->o.exit_code == 0);
  CHECK(f.LogTexts("env") == std::vector<std::string>{"port=" + std::to_string(started->o.port),
                                                      "replica=env-1", "ns=default", "name=env",
                                                      "version=v-0000test", "greeting=hi there",
                                                      "mode=spec", "lang=C.UTF-8", "home=cwd",
                                                      "entry=here", "args=a b c"});
}

TEST_CASE("LocalBackend: tcp readiness reports ready only once the workload listens") {
  LocalBackendFixture f;
  InstanceSpec spec = f.Python("tcp", kHttpServer);
  spec.wants_port = true;
  spec.env = {{"DELAY", "0.4"}};
  spec.readiness = Check(manifests::TcpProbe{});
  f.backend->Start(spec);
  auto started = f.recorder->WaitForType(spec.id, Type::kStarted);
  REQUIRE(started);
  auto ready = f.recorder->WaitForType(spec.id, Type::kReady);
  REQUIRE(ready);
  CHECK(ready->at - started->at >= 400ms);
  CHECK(f.recorder->TypesOf(spec.id) == std::vector<Type>{Type::kStarted, Type::kReady});
  f.backend->Stop(spec.id, 5s);
  REQUIRE(f.recorder->WaitForType(spec.id, Type::kExited));
}

TEST_CASE("LocalBackend: http readiness passes while a failing http liveness is reported once") {
  LocalBackendFixture f;
  // Liveness asks a server that answers 500 from the start, so that every
  // attempt fails the same way, whenever the workload gets to listen.
  testing::HttpServer failing(500);
  InstanceSpec spec = f.Python("http", kHttpServer);
  spec.wants_port = true;
  spec.readiness = Check(manifests::HttpProbe{"/ready", 0, 0});
  spec.liveness = Check(manifests::HttpProbe{"/live", failing.port(), 0}, 2);
  f.backend->Start(spec);
  auto ready = f.recorder->WaitForType(spec.id, Type::kReady);
  REQUIRE(ready);
  auto failed = f.recorder->WaitForType(spec.id, Type::kLivenessFailed);
  REQUIRE(failed);
  CHECK_THAT(failed->o.message, Catch::Contains("HTTP 500"));
  // More failing attempts, but the streak was reported already.
  REQUIRE(testing::PollUntil([&] { return failing.requests().size() >= 5; }));
  f.backend->Stop(spec.id, 5s);
  REQUIRE(f.recorder->WaitForType(spec.id, Type::kExited));
  auto types = f.recorder->TypesOf(spec.id);
  CHECK(std::count(types.begin(), types.end(), Type::kLivenessFailed) == 1);
  CHECK(std::count(types.begin(), types.end(), Type::kUnready) == 0);
  for (const auto& request : failing.requests()) CHECK(request == "GET /live HTTP/1.1");
}

TEST_CASE(
    "LocalBackend: without a probe, ready only after min_ready, and never for a quick crash") {
  LocalBackendFixture f;
  // Dies as a script that fails at its first import does, soon after start.
  InstanceSpec crash = f.Bash("crash", "sleep 0.2; exit 3");
  crash.min_ready = 1s;
  InstanceSpec steady = f.Bash("steady", "sleep 1000");
  steady.id = "Job/default/steady/1#2";
  steady.min_ready = 600ms;
  f.backend->Start(crash);
  const auto asked = Clock::now();
  f.backend->Start(steady);
  auto exited = f.recorder->WaitForType(crash.id, Type::kExited);
  REQUIRE(exited);
  CHECK(exited->o.exit_code == 3);
  CHECK(f.recorder->TypesOf(crash.id) == std::vector<Type>{Type::kStarted, Type::kExited});
  auto started = f.recorder->WaitForType(steady.id, Type::kStarted);
  REQUIRE(started);
  auto ready = f.recorder->WaitForType(steady.id, Type::kReady);
  REQUIRE(ready);
  CHECK(ready->at - asked >= 600ms);  // the start itself is later still
  CHECK(ready->at > started->at);
  f.backend->Stop(steady.id, 5s);
  REQUIRE(f.recorder->WaitForType(steady.id, Type::kExited));
}

TEST_CASE("LocalBackend: logs are read, listed and removed through the backend, after the exit") {
  LocalBackendFixture f;
  InstanceSpec spec = f.Bash("logged", "echo one; echo two >&2");
  f.backend->Start(spec);
  REQUIRE(f.recorder->WaitForType(spec.id, Type::kExited));
  reconciler::LogQuery query;
  query.ns = "default";
  query.owner = "logged";
  query.names = {"logged-1"};
  auto page = f.backend->ReadLogs(query);
  REQUIRE(page);
  REQUIRE(page->lines.size() == 2);
  CHECK(page->lines[0].name == "logged-1");
  CHECK(page->lines[0].text == "one");
  CHECK(page->lines[1].stream == "err");
  // Nothing new after the cursor; the replica's log is listed by name.
  query.cursor = page->cursor;
  auto next = f.backend->ReadLogs(query);
  REQUIRE(next);
  CHECK(next->lines.empty());
  CHECK(f.backend->ReplicaLogNames("default", "logged") == std::vector<std::string>{"logged-1"});
  f.backend->RemoveLog("default", "logged", "logged-1");
  CHECK(f.backend->ReplicaLogNames("default", "logged").empty());
  // Names from outside never reach a path.
  query.names = {"../../etc/passwd"};
  query.cursor.reset();
  auto bad = f.backend->ReadLogs(query);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::kInvalid);
}

TEST_CASE("LocalBackend: List reports running instances with pid, address and readiness") {
  LocalBackendFixture f;
  InstanceSpec web = f.Python("web", kHttpServer);
  web.wants_port = true;
  web.readiness = Check(manifests::TcpProbe{});
  InstanceSpec idle = f.Bash("idle", "sleep 1000");
  idle.id = "Job/default/idle/1#2";
  f.backend->Start(web);
  f.backend->Start(idle);
  auto started = f.recorder->WaitForType(web.id, Type::kStarted);
  REQUIRE(started);
  REQUIRE(f.recorder->WaitForType(web.id, Type::kReady));
  REQUIRE(f.recorder->WaitForType(idle.id, Type::kStarted));
  auto listed = f.backend->List();
  std::sort(listed.begin(), listed.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].id == idle.id);
  CHECK(listed[0].port == 0);
  CHECK(listed[0].host.empty());
  CHECK(listed[1].id == web.id);
  CHECK(listed[1].kind == manifests::Kind::kJob);
  CHECK(listed[1].replica == "web-1");
  CHECK(listed[1].version == "v-0000test");
  CHECK(listed[1].pid == started->o.pid);
  CHECK(listed[1].host == "127.0.0.1");
  CHECK(listed[1].port == started->o.port);
  CHECK(listed[1].ready);
  // A stopping instance is no longer listed.
  f.backend->Stop(idle.id, 5s);
  REQUIRE(f.recorder->WaitForType(idle.id, Type::kExited));
  CHECK(f.backend->List().size() == 1);
  f.backend->Stop(web.id, 5s);
  REQUIRE(f.recorder->WaitForType(web.id, Type::kExited));
}

TEST_CASE("LocalBackend: Detach leaves the instance running and reports nothing more") {
  LocalBackendFixture f;
  InstanceSpec spec = f.Bash("detached", "sleep 1000");
  f.backend->Start(spec);
  auto started = f.recorder->WaitForType(spec.id, Type::kStarted);
  REQUIRE(started);
  const pid_t pid = static_cast<pid_t>(started->o.pid);
  CHECK(f.backend->Detach() == 1);
  CHECK(f.backend->List().empty());
  f.backend->Stop(spec.id, 1s);  // unknown now: ignored
  f.backend.reset();             // the backend's shutdown kills nothing it detached
  CHECK(::kill(pid, 0) == 0);
  CHECK(f.recorder->TypesOf(spec.id) == std::vector<Type>{Type::kStarted, Type::kReady});
  // The test cleans up what it detached: the whole group (level 0) or the
  // namespace (its reaper, level 1).
  ::kill(spec.workload.isolation.level == 0 ? -pid : pid, SIGKILL);
  REQUIRE(testing::PollUntil([&] {
    int status = 0;
    return ::waitpid(pid, &status, WNOHANG) == pid || ::kill(pid, 0) != 0;
  }));
}

TEST_CASE("LocalBackend: an exec probe runs in the workspace, readiness follows its exit code") {
  LocalBackendFixture f;
  InstanceSpec spec = f.Bash("exec", "sleep 0.3; touch ready-flag; sleep 1000");
  spec.readiness = Check(manifests::ExecProbe{{"test", "-e", "ready-flag"}});
  f.backend->Start(spec);
  auto started = f.recorder->WaitForType(spec.id, Type::kStarted);
  REQUIRE(started);
  auto ready = f.recorder->WaitForType(spec.id, Type::kReady);
  REQUIRE(ready);
  CHECK(ready->at - started->at >= 300ms);  // not before the flag existed
  f.backend->Stop(spec.id, 5s);
  REQUIRE(f.recorder->WaitForType(spec.id, Type::kExited));
}

TEST_CASE("LocalBackend: readiness that starts failing reports unready") {
  LocalBackendFixture f;
  // Up until the test, having seen it ready, creates "go".
  InstanceSpec spec = f.Bash(
      "flaky", "touch up; while [ ! -e go ]; do sleep 0.02; done; rm up; echo down; sleep 1000");
  spec.readiness = Check(manifests::ExecProbe{{"test", "-e", "up"}}, 2);
  f.backend->Start(spec);
  REQUIRE(f.recorder->WaitForType(spec.id, Type::kReady));
  auto workspace = fs::directory_iterator(f.dir / "state/run")->path() / "home";
  std::ofstream(workspace / "go") << "";
  auto unready = f.recorder->WaitForType(spec.id, Type::kUnready);
  REQUIRE(unready);
  CHECK_THAT(unready->o.message, Catch::Contains("exit 1"));
  CHECK(f.recorder->TypesOf(spec.id) ==
        std::vector<Type>{Type::kStarted, Type::kReady, Type::kUnready});
  f.backend->Stop(spec.id, 5s);
  REQUIRE(f.recorder->WaitForType(spec.id, Type::kExited));
}

TEST_CASE("LocalBackend: a runner whose interpreter is missing fails to start, naming the runner") {
  LocalBackendFixture f;
  InstanceSpec spec = f.Bash("lua", "");
  spec.sources = {{"main.lua", "print('hi')"}};
  spec.workload.entrypoint = "main.lua";
  spec.workload.runtime = "lua";
  manifests::RunnerSpec runner;
  runner.command = {"/nonexistent/prisn/lua5.9"};
  runner.extensions = {".lua"};
  spec.runner = runner;
  f.backend->Start(spec);
  auto failed = f.recorder->WaitForType(spec.id, Type::kStartFailed);
  REQUIRE(failed);
  CHECK_THAT(failed->o.message, Catch::Contains("runner lua"));
  CHECK_THAT(failed->o.message, Catch::Contains("/nonexistent/prisn/lua5.9"));
  CHECK(f.recorder->TypesOf(spec.id) == std::vector<Type>{Type::kStartFailed});
  CHECK(f.RunDirEmpty());
}

TEST_CASE("LocalBackend: a custom runner's command and args wrap the entrypoint") {
  LocalBackendFixture f;
  InstanceSpec spec = f.Bash("custom", "");
  spec.sources = {{"job.txt", "payload"}};
  spec.workload.entrypoint = "job.txt";
  spec.workload.runtime = "catter";
  spec.workload.args = {"tail-arg"};
  manifests::RunnerSpec runner;
  runner.command = {"bash", "-c", "echo flag=$0; cat \"$1\"; echo; echo rest=$2", "{script}"};
  runner.args = {"{script}"};
  runner.env = {{"RUNNER_VAR", "r"}};
  spec.runner = runner;
  f.backend->Start(spec);
  auto exited = f.recorder->WaitForType(spec.id, Type::kExited);
  REQUIRE(exited);
  CHECK(exited->o.exit_code == 0);
  auto texts = f.LogTexts("custom");
  REQUIRE(texts.size() == 3);
  CHECK_THAT(texts[0], Catch::EndsWith("/job.txt"));
  CHECK(texts[1] == "payload");
  CHECK(texts[2] == "rest=tail-arg");
}

TEST_CASE("LocalBackend: an entrypoint missing from the sources fails to start") {
  LocalBackendFixture f;
  InstanceSpec spec = f.Bash("noentry", "true");
  spec.workload.entrypoint = "other.sh";
  f.backend->Start(spec);
  auto failed = f.recorder->WaitForType(spec.id, Type::kStartFailed);
  REQUIRE(failed);
  CHECK_THAT(failed->o.message, Catch::Contains("other.sh"));
}

TEST_CASE("LocalBackend: a Stop during preparation ends the instance as stopped") {
  LocalBackendFixture f;
  InstanceSpec spec = f.Bash("early", "exec sleep 1000");
  f.backend->Start(spec);
  f.backend->Stop(spec.id, 5s);
  auto exited = f.recorder->WaitForType(spec.id, Type::kExited);
  REQUIRE(exited);
  // Whether the Stop came before or after the spawn, it ends by SIGTERM.
  CHECK(exited->o.signal == SIGTERM);
  auto types = f.recorder->TypesOf(spec.id);
  CHECK(std::count(types.begin(), types.end(), Type::kStartFailed) == 0);
  CHECK(testing::PollUntil([&] { return f.RunDirEmpty(); }));
}

TEST_CASE("LocalBackend: StopAll stops every instance and leaves no process behind") {
  LocalBackendFixture f;
  std::vector<std::string> ids;
  std::vector<std::string> pidfiles;
  for (int i = 0; i < 3; ++i) {
    std::string name = "all" + std::to_string(i);
    std::string pidfile = f.dir / (name + ".pids");
    pidfiles.push_back(pidfile);
    // Level 0, so that $$ and $! are host pids; a background child too.
    InstanceSpec spec =
        f.Bash(name, "sleep 1000 & echo $! > " + pidfile + ".tmp; echo $$ >> " + pidfile +
                         ".tmp; mv " + pidfile + ".tmp " + pidfile + "; wait");
    spec.workload.isolation.level = i == 2 && ::geteuid() == 0 ? 1 : 0;
    if (spec.workload.isolation.level == 1) pidfiles.pop_back();
    ids.push_back(spec.id);
    f.backend->Start(spec);
  }
  std::vector<pid_t> pids;
  for (const auto& id : ids) {
    auto started = f.recorder->WaitForType(id, Type::kStarted);
    REQUIRE(started);
    pids.push_back(static_cast<pid_t>(started->o.pid));
  }
  for (const auto& file : pidfiles) {
    REQUIRE(testing::PollUntil([&] { return fs::exists(file); }));
    std::ifstream in(file);
    pid_t pid;
    while (in >> pid) pids.push_back(pid);
  }
  for (pid_t pid : pids) REQUIRE(testing::ProcessAlive(pid));
  f.backend->StopAll(3s);
  // Every exit is reported before StopAll returns.
  for (const auto& id : ids) CHECK(!f.recorder->TypesOf(id).empty());
  for (const auto& id : ids) CHECK(f.recorder->TypesOf(id).back() == Type::kExited);
  for (pid_t pid : pids) {
    INFO("pid " << pid);
    CHECK(testing::PollUntil([&] { return !testing::ProcessAlive(pid); }, 2s));
  }
}

TEST_CASE("LocalBackend: destroying the backend kills what still runs") {
  std::vector<pid_t> pids;
  {
    LocalBackendFixture f;
    InstanceSpec spec = f.Bash("left", "trap '' TERM; sleep 1000");
    spec.workload.isolation.level = 0;
    spec.workload.termination_grace_period = 200ms;
    f.backend->Start(spec);
    auto started = f.recorder->WaitForType(spec.id, Type::kStarted);
    REQUIRE(started);
    pids.push_back(static_cast<pid_t>(started->o.pid));
  }
  for (pid_t pid : pids) CHECK(testing::PollUntil([&] { return !testing::ProcessAlive(pid); }, 2s));
}

bool LocalBackendPython3HasPip() {
  SpawnOptions o;
  o.argv = {"/usr/bin/python3", "-m", "pip", "--version"};
  o.isolation_level = 0;
  return fs::exists(o.argv[0]) && testing::RunCapture(o).status.Success();
}

TEST_CASE(
    "LocalBackend: a Python instance with requirements runs in its built environment, "
    "hidden state and all") {
  if (!LocalBackendPython3HasPip()) {
    WARN("skipped: /usr/bin/python3 -m pip is unavailable");
    return;
  }
  // Under /var/tmp, so that the state directory is hidden by its own tmpfs
  // at level 1 and the environment must be shown through it.
  LocalBackendFixture f("/var/tmp");
  f.MakeWheel("prisn_backend_demo", "42");
  std::ofstream(f.dir / "state/secret") << "token";
  InstanceSpec spec = f.Python("deps",
                               "import os, sys, prisn_backend_demo\n"
                               "print('value', prisn_backend_demo.VALUE)\n"
                               "print('venv', sys.prefix == os.environ['VIRTUAL_ENV'])\n"
                               "print('secret', os.path.exists(" +
                                   ("'" + (f.dir / "state/secret") + "'") + "))\n");
  spec.sources["requirements.txt"] = "prisn_backend_demo==0.1\n";
  f.backend->Start(spec);
  auto exited = f.recorder->WaitForType(spec.id, Type::kExited, 120s);
  REQUIRE(exited);
  INFO(testing::Joined(f.LogTexts("deps")));
  CHECK(exited->o.exit_code == 0);
  bool root = ::geteuid() == 0;
  CHECK(f.LogTexts("deps") ==
        std::vector<std::string>{"value 42", "venv True", root ? "secret False" : "secret True"});
  CHECK(f.backend->CollectEnvironments(std::chrono::seconds(0)).value() == 1);
}

TEST_CASE("LocalBackend: a failed environment build fails the start with pip's output") {
  if (!LocalBackendPython3HasPip()) {
    WARN("skipped: /usr/bin/python3 -m pip is unavailable");
    return;
  }
  LocalBackendFixture f;
  InstanceSpec spec = f.Python("baddeps", "print('never')\n");
  spec.sources["requirements.txt"] = "prisn-does-not-exist==9.9\n";
  f.backend->Start(spec);
  auto failed = f.recorder->WaitForType(spec.id, Type::kStartFailed, 120s);
  REQUIRE(failed);
  CHECK_THAT(failed->o.message, Catch::Contains("pip install (requirements.txt) failed"));
  CHECK_THAT(failed->o.message,
             Catch::Contains("No matching distribution found for prisn-does-not-exist==9.9"));
  CHECK(f.RunDirEmpty());
}

TEST_CASE("LocalBackend: a workload over its memory limit is reported OOM-killed") {
  PRISN_REQUIRE_ROOT();
  LocalBackendFixture f;
  if (!f.backend->degraded().empty()) {
    WARN("skipped: " << f.backend->degraded());
    return;
  }
  InstanceSpec spec =
      f.Python("oom", "blocks = []\nwhile True:\n    blocks.append(bytearray(1 << 20))\n");
  spec.workload.resources.memory = manifests::Quantity{32 << 20};
  f.backend->Start(spec);
  auto exited = f.recorder->WaitForType(spec.id, Type::kExited, 20s);
  REQUIRE(exited);
  CHECK(exited->o.oom_killed);
  CHECK(exited->o.signal == SIGKILL);
  CHECK_THAT(exited->o.message, Catch::Contains("OOMKilled"));
}

TEST_CASE("LocalBackend: two backends on different state directories use different cgroups") {
  PRISN_REQUIRE_ROOT();
  LocalBackendFixture a;
  LocalBackendFixture b;
  if (!a.backend->degraded().empty()) {
    WARN("skipped: " << a.backend->degraded());
    return;
  }
  InstanceSpec one = a.Bash("cg", "cat /proc/self/cgroup | grep -E 'memory|^0::' | head -1");
  InstanceSpec two = b.Bash("cg", "cat /proc/self/cgroup | grep -E 'memory|^0::' | head -1");
  a.backend->Start(one);
  b.backend->Start(two);
  REQUIRE(a.recorder->WaitForType(one.id, Type::kExited));
  REQUIRE(b.recorder->WaitForType(two.id, Type::kExited));
  auto la = a.LogTexts("cg");
  auto lb = b.LogTexts("cg");
  REQUIRE(la.size() == 1);
  REQUIRE(lb.size() == 1);
  CHECK_THAT(la[0], Catch::Contains("/prisn-"));
  CHECK(la[0] != lb[0]);
}

namespace {

// One line of `key=value` from an instance's log; "" when absent.
std::string Value(const std::vector<std::string>& lines, const std::string& key) {
  for (const auto& l : lines) {
    if (l.starts_with(key + "=")) return l.substr(key.size() + 1);
  }
  return {};
}

InstanceSpec InNamespace(InstanceSpec s, const std::string& ns) {
  s.ns = ns;
  s.id = "Job/" + ns + "/" + s.owner + "/1#1";
  return s;
}

}  // namespace

TEST_CASE(
    "LocalBackend: each namespace runs as a uid of its own that owns its workspace, the same "
    "after a restart") {
  PRISN_REQUIRE_ROOT();
  LocalBackendFixture f;
  const std::string script =
      "echo uid=$(id -u); echo gid=$(id -g); echo home=$(stat -c %u:%g \"$HOME\"); "
      "grep -E '^Uid:' /proc/self/status | tr -s '\t' ' '";
  InstanceSpec a1 = InNamespace(f.Bash("a1", script), "team-a");
  InstanceSpec a2 = InNamespace(f.Bash("a2", script), "team-a");
  InstanceSpec b1 = InNamespace(f.Bash("b1", script), "team-b");
  for (const auto& spec : {a1, a2, b1}) f.backend->Start(spec);
  for (const auto& spec : {a1, a2, b1}) REQUIRE(f.recorder->WaitForType(spec.id, Type::kExited));
  std::string ua = Value(f.LogTexts("a1"), "uid");
  std::string ub = Value(f.LogTexts("b1"), "uid");
  INFO(testing::Joined(f.LogTexts("a1")) << testing::Joined(f.LogTexts("b1")));
  REQUIRE_FALSE(ua.empty());
  REQUIRE_FALSE(ub.empty());
  CHECK(ua != ub);
  CHECK(ua != "65534");  // not nobody, which every workload used to share
  CHECK(std::stoul(ua) >= kNamespaceUidFirst);
  CHECK(Value(f.LogTexts("a2"), "uid") == ua);
  CHECK(Value(f.LogTexts("a1"), "gid") == ua);
  CHECK(Value(f.LogTexts("a1"), "home") == ua + ":" + ua);
  CHECK(Value(f.LogTexts("b1"), "home") == ub + ":" + ub);
  CHECK(f.LogHas("a1", "Uid: " + ua + " " + ua + " " + ua + " " + ua));

  // A restart keeps the table: team-b keeps its uid even when asked first.
  f.Restart();
  InstanceSpec b2 = InNamespace(f.Bash("b2", script), "team-b");
  InstanceSpec a3 = InNamespace(f.Bash("a3", script), "team-a");
  f.backend->Start(b2);
  REQUIRE(f.recorder->WaitForType(b2.id, Type::kExited));
  f.backend->Start(a3);
  REQUIRE(f.recorder->WaitForType(a3.id, Type::kExited));
  CHECK(Value(f.LogTexts("b2"), "uid") == ub);
  CHECK(Value(f.LogTexts("a3"), "uid") == ua);

  // A host user named by the workload still works.
  InstanceSpec named = InNamespace(f.Bash("named", script), "team-a");
  named.workload.isolation.user = "nobody";
  f.backend->Start(named);
  REQUIRE(f.recorder->WaitForType(named.id, Type::kExited));
  CHECK(Value(f.LogTexts("named"), "uid") == "65534");
}

TEST_CASE(
    "LocalBackend: at level 1 the host's world-writable folders are private, within the disk "
    "limit, and gone after the run") {
  PRISN_REQUIRE_ROOT();
  // Not under /tmp: the mount points of the state directory would show in
  // the private /tmp.
  LocalBackendFixture f("/var/lib");
  // A world-writable folder prisn does not know by name: a namespace's user
  // gets a read-only host, so it cannot write there either.
  TempDir open_dir("/var/lib");
  ::chmod(open_dir.path().c_str(), 01777);
  std::string marker = testing::UniqueName("prisn-ww");
  std::string script;
  for (std::string folder : {"/tmp", "/var/tmp", "/run/lock", "/dev/shm"}) {
    script += "touch " + folder + "/" + marker + " && echo wrote " + folder +
              "; echo " + folder + " holds $(ls -A " + folder + " | wc -l); ";
  }
  // 32 MiB into folders of a 16 MiB workspace: the limit is shared.
  script +=
      "dd if=/dev/zero of=/var/tmp/fill bs=1M count=12 2>/dev/null; "
      "dd if=/dev/zero of=/run/lock/fill bs=1M count=20 2>/dev/null && echo over || echo "
      "limited; "
      "touch " +
      open_dir.path() + "/" + marker + " 2>/dev/null && echo open-writable || echo open-closed";
  InstanceSpec spec = f.Bash("private", script);
  f.backend->Start(spec);
  REQUIRE(f.recorder->WaitForType(spec.id, Type::kExited));
  auto log = f.LogTexts("private");
  INFO(testing::Joined(log));
  for (std::string folder : {"/tmp", "/var/tmp", "/run/lock", "/dev/shm"}) {
    if (!fs::exists(folder)) continue;
    CHECK(f.LogHas("private", "wrote " + folder));
    // Empty but for what the workload wrote: the host's files are not there.
    CHECK(f.LogHas("private", folder + " holds 1"));
    CHECK_FALSE(fs::exists(folder + "/" + marker));
  }
  CHECK(f.LogHas("private", "limited"));
  CHECK(f.LogHas("private", "open-closed"));
  CHECK_FALSE(fs::exists(open_dir / marker));
  CHECK_FALSE(fs::exists("/var/tmp/fill"));
  CHECK_FALSE(fs::exists("/run/lock/fill"));

  // A named host user keeps the host as it sees it, private folders aside.
  InstanceSpec named = f.Bash("named", "touch /var/tmp/" + marker + " && echo wrote; touch " +
                                           open_dir.path() + "/" + marker +
                                           " && echo open-writable");
  named.workload.isolation.user = "nobody";
  f.backend->Start(named);
  REQUIRE(f.recorder->WaitForType(named.id, Type::kExited));
  CHECK(f.LogHas("named", "wrote"));
  CHECK(f.LogHas("named", "open-writable"));
  CHECK_FALSE(fs::exists("/var/tmp/" + marker));
}

TEST_CASE("LocalBackend: a workload's mountinfo names no other workload") {
  PRISN_REQUIRE_ROOT();
  LocalBackendFixture f;
  InstanceSpec first = f.Bash("alpha-secret", "echo up; sleep 1000");
  f.backend->Start(first);
  REQUIRE(f.recorder->WaitForType(first.id, Type::kStarted));
  REQUIRE(testing::PollUntil([&] { return f.LogHas("alpha-secret", "up"); }));
  InstanceSpec second = f.Bash("beta", "cat /proc/self/mountinfo");
  f.backend->Start(second);
  REQUIRE(f.recorder->WaitForType(second.id, Type::kExited));
  auto lines = f.LogTexts("beta");
  INFO(testing::Joined(lines));
  bool own = false;
  for (const auto& line : lines) {
    CHECK(line.find("alpha-secret") == std::string::npos);
    own = own || line.find("Job_default_beta_1_1") != std::string::npos;
  }
  CHECK(own);  // its own workspace is there, so the test reads the right table
  f.backend->Stop(first.id, 1s);
  REQUIRE(f.recorder->WaitForType(first.id, Type::kExited));
}

}  // namespace prisn::executor
