#pragma once
// L4 (TCP) proxying of one accepted connection: connect to an upstream from
// the pool (by the service's algorithm, round robin by default; on a refused
// or failed connect, the next upstream, each at most once) and copy bytes both ways until both sides are done. A
// half-close is passed on, so request/response protocols that shut down
// their sending side still get their answer.

#include <memory>

#include <boost/asio/ip/tcp.hpp>

namespace prisn::net {

class ServicePool;

// Spawns the session on the socket's own loop; it owns the socket. The
// upstream counts the connection as active until both sides are closed.
void StartL4Session(boost::asio::ip::tcp::socket client, std::shared_ptr<ServicePool> pool);

}  // namespace prisn::net
