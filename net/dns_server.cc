#include "net/dns_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <functional>
#include <thread>

#include "net/dns_forward.h"
#include "net/dns_resolv.h"
#include "util/files.h"
#include "util/log_throttle.h"
#include "util/synchronized.h"

namespace prisn::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;

constexpr std::size_t kMaxTcpConnections = 128;
constexpr std::chrono::seconds kTcpIdle{10};

using Reply = std::function<void(std::vector<std::uint8_t>)>;

Error BindError(const std::string& what, const std::string& address, int port,
                const error_code& ec) {
  const auto where = fmt::format("{}:{}", address, port);
  if (ec == asio::error::address_in_use)
    return Error{ErrorCode::kIo,
                 fmt::format("{} {} is already in use (another DNS server or prisn daemon?); "
                             "choose another address or port",
                             what, where),
                 where};
  if (ec == asio::error::access_denied)
    return Error{ErrorCode::kIo,
                 fmt::format("binding {} {} needs root or CAP_NET_BIND_SERVICE; "
                             "run as root or choose a port above 1023",
                             what, where),
                 where};
  if (ec == boost::system::errc::address_not_available)
    return Error{ErrorCode::kIo, fmt::format("{} is not an address of this host", address), where};
  return Error{ErrorCode::kIo, fmt::format("binding {} {}: {}", what, where, ec.message()), where};
}

Result<std::vector<udp::endpoint>> Upstreams(const DnsOptions& options,
                                             const asio::ip::address& self) {
  std::vector<std::string> texts = options.upstreams;
  const bool from_host = texts.empty();
  if (from_host) {
    if (auto conf = ReadFile("/etc/resolv.conf")) texts = NameserversFromResolvConf(*conf);
  }
  std::vector<udp::endpoint> out;
  for (const auto& text : texts) {
    auto upstream = ParseDnsUpstream(text);
    if (!upstream) {
      if (from_host) continue;  // the host's file is not ours to reject
      return std::unexpected(upstream.error());
    }
    udp::endpoint ep(asio::ip::make_address(upstream->address),
                     static_cast<std::uint16_t>(upstream->port));
    // Asking ourselves would loop until every query timed out.
    if (ep.address() == self && (from_host || ep.port() == options.port)) {
      if (from_host) continue;
      return Fail(ErrorCode::kInvalid, "the DNS server cannot forward to itself", text);
    }
    out.push_back(ep);
  }
  return out;
}

}  // namespace

struct DnsServer::Impl {
  explicit Impl(DnsOptions o) : options(std::move(o)) {}

  void Handle(std::span<const std::uint8_t> packet, bool over_tcp, Reply reply);
  void ReceiveUdp();
  void Accept();

  DnsOptions options;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  udp::socket udp_socket{io};
  tcp::acceptor acceptor{io};
  // After an accept error (out of descriptors): the pause before the next
  // try, doubling from 100 ms to 1 s, and the log lines about it and about
  // refused clients, at a bounded rate.
  asio::steady_timer accept_retry{io};
  std::chrono::milliseconds accept_pause{0};
  LogThrottle accept_log, refuse_log;
  std::unique_ptr<DnsForwarder> forwarder;
  Synchronized<std::shared_ptr<const DnsZone>> zone;
  std::atomic<std::uint32_t> serial{1};
  std::vector<std::uint8_t> datagram = std::vector<std::uint8_t>(65535);
  udp::endpoint sender;
  std::shared_ptr<std::size_t> tcp_connections = std::make_shared<std::size_t>(0);
  int port = 0;
  std::atomic<std::uint64_t> queries{0}, answered{0}, nxdomain{0}, forwarded{0},
      forward_failures{0};
  std::thread thread;
};

namespace {

// One TCP client: length-prefixed messages in, replies out in the order they
// are ready (a forwarded query may finish after a local one behind it).
class TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(tcp::socket socket, DnsServer::Impl& server)
      : socket_(std::move(socket)),
        idle_(socket_.get_executor()),
        server_(server),
        count_(server.tcp_connections) {
    ++*count_;
  }
  ~TcpSession() { --*count_; }

