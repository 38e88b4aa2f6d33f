#include "net/service_address.h"

#include <catch2/catch.hpp>

namespace prisn::net {

const std::uint32_t kBase = *ParseServiceRange(kDefaultServiceRange);

TEST_CASE("NextServiceAddress: empty store gets the first address after the DNS server") {
  auto a = NextServiceAddress(kBase, {});
  REQUIRE(a);
  CHECK(*a == "127.77.0.2");
}

TEST_CASE("NextServiceAddress: taken addresses and .255 are skipped") {
  std::set<std::string> taken;
  for (int i = 2; i <= 254; ++i) taken.insert("127.77.0." + std::to_string(i));
  auto a = NextServiceAddress(kBase, taken);
  REQUIRE(a);
  CHECK(*a == "127.77.1.1");
  taken.erase("127.77.0.9");
  CHECK(*NextServiceAddress(kBase, taken) == "127.77.0.9");
}

TEST_CASE("ParseIpv4: rejects malformed text and round-trips valid addresses") {
  CHECK_FALSE(ParseIpv4("127.0.0"));
  CHECK_FALSE(ParseIpv4("127.0.0.256"));
  CHECK_FALSE(ParseIpv4("127.0.0.1x"));
  CHECK_FALSE(ParseIpv4(""));
  auto v = ParseIpv4("127.77.3.4");
  REQUIRE(v);
  CHECK(FormatIpv4(*v) == "127.77.3.4");
}


TEST_CASE("ParseServiceRange: only 127.N.0.0 with N from 1 to 254 is a range") {
  CHECK(ParseServiceRange("127.90.0.0"));
  CHECK_FALSE(ParseServiceRange("127.0.0.0"));
  CHECK_FALSE(ParseServiceRange("127.90.1.0"));
  CHECK_FALSE(ParseServiceRange("10.90.0.0"));
  CHECK(DnsAddress(*ParseServiceRange("127.90.0.0")) == "127.90.0.1");
}

}  // namespace prisn::net
