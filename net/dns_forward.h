#pragma once
// Forwarding of names outside prisn's zone to the host's resolvers. Each
// query gets its own socket and a fresh random id, so answers cannot be
// mixed up between queries and other queries never wait for it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "net/dns_message.h"

namespace prisn::net {

class DnsForwarder {
 public:
  // The upstream's reply with the client's id restored, or nullopt when no
  // upstream answered.
  using Done = std::function<void(std::optional<std::vector<std::uint8_t>>)>;

  // At most `max_in_flight` queries wait for upstreams at once; more fail at
  // once rather than exhaust file descriptors.
  DnsForwarder(boost::asio::io_context& io, std::vector<boost::asio::ip::udp::endpoint> upstreams,
               std::chrono::milliseconds timeout, std::size_t max_in_flight = 1024);

  // Must be called on the io_context's thread; `done` runs there exactly
  // once, unless the io_context is destroyed first. `query` is the raw query
  // (already parsed as `question`). The upstreams are tried in order, each
  // for at most the timeout (a refused one is skipped at once); over TCP
  // when `tcp`, since the reply may not fit a datagram.
  void Forward(std::vector<std::uint8_t> query, const dns::Question& question, bool tcp, Done done);

  std::size_t in_flight() const { return *in_flight_; }
  const std::vector<boost::asio::ip::udp::endpoint>& upstreams() const { return upstreams_; }

 private:
  boost::asio::io_context& io_;
  std::vector<boost::asio::ip::udp::endpoint> upstreams_;
  std::chrono::milliseconds timeout_;
  std::size_t max_in_flight_;
  // Shared with the queries in flight, which may outlive the forwarder while
  // the io_context tears down.
  std::shared_ptr<std::size_t> in_flight_ = std::make_shared<std::size_t>(0);
  std::mt19937 random_{std::random_device{}()};
};

}  // namespace prisn::net