  void ReadLength() {
    idle_.expires_after(kTcpIdle);
    idle_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->Close();
    });
    asio::async_read(
        socket_, asio::buffer(length_), [self = shared_from_this()](error_code ec, std::size_t) {
          if (ec) return self->Close();
          const std::size_t n = (std::size_t{self->length_[0]} << 8) | self->length_[1];
          if (n == 0) return self->Close();
          self->message_.resize(n);
          self->ReadMessage();
        });
  }

 private:
  void ReadMessage() {
    asio::async_read(
        socket_, asio::buffer(message_), [self = shared_from_this()](error_code ec, std::size_t) {
          if (ec) return self->Close();
          self->server_.Handle(self->message_, true,
                               [self](std::vector<std::uint8_t> r) { self->Send(std::move(r)); });
          self->ReadLength();
        });
  }

  void Send(std::vector<std::uint8_t> reply) {
    if (!socket_.is_open()) return;
    std::vector<std::uint8_t> framed{static_cast<std::uint8_t>(reply.size() >> 8),
                                     static_cast<std::uint8_t>(reply.size())};
    framed.insert(framed.end(), reply.begin(), reply.end());
    writes_.push_back(std::move(framed));
    if (writes_.size() == 1) WriteNext();
  }

  void WriteNext() {
    asio::async_write(socket_, asio::buffer(writes_.front()),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        if (ec) return self->Close();
                        self->writes_.pop_front();
                        if (!self->writes_.empty()) self->WriteNext();
                      });
  }

  void Close() {
    error_code ignored;
    idle_.cancel();
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer idle_;
  DnsServer::Impl& server_;
  std::shared_ptr<std::size_t> count_;
  std::array<std::uint8_t, 2> length_{};
  std::vector<std::uint8_t> message_;
  std::deque<std::vector<std::uint8_t>> writes_;
};

}  // namespace

void DnsServer::Impl::Handle(std::span<const std::uint8_t> packet, bool over_tcp, Reply reply) {
  ++queries;
  auto query = dns::ParseQuery(packet);
  if (!query) {
    spdlog::debug("dns: bad query: {}", query.error().reason);
    if (auto r = dns::BuildErrorReply(packet, query.error().rcode); !r.empty()) reply(std::move(r));
    return;
  }
  const std::size_t limit = over_tcp ? 65535 : dns::MaxUdpResponseSize(*query);
  auto current = zone.With([](const auto& z) { return z; });
  if (auto response = current->Answer(*query)) {
    ++answered;
    if (response->rcode == dns::Rcode::kNxDomain) ++nxdomain;
    reply(dns::BuildResponse(*query, *response, limit));
    return;
  }
  ++forwarded;
  forwarder->Forward(std::vector<std::uint8_t>(packet.begin(), packet.end()), query->question,
                     over_tcp,
                     [this, q = *query, limit,
                      reply = std::move(reply)](std::optional<std::vector<std::uint8_t>> upstream) {
                       if (upstream) return reply(std::move(*upstream));
                       ++forward_failures;
                       dns::Response servfail;
                       servfail.rcode = dns::Rcode::kServFail;
                       reply(dns::BuildResponse(q, servfail, limit));
                     });
}

void DnsServer::Impl::ReceiveUdp() {
  udp_socket.async_receive_from(
      asio::buffer(datagram), sender, [this](error_code ec, std::size_t n) {
        if (ec == asio::error::operation_aborted || !udp_socket.is_open()) return;
        // Other errors (an ICMP error for an earlier reply) concern one datagram.
        if (!ec) {
          Handle(std::span<const std::uint8_t>(datagram.data(), n), false,
                 [this, to = sender](std::vector<std::uint8_t> r) {
                   auto buffer = std::make_shared<std::vector<std::uint8_t>>(std::move(r));
                   udp_socket.async_send_to(asio::buffer(*buffer), to,
                                            [buffer](error_code, std::size_t) {});
                 });
        }
        ReceiveUdp();
      });
}

