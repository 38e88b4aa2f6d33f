#include "net/dns_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <optional>
#include <thread>

#include "util/unique_fd.h"

namespace prisn::net {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

// stdout of a shell command (dig), whatever its exit status.
std::string Run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  while (auto n = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  ::pclose(pipe);
  return out;
}

std::string Dig(int port, const std::string& args) {
  return Run(fmt::format("dig @127.0.0.1 -p {} +time=3 +tries=1 {}", port, args));
}

std::unique_ptr<DnsServer> StartServer(DnsOptions options) {
  auto server = DnsServer::Start(std::move(options));
  if (!server) FAIL(server.error().ToString());
  return std::move(*server);
}

DnsOptions LocalOptions(std::vector<std::string> upstreams) {
  DnsOptions options;
  options.listen_address = "127.0.0.1";
  options.port = 0;
  options.upstreams = std::move(upstreams);
  return options;
}

std::vector<DnsService> TwoServices() {
  return {{"api", "default", "127.77.0.2", 8080, true}, {"db", "data", "127.77.0.3", 5432, false}};
}

Bytes QueryPacket(std::uint16_t id, const std::string& name, std::uint16_t type) {
  Bytes b{static_cast<std::uint8_t>(id >> 8),
          static_cast<std::uint8_t>(id),
          0x01,
          0,
          0,
          1,
          0,
          0,
          0,
          0,
          0,
          0};
  std::size_t start = 0;
  while (start < name.size()) {
    auto dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    b.push_back(static_cast<std::uint8_t>(dot - start));
    b.insert(b.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
             name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  b.insert(b.end(),
           {0, static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type), 0, 1});
  return b;
}

// A UDP client socket on loopback; Receive polls with a deadline.
class UdpClient {
 public:
  explicit UdpClient(int port) : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_);
    to_.sin_family = AF_INET;
    to_.sin_port = htons(static_cast<std::uint16_t>(port));
    to_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  void Send(const Bytes& packet) {
    REQUIRE(::sendto(fd_.Get(), packet.data(), packet.size(), 0,
                     reinterpret_cast<const sockaddr*>(&to_),
                     sizeof to_) == static_cast<ssize_t>(packet.size()));
  }
  std::optional<Bytes> Receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_.Get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    Bytes b(65535);
    auto n = ::recv(fd_.Get(), b.data(), b.size(), 0);
    if (n < 0) return std::nullopt;
    b.resize(static_cast<std::size_t>(n));
    return b;
  }

 private:
  UniqueFd fd_;
  sockaddr_in to_{};
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// dig lines up its columns with tabs; tests compare words.
std::string Squash(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool space = c == ' ' || c == '\t';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  return out;
}

}  // namespace

TEST_CASE("DnsServer: answers A and SRV for its services over UDP and TCP") {
  auto server = StartServer(LocalOptions({}));
  server->SetServices(TwoServices());
  REQUIRE(server->port() > 0);
  CHECK(server->address() == "127.0.0.1");
  for (const std::string transport : {"", "+tcp"}) {
    INFO("transport " << transport);
    CHECK(Dig(server->port(), transport + " +short api.default.prisn.local A") == "127.77.0.2\n");
    CHECK(Dig(server->port(), transport + " +short API.Default.Prisn.Local A") == "127.77.0.2\n");
    CHECK(Dig(server->port(), transport + " +short _http._tcp.api.default.prisn.local SRV") ==
          "0 0 8080 api.default.prisn.local.\n");
    CHECK(Dig(server->port(), transport + " +short _tcp._tcp.db.data.prisn.local SRV") ==
          "0 0 5432 db.data.prisn.local.\n");
    const auto srv = Dig(server->port(),
                         transport + " +noall +additional _http._tcp.api.default.prisn.local SRV");
    CHECK(Contains(Squash(srv), "api.default.prisn.local. 5 IN A 127.77.0.2"));
  }
  CHECK(server->stats().answered >= 10);
}

TEST_CASE("DnsServer: AAAA of a known name is NOERROR without answers") {
  auto server = StartServer(LocalOptions({}));
  server->SetServices(TwoServices());
  const auto out = Dig(server->port(), "api.default.prisn.local AAAA");
  CHECK(Contains(out, "status: NOERROR"));
  CHECK(Contains(out, "ANSWER: 0"));
  CHECK(Contains(out, "flags: qr aa rd ra"));
}

TEST_CASE("DnsServer: an unknown name in the zone is NXDOMAIN with the SOA, over UDP and TCP") {
  auto server = StartServer(LocalOptions({}));
  server->SetServices(TwoServices());
  for (const std::string transport : {"", "+tcp"}) {
    const auto out = Dig(server->port(), transport + " nope.default.prisn.local A");
    CHECK(Contains(out, "status: NXDOMAIN"));
    CHECK(Contains(Squash(out), "prisn.local. 5 IN SOA prisn.local. hostmaster.prisn.local."));
  }
  CHECK(server->stats().nxdomain == 2);
}

