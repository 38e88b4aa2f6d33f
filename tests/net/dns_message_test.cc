#include "net/dns_message.h"

#include <catch2/catch.hpp>
#include <random>

namespace prisn::net::dns {
namespace {

using Bytes = std::vector<std::uint8_t>;

void Put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

void PutName(Bytes& b, const std::string& name) {
  std::size_t start = 0;
  while (start < name.size()) {
    auto dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    b.push_back(static_cast<std::uint8_t>(dot - start));
    b.insert(b.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
             name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  b.push_back(0);
}

Bytes Header(std::uint16_t id, std::uint16_t flags, std::uint16_t qd, std::uint16_t an,
             std::uint16_t ns, std::uint16_t ar) {
  Bytes b;
  for (auto v : {id, flags, qd, an, ns, ar}) Put16(b, v);
  return b;
}

void PutOpt(Bytes& b, std::uint16_t size) {
  b.push_back(0);
  Put16(b, rtype::kOpt);
  Put16(b, size);
  Put16(b, 0);
  Put16(b, 0);
  Put16(b, 0);
}

// A well-formed query as dig sends it (RD set), optionally with EDNS.
Bytes QueryPacket(const std::string& name, std::uint16_t type, std::uint16_t id = 0x1234,
                  std::optional<std::uint16_t> edns = std::nullopt) {
  Bytes b = Header(id, 0x0100, 1, 0, 0, edns ? 1 : 0);
  PutName(b, name);
  Put16(b, type);
  Put16(b, kClassIn);
  if (edns) PutOpt(b, *edns);
  return b;
}

std::uint16_t At16(const Bytes& b, std::size_t at) {
  return static_cast<std::uint16_t>((b.at(at) << 8) | b.at(at + 1));
}

}  // namespace

TEST_CASE("ParseQuery: a plain query yields its id, flags and question with case kept") {
  auto q = ParseQuery(QueryPacket("Api.Default.prisn.LOCAL", rtype::kA));
  REQUIRE(q);
  CHECK(q->id == 0x1234);
  CHECK(q->opcode == 0);
  CHECK(q->recursion_desired);
  CHECK(q->question.labels == std::vector<std::string>{"Api", "Default", "prisn", "LOCAL"});
  CHECK(q->question.LowerName() == "api.default.prisn.local");
  CHECK(q->question.type == rtype::kA);
  CHECK(q->question.qclass == kClassIn);
  CHECK_FALSE(q->edns_udp_size);
}

TEST_CASE("ParseQuery: an EDNS OPT record in the additional section gives the UDP size") {
  auto q = ParseQuery(QueryPacket("example.com", rtype::kAaaa, 7, 4096));
  REQUIRE(q);
  REQUIRE(q->edns_udp_size);
  CHECK(*q->edns_udp_size == 4096);
  CHECK(MaxUdpResponseSize(*q) == kOurUdpSize);
  auto small = ParseQuery(QueryPacket("example.com", rtype::kA, 7, 100));
  REQUIRE(small);
  CHECK(MaxUdpResponseSize(*small) == kClassicUdpSize);
}

TEST_CASE("ParseQuery: the root name parses as no labels") {
  auto q = ParseQuery(QueryPacket("", rtype::kNs));
  REQUIRE(q);
  CHECK(q->question.labels.empty());
  CHECK(q->question.LowerName().empty());
}

TEST_CASE("ParseQuery: a compressed name in the additional section pointing back is accepted") {
  Bytes b = Header(1, 0, 1, 0, 0, 1);
  PutName(b, "a.example");
  Put16(b, rtype::kA);
  Put16(b, kClassIn);
  b.push_back(0xC0);  // owner: pointer to the question name
  b.push_back(12);
  Put16(b, rtype::kA);
  Put16(b, kClassIn);
  Put16(b, 0);
  Put16(b, 0);
  Put16(b, 4);
  for (int i = 0; i < 4; ++i) b.push_back(1);
  CHECK(ParseQuery(b));
}

namespace {

struct BadCase {
  const char* what;
  Bytes packet;
  Rcode rcode;
  bool droppable;  // BuildErrorReply gives nothing: no reply at all
};

std::vector<BadCase> BadPackets() {
  std::vector<BadCase> cases;
  cases.push_back({"empty", {}, Rcode::kFormErr, true});
  cases.push_back({"short header", Bytes(11, 0), Rcode::kFormErr, true});
  {
    Bytes b = QueryPacket("a.example", rtype::kA);
    b[2] |= 0x80;  // QR: a response
    cases.push_back({"a response", b, Rcode::kFormErr, true});
  }
  {
    Bytes b = QueryPacket("a.example", rtype::kA);
    b[2] |= 2 << 3;  // opcode STATUS
    cases.push_back({"opcode status", b, Rcode::kNotImp, false});
  }
  cases.push_back({"no question", Header(1, 0, 0, 0, 0, 0), Rcode::kFormErr, false});
  {
    Bytes b = Header(1, 0, 2, 0, 0, 0);
    for (int i = 0; i < 2; ++i) {
      PutName(b, "a.example");
      Put16(b, 1);
      Put16(b, 1);
    }
    cases.push_back({"two questions", b, Rcode::kFormErr, false});
  }
  {
    Bytes b = Header(1, 0, 1, 0, 0, 0);
    b.push_back(10);  // label of 10 bytes, only 3 present
    b.insert(b.end(), {'a', 'b', 'c'});
    cases.push_back({"label past the end", b, Rcode::kFormErr, false});
  }
  {
    Bytes b = Header(1, 0, 1, 0, 0, 0);
    PutName(b, "a.example");
    Put16(b, 1);  // class missing
    cases.push_back({"question cut short", b, Rcode::kFormErr, false});
  }
  {
    Bytes b = Header(1, 0, 1, 0, 0, 0);
    b.insert(b.end(), {0xC0, 12});  // points at itself
    Put16(b, 1);
    Put16(b, 1);
    cases.push_back({"pointer to itself", b, Rcode::kFormErr, false});
  }
  {
    Bytes b = Header(1, 0, 1, 0, 0, 0);
    b.insert(b.end(), {1, 'a', 0xC0, 12});  // a.<back to a.<...>>: a loop through a label
    Put16(b, 1);
    Put16(b, 1);
    cases.push_back({"pointer loop through a label", b, Rcode::kFormErr, false});
  }
  {
    Bytes b = Header(1, 0, 1, 0, 0, 0);
    b.insert(b.end(), {0xC0, 2});  // into the header
    Put16(b, 1);
    Put16(b, 1);
    cases.push_back({"pointer into the header", b, Rcode::kFormErr, false});
  }
  {
    Bytes b = Header(1, 0, 1, 0, 0, 0);
    b.insert(b.end(), {0xC0, 0xFF});  // forwards, past the end
    Put16(b, 1);
    Put16(b, 1);
    cases.push_back({"pointer forwards", b, Rcode::kFormErr, false});
  }
  {
    Bytes b = Header(1, 0, 1, 0, 0, 0);
    b.push_back(0xC0);  // pointer missing its second byte
    cases.push_back({"pointer cut short", b, Rcode::kFormErr, false});
  }
  {
    Bytes b = Header(1, 0, 1, 0, 0, 0);
    b.push_back(0x41);  // extended label type 01
    b.push_back('a');
    b.push_back(0);
    Put16(b, 1);
    Put16(b, 1);
    cases.push_back({"extended label type", b, Rcode::kFormErr, false});
  }
  {
    Bytes b = Header(1, 0, 1, 0, 0, 0);
    for (int i = 0; i < 5; ++i) {  // 5 * 64 = 320 bytes > 255
      b.push_back(63);
      b.insert(b.end(), 63, 'x');
    }
    b.push_back(0);
    Put16(b, 1);
    Put16(b, 1);
    cases.push_back({"name over 255 bytes", b, Rcode::kFormErr, false});
  }
  {
    Bytes b = QueryPacket("a.example", rtype::kA);
    b.push_back(0);
    cases.push_back({"trailing byte", b, Rcode::kFormErr, false});
  }
  {
    Bytes b = QueryPacket("a.example", rtype::kA);
    b[11] = 1;  // claims an additional record that is not there
    cases.push_back({"missing additional record", b, Rcode::kFormErr, false});
  }
  {
    Bytes b = QueryPacket("a.example", rtype::kA, 1, 1232);
    b[11] = 2;
    PutOpt(b, 512);
    cases.push_back({"two OPT records", b, Rcode::kFormErr, false});
  }
  {
    Bytes b = QueryPacket("a.example", rtype::kA);
    b[11] = 1;
    PutName(b, "x");
    Put16(b, rtype::kOpt);
    Put16(b, 1232);
    Put16(b, 0);
    Put16(b, 0);
    Put16(b, 0);
    cases.push_back({"OPT owner not the root", b, Rcode::kFormErr, false});
  }
  {
    Bytes b = QueryPacket("a.example", rtype::kA, 1, 1232);
    b[b.size() - 1] = 9;  // rdlength 9 with no data
    cases.push_back({"record data past the end", b, Rcode::kFormErr, false});
  }
  return cases;
}

}  // namespace

TEST_CASE("ParseQuery: malformed packets are refused with FORMERR, NOTIMP or dropped") {
  for (const auto& c : BadPackets()) {
    INFO(c.what);
    auto q = ParseQuery(c.packet);
    REQUIRE_FALSE(q);
    CHECK(q.error().rcode == c.rcode);
    CHECK_FALSE(q.error().reason.empty());
    auto reply = BuildErrorReply(c.packet, q.error().rcode);
    CHECK(reply.empty() == c.droppable);
    if (!reply.empty()) {
      REQUIRE(reply.size() == kHeaderSize);
      CHECK(At16(reply, 0) == At16(c.packet, 0));
      CHECK((reply[2] & 0x80) != 0);
      CHECK((reply[3] & 0x0F) == static_cast<int>(c.rcode));
    }
  }
}

TEST_CASE("ParseQuery: every truncation of a valid query fails without reading past it") {
  const Bytes full = QueryPacket("svc.team.prisn.local", rtype::kSrv, 9, 1232);
  REQUIRE(ParseQuery(full));
  for (std::size_t n = 0; n < full.size(); ++n) {
    // A copy of exactly n bytes, so that AddressSanitizer sees any over-read.
    auto cut = std::make_unique<std::uint8_t[]>(n == 0 ? 1 : n);
    std::copy(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n), cut.get());
    INFO("length " << n);
    CHECK_FALSE(ParseQuery(std::span<const std::uint8_t>(cut.get(), n)));
  }
}

TEST_CASE("ParseQuery: random garbage never parses out of bounds") {
  std::mt19937 random(42);
  const Bytes valid = QueryPacket("a.b.prisn.local", rtype::kA, 1, 1232);
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes b = valid;
    if (i % 2 == 0) {
      b.resize(random() % 80);
      for (auto& byte : b) byte = static_cast<std::uint8_t>(random());
    } else {
      for (int flips = 0; flips < 4; ++flips)
        b[random() % b.size()] = static_cast<std::uint8_t>(random());
    }
    if (ParseQuery(b)) ++parsed;
    (void)ParseQuestionOf(b);
  }
  CHECK(parsed < 20000);
}

TEST_CASE("BuildResponse: an A answer echoes the question and compresses the owner name") {
  auto q = ParseQuery(QueryPacket("Api.Default.prisn.local", rtype::kA, 0xBEEF));
  REQUIRE(q);
  Response r;
  r.authoritative = true;
  r.answers.push_back(MakeA("Api.Default.prisn.local", 0x7F4D0002, 5));
  auto wire = BuildResponse(*q, r, kClassicUdpSize);
  CHECK(At16(wire, 0) == 0xBEEF);
  CHECK(At16(wire, 2) == (0x8000 | 0x0400 | 0x0100 | 0x0080));  // QR AA RD RA, NOERROR
  CHECK(At16(wire, 4) == 1);
  CHECK(At16(wire, 6) == 1);
  CHECK(At16(wire, 10) == 0);
  const std::size_t question_end = kHeaderSize + 25 + 4;
  CHECK(std::string(wire.begin() + 13, wire.begin() + 16) == "Api");  // case kept
  CHECK(wire.at(question_end) == 0xC0);  // owner: pointer to the question
  CHECK(wire.at(question_end + 1) == 12);
  CHECK(At16(wire, question_end + 2) == rtype::kA);
  CHECK(At16(wire, question_end + 10) == 4);
  CHECK(wire.at(question_end + 12) == 127);
  CHECK(wire.at(question_end + 13) == 77);
  CHECK(wire.size() == question_end + 16);
  CHECK(IsReplyTo(wire, 0xBEEF, q->question));
  CHECK_FALSE(IsReplyTo(wire, 0xBEEE, q->question));
}

TEST_CASE("BuildResponse: SRV data names its target uncompressed") {
  auto srv =
      MakeSrv("_http._tcp.api.default.prisn.local", 0, 0, 8080, "api.default.prisn.local", 5);
  REQUIRE(srv.rdata.size() == 6 + 25);
  CHECK(At16(srv.rdata, 4) == 8080);
  CHECK(srv.rdata[6] == 3);
  CHECK(srv.rdata.back() == 0);
}

TEST_CASE("BuildResponse: an EDNS query gets an OPT record back") {
  auto q = ParseQuery(QueryPacket("x.prisn.local", rtype::kA, 3, 1232));
  REQUIRE(q);
  Response r;
  r.rcode = Rcode::kNxDomain;
  r.authority.push_back(MakeSoa("prisn.local", 1, 5));
  auto wire = BuildResponse(*q, r, MaxUdpResponseSize(*q));
  CHECK((At16(wire, 2) & 0x000F) == 3);
  CHECK(At16(wire, 8) == 1);
  CHECK(At16(wire, 10) == 1);
  auto again = ParseQuestionOf(wire);
  REQUIRE(again);
  CHECK(again->LowerName() == "x.prisn.local");
}

TEST_CASE("BuildResponse: a response over the size limit is truncated with TC set") {
  auto q = ParseQuery(QueryPacket("big.prisn.local", rtype::kA));
  REQUIRE(q);
  Response r;
  for (std::uint32_t i = 0; i < 100; ++i) r.answers.push_back(MakeA("big.prisn.local", i, 5));
  auto wire = BuildResponse(*q, r, kClassicUdpSize);
  CHECK(wire.size() <= kClassicUdpSize);
  CHECK((At16(wire, 2) & 0x0200) != 0);
  CHECK(At16(wire, 6) == 0);
  auto full = BuildResponse(*q, r, 65535);
  CHECK((At16(full, 2) & 0x0200) == 0);
  CHECK(At16(full, 6) == 100);
}

TEST_CASE("SetPacketId: rewrites the id and PacketId reads it back") {
  Bytes b = QueryPacket("a.example", rtype::kA, 1);
  SetPacketId(b, 0xABCD);
  CHECK(PacketId(b) == 0xABCD);
  CHECK(ParseQuery(b)->id == 0xABCD);
}

}  // namespace prisn::net::dns
