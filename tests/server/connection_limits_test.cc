// Connection exhaustion against a real daemon: more connections than the cap
// (from one address and from several) leave /health and admin requests
// answering, keep the daemon's descriptors bounded, close idle connections
// within the idle timeout, refuse with 503 when every slot is busy, and an
// accept loop out of descriptors pauses instead of spinning, with its log
// lines throttled.
#include <poll.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon_fixture.h"

namespace prisn::testing {
namespace {

using namespace std::chrono_literals;
constexpr int kMax = 50;
constexpr int kPerPeer = 20;
// A connection the daemon took from the queue to refuse it or to put it in
// an evicted one's place holds a descriptor for a moment.
constexpr int kInFlight = 2;

int Port(const Daemon& d) { return std::stoi(d.url().substr(d.url().rfind(':') + 1)); }

// A connection to the daemon from `source` (any 127.0.0.0/8 address is this
// host: each is a peer of its own). -1 when the connect fails.
int ConnectFrom(const Daemon& d, const std::string& source) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(Port(d)));
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Client sockets, closed at the end.
struct Conns {
  std::vector<int> fds;
  ~Conns() { CloseAll(); }
  void CloseAll() {
    for (int fd : fds) ::close(fd);
    fds.clear();
  }
  // How many the daemon closed (EOF or reset; a 503 answer then EOF).
  int ClosedByServer() const {
    int closed = 0;
    for (int fd : fds) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 0) == 1) {
        char buf[512];
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
        if (n <= 0 || std::string(buf, static_cast<size_t>(n)).starts_with("HTTP/1.1 503")) {
          // A 503 is followed by the close; count it once that came too.
          ++closed;
        }
      }
    }
    return closed;
  }
};

// The daemon's open sockets (/proc/PID/fd).
int Sockets(pid_t pid) {
  int n = 0;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code link_ec;
    auto target = std::filesystem::read_symlink(e.path(), link_ec);
    if (!link_ec && target.string().starts_with("socket:")) ++n;
  }
  return n;
}

// The daemon's CPU time so far (user + system), in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A request whose body the daemon waits for: busy until the client closes.
// True once the daemon admitted it (it answered 100 Continue).
bool Busy(int fd, const std::string& token) {
  std::string head = "POST /v1/apply HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                     "\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n";
  if (::send(fd, head.data(), head.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(head.size()))
    return false;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 5000) != 1) return false;
  char buf[256];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  return n > 0 && std::string(buf, static_cast<size_t>(n)).starts_with("HTTP/1.1 100");
}

TEST_CASE("Connection limits: a flood of idle connections leaves the API answering, bounded and "
          "closed on time, and a full house of busy ones is answered 503") {
  DaemonOptions options;
  options.args = {"--max-connections", std::to_string(kMax), "--max-connections-per-peer",
                  std::to_string(kPerPeer), "--idle-timeout", "2"};
  Daemon daemon(options);
  const pid_t pid = daemon.pid();
  const int baseline = Sockets(pid);
  HttpClient admin = daemon.Client();

  // 40 idle connections from each of 4 addresses: 160 against a cap of 50,
  // 20 per address.
  Conns idle;
  for (const char* peer : {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}) {
    for (int i = 0; i < 40; ++i) {
      int fd = ConnectFrom(daemon, peer);
      REQUIRE(fd >= 0);
      idle.fds.push_back(fd);
    }
  }
  // Each new connection took the place of an old idle one: at most the cap
  // stays open.
  CHECK(WaitFor([&] { return idle.ClosedByServer() >= 160 - kMax; }, 10s));
  CHECK(Sockets(pid) - baseline <= kMax + kInFlight);
  // The admin and /health are served at once (they take an idle slot).
  auto start = std::chrono::steady_clock::now();
  CHECK(admin.Get("/health").status == 200);
  CHECK(admin.Get("/v1/state").status == 200);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(Sockets(pid) - baseline <= kMax + kInFlight);
  // Idle connections are closed within the idle timeout (2 s).
  CHECK(WaitFor([&] { return idle.ClosedByServer() == 160; }, 5s));
  CHECK(WaitFor([&] { return Sockets(pid) <= baseline; }, 5s));
  idle.CloseAll();

  // 50 busy connections (requests waiting for their bodies): no slot can be
  // freed, so the next connections are answered 503 and closed.
  Conns busy;
  for (const char* peer : {"127.0.0.2", "127.0.0.3", "127.0.0.4"}) {
    for (int i = 0; i < (peer[8] == '4' ? 10 : kPerPeer); ++i) {
      int fd = ConnectFrom(daemon, peer);
      REQUIRE(fd >= 0);
      busy.fds.push_back(fd);
      REQUIRE(Busy(fd, daemon.token()));
    }
  }
  Conns refused;
  for (int i = 0; i < 30; ++i) {
    refused.fds.push_back(ConnectFrom(daemon, i % 2 ? "127.0.0.5" : "127.0.0.2"));
  }
  CHECK(WaitFor([&] { return refused.ClosedByServer() == 30; }, 5s));
  std::string answer = RawExchange(daemon.url(), "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 5s);
  CHECK(answer.starts_with("HTTP/1.1 503"));
  CHECK(answer.find("too many connections") != std::string::npos);
  CHECK(Sockets(pid) - baseline <= kMax + kInFlight);
  // Once they are gone, the API answers again.
  busy.CloseAll();
  refused.CloseAll();
  CHECK(WaitFor([&] { return admin.Get("/health").status == 200; }, 5s));
  // 31 refusals, one log line (the next would come 10 s later, with a count).
  CHECK(Count(daemon.Stderr(), "refused a connection") == 1);
}

TEST_CASE("Connection limits: out of descriptors, the accept loop pauses instead of spinning and "
          "logs a bounded number of lines, then recovers") {
  DaemonOptions options;
  options.args = {"--max-connections", std::to_string(kMax)};
  Daemon daemon(options);
  const pid_t pid = daemon.pid();
  // Leave the daemon a handful of descriptors above what it holds now.
  int open_fds = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++open_fds;
  }
  rlimit old{};
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, nullptr, &old) == 0);
  rlimit soft_only{static_cast<rlim_t>(open_fds + 4), old.rlim_max};
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, &soft_only, nullptr) == 0);

  Conns flood;
  for (int i = 0; i < 40; ++i) flood.fds.push_back(ConnectFrom(daemon, "127.0.0.2"));
  // Connections wait in the kernel's queue; the daemon does not spin on them.
  const double cpu0 = CpuSeconds(pid);
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(2s);  // a measured interval, not a synchronisation
  const double busy_share =
      (CpuSeconds(pid) - cpu0) /
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO("CPU share while out of descriptors: " << busy_share);
  CHECK(busy_share < 0.25);
  std::string log = daemon.Stderr();
  CHECK(Count(log, "accept failed") >= 1);
  CHECK(Count(log, "accept failed") <= 2);

  // Descriptors back: the queued connections and new ones are served.
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, &old, nullptr) == 0);
  flood.CloseAll();
  CHECK(WaitFor([&] { return daemon.Client().Get("/health").status == 200; }, 5s));
}

}  // namespace
}  // namespace prisn::testing
