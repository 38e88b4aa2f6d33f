#pragma once
// Shared by the benchmarks: a daemon started for the run, a keep-alive HTTP
// client, and percentiles. Benchmarks print figures; they never assert on
// wall-clock time.

#include <curl/curl.h>
#include <sodium.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace prisn::bench {

using Clock = std::chrono::steady_clock;

inline double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Base64 of `s` (the API's file bodies). Callers link libsodium.
inline std::string Base64(const std::string& s) {
  std::string out(sodium_base64_encoded_len(s.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(s.data()),
                    s.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Resident set size of a process in MiB, from /proc.
inline double RssMiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// One performance target a scenario checks: printed as a row of the
// scenario's "Targets" table; bench/run gathers every row at the top of
// bench/REPORT.md by the "| met |" / "| not met |" cell.
struct Target {
  std::string what, limit, measured;
  bool met;
};

inline void PrintTargets(const std::vector<Target>& targets) {
  fmt::print("\n### Targets\n\n| target | limit | measured | result |\n|---|---|---|---|\n");
  for (const auto& t : targets)
    fmt::print("| {} | {} | {} | {} |\n", t.what, t.limit, t.measured, t.met ? "met" : "not met");
}

class Http {
 public:
  Http(std::string base, std::string token) : base_(std::move(base)), token_(std::move(token)) {
    curl_ = curl_easy_init();
    if (!token_.empty())
      headers_ = curl_slist_append(headers_, ("Authorization: Bearer " + token_).c_str());
    headers_ = curl_slist_append(headers_, "Content-Type: application/json");
    headers_ = curl_slist_append(headers_, "Expect:");
  }
  ~Http() {
    curl_slist_free_all(headers_);
    curl_easy_cleanup(curl_);
  }
  Http(const Http&) = delete;
  Http& operator=(const Http&) = delete;

  // Returns the HTTP status; the body lands in body().
  long Request(const char* method, const std::string& path, const std::string& data = {}) {
    body_.clear();
    curl_easy_setopt(curl_, CURLOPT_URL, (base_ + path).c_str());
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, data.empty() ? nullptr : data.c_str());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(data.size()));
    if (data.empty() && std::string(method) == "GET") curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Http::Write);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body_);
    if (curl_easy_perform(curl_) != CURLE_OK) return 0;
    long code = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &code);
    return code;
  }
  const std::string& body() const { return body_; }
  const std::string& base() const { return base_; }
  // Adds "Name: value" to every later request.
  void SetHeader(const std::string& header) {
    headers_ = curl_slist_append(headers_, header.c_str());
  }

 private:
  static size_t Write(char* p, size_t s, size_t n, void* out) {
    static_cast<std::string*>(out)->append(p, s * n);
    return s * n;
  }
  std::string base_, token_, body_;
  CURL* curl_ = nullptr;
  curl_slist* headers_ = nullptr;
};

// A daemon with its own state directory, started in the foreground as a
// child and killed at the end of the benchmark.
class Daemon {
 public:
  explicit Daemon(const std::string& binary) {
    dir_ = std::filesystem::temp_directory_path() / ("prisn-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string log = (dir_ / "daemon.out").string();
      std::freopen(log.c_str(), "w", stdout);
      std::freopen(log.c_str(), "a", stderr);
      ::execl(binary.c_str(), binary.c_str(), "server", "start", "--foreground", "--state-dir",
              dir_.c_str(), "--listen", "127.0.0.1:0", nullptr);
      ::_exit(127);
    }
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      auto ctx = ReadAll((dir_ / "context.json").string());
      if (!ctx.empty()) {
        auto j = nlohmann::json::parse(ctx, nullptr, false);
        if (j.is_object() && j.contains("server") && j.contains("token")) {
          server_ = j["server"];
          token_ = j["token"];
          Http probe(server_, token_);
          if (probe.Request("GET", "/health") == 200) return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    throw std::runtime_error("daemon did not become ready; see " + (dir_ / "daemon.out").string());
  }
  ~Daemon() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }
  pid_t pid() const { return pid_; }
  const std::string& server() const { return server_; }
  const std::string& token() const { return token_; }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::string server_, token_;
};

}  // namespace prisn::bench
