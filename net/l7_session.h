#pragma once
// The client side of an L7 listener: reads HTTP/1.x requests from one
// connection (keep-alive, "Expect: 100-continue", TLS when the site has a
// context), hands each to Forward and writes the answers back in order.

#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "net/l7_forward.h"

namespace prisn::net {

// Spawns the session on the socket's own loop (`worker`); it owns the socket.
void StartL7Session(boost::asio::ip::tcp::socket client, int worker,
                    std::shared_ptr<L7Site> site);

}  // namespace prisn::net