TEST_CASE("DnsServer: SetServices changes the answers for the next query") {
  auto server = StartServer(LocalOptions({}));
  CHECK(Contains(Dig(server->port(), "api.default.prisn.local A"), "status: NXDOMAIN"));
  server->SetServices(TwoServices());
  CHECK(Dig(server->port(), "+short api.default.prisn.local A") == "127.77.0.2\n");
  server->SetServices({{"api", "default", "127.77.0.9", 8080, true}});
  CHECK(Dig(server->port(), "+short api.default.prisn.local A") == "127.77.0.9\n");
  CHECK(Contains(Dig(server->port(), "db.data.prisn.local A"), "status: NXDOMAIN"));
}

TEST_CASE("DnsServer: names outside the zone are forwarded to the upstream, UDP and TCP") {
  DnsOptions upstream_options = LocalOptions({});
  upstream_options.zone = "upstream.test";
  auto upstream = StartServer(upstream_options);
  upstream->SetServices({{"web", "prod", "127.90.0.2", 80, true}});
  auto server = StartServer(LocalOptions({fmt::format("127.0.0.1:{}", upstream->port())}));
  server->SetServices(TwoServices());
  CHECK(Dig(server->port(), "+short web.prod.upstream.test A") == "127.90.0.2\n");
  CHECK(Dig(server->port(), "+tcp +short web.prod.upstream.test A") == "127.90.0.2\n");
  CHECK(Contains(Dig(server->port(), "gone.prod.upstream.test A"), "status: NXDOMAIN"));
  // The zone is still answered locally, not by the upstream.
  CHECK(Dig(server->port(), "+short api.default.prisn.local A") == "127.77.0.2\n");
  CHECK(server->stats().forwarded == 3);
  CHECK(server->stats().forward_failures == 0);
  CHECK(upstream->stats().queries == 3);
}

TEST_CASE("DnsServer: a forwarded reply keeps the client's query id") {
  DnsOptions upstream_options = LocalOptions({});
  upstream_options.zone = "upstream.test";
  auto upstream = StartServer(upstream_options);
  upstream->SetServices({{"web", "prod", "127.90.0.2", 80, true}});
  auto server = StartServer(LocalOptions({fmt::format("127.0.0.1:{}", upstream->port())}));
  UdpClient client(server->port());
  for (std::uint16_t id : {0x0000, 0xABCD, 0xFFFF}) {
    client.Send(QueryPacket(id, "web.prod.upstream.test", dns::rtype::kA));
    auto reply = client.Receive(std::chrono::seconds(5));
    REQUIRE(reply);
    CHECK(dns::PacketId(*reply) == id);
    auto question = dns::ParseQuestionOf(*reply);
    REQUIRE(question);
    CHECK(question->LowerName() == "web.prod.upstream.test");
  }
}

TEST_CASE("DnsServer: a refused upstream is skipped for the next one at once") {
  DnsOptions upstream_options = LocalOptions({});
  upstream_options.zone = "upstream.test";
  auto upstream = StartServer(upstream_options);
  upstream->SetServices({{"web", "prod", "127.90.0.2", 80, true}});
  int closed_port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::udp::socket probe(
        io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    closed_port = probe.local_endpoint().port();
  }
  auto options = LocalOptions(
      {fmt::format("127.0.0.1:{}", closed_port), fmt::format("127.0.0.1:{}", upstream->port())});
  options.forward_timeout = std::chrono::seconds(10);
  auto server = StartServer(options);
  const auto start = Clock::now();
  CHECK(Dig(server->port(), "+short web.prod.upstream.test A") == "127.90.0.2\n");
  CHECK(Clock::now() - start < std::chrono::seconds(3));
}

