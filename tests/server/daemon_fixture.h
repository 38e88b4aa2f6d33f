#pragma once
// Test helpers that run a real prisn daemon and talk to it: reusable by any
// integration test (tests/server, tests/cli, ...). Header-only; link
// CURL::libcurl and nlohmann_json.
//
//   prisn::testing::Daemon daemon;          // own temp state dir, free port
//   auto api = daemon.Client();             // admin token
//   auto reply = api.Get("/v1/state");      // reply.status, reply.Json()
//   daemon.Env()  -> {"PRISN_SERVER=...", "PRISN_TOKEN=...", "PRISN_STATE_DIR=..."} for running the
//   CLI daemon.Kill(); daemon.Start();          // SIGKILL, then restart on the same state
//
// The daemon runs `prisn server start --foreground --state-dir DIR --listen
// 127.0.0.1:0`; Start() returns once it printed its address and /health
// answers, and throws (with the daemon's stderr) when it does not within 30 s.
// The destructor SIGKILLs a daemon still running and removes the temp dir.

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

#include "tests/common/scratch_cleanup.h"

namespace prisn::testing {

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A directory under the system temp dir, removed (recursively) at the end.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag = "test") {
    // mkdtemp: a name a test process of a recycled pid cannot share.
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("prisn-" + tag + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() { RemoveScratch(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct HttpReply {
  long status = 0;  // 0: no HTTP answer (connection failed); body has curl's error
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
  // The "error.code" of an error body, or "" when there is none.
  std::string ErrorCode() const {
    auto j = Json();
    if (j.is_object() && j.contains("error") && j["error"].is_object())
      return j["error"].value("code", "");
    return "";
  }
};

// One request per call (a fresh libcurl handle), so a client is cheap to
// copy and safe to use from several threads at once (one client per thread).
class HttpClient {
 public:
  explicit HttpClient(std::string base_url, std::string token = {})
      : base_(std::move(base_url)), token_(std::move(token)) {
    static const bool kInit = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
    (void)kInit;
  }

  HttpReply Get(const std::string& path) const { return Send("GET", path, ""); }
  HttpReply Delete(const std::string& path) const { return Send("DELETE", path, ""); }
  HttpReply Post(const std::string& path, const std::string& body) const {
    return Send("POST", path, body);
  }
  HttpReply Post(const std::string& path, const nlohmann::json& body) const {
    return Send("POST", path, body.dump());
  }

  HttpReply Send(const std::string& method, const std::string& path, const std::string& body,
                 const std::vector<std::string>& extra_headers = {}) const {
    HttpReply reply;
    CURL* curl = curl_easy_init();
    if (!curl) {
      reply.body = "curl_easy_init failed";
      return reply;
    }
    std::string url = base_ + path;
    struct curl_slist* headers = nullptr;
    if (!token_.empty())
      headers = curl_slist_append(headers, ("Authorization: Bearer " + token_).c_str());
    if (!body.empty()) headers = curl_slist_append(headers, "Content-Type: application/json");
    for (const std::string& h : extra_headers) headers = curl_slist_append(headers, h.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (!body.empty() || method == "POST") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &HttpClient::OnBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &HttpClient::OnHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
    } else {
      reply.status = 0;
      reply.body = curl_easy_strerror(rc);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return reply;
  }

  const std::string& base_url() const { return base_; }

 private:
  static size_t OnBody(char* data, size_t size, size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
  }
  static size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    std::string line(data, size * n);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
      while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
      (*static_cast<std::map<std::string, std::string>*>(user))[name] = value;
    }
    return size * n;
  }

  std::string base_;
  std::string token_;
};

// Sends raw bytes to host:port and returns everything read until the peer
// closes or `timeout` passes: for requests no HTTP library would send.
inline std::string RawExchange(const std::string& base_url, const std::string& bytes,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::string hostport = base_url.substr(base_url.find("://") + 3);
  std::string host = hostport.substr(0, hostport.rfind(':'));
  int port = std::stoi(hostport.substr(hostport.rfind(':') + 1));
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;  // the server may answer and close before reading it all
      sent += static_cast<size_t>(n);
    }
    char buf[8192];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

// Polls `condition` every few milliseconds until it holds or `deadline`
// passes; returns its last value.
template <class Fn>
bool WaitFor(Fn&& condition, std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  auto pause = std::chrono::milliseconds(2);
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

struct CommandResult {
  int exit_code = -1;  // 128+signal when killed
  std::string out;
  std::string err;
};

// Runs a command to completion with stdin from /dev/null, the current
// environment plus `extra_env` ("NAME=value", later entries win), and
// returns its exit code and output.
inline CommandResult RunCommand(const std::vector<std::string>& args,
                                const std::vector<std::string>& extra_env = {}) {
  ScratchDir scratch("cmd");
  std::string out = scratch.File("out"), err = scratch.File("err");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  for (const std::string& e : extra_env) {
    std::string name = e.substr(0, e.find('=') + 1);
    std::erase_if(env, [&](const std::string& x) { return x.starts_with(name); });
    env.push_back(e);
  }
  std::vector<char*> argv, envp;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  CommandResult result;
  if (rc != 0) {
    result.err = "posix_spawn failed: " + std::to_string(rc);
    return result;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadWholeFile(out);
  result.err = ReadWholeFile(err);
  return result;
}

// `prisn ARGS...` with the binary under test.
inline CommandResult RunPrisn(std::vector<std::string> args,
                              const std::vector<std::string>& extra_env = {}) {
#ifdef PRISN_BINARY
  args.insert(args.begin(), PRISN_BINARY);
#else
  args.insert(args.begin(), "prisn");
#endif
  return RunCommand(args, extra_env);
}

struct DaemonOptions {
  std::vector<std::string> args;  // extra `server start` flags
  std::vector<std::string> env;   // extra "NAME=value" entries
  std::string binary =
#ifdef PRISN_BINARY
      PRISN_BINARY;
#else
      "prisn";
#endif
};

class Daemon {
 public:
  using Options = DaemonOptions;

  // A daemon on its own temp state dir, started.
  explicit Daemon(Options options = {}) : options_(std::move(options)) {
    state_dir_ = scratch_.File("state");
    Start();
  }
  // A daemon on `state_dir` (kept at the end), started.
  Daemon(std::string state_dir, Options options)
      : options_(std::move(options)), state_dir_(std::move(state_dir)) {
    Start();
  }
  ~Daemon() {
    if (pid_ > 0) Kill();
  }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Starts (again) on the same state dir; the port may change.
  void Start() {
    if (pid_ > 0) throw std::logic_error("daemon already running");
    std::string out = scratch_.File("stdout.txt");
    std::string err = scratch_.File("stderr.txt");
    size_t out_offset = ReadWholeFile(out).size();
    std::vector<std::string> args = {options_.binary, "server",   "start",    "--foreground",
                                     "--state-dir",   state_dir_, "--listen", "127.0.0.1:0"};
    args.insert(args.end(), options_.args.begin(), options_.args.end());
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    env.insert(env.end(), options_.env.begin(), options_.env.end());
    pid_ = Spawn(args, env, out, err);
    // Ready once the daemon printed its address; a daemon that exits first
    // failed to start.
    std::string line;
    bool ready = WaitFor([&] {
      std::string text = ReadWholeFile(out).substr(out_offset);
      size_t at = text.find("listening on ");
      if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
        line = text.substr(at + 13, text.find(' ', at + 13) - at - 13);
        return true;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return true;
      }
      return false;
    });
    if (pid_ < 0 || !ready) {
      if (pid_ > 0) Kill();
      throw std::runtime_error("prisn daemon did not start: " + ReadWholeFile(err));
    }
    url_ = line;
    auto context =
        nlohmann::json::parse(ReadWholeFile(state_dir_ + "/context.json"), nullptr, false);
    if (context.is_object() && context.contains("token"))
      token_ = context["token"].get<std::string>();
    if (!WaitFor([&] { return HttpClient(url_).Get("/health").status == 200; })) {
      throw std::runtime_error("prisn daemon does not answer /health at " + url_);
    }
  }

  // SIGTERM and wait; returns the exit code (128+signal when killed).
  int Stop() { return Signal(SIGTERM); }
  // SIGKILL and wait.
  void Kill() { Signal(SIGKILL); }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& url() const { return url_; }
  const std::string& token() const { return token_; }  // the admin token
  const std::string& state_dir() const { return state_dir_; }
  std::string Stdout() const { return ReadWholeFile(scratch_.File("stdout.txt")); }
  std::string Stderr() const { return ReadWholeFile(scratch_.File("stderr.txt")); }

  HttpClient Client() const { return HttpClient(url_, token_); }
  HttpClient Client(const std::string& token) const { return HttpClient(url_, token); }
  // Environment for running the CLI against this daemon.
  std::vector<std::string> Env() const {
    return {"PRISN_SERVER=" + url_, "PRISN_TOKEN=" + token_, "PRISN_STATE_DIR=" + state_dir_};
  }

 private:
  static pid_t Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env,
                     const std::string& out, const std::string& err) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    std::vector<char*> argv, envp;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
      throw std::runtime_error("posix_spawn " + args[0] + " failed: " + std::to_string(rc));
    return pid;
  }

  int Signal(int signo) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signo);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  ScratchDir scratch_{"daemon"};
  Options options_;
  std::string state_dir_;
  pid_t pid_ = -1;
  std::string url_;
  std::string token_;
};

}  // namespace prisn::testing
