#include "net/dns_forward.h"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace prisn::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;

// One forwarded query, kept alive by the handlers waiting on its sockets.
// Every try gets a generation number; handlers of an abandoned try see a
// different generation and do nothing.
class Attempt : public std::enable_shared_from_this<Attempt> {
 public:
  Attempt(asio::io_context& io, std::vector<udp::endpoint> upstreams,
          std::chrono::milliseconds timeout, std::vector<std::uint8_t> packet,
          std::uint16_t client_id, dns::Question question, bool tcp, DnsForwarder::Done done,
          std::shared_ptr<std::size_t> in_flight)
      : upstreams_(std::move(upstreams)),
        timeout_(timeout),
        packet_(std::move(packet)),
        client_id_(client_id),
        question_(std::move(question)),
        tcp_(tcp),
        done_(std::move(done)),
        in_flight_(std::move(in_flight)),
        udp_(io),
        tcp_socket_(io),
        timer_(io) {
    ++*in_flight_;
  }
  ~Attempt() { --*in_flight_; }

  void Next() {
    Abandon();
    if (index_ >= upstreams_.size()) return Finish(std::nullopt);
    const auto upstream = upstreams_[index_++];
    const auto generation = ++generation_;
    timer_.expires_after(timeout_);
    timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
      if (ec || generation != self->generation_) return;
      spdlog::debug("dns: upstream timed out");
      self->Next();
    });
    if (tcp_)
      TryTcp(tcp::endpoint(upstream.address(), upstream.port()), generation);
    else
      TryUdp(upstream, generation);
  }

 private:
  void Abandon() {
    error_code ignored;
    timer_.cancel();
    udp_.close(ignored);
    tcp_socket_.close(ignored);
  }

  void Finish(std::optional<std::vector<std::uint8_t>> reply) {
    if (finished_) return;
    finished_ = true;
    ++generation_;
    Abandon();
    if (reply) dns::SetPacketId(*reply, client_id_);
    auto done = std::move(done_);
    done(std::move(reply));
  }

  bool Accept(std::span<const std::uint8_t> reply) const {
    return dns::IsReplyTo(reply, dns::PacketId(packet_), question_);
  }

  void TryUdp(const udp::endpoint& upstream, std::uint64_t generation) {
    error_code ec;
    udp_.open(upstream.protocol(), ec);
    // A connected socket hears only the upstream, and learns at once when
    // nothing listens there (ICMP port unreachable -> connection_refused).
    if (!ec) udp_.connect(upstream, ec);
    if (ec) return FailTry(generation, ec);
    buffer_.resize(65535);
    udp_.async_send(asio::buffer(packet_),
                    [self = shared_from_this(), generation](error_code ec, std::size_t) {
                      if (ec) self->FailTry(generation, ec);
                    });
    ReceiveUdp(generation);
  }

  void ReceiveUdp(std::uint64_t generation) {
    udp_.async_receive(asio::buffer(buffer_),
                       [self = shared_from_this(), generation](error_code ec, std::size_t n) {
                         if (generation != self->generation_) return;
                         if (ec) return self->FailTry(generation, ec);
                         std::span<const std::uint8_t> reply(self->buffer_.data(), n);
                         // A stray or spoofed datagram is ignored; the real answer may follow.
                         if (!self->Accept(reply)) return self->ReceiveUdp(generation);
                         self->Finish(std::vector<std::uint8_t>(reply.begin(), reply.end()));
                       });
  }

  void TryTcp(const tcp::endpoint& upstream, std::uint64_t generation) {
    tcp_socket_.async_connect(upstream, [self = shared_from_this(), generation](error_code ec) {
      if (generation != self->generation_) return;
      if (ec) return self->FailTry(generation, ec);
      self->frame_.resize(2 + self->packet_.size());
      self->frame_[0] = static_cast<std::uint8_t>(self->packet_.size() >> 8);
      self->frame_[1] = static_cast<std::uint8_t>(self->packet_.size());
      std::copy(self->packet_.begin(), self->packet_.end(), self->frame_.begin() + 2);
      asio::async_write(self->tcp_socket_, asio::buffer(self->frame_),
                        [self, generation](error_code ec, std::size_t) {
                          if (generation != self->generation_) return;
                          if (ec) return self->FailTry(generation, ec);
                          self->ReadTcpLength(generation);
                        });
    });
  }

  void ReadTcpLength(std::uint64_t generation) {
    asio::async_read(
        tcp_socket_, asio::buffer(length_),
        [self = shared_from_this(), generation](error_code ec, std::size_t) {
          if (generation != self->generation_) return;
          if (ec) return self->FailTry(generation, ec);
          self->buffer_.resize((std::size_t{self->length_[0]} << 8) | self->length_[1]);
          asio::async_read(self->tcp_socket_, asio::buffer(self->buffer_),
                           [self, generation](error_code ec, std::size_t) {
                             if (generation != self->generation_) return;
                             if (ec || !self->Accept(self->buffer_))
                               return self->FailTry(generation, ec);
                             self->Finish(std::move(self->buffer_));
                           });
        });
  }

  void FailTry(std::uint64_t generation, const error_code& ec) {
    if (generation != generation_ || finished_) return;
    spdlog::debug("dns: upstream failed: {}", ec ? ec.message() : "reply does not match");
    Next();
  }

  std::vector<udp::endpoint> upstreams_;
  std::chrono::milliseconds timeout_;
  std::vector<std::uint8_t> packet_;
  std::uint16_t client_id_;
  dns::Question question_;
  bool tcp_;
  DnsForwarder::Done done_;
  std::shared_ptr<std::size_t> in_flight_;
  udp::socket udp_;
  tcp::socket tcp_socket_;
  asio::steady_timer timer_;
  std::vector<std::uint8_t> buffer_;
  std::vector<std::uint8_t> frame_;
  std::array<std::uint8_t, 2> length_{};
  std::size_t index_ = 0;
  std::uint64_t generation_ = 0;
  bool finished_ = false;
};

}  // namespace

DnsForwarder::DnsForwarder(asio::io_context& io, std::vector<udp::endpoint> upstreams,
                           std::chrono::milliseconds timeout, std::size_t max_in_flight)
    : io_(io), upstreams_(std::move(upstreams)), timeout_(timeout), max_in_flight_(max_in_flight) {}

void DnsForwarder::Forward(std::vector<std::uint8_t> query, const dns::Question& question, bool tcp,
                           Done done) {
  if (upstreams_.empty() || *in_flight_ >= max_in_flight_) {
    if (!upstreams_.empty())
      spdlog::warn("dns: {} queries already forwarded, failing one", *in_flight_);
    return done(std::nullopt);
  }
  const auto client_id = dns::PacketId(query);
  // A fresh id the upstream must echo: with the random source port, it is
  // what makes a spoofed answer hard to slip in.
  dns::SetPacketId(query, static_cast<std::uint16_t>(random_()));
  auto attempt = std::make_shared<Attempt>(io_, upstreams_, timeout_, std::move(query), client_id,
                                           question, tcp, std::move(done), in_flight_);
  attempt->Next();
}

}  // namespace prisn::net
