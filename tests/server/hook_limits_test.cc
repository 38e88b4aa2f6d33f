// Webhooks and bodies against a real daemon, as an unauthenticated peer sees
// them: a declared or streamed body larger than the route's limit is refused
// before it is read (the daemon's memory does not grow with it), a hook is
// refused from its headers alone, and a delivery is accepted once.
#include <poll.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "api_test_util.h"
#include "server/webhook.h"

namespace prisn::testing {
namespace {

using namespace std::chrono_literals;
constexpr char kSecret[] = "hooky";

// The daemon's resident memory, in KiB (/proc/PID/status VmRSS).
long RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return -1;
}

int Connect(const std::string& base_url) {
  std::string hostport = base_url.substr(base_url.find("://") + 3);
  int port = std::stoi(hostport.substr(hostport.rfind(':') + 1));
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `head`, then `chunks` chunks of 64 KiB of a chunked body while
// watching for an answer (as curl does): returns the answer and how many body
// bytes went out before it came. Never sends more than `chunks` chunks.
std::pair<std::string, size_t> PostStreaming(const std::string& base_url, const std::string& head,
                                             size_t chunks) {
  int fd = Connect(base_url);
  if (fd < 0) return {"", 0};
  ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
  std::string answer;
  size_t sent = 0;
  char buf[4096];
  auto deadline = std::chrono::steady_clock::now() + 20s;
  for (size_t i = 0; i <= chunks && std::chrono::steady_clock::now() < deadline;) {
    pollfd p{fd, static_cast<short>(POLLIN | (i < chunks ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, 1000) <= 0) continue;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      answer.append(buf, static_cast<size_t>(n));
      if (answer.find("\r\n\r\n") != std::string::npos) break;
      continue;
    }
    ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN) break;
    if (n == static_cast<ssize_t>(chunk.size())) {
      sent += 0x10000;
      ++i;
    } else if (n > 0) {
      // Finish this chunk before anything else: the stream must stay valid.
      size_t done = static_cast<size_t>(n);
      while (done < chunk.size()) {
        ssize_t m = ::send(fd, chunk.data() + done, chunk.size() - done, MSG_NOSIGNAL);
        if (m <= 0) break;
        done += static_cast<size_t>(m);
      }
      sent += 0x10000;
      ++i;
    }
  }
  ::close(fd);
  return {answer, sent};
}

// The status of a raw answer ("HTTP/1.1 413 ..."), 0 when there is none.
int StatusOf(const std::string& answer) {
  if (!answer.starts_with("HTTP/1.1 ")) return 0;
  return std::stoi(answer.substr(9, 3));
}

// A head alone, with a body declared but never sent: whatever the answer is,
// it was given from the head (the exchange ends when the daemon closes).
std::string HeadOnly(const Daemon& d, const std::string& target,
                     const std::vector<std::string>& headers, uint64_t length) {
  std::string head = "POST " + target + " HTTP/1.1\r\nHost: x\r\n";
  for (const std::string& h : headers) head += h + "\r\n";
  head += "Content-Length: " + std::to_string(length) + "\r\n\r\n";
  return RawExchange(d.url(), head, 5s);
}

struct HookFixture {
  ScratchDir dir{"hooks"};
  Daemon daemon;
  HttpClient api = daemon.Client();
  HookFixture() {
    auto r = api.Post("/v1/sources", nlohmann::json{{"name", "site"},
                                                    {"dir", dir.path()},
                                                    {"interval", "1h"},
                                                    {"hookSecret", kSecret}});
    if (r.status != 201) throw std::runtime_error("source add: " + r.body);
  }
  // The sum of prisn_source_syncs_total over its labels.
  double Syncs() const { return MetricSum("prisn_source_syncs_total{"); }
  double MetricSum(const std::string& prefix) const {
    auto m = api.Get("/metrics");
    double sum = 0;
    std::istringstream lines(m.body);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.starts_with(prefix)) sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
    return sum;
  }
  HttpReply Hook(const std::string& body, const std::vector<std::string>& headers) const {
    return HttpClient(daemon.url()).Send("POST", "/v1/hooks/site", body, headers);
  }
};

