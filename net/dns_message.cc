#include "net/dns_message.h"

#include <algorithm>
#include <map>

namespace prisn::net::dns {
namespace {

using Bytes = std::span<const std::uint8_t>;

constexpr std::uint16_t kFlagResponse = 0x8000;
constexpr std::uint16_t kFlagAuthoritative = 0x0400;
constexpr std::uint16_t kFlagTruncated = 0x0200;
constexpr std::uint16_t kFlagRecursionDesired = 0x0100;
constexpr std::uint16_t kFlagRecursionAvailable = 0x0080;
constexpr std::size_t kMaxNameWire = 255;
constexpr std::size_t kMaxLabel = 63;

std::uint16_t Get16(Bytes p, std::size_t at) {
  return static_cast<std::uint16_t>((p[at] << 8) | p[at + 1]);
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerCopy(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), Lower);
  return out;
}

// Reads a possibly compressed name at `offset` and moves `offset` past the
// name as it is written there (a pointer ends it).
std::optional<std::vector<std::string>> ReadName(Bytes p, std::size_t& offset, std::string& why) {
  std::vector<std::string> labels;
  std::size_t pos = offset;
  // A pointer must lead before the start of the name part being read, so
  // every jump lands strictly lower than the last and a loop cannot form.
  std::size_t bound = offset;
  bool jumped = false;
  std::size_t wire_length = 1;
  for (;;) {
    if (pos >= p.size()) {
      why = "name runs past the end of the packet";
      return std::nullopt;
    }
    const std::uint8_t length = p[pos];
    if ((length & 0xC0) == 0xC0) {
      if (pos + 1 >= p.size()) {
        why = "compression pointer cut short";
        return std::nullopt;
      }
      const std::size_t target = (static_cast<std::size_t>(length & 0x3F) << 8) | p[pos + 1];
      if (target < kHeaderSize || target >= bound) {
        why = "compression pointer does not point backwards into the message";
        return std::nullopt;
      }
      if (!jumped) offset = pos + 2;
      jumped = true;
      bound = target;
      pos = target;
      continue;
    }
    if ((length & 0xC0) != 0) {
      why = "unsupported label type";
      return std::nullopt;
    }
    if (length == 0) {
      if (!jumped) offset = pos + 1;
      return labels;
    }
    if (pos + 1 + length > p.size()) {
      why = "label runs past the end of the packet";
      return std::nullopt;
    }
    wire_length += 1 + length;
    if (wire_length > kMaxNameWire) {
      why = "name longer than 255 bytes";
      return std::nullopt;
    }
    labels.emplace_back(reinterpret_cast<const char*>(p.data() + pos + 1), length);
    pos += 1 + length;
  }
}

struct RecordHead {
  std::vector<std::string> labels;
  std::uint16_t type = 0;
  std::uint16_t rclass = 0;
};

// Walks one resource record; `offset` ends past its data.
std::optional<RecordHead> SkipRecord(Bytes p, std::size_t& offset, std::string& why) {
  auto labels = ReadName(p, offset, why);
  if (!labels) return std::nullopt;
  if (offset + 10 > p.size()) {
    why = "record header runs past the end of the packet";
    return std::nullopt;
  }
  RecordHead head{std::move(*labels), Get16(p, offset), Get16(p, offset + 2)};
  const std::size_t rdlength = Get16(p, offset + 8);
  offset += 10;
  if (offset + rdlength > p.size()) {
    why = "record data runs past the end of the packet";
    return std::nullopt;
  }
  offset += rdlength;
  return head;
}

std::optional<Question> ReadQuestion(Bytes p, std::size_t& offset, std::string& why) {
  auto labels = ReadName(p, offset, why);
  if (!labels) return std::nullopt;
  if (offset + 4 > p.size()) {
    why = "question runs past the end of the packet";
    return std::nullopt;
  }
  Question q{std::move(*labels), Get16(p, offset), Get16(p, offset + 2)};
  offset += 4;
  return q;
}

std::vector<std::string> SplitName(const std::string& name) {
  std::vector<std::string> labels;
  std::size_t start = 0;
  while (start < name.size()) {
    auto dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    if (dot > start) labels.push_back(name.substr(start, dot - start));
    start = dot + 1;
  }
  return labels;
}

class Writer {
 public:
  void U8(std::uint8_t v) { out_.push_back(v); }
  void U16(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
  }
  void U32(std::uint32_t v) {
    U16(static_cast<std::uint16_t>(v >> 16));
    U16(static_cast<std::uint16_t>(v));
  }
  void Put16At(std::size_t at, std::uint16_t v) {
    out_[at] = static_cast<std::uint8_t>(v >> 8);
    out_[at + 1] = static_cast<std::uint8_t>(v);
  }
  // Labels over 63 bytes cannot come from a parsed query or a valid service
  // name; they are cut rather than written as a broken length byte.
  void Label(const std::string& label) {
    const auto n = std::min(label.size(), kMaxLabel);
    U8(static_cast<std::uint8_t>(n));
    out_.insert(out_.end(), label.begin(), label.begin() + static_cast<std::ptrdiff_t>(n));
  }
  void Name(const std::vector<std::string>& labels, bool compress) {
    for (std::size_t i = 0; i < labels.size(); ++i) {
      std::string suffix;
      // Length-prefixed, so a label holding a dot cannot pass for two labels.
      for (std::size_t j = i; j < labels.size(); ++j)
        suffix += static_cast<char>(labels[j].size()) + LowerCopy(labels[j]);
      if (compress) {
        if (auto it = offsets_.find(suffix); it != offsets_.end()) {
          U16(static_cast<std::uint16_t>(0xC000 | it->second));
          return;
        }
        if (out_.size() < 0x4000) offsets_.emplace(suffix, static_cast<std::uint16_t>(out_.size()));
      }
      Label(labels[i]);
    }
    U8(0);
  }
  void Record(const dns::Record& r) {
    Name(SplitName(r.name), true);
    U16(r.type);
    U16(kClassIn);
    U32(r.ttl);
    U16(static_cast<std::uint16_t>(r.rdata.size()));
    out_.insert(out_.end(), r.rdata.begin(), r.rdata.end());
  }
  void Opt() {
    U8(0);
    U16(rtype::kOpt);
    U16(kOurUdpSize);
    U32(0);
    U16(0);
  }
  std::vector<std::uint8_t> Take() { return std::move(out_); }