void DnsServer::Impl::Accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec && ec != asio::error::connection_aborted) {
      // Retrying at once would fail at once: a spinning loop.
      accept_pause = std::clamp(accept_pause * 2, std::chrono::milliseconds(100),
                                std::chrono::milliseconds(1000));
      std::uint64_t suppressed = 0;
      if (accept_log.Allow(&suppressed)) {
        spdlog::warn("dns: TCP accept failed: {}; pausing {} ms ({} more since the last report)",
                     ec.message(), accept_pause.count(), suppressed);
      }
      accept_retry.expires_after(accept_pause);
      accept_retry.async_wait([this](error_code e) {
        if (!e && acceptor.is_open()) Accept();
      });
      return;
    }
    if (!ec) {
      accept_pause = std::chrono::milliseconds(0);
      std::uint64_t suppressed = 0;
      if (*tcp_connections >= kMaxTcpConnections) {
        if (refuse_log.Allow(&suppressed)) {
          spdlog::warn("dns: {} TCP clients already connected, refusing one ({} more refused "
                       "since the last report)",
                       *tcp_connections, suppressed);
        }
      } else {
        std::make_shared<TcpSession>(std::move(socket), *this)->ReadLength();
      }
    }
    Accept();
  });
}

Result<std::unique_ptr<DnsServer>> DnsServer::Start(DnsOptions options) {
  error_code ec;
  const auto address = asio::ip::make_address(options.listen_address, ec);
  if (ec)
    return Fail(ErrorCode::kInvalid, "the DNS listen address is not an IP address",
                options.listen_address);
  if (options.port < 0 || options.port > 65535)
    return Fail(ErrorCode::kInvalid, "the DNS port must be 0..65535", std::to_string(options.port));
  if (options.zone.empty() || options.ttl_seconds < 0)
    return Fail(ErrorCode::kInvalid, "the DNS zone needs a name and a TTL >= 0", options.zone);
  auto upstreams = Upstreams(options, address);
  if (!upstreams) return std::unexpected(upstreams.error());

  auto impl = std::make_unique<Impl>(options);
  // With port 0 the kernel picks the UDP port; TCP must get the same one, so
  // a port whose TCP side is taken is given back and another one tried.
  for (int tries = 0;; ++tries) {
    error_code ignored;
    impl->udp_socket.close(ignored);
    impl->acceptor.close(ignored);
    impl->udp_socket.open(address.is_v4() ? udp::v4() : udp::v6(), ec);
    if (!ec)
      impl->udp_socket.bind(udp::endpoint(address, static_cast<std::uint16_t>(options.port)), ec);
    if (ec) return std::unexpected(BindError("UDP", options.listen_address, options.port, ec));
    const auto port = impl->udp_socket.local_endpoint().port();
    impl->acceptor.open(address.is_v4() ? tcp::v4() : tcp::v6(), ec);
    if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) impl->acceptor.bind(tcp::endpoint(address, port), ec);
    if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) {
      impl->port = port;
      break;
    }
    if (options.port != 0 || ec != asio::error::address_in_use || tries >= 20)
      return std::unexpected(BindError("TCP", options.listen_address, port, ec));
  }
  const auto ttl = static_cast<std::uint32_t>(options.ttl_seconds);
  impl->zone.With([&](auto& z) {
    z = std::make_shared<const DnsZone>(options.zone, ttl, 1, std::vector<DnsService>{});
  });
  impl->forwarder = std::make_unique<DnsForwarder>(impl->io, *upstreams, options.forward_timeout);
  std::string upstream_list;
  for (const auto& ep : *upstreams)
    upstream_list += (upstream_list.empty() ? "" : ", ") +
                     fmt::format("{}:{}", ep.address().to_string(), ep.port());
  spdlog::info("dns: serving {} on {}:{} (udp, tcp); other names go to {}", options.zone,
               options.listen_address, impl->port,
               upstream_list.empty() ? "no upstream (SERVFAIL)" : upstream_list);
  impl->ReceiveUdp();
  impl->Accept();
  impl->thread = std::thread([io = &impl->io] { io->run(); });
  return std::unique_ptr<DnsServer>(new DnsServer(std::move(impl)));
}

DnsServer::DnsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DnsServer::~DnsServer() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void DnsServer::SetServices(std::vector<DnsService> services) {
  const auto serial = ++impl_->serial;
  auto next = std::make_shared<const DnsZone>(
      impl_->options.zone, static_cast<std::uint32_t>(impl_->options.ttl_seconds), serial,
      services);
  impl_->zone.With([&](auto& z) { z = std::move(next); });
}

int DnsServer::port() const { return impl_->port; }

std::string DnsServer::address() const { return impl_->options.listen_address; }

DnsServer::Stats DnsServer::stats() const {
  return Stats{impl_->queries.load(), impl_->answered.load(), impl_->nxdomain.load(),
               impl_->forwarded.load(), impl_->forward_failures.load()};
}

}  // namespace prisn::net
