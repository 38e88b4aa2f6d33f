// Proxy throughput: requests per second and p99 latency of one small HTTP
// upstream hit directly, through prisn's L4 and L7 proxy, and through nginx
// proxy_pass (when nginx is installed), all measured with wrk in the same run.
//
//   proxy_bench [seconds per scenario = 5] [connections = 50] [proxy threads = 1]
//
// The upstream is an in-process keep-alive server answering 200 "ok"; nginx
// gets as many workers as the proxy has threads and keep-alive upstreams.

// GCC 12 takes Asio's coroutine frame allocation (aligned_alloc, freed by
// its matching aligned delete) for a mismatched new/delete once inlined.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/proxy.h"

extern char** environ;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// The upstream: one thread, keep-alive, 200 "ok".
class Upstream {
 public:
  Upstream() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Upstream() {
    io_.stop();
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (ec) co_return;
      socket.set_option(tcp::no_delay(true));
      asio::co_spawn(io_, Serve(std::move(socket)), asio::detached);
    }
  }
  static asio::awaitable<void> Serve(tcp::socket socket) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [read_ec, n] = co_await http::async_read(socket, buffer, req, kNoThrow);
      if (read_ec) co_return;
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.set(http::field::content_type, "text/plain");
      res.keep_alive(req.keep_alive());
      res.body() = "ok";
      res.prepare_payload();
      auto [write_ec, m] = co_await http::async_write(socket, res, kNoThrow);
      if (write_ec || !req.keep_alive()) co_return;
    }
  }

  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  std::thread thread_;
};

int FreePort(const std::string& address) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(address), 0));
  return acceptor.local_endpoint().port();
}

std::string Run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  std::array<char, 4096> buffer;
  while (std::fgets(buffer.data(), buffer.size(), pipe)) out += buffer.data();
  ::pclose(pipe);
  return out;
}

double ToMs(double value, const std::string& unit) {
  if (unit == "us") return value / 1000;
  if (unit == "s") return value * 1000;
  return value;
}

struct Figures {
  double rps = 0;
  double p99_ms = 0;
  bool ok = false;
};

Figures Wrk(const std::string& url, int seconds, int connections) {
  std::string out = Run(fmt::format("wrk -t1 -c{} -d{}s --latency {} 2>&1", connections,
                                    seconds, url));
  Figures f;
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
    f.rps = std::stod(m[1]);
    f.ok = true;
  }
  if (std::regex_search(out, m, std::regex(R"(99%\s+([0-9.]+)(us|ms|s))"))) {
    f.p99_ms = ToMs(std::stod(m[1]), m[2]);
  }
  if (std::regex_search(out, m, std::regex(R"(Non-2xx or 3xx responses:\s+(\d+))")) ||
      std::regex_search(out, m, std::regex(R"(Socket errors:[^\n]*)"))) {
    std::fprintf(stderr, "proxy_bench: %s: %s\n", url.c_str(), m[0].str().c_str());
  }
  if (!f.ok) std::fprintf(stderr, "proxy_bench: wrk failed for %s:\n%s\n", url.c_str(), out.c_str());
  return f;
}