TEST_CASE("DnsServer: a silent upstream gives SERVFAIL within the timeout, UDP and TCP") {
  // Bound and listening but never reading: queries vanish, connections hang.
  boost::asio::io_context io;
  boost::asio::ip::udp::socket silent_udp(
      io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const auto port = silent_udp.local_endpoint().port();
  boost::asio::ip::tcp::acceptor silent_tcp(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  auto options = LocalOptions({fmt::format("127.0.0.1:{}", port)});
  options.forward_timeout = std::chrono::milliseconds(300);
  auto server = StartServer(options);
  for (const std::string transport : {"", "+tcp"}) {
    INFO("transport " << transport);
    const auto start = Clock::now();
    CHECK(Contains(Dig(server->port(), transport + " example.com A"), "status: SERVFAIL"));
    CHECK(Clock::now() - start < std::chrono::milliseconds(2500));
  }
  CHECK(server->stats().forward_failures == 2);
}

TEST_CASE("DnsServer: a query waiting for an upstream does not hold up local answers") {
  boost::asio::io_context io;
  boost::asio::ip::udp::socket silent(
      io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  auto options = LocalOptions({fmt::format("127.0.0.1:{}", silent.local_endpoint().port())});
  options.forward_timeout = std::chrono::seconds(4);
  auto server = StartServer(options);
  server->SetServices(TwoServices());
  UdpClient client(server->port());
  client.Send(QueryPacket(7, "example.com", dns::rtype::kA));
  client.Send(QueryPacket(8, "api.default.prisn.local", dns::rtype::kA));
  auto reply = client.Receive(std::chrono::seconds(2));
  REQUIRE(reply);
  CHECK(dns::PacketId(*reply) == 8);
  // The forwarded query's SERVFAIL follows once its upstream timed out.
  auto late = client.Receive(std::chrono::seconds(8));
  REQUIRE(late);
  CHECK(dns::PacketId(*late) == 7);
  CHECK(((*late)[3] & 0x0F) == static_cast<int>(dns::Rcode::kServFail));
}

TEST_CASE("DnsServer: garbage is dropped, malformed queries get FORMERR, service goes on") {
  auto server = StartServer(LocalOptions({}));
  server->SetServices(TwoServices());
  UdpClient client(server->port());
  client.Send({1, 2, 3, 4, 5});
  Bytes no_question{0x12, 0x34, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  client.Send(no_question);
  auto reply = client.Receive(std::chrono::seconds(2));
  REQUIRE(reply);
  CHECK(dns::PacketId(*reply) == 0x1234);
  CHECK(((*reply)[3] & 0x0F) == static_cast<int>(dns::Rcode::kFormErr));
  client.Send(QueryPacket(9, "api.default.prisn.local", dns::rtype::kA));
  auto good = client.Receive(std::chrono::seconds(2));
  REQUIRE(good);
  CHECK(dns::PacketId(*good) == 9);
  CHECK(server->stats().queries == 3);
}

TEST_CASE("DnsServer: a port already taken is a clear kIo error") {
  auto first = StartServer(LocalOptions({}));
  auto options = LocalOptions({});
  options.port = first->port();
  auto second = DnsServer::Start(options);
  REQUIRE_FALSE(second);
  CHECK(second.error().code == ErrorCode::kIo);
  CHECK(Contains(second.error().message, "already in use"));
}

TEST_CASE("DnsServer: bad addresses and upstreams are kInvalid") {
  auto options = LocalOptions({});
  options.listen_address = "localhost";
  auto bad_address = DnsServer::Start(options);
  REQUIRE_FALSE(bad_address);
  CHECK(bad_address.error().code == ErrorCode::kInvalid);
  auto bad_upstream = DnsServer::Start(LocalOptions({"not an address"}));
  REQUIRE_FALSE(bad_upstream);
  CHECK(bad_upstream.error().code == ErrorCode::kInvalid);
}

}  // namespace prisn::net

namespace prisn::net {

TEST_CASE("DnsServer: stopping with a forward in flight and a TCP client connected is clean") {
  boost::asio::io_context io;
  boost::asio::ip::udp::socket silent(
      io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  auto options = LocalOptions({fmt::format("127.0.0.1:{}", silent.local_endpoint().port())});
  options.forward_timeout = std::chrono::seconds(30);
  auto server = StartServer(options);
  boost::asio::ip::tcp::socket client(io);
  client.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                static_cast<std::uint16_t>(server->port())));
  UdpClient udp(server->port());
  udp.Send(QueryPacket(1, "example.com", dns::rtype::kA));
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (server->stats().forwarded == 0 && Clock::now() < deadline) std::this_thread::yield();
  REQUIRE(server->stats().forwarded == 1);
  const auto start = Clock::now();
  server.reset();
  CHECK(Clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("DnsServer: SetServices from another thread while queries are answered") {
  auto server = StartServer(LocalOptions({}));
  server->SetServices(TwoServices());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      auto services = TwoServices();
      services[1].address = fmt::format("127.77.1.{}", 1 + i % 200);
      server->SetServices(std::move(services));
    }
  });
  UdpClient client(server->port());
  int answered = 0;
  for (std::uint16_t id = 0; id < 50; ++id) {
    client.Send(QueryPacket(id, "api.default.prisn.local", dns::rtype::kA));
    if (auto reply = client.Receive(std::chrono::seconds(2)); reply && dns::PacketId(*reply) == id)
      ++answered;
  }
  stop = true;
  writer.join();
  CHECK(answered == 50);
}

}  // namespace prisn::net
