#pragma once
// A bare listening socket on 127.0.0.1 at a port the kernel picked, for tests
// of clients (probes, the HTTP client) that need something to connect to.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "util/unique_fd.h"

namespace prisn::testing {

struct Listener {
  Listener() {
    fd = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd.Get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd.Get(), 16) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd.Get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }
  UniqueFd fd;
  int port = 0;
};

}  // namespace prisn::testing