// nginx with its own config and prefix in a scratch directory; stopped (by
// its pid) in the destructor.
class Nginx {
 public:
  static std::optional<Nginx> Start(int upstream_port, int port, int workers) {
    if (Run("command -v nginx || test -x /usr/sbin/nginx && echo /usr/sbin/nginx").empty()) {
      return std::nullopt;
    }
    Nginx n;
    n.dir_ = std::filesystem::temp_directory_path() / fmt::format("prisn-bench-nginx-{}", ::getpid());
    std::filesystem::create_directories(n.dir_);
    std::string d = n.dir_.string();
    std::ofstream(n.dir_ / "nginx.conf") << fmt::format(R"(
worker_processes {workers};
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  upstream up {{ server 127.0.0.1:{upstream}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
)", fmt::arg("workers", workers), fmt::arg("d", d), fmt::arg("upstream", upstream_port),
        fmt::arg("port", port));
    std::string conf = (n.dir_ / "nginx.conf").string();
    std::string binary = std::filesystem::exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
    std::vector<std::string> args{binary, "-e", d + "/error.log", "-p", d, "-c", conf};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawnp(&n.pid_, binary.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
      return std::nullopt;
    }
    // Ready when it accepts.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      asio::io_context io;
      tcp::socket s(io);
      boost::system::error_code ec;
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)), ec);
      if (!ec) return n;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::fprintf(stderr, "proxy_bench: nginx did not start (see %s/error.log)\n", d.c_str());
    return std::nullopt;
  }
  Nginx(Nginx&& other) noexcept : pid_(std::exchange(other.pid_, 0)), dir_(std::move(other.dir_)) {}
  ~Nginx() {
    if (pid_ > 0) {
      ::kill(pid_, SIGQUIT);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

 private:
  Nginx() = default;
  pid_t pid_ = 0;
  std::filesystem::path dir_;
};

}  // namespace

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
  int connections = argc > 2 ? std::atoi(argv[2]) : 50;
  int threads = argc > 3 ? std::atoi(argv[3]) : 1;
  if (Run("command -v wrk").empty()) {
    std::fprintf(stderr, "proxy_bench: needs wrk (scripts/bootstrap.sh installs it)\n");
    return 1;
  }
  spdlog::set_level(spdlog::level::warn);  // keep the report clean
  Upstream upstream;
  auto proxy = prisn::net::Proxy::Create(prisn::net::ProxyOptions{.threads = threads});
  if (!proxy) {
    std::fprintf(stderr, "proxy_bench: %s\n", proxy.error().ToString().c_str());
    return 1;
  }
  const std::string address = "127.79.0.2";
  prisn::net::ServiceRoute l4;
  l4.key = "bench/l4";
  l4.address = address;
  l4.port = FreePort(address);
  l4.upstreams.push_back({"up-0", "127.0.0.1", upstream.port()});
  prisn::net::ServiceRoute l7 = l4;
  l7.key = "bench/l7";
  l7.http = true;
  l7.algorithm = prisn::net::LbAlgorithm::kLeastConnections;
  l7.port = FreePort(address);
  auto errors = (*proxy)->Update({l4, l7}, {});
  for (const auto& e : errors) std::fprintf(stderr, "proxy_bench: %s\n", e.ToString().c_str());
  if (!errors.empty()) return 1;

  struct Row {
    std::string name;
    Figures figures;
  };
  std::vector<Row> rows;
  rows.push_back({"direct", Wrk(fmt::format("http://127.0.0.1:{}/", upstream.port()), seconds, connections)});
  rows.push_back({"prisn L4", Wrk(fmt::format("http://{}:{}/", address, l4.port), seconds, connections)});
  rows.push_back({"prisn L7 (http)", Wrk(fmt::format("http://{}:{}/", address, l7.port), seconds, connections)});
  int nginx_port = FreePort("127.0.0.1");
  if (auto nginx = Nginx::Start(upstream.port(), nginx_port, threads)) {
    rows.push_back({"nginx proxy_pass", Wrk(fmt::format("http://127.0.0.1:{}/", nginx_port), seconds, connections)});
  } else {
    std::fprintf(stderr, "proxy_bench: nginx not installed or not started; skipping it\n");
  }

  const double direct = rows[0].figures.rps;
  std::printf("# Proxy throughput\n\n");
  std::printf("wrk, 1 thread, %d keep-alive connections, %d s per row; proxy and nginx with %d "
              "worker thread(s); upstream: in-process keep-alive server answering \"ok\".\n\n",
              connections, seconds, threads);
  std::printf("| path | requests/s | p99 ms | vs direct |\n|---|---:|---:|---:|\n");
  for (const auto& r : rows) {
    std::printf("| %s | %.0f | %.2f | %.0f%% |\n", r.name.c_str(), r.figures.rps,
                r.figures.p99_ms, direct > 0 ? 100.0 * r.figures.rps / direct : 0.0);
  }
  double nginx = rows.size() > 3 ? rows[3].figures.rps : 0;
  // The same rows as bench_util.h's PrintTargets (this benchmark links no libcurl).
  std::printf("\n### Targets\n\n| target | limit | measured | result |\n|---|---|---|---|\n");
  auto target = [&](const char* what, double rps, double share) {
    double pct = direct > 0 ? 100.0 * rps / direct : 0;
    std::printf("| %s requests/s vs direct | >= %.0f%% | %.0f%% | %s |\n", what, share * 100, pct,
                pct >= share * 100 ? "met" : "not met");
    if (nginx > 0)
      std::printf("| %s requests/s vs nginx proxy_pass | >= nginx | %.0f%% of nginx | %s |\n", what,
                  100.0 * rps / nginx, rps >= nginx ? "met" : "not met");
  };
  target("L4 proxy", rows[1].figures.rps, 0.6);
  target("L7 proxy", rows[2].figures.rps, 0.5);
  auto stats = (*proxy)->Stats();
  for (const auto& s : stats) {
    std::printf("\n%s: %llu %s, %llu errors, p50 %.3f ms, p99 %.3f ms (proxy's own histogram)",
                s.key.c_str(), static_cast<unsigned long long>(s.requests),
                s.http ? "requests" : "connections", static_cast<unsigned long long>(s.errors),
                s.p50_ms, s.p99_ms);
  }
  std::printf("\n");
  return 0;
}
