// The connection bounds the daemon derives from its open-file limit
// (server/http_server.h ConnectionLimits).
#include "server/http_server.h"

#include <catch2/catch.hpp>

namespace prisn::server {
namespace {

TEST_CASE("ConnectionLimits: defaults follow the open-file limit and keep half of it in reserve") {
  struct Case {
    int total, per_peer;
    uint64_t open_files;
    int want_total, want_per_peer;
  };
  for (const Case& c : std::vector<Case>{
           {0, 0, 1024, 128, 32},        // a plain shell's limit
           {0, 0, 65536, 4096, 1024},    // docs/prisn.service
           {0, 0, 64, 16, 4},            // the floor
           {0, 0, uint64_t{1} << 20, 4096, 1024},
           {50, 0, 1024, 50, 12},        // per peer: a quarter of the total
           {50, 20, 1024, 50, 20},
           {8, 0, 1024, 8, 4},           // at least 4 per peer...
           {3, 0, 1024, 3, 3},           // ...but never above the total
           {512, 0, 1024, 512, 128}}) {  // exactly half the limit
    INFO(c.total << " / " << c.per_peer << " at " << c.open_files);
    auto o = ConnectionLimits(c.total, c.per_peer, c.open_files);
    REQUIRE(o);
    CHECK(o->max_connections == c.want_total);
    CHECK(o->max_connections_per_peer == c.want_per_peer);
  }
}

TEST_CASE("ConnectionLimits: asking for more than half the open-file limit is refused, saying how "
          "to fix it") {
  auto over = ConnectionLimits(513, 0, 1024);
  REQUIRE(!over);
  CHECK(over.error().code == ErrorCode::kInvalid);
  CHECK(over.error().message.find("ulimit -n") != std::string::npos);
  CHECK(over.error().message.find("1026") != std::string::npos);
  auto per_peer = ConnectionLimits(50, 51, 1024);
  REQUIRE(!per_peer);
  CHECK(per_peer.error().message.find("--max-connections-per-peer") != std::string::npos);
}

}  // namespace
}  // namespace prisn::server