 private:
  std::vector<std::uint8_t> out_;
  std::map<std::string, std::uint16_t> offsets_;
};

std::vector<std::uint8_t> Encode(const Query& q, const Response& r, bool with_records) {
  Writer w;
  std::uint16_t flags = kFlagResponse | kFlagRecursionAvailable;
  flags |= static_cast<std::uint16_t>((q.opcode & 0x0F) << 11);
  if (r.authoritative) flags |= kFlagAuthoritative;
  if (q.recursion_desired) flags |= kFlagRecursionDesired;
  if (!with_records) flags |= kFlagTruncated;
  flags |= static_cast<std::uint16_t>(r.rcode);
  const bool opt = q.edns_udp_size.has_value();
  w.U16(q.id);
  w.U16(flags);
  w.U16(1);
  w.U16(with_records ? static_cast<std::uint16_t>(r.answers.size()) : 0);
  w.U16(with_records ? static_cast<std::uint16_t>(r.authority.size()) : 0);
  w.U16(static_cast<std::uint16_t>((with_records ? r.additional.size() : 0) + (opt ? 1 : 0)));
  w.Name(q.question.labels, true);
  w.U16(q.question.type);
  w.U16(q.question.qclass);
  if (with_records) {
    for (const auto& rec : r.answers) w.Record(rec);
    for (const auto& rec : r.authority) w.Record(rec);
    for (const auto& rec : r.additional) w.Record(rec);
  }
  if (opt) w.Opt();
  return w.Take();
}

void AppendName(std::vector<std::uint8_t>& out, const std::string& name) {
  for (const auto& label : SplitName(name)) {
    const auto n = std::min(label.size(), kMaxLabel);
    out.push_back(static_cast<std::uint8_t>(n));
    out.insert(out.end(), label.begin(), label.begin() + static_cast<std::ptrdiff_t>(n));
  }
  out.push_back(0);
}

void Append16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void Append32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  Append16(out, static_cast<std::uint16_t>(v >> 16));
  Append16(out, static_cast<std::uint16_t>(v));
}

}  // namespace

std::string Question::LowerName() const {
  std::string name;
  for (const auto& label : labels) {
    if (!name.empty()) name += '.';
    name += LowerCopy(label);
  }
  return name;
}

