// The daemon's lifecycle with the real binary: `prisn server start` in the
// background, status, stop, the pid file lock, files and modes, restarts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "api_test_util.h"
#include "reconciler/store.h"
#include "server/api.h"
#include "tests/common/loopback_listener.h"

namespace prisn::testing {
namespace {

int Mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 0777);
}

// Stops (or, failing that, kills) a background daemon at the end of a test.
struct BackgroundDaemon {
  std::string state_dir;
  ~BackgroundDaemon() {
    if (RunPrisn({"server", "stop", "--state-dir", state_dir, "--timeout", "20"}).exit_code != 0) {
      std::string pid = ReadWholeFile(state_dir + "/prisn.pid");
      if (!pid.empty()) ::kill(std::stoi(pid), SIGKILL);
    }
  }
};

TEST_CASE(
    "server start: backgrounds, prints the admin token once, writes the context file, stop stops "
    "it") {
  ScratchDir dir("lifecycle");
  std::string state = dir.File("state");
  BackgroundDaemon guard{state};
  auto started = RunPrisn({"server", "start", "--state-dir", state, "--listen", "127.0.0.1:0"});
  REQUIRE(started.exit_code == 0);
  CHECK(started.out.find("Admin token: prisn_") != std::string::npos);
  CHECK(started.out.find("listening on http://127.0.0.1:") != std::string::npos);

  CHECK(Mode(state) == 0700);
  CHECK(Mode(state + "/context.json") == 0600);
  CHECK(Mode(state + "/secret.key") == 0600);
  auto context = nlohmann::json::parse(ReadWholeFile(state + "/context.json"));
  std::string url = context["server"], token = context["token"];
  CHECK(started.out.find(token) != std::string::npos);
  CHECK(HttpClient(url, token).Get("/v1/state").status == 200);
  std::string db = ReadWholeFile(state + "/prisn.db") + ReadWholeFile(state + "/prisn.db-wal");
  CHECK(db.find(token) == std::string::npos);  // stored hashed

  auto status = RunPrisn({"server", "status", "--state-dir", state});
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("is running") != std::string::npos);
  CHECK(status.out.find(url) != std::string::npos);
  CHECK(status.out.find("objects:") != std::string::npos);
  auto status_json = RunPrisn({"server", "status", "--state-dir", state, "-o", "json"});
  CHECK(nlohmann::json::parse(status_json.out)["running"] == true);

  auto second = RunPrisn({"server", "start", "--state-dir", state, "--listen", "127.0.0.1:0"});
  CHECK(second.exit_code == 2);
  CHECK(second.err.find("already running") != std::string::npos);
  CHECK(second.err.find("pid") != std::string::npos);

  auto stopped = RunPrisn({"server", "stop", "--state-dir", state});
  CHECK(stopped.exit_code == 0);
  CHECK(stopped.out.find("stopped") != std::string::npos);
  CHECK(HttpClient(url).Get("/health").status == 0);
  auto after = RunPrisn({"server", "status", "--state-dir", state});
  CHECK(after.exit_code == 1);
  CHECK(after.out.find("not running") != std::string::npos);

  auto restarted = RunPrisn({"server", "start", "--state-dir", state, "--listen", "127.0.0.1:0"});
  REQUIRE(restarted.exit_code == 0);
  CHECK(restarted.out.find("Admin token") == std::string::npos);  // only at the first start
  auto again = nlohmann::json::parse(ReadWholeFile(state + "/context.json"));
  CHECK(again["token"] == token);
  CHECK(HttpClient(again["server"].get<std::string>(), token).Get("/v1/state").status == 200);
}

TEST_CASE("server start: PRISN_STATE_DIR chooses the state dir for start, status and stop") {
  ScratchDir dir("env");
  std::string state = dir.File("from-env");
  BackgroundDaemon guard{state};
  std::vector<std::string> env = {"PRISN_STATE_DIR=" + state, "PRISN_LISTEN=127.0.0.1:0"};
  REQUIRE(RunPrisn({"server", "start"}, env).exit_code == 0);
  CHECK(Mode(state + "/context.json") == 0600);
  CHECK(RunPrisn({"server", "status"}, env).exit_code == 0);
  CHECK(RunPrisn({"server", "stop"}, env).exit_code == 0);
}