TEST_CASE("Unauthenticated bodies: 100 MB declared or streamed to a hook or an API route are "
          "refused before they are read, and the daemon's memory stays flat") {
  HookFixture f;
  const pid_t pid = f.daemon.pid();
  const long before = RssKiB(pid);
  REQUIRE(before > 0);
  const uint64_t big = 100'000'000;
  const std::string sig = "X-Hub-Signature-256: " + server::SignWebhook("x", "wrong");
  for (int round = 0; round < 6; ++round) {
    // A well-formed signature for a known source: the declared size decides.
    CHECK(StatusOf(HeadOnly(f.daemon, "/v1/hooks/site", {sig}, big)) == 413);
    // No signature, an unknown source, a malformed signature: 401 from the
    // head, with a small body declared and never sent.
    CHECK(StatusOf(HeadOnly(f.daemon, "/v1/hooks/site", {}, 1000)) == 401);
    CHECK(StatusOf(HeadOnly(f.daemon, "/v1/hooks/nope", {sig}, 1000)) == 401);
    CHECK(StatusOf(HeadOnly(f.daemon, "/v1/hooks/site", {"X-Hub-Signature-256: sha256=zz"},
                            1000)) == 401);
    CHECK(StatusOf(HeadOnly(f.daemon, "/v1/hooks/site", {"X-Gitlab-Token: wrong"}, 1000)) ==
          401);
    // API routes: no token is 401, a token with too large a body 413.
    CHECK(StatusOf(HeadOnly(f.daemon, "/v1/apply", {}, big)) == 401);
    CHECK(StatusOf(HeadOnly(f.daemon, "/v1/apply",
                            {"Authorization: Bearer " + f.daemon.token()}, big)) == 413);
    // Chunked, no length: counted while read; 100 MB offered, the answer
    // comes after about the 1 MiB limit.
    auto [answer, sent] = PostStreaming(
        f.daemon.url(),
        "POST /v1/hooks/site HTTP/1.1\r\nHost: x\r\n" + sig +
            "\r\nTransfer-Encoding: chunked\r\n\r\n",
        big / 0x10000);
    CHECK(StatusOf(answer) == 413);
    CHECK(answer.find("1 MiB") != std::string::npos);
    CHECK(sent < 32u << 20);
  }
  const long after = RssKiB(pid);
  INFO("VmRSS before " << before << " KiB, after " << after << " KiB");
  CHECK(after - before < 50 * 1024);
  // The daemon still serves, and nothing was synced by any of it.
  CHECK(f.api.Get("/health").status == 200);
  CHECK(f.MetricSum("prisn_source_webhooks_total{result=\"accepted\"}") == 0);
}

TEST_CASE("Webhook replay: a delivery is accepted once, a redelivery or a replay with another id "
          "is 200 duplicate (also after a restart), a new delivery syncs") {
  HookFixture f;
  REQUIRE(WaitFor([&] { return f.Syncs() >= 1; }));  // the first sync after the add
  const double syncs = f.Syncs();
  const std::string body = R"({"ref":"refs/heads/main","after":"c1"})";
  const std::vector<std::string> delivery = {
      "X-Hub-Signature-256: " + server::SignWebhook(body, kSecret),
      "X-GitHub-Delivery: 11111111-1111-1111-1111-111111111111"};
  auto first = f.Hook(body, delivery);
  INFO(first.body);
  REQUIRE(first.status == 202);
  REQUIRE(WaitFor([&] { return f.Syncs() == syncs + 1; }));

  auto again = f.Hook(body, delivery);
  CHECK(again.status == 200);
  CHECK(again.Json()["duplicate"] == true);
  // The id is not signed: a replay with a fresh one is still the same
  // signed body.
  auto replay = f.Hook(body, {delivery[0], "X-GitHub-Delivery: 22222222-fresh"});
  CHECK(replay.status == 200);
  CHECK(replay.Json()["duplicate"] == true);
  CHECK(f.MetricSum("prisn_source_webhooks_total{result=\"duplicate\"}") == 2);
  // No sync follows either (a bounded look: the manager is idle and
  // would have started one at once).
  CHECK_FALSE(WaitFor([&] { return f.Syncs() > syncs + 1; }, 1500ms));

  // Remembered in the store: a restart does not reopen the window.
  REQUIRE(f.daemon.Stop() == 0);
  f.daemon.Start();
  f.api = f.daemon.Client();
  REQUIRE(WaitFor([&] { return f.Syncs() >= 1; }));  // the first sync after the start
  const double restarted = f.Syncs();
  auto after_restart = f.Hook(body, delivery);
  CHECK(after_restart.status == 200);
  CHECK(after_restart.Json()["duplicate"] == true);

  // A new push is a new body and id: accepted, one more sync.
  const std::string next = R"({"ref":"refs/heads/main","after":"c2"})";
  auto fresh = f.Hook(next, {"X-Hub-Signature-256: " + server::SignWebhook(next, kSecret),
                             "X-GitHub-Delivery: 33333333-next"});
  CHECK(fresh.status == 202);
  CHECK(WaitFor([&] { return f.Syncs() == restarted + 1; }));
  // The generic form with a signed timestamp: the same body may come again.
  for (int i = 0; i < 2; ++i) {
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count() +
                  i;
    auto generic =
        f.Hook("{}", {"X-Prisn-Signature: " + server::SignWebhook("{}", kSecret, now),
                      "X-Prisn-Timestamp: " + std::to_string(now)});
    CHECK(generic.status == 202);
  }
  // A stale timestamp is refused like a bad signature.
  auto stale = f.Hook("{}", {"X-Prisn-Signature: " + server::SignWebhook("{}", kSecret, 1000),
                             "X-Prisn-Timestamp: 1000"});
  CHECK(stale.status == 401);
}

}  // namespace
}  // namespace prisn::testing