std::expected<Query, ParseError> ParseQuery(Bytes p) {
  auto formerr = [](std::string why) {
    return std::unexpected(ParseError{Rcode::kFormErr, std::move(why)});
  };
  if (p.size() < kHeaderSize) return formerr("shorter than a DNS header");
  const std::uint16_t flags = Get16(p, 2);
  if (flags & kFlagResponse) return formerr("a response, not a query");
  Query q;
  q.id = Get16(p, 0);
  q.opcode = static_cast<std::uint8_t>((flags >> 11) & 0x0F);
  q.recursion_desired = (flags & kFlagRecursionDesired) != 0;
  if (q.opcode != 0) return std::unexpected(ParseError{Rcode::kNotImp, "only QUERY is supported"});
  if (Get16(p, 4) != 1) return formerr("a query must have exactly one question");
  std::string why;
  std::size_t offset = kHeaderSize;
  auto question = ReadQuestion(p, offset, why);
  if (!question) return formerr(why);
  q.question = std::move(*question);
  const std::size_t others = std::size_t{Get16(p, 6)} + Get16(p, 8);
  for (std::size_t i = 0; i < others; ++i)
    if (!SkipRecord(p, offset, why)) return formerr(why);
  const std::size_t additional = Get16(p, 10);
  for (std::size_t i = 0; i < additional; ++i) {
    auto head = SkipRecord(p, offset, why);
    if (!head) return formerr(why);
    if (head->type != rtype::kOpt) continue;
    if (!head->labels.empty()) return formerr("OPT record with an owner other than the root");
    if (q.edns_udp_size) return formerr("more than one OPT record");
    q.edns_udp_size = head->rclass;
  }
  if (offset != p.size()) return formerr("trailing bytes after the last record");
  return q;
}

std::optional<Question> ParseQuestionOf(Bytes p) {
  if (p.size() < kHeaderSize || Get16(p, 4) != 1) return std::nullopt;
  std::string why;
  std::size_t offset = kHeaderSize;
  return ReadQuestion(p, offset, why);
}

bool IsReplyTo(Bytes reply, std::uint16_t id, const Question& question) {
  if (reply.size() < kHeaderSize || !(Get16(reply, 2) & kFlagResponse) || Get16(reply, 0) != id)
    return false;
  auto q = ParseQuestionOf(reply);
  return q && q->type == question.type && q->qclass == question.qclass &&
         q->LowerName() == question.LowerName();
}

std::uint16_t PacketId(Bytes packet) { return packet.size() >= 2 ? Get16(packet, 0) : 0; }

void SetPacketId(std::vector<std::uint8_t>& packet, std::uint16_t id) {
  if (packet.size() < 2) return;
  packet[0] = static_cast<std::uint8_t>(id >> 8);
  packet[1] = static_cast<std::uint8_t>(id);
}

Record MakeA(std::string name, std::uint32_t ipv4, std::uint32_t ttl) {
  Record r{std::move(name), rtype::kA, ttl, {}};
  Append32(r.rdata, ipv4);
  return r;
}

Record MakeSrv(std::string name, std::uint16_t priority, std::uint16_t weight, std::uint16_t port,
               const std::string& target, std::uint32_t ttl) {
  Record r{std::move(name), rtype::kSrv, ttl, {}};
  Append16(r.rdata, priority);
  Append16(r.rdata, weight);
  Append16(r.rdata, port);
  AppendName(r.rdata, target);
  return r;
}

Record MakeSoa(const std::string& zone, std::uint32_t serial, std::uint32_t ttl) {
  Record r{zone, rtype::kSoa, ttl, {}};
  AppendName(r.rdata, zone);                  // primary server: the zone's own name
  AppendName(r.rdata, "hostmaster." + zone);  // responsible mailbox
  Append32(r.rdata, serial);
  Append32(r.rdata, 3600);   // refresh
  Append32(r.rdata, 600);    // retry
  Append32(r.rdata, 86400);  // expire
  Append32(r.rdata, ttl);    // minimum: how long resolvers keep a negative answer
  return r;
}

std::vector<std::uint8_t> BuildResponse(const Query& query, const Response& response,
                                        std::size_t max_size) {
  auto full = Encode(query, response, true);
  if (full.size() <= max_size) return full;
  return Encode(query, response, false);
}

std::size_t MaxUdpResponseSize(const Query& query) {
  if (!query.edns_udp_size) return kClassicUdpSize;
  return std::clamp<std::size_t>(*query.edns_udp_size, kClassicUdpSize, kOurUdpSize);
}

std::vector<std::uint8_t> BuildErrorReply(Bytes packet, Rcode rcode) {
  if (packet.size() < kHeaderSize) return {};
  const std::uint16_t flags = Get16(packet, 2);
  if (flags & kFlagResponse) return {};
  std::vector<std::uint8_t> out;
  Append16(out, Get16(packet, 0));
  Append16(out, static_cast<std::uint16_t>(kFlagResponse | kFlagRecursionAvailable |
                                           (flags & (0x7800 | kFlagRecursionDesired)) |
                                           static_cast<std::uint16_t>(rcode)));
  for (int i = 0; i < 4; ++i) Append16(out, 0);
  return out;
}

}  // namespace prisn::net::dns