TEST_CASE(
    "server start: an address in use fails with the daemon's error and leaves nothing running") {
  Daemon other;
  ScratchDir dir("busy");
  std::string state = dir.File("state");
  BackgroundDaemon guard{state};
  std::string hostport = other.url().substr(7);
  auto started = RunPrisn({"server", "start", "--state-dir", state, "--listen", hostport});
  CHECK(started.exit_code == 2);
  CHECK(started.err.find("in use") != std::string::npos);
  CHECK(RunPrisn({"server", "status", "--state-dir", state}).exit_code == 1);
  auto bad = RunPrisn({"server", "start", "--state-dir", state, "--listen", "localhost"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("HOST:PORT") != std::string::npos);
}

TEST_CASE("server stop and status on a state dir with no daemon say so") {
  ScratchDir dir("none");
  auto stop = RunPrisn({"server", "stop", "--state-dir", dir.path()});
  CHECK(stop.exit_code == 0);
  CHECK(stop.out.find("not running") != std::string::npos);
  CHECK(RunPrisn({"server", "status", "--state-dir", dir.path()}).exit_code == 1);
}

TEST_CASE("Daemon: a second foreground daemon on the same state dir is refused, naming the pid") {
  Daemon daemon;
  auto second = RunPrisn({"server", "start", "--foreground", "--state-dir", daemon.state_dir(),
                          "--listen", "127.0.0.1:0"});
  CHECK(second.exit_code == 2);
  CHECK(second.err.find("pid " + std::to_string(daemon.pid())) != std::string::npos);
  CHECK(daemon.Client().Get("/v1/state").status == 200);
}

TEST_CASE("Daemon: SIGTERM drains and exits 0, a restart keeps objects, tokens and events") {
  Daemon daemon;
  auto api = daemon.Client();
  REQUIRE(api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a", "b"}))).status == 200);
  auto token = api.Post("/v1/tokens", nlohmann::json{{"namespace", "team"}});
  REQUIRE(token.status == 201);
  CHECK(daemon.Stop() == 0);
  CHECK_FALSE(std::filesystem::exists(daemon.state_dir() + "/prisn.pid"));

  daemon.Start();
  auto again = daemon.Client();
  CHECK(again.Get("/v1/objects").Json()["items"].size() == 2);
  CHECK(StateIndex(again) == 1);
  CHECK(daemon.Client(token.Json()["token"]).Get("/v1/state").status == 200);
  auto events = again.Get("/v1/events").Json()["items"];
  int starts = 0, stops = 0;
  for (const auto& e : events) {
    starts += e["type"] == "server-started";
    stops += e["type"] == "server-stopped";
  }
  CHECK(starts == 2);
  CHECK(stops == 1);
}

// A client socket driven by hand, to hold a request half-sent.
class RawSocket {
 public:
  explicit RawSocket(const std::string& url) {
    std::string hostport = url.substr(7);
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port =
        htons(static_cast<uint16_t>(std::stoi(hostport.substr(hostport.rfind(':') + 1))));
    ::inet_pton(AF_INET, hostport.substr(0, hostport.rfind(':')).c_str(), &addr.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawSocket() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& bytes) {
    (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  // Reads until `marker` arrived (or the peer closed); returns what was read.
  std::string ReadUntil(const std::string& marker) {
    std::string out;
    char c;
    while (out.find(marker) == std::string::npos && ::recv(fd_, &c, 1, 0) == 1) out.push_back(c);
    return out;
  }
  std::string ReadAll() {
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd_, buf, sizeof buf, 0)) > 0;)
      out.append(buf, static_cast<size_t>(n));
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

TEST_CASE(
    "Daemon: a request in flight when SIGTERM arrives is finished and answered, new ones are "
    "refused") {
  Daemon daemon;
  std::string body = ApplyBody("s", DeploymentSet({"a"})).dump();
  RawSocket socket(daemon.url());
  REQUIRE(socket.connected());
  socket.Send("POST /v1/apply HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + daemon.token() +
              "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n");
  // "100 Continue" says the daemon admitted the request and waits for its body.
  REQUIRE(socket.ReadUntil("\r\n\r\n").starts_with("HTTP/1.1 100"));
  ::kill(daemon.pid(), SIGTERM);
  REQUIRE(WaitFor([&] {
    return ReadWholeFile(daemon.state_dir() + "/logs/prisn.log").find("draining") !=
           std::string::npos;
  }));
  CHECK(HttpClient(daemon.url()).Get("/health").status == 0);  // no new connections
  socket.Send(body);
  std::string answer = socket.ReadAll();
  CHECK(answer.starts_with("HTTP/1.1 200"));
  CHECK(answer.find("\"created\"") != std::string::npos);
  CHECK(daemon.Stop() == 0);
  daemon.Start();
  CHECK(daemon.Client().Get("/v1/namespaces/default/deployments/a").status == 200);
}

// Every regular file under `dir` with its bytes, but the daemon's own log
// and pid file: what a start that is refused must leave as it was.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    std::string rel = std::filesystem::relative(e.path(), dir).string();
    if (!e.is_regular_file() || rel.starts_with("logs/prisn") || rel == "prisn.pid") continue;
    files[rel] = ReadWholeFile(e.path().string());
  }
  return files;
}

// Page size and root page of `table` in a database nobody has open.
std::pair<int64_t, int64_t> RootPage(const std::string& db, const std::string& table) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  // Whatever is still in the WAL goes into the file, where the test damages it.
  REQUIRE(sqlite3_exec(raw, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  int64_t page_size = 0, root = 0;
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(raw, "PRAGMA page_size", -1, &stmt, nullptr) == SQLITE_OK);
  if (sqlite3_step(stmt) == SQLITE_ROW) page_size = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  REQUIRE(sqlite3_prepare_v2(raw, "SELECT rootpage FROM sqlite_master WHERE name = ?1", -1, &stmt,
                             nullptr) == SQLITE_OK);
  sqlite3_bind_text(stmt, 1, table.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(stmt) == SQLITE_ROW) root = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
  REQUIRE(page_size > 0);
  REQUIRE(root > 1);
  return {page_size, root};
}

// Zeroes the table's root page with dd, as a disk fault would.
void DamagePage(const std::string& db, const std::string& table) {
  auto [page_size, root] = RootPage(db, table);
  auto dd = RunCommand({"dd", "if=/dev/zero", "of=" + db, "bs=" + std::to_string(page_size),
                        "seek=" + std::to_string(root - 1), "count=1", "conv=notrunc"});
  REQUIRE(dd.exit_code == 0);
}

TEST_CASE("State dir: a zero-length prisn.db is refused, not taken for a fresh install") {
  ScratchDir dir("emptydb");
  std::string state = dir.File("state");
  BackgroundDaemon guard{state};
  {
    Daemon daemon(state, {});
    REQUIRE(daemon.Client().Post("/v1/tokens", nlohmann::json{{"namespace", "team"}}).status ==
            201);
    REQUIRE(daemon.Stop() == 0);
  }
  { std::ofstream truncate(state + "/prisn.db", std::ios::trunc); }
  auto before = Snapshot(state);
  // In the background, as an operator starts it: before, this answered
  // with a new admin token over an empty store.
  auto start = RunPrisn({"server", "start", "--state-dir", state, "--listen", "127.0.0.1:0"});
  INFO(start.out + start.err);
  CHECK(start.exit_code == 2);
  CHECK(start.out.find("Admin token") == std::string::npos);
  CHECK(start.err.find("prisn.db is empty (0 bytes)") != std::string::npos);
  CHECK(start.err.find("backup copy of the state directory") != std::string::npos);
  CHECK(Snapshot(state) == before);
  CHECK(std::filesystem::file_size(state + "/prisn.db") == 0);
}

TEST_CASE("State dir: a missing secret.key is refused, not silently regenerated") {
  ScratchDir dir("nokey");
  std::string state = dir.File("state");
  BackgroundDaemon guard{state};
  {
    Daemon daemon(state, {});
    Files secret{{"s.yaml",
                  "apiVersion: prisn.io/v1\nkind: Secret\nmetadata:\n  name: creds\nspec:\n"
                  "  stringData:\n    token: t0k\n"}};
    REQUIRE(daemon.Client().Post("/v1/apply", ApplyBody("s", secret)).status == 200);
    REQUIRE(daemon.Stop() == 0);
  }
  std::filesystem::remove(state + "/secret.key");
  auto before = Snapshot(state);
  auto start = RunPrisn({"server", "start", "--state-dir", state, "--listen", "127.0.0.1:0"});
  INFO(start.out + start.err);
  CHECK(start.exit_code == 2);
  CHECK(start.err.find("secret.key is missing") != std::string::npos);
  CHECK(start.err.find("backup copy of the state directory") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(state + "/secret.key"));
  CHECK(Snapshot(state) == before);
}

TEST_CASE("State dir: a first start that fails leaves the directory fresh for the next start") {
  ScratchDir dir("firstfail");
  std::string state = dir.File("state");
  BackgroundDaemon guard{state};
  Listener taken;  // the port the first start asks for is in use
  auto failed = RunPrisn(
      {"server", "start", "--state-dir", state, "--listen", "127.0.0.1:" + std::to_string(taken.port)});
  INFO(failed.out + failed.err);
  REQUIRE(failed.exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(state + "/prisn.db"));
  CHECK_FALSE(std::filesystem::exists(state + "/secret.key"));
  auto started = RunPrisn({"server", "start", "--state-dir", state, "--listen", "127.0.0.1:0"});
  INFO(started.out + started.err);
  CHECK(started.exit_code == 0);
  CHECK(started.out.find("Admin token: prisn_") != std::string::npos);
}

TEST_CASE("State dir: a corrupt page is found at start and refused, the file left as it was") {
  ScratchDir dir("corrupt");
  std::string state = dir.File("state");
  BackgroundDaemon guard{state};
  {
    Daemon daemon(state, {});
    REQUIRE(daemon.Client().Post("/v1/tokens", nlohmann::json{{"namespace", "team"}}).status ==
            201);
    REQUIRE(daemon.Stop() == 0);
  }
  DamagePage(state + "/prisn.db", "objects");
  std::string damaged = ReadWholeFile(state + "/prisn.db");
  auto start = RunPrisn({"server", "start", "--state-dir", state, "--listen", "127.0.0.1:0"});
  INFO(start.out + start.err);
  CHECK(start.exit_code == 2);
  CHECK(start.out.find("started") == std::string::npos);
  CHECK(start.err.find("the database is damaged") != std::string::npos);
  CHECK(start.err.find("backup copy") != std::string::npos);
  CHECK(ReadWholeFile(state + "/prisn.db") == damaged);
}

TEST_CASE("/health answers 503 naming the store once the database file is damaged") {
  ScratchDir dir("health");
  std::string db = dir.File("prisn.db");
  auto store = store::Store::Open(db, SecretBox::Ephemeral());
  REQUIRE(store);
  server::ApiInfo info;
  info.version = "test";
  info.state_dir = dir.path();
  server::Api api(std::move(*store), info);
  CHECK(api.Health().status == 200);
  DamagePage(db, "objects");
  // The probe reads the file at most once a second.
  server::HttpResponse health;
  CHECK(WaitFor([&] { return (health = api.Health()).status == 503; }, std::chrono::seconds(5)));
  auto body = nlohmann::json::parse(health.body, nullptr, false);
  REQUIRE(body.is_object());
  CHECK(body["status"] == "failing");
  CHECK(body["store"].get<std::string>().find("damaged") != std::string::npos);
}

}  // namespace
}  // namespace prisn::testing
