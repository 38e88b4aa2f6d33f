#pragma once
// The DNS wire format (RFC 1035), as much as prisn's DNS server needs: a
// strictly bounds-checked parser of queries and a builder of responses. Pure
// functions; nothing here touches a socket.
//
// Parsing never reads outside the packet it is given. A compression pointer
// must lead past the header and before the start of the name (or name part)
// that holds it, so a pointer loop cannot exist; names are limited to 255
// bytes on the wire.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace prisn::net::dns {

inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kClassicUdpSize = 512;  // without EDNS (RFC 1035)
inline constexpr std::uint16_t kOurUdpSize = 1232;   // what we announce in EDNS

namespace rtype {
inline constexpr std::uint16_t kA = 1;
inline constexpr std::uint16_t kNs = 2;
inline constexpr std::uint16_t kSoa = 6;
inline constexpr std::uint16_t kAaaa = 28;
inline constexpr std::uint16_t kSrv = 33;
inline constexpr std::uint16_t kOpt = 41;
inline constexpr std::uint16_t kIxfr = 251;
inline constexpr std::uint16_t kAxfr = 252;
inline constexpr std::uint16_t kAny = 255;
}  // namespace rtype
inline constexpr std::uint16_t kClassIn = 1;
inline constexpr std::uint16_t kClassAny = 255;

enum class Rcode : std::uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
};

struct Question {
  // Labels as sent, case kept: resolvers that randomise case (0x20) check
  // that the reply echoes it.
  std::vector<std::string> labels;
  std::uint16_t type = 0;
  std::uint16_t qclass = 0;

  // "api.default.prisn.local" in lower case, "" for the root.
  std::string LowerName() const;
};

struct Query {
  std::uint16_t id = 0;
  std::uint8_t opcode = 0;
  bool recursion_desired = false;
  Question question;
  // Set when the query carried an EDNS OPT record: the UDP payload size it
  // announced.
  std::optional<std::uint16_t> edns_udp_size;
};

struct ParseError {
  Rcode rcode = Rcode::kFormErr;  // kFormErr, or kNotImp for opcodes other than QUERY
  std::string reason;
};

// A query with exactly one question; answer, authority and additional
// sections are walked (and must be well formed) but only an EDNS OPT record
// in the additional section is kept. Trailing bytes are an error.
std::expected<Query, ParseError> ParseQuery(std::span<const std::uint8_t> packet);

// The question of a response (used to match an upstream's reply to what was
// asked). nullopt when the packet is malformed or has no single question.
std::optional<Question> ParseQuestionOf(std::span<const std::uint8_t> packet);

// True when `reply` is a response with `id` to the question `question`
// (names compared case-insensitively).
bool IsReplyTo(std::span<const std::uint8_t> reply, std::uint16_t id, const Question& question);

// Reads or rewrites the id of a packet that has at least a header.
std::uint16_t PacketId(std::span<const std::uint8_t> packet);
void SetPacketId(std::vector<std::uint8_t>& packet, std::uint16_t id);

struct Record {
  std::string name;  // dotted, no trailing dot; "" is the root
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  std::vector<std::uint8_t> rdata;
};

Record MakeA(std::string name, std::uint32_t ipv4_host_order, std::uint32_t ttl);
// The target is written uncompressed, as RFC 2782 asks.
Record MakeSrv(std::string name, std::uint16_t priority, std::uint16_t weight, std::uint16_t port,
               const std::string& target, std::uint32_t ttl);
// A small static SOA for `zone`; its minimum (the negative-caching TTL) and
// its own TTL are `ttl`.
Record MakeSoa(const std::string& zone, std::uint32_t serial, std::uint32_t ttl);

struct Response {
  Rcode rcode = Rcode::kNoError;
  bool authoritative = false;
  std::vector<Record> answers;
  std::vector<Record> authority;
  std::vector<Record> additional;
};

// The wire form of `response` to `query`: id, opcode, RD and the question are
// echoed, RA is set, and an OPT record is added when the query had one. When
// the result would exceed `max_size` bytes, the records are left out and TC is
// set so that the client retries over TCP. Owner names are compressed.
std::vector<std::uint8_t> BuildResponse(const Query& query, const Response& response,
                                        std::size_t max_size);

// The largest UDP reply `query` accepts: 512, or its EDNS size (at least 512,
// at most ours).
std::size_t MaxUdpResponseSize(const Query& query);

// A header-only reply with `rcode` (FORMERR, NOTIMP) to a packet that did not
// parse. Empty when the packet cannot carry a reply (shorter than a header, or
// itself a response): the caller drops it.
std::vector<std::uint8_t> BuildErrorReply(std::span<const std::uint8_t> packet, Rcode rcode);

}  // namespace prisn::net::dns
