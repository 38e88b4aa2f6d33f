// JSON shapes of docs/API.md and the small parsers the handlers share.
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <ctime>
#include <set>

#include "api/kinds.h"
#include "api/routes.h"
#include "manifests/diagnostic.h"
#include "server/api_internal.h"

namespace prisn::server {
namespace {

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseInt(std::string_view text, int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// "2024-01-21T10:30:00Z", with optional fraction and a Z or ±HH:MM offset.
std::optional<int64_t> ParseRfc3339(std::string_view s) {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  int64_t y, mo, d, h, mi, sec;
  if (!ParseInt(s.substr(0, 4), y) || !ParseInt(s.substr(5, 2), mo) ||
      !ParseInt(s.substr(8, 2), d) || !ParseInt(s.substr(11, 2), h) ||
      !ParseInt(s.substr(14, 2), mi) || !ParseInt(s.substr(17, 2), sec)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  size_t pos = 19;
  int64_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    size_t start = ++pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
    if (pos == start) return std::nullopt;
    std::string frac(s.substr(start, std::min<size_t>(pos - start, 3)));
    while (frac.size() < 3) frac.push_back('0');
    ParseInt(frac, ms);
  }
  int64_t offset_min = 0;
  std::string_view zone = s.substr(pos);
  if (zone == "Z" || zone == "z") {
    offset_min = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int64_t oh, om;
    if (!ParseInt(zone.substr(1, 2), oh) || !ParseInt(zone.substr(4, 2), om)) return std::nullopt;
    offset_min = (oh * 60 + om) * (zone[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t seconds = days * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  return seconds * 1000 + ms;
}

}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatTime(int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  int ms = static_cast<int>(unix_ms % 1000);
  if (ms < 0) {
    ms += 1000;
    --seconds;
  }
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

Result<int64_t> ParseSince(std::string_view text, int64_t now_ms) {
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text.front()))) {
    char unit = text.back();
    int64_t n = 0;
    int64_t scale = 0;
    switch (unit) {
      case 's':
        scale = 1000;
        break;
      case 'm':
        scale = 60 * 1000;
        break;
      case 'h':
        scale = 3600 * 1000;
        break;
      case 'd':
        scale = 86400 * 1000;
        break;
      default:
        break;
    }
    if (scale != 0 && ParseInt(text.substr(0, text.size() - 1), n) && n <= 100000 * 86400LL)
      return now_ms - n * scale;
  }
  if (auto t = ParseRfc3339(text)) return *t;
  return Fail(ErrorCode::kInvalid,
              "since must be an RFC 3339 time (2024-01-21T10:30:00Z) or a duration back from now "
              "(30s, 15m, 2h, 7d)",
              std::string(text));
}

Result<manifests::Kind> KindFromWord(std::string_view word) {
  auto info = api::ResolveKind(word);
  auto kind = info ? manifests::ParseKind(info->kind) : std::nullopt;
  if (kind) return *kind;
  std::string plurals;
  for (const api::KindInfo& k : api::AllKinds())
    plurals += (plurals.empty() ? "" : ", ") + std::string(k.plural);
  return Fail(ErrorCode::kNotFound,
              "unknown kind \"" + std::string(word) + "\" (kinds: " + plurals + ")");
}

std::string NamespaceFromSegment(std::string_view segment) {
  return segment == api::kNoNamespace ? "" : std::string(segment);
}

api::ObjectKeyView KeyView(const store::ObjectKey& key) { return {key.kind, key.ns, key.name}; }

nlohmann::ordered_json KeyJson(const store::ObjectKey& key) { return api::Encode(KeyView(key)); }

api::ObjectView ObjectViewOf(const store::StoredObject& o, const reconciler::Converger* converger) {
  api::ObjectView v;
  v.kind = o.key.kind;
  v.ns = o.key.ns;
  v.name = o.key.name;
  v.version = o.version;
  v.generation = o.generation;
  v.applied_by = o.applied_by;
  v.set = o.apply_set;
  v.created_at = FormatTime(o.created_ms);
  v.updated_at = FormatTime(o.updated_ms);
  v.state_index = o.state_index;
  if (o.hold)
    v.hold =
        api::HoldView{o.hold->version, o.hold->held_from, o.hold->by, FormatTime(o.hold->at_ms)};
  v.manifest = nlohmann::ordered_json::parse(o.spec_json, nullptr, false);
  v.sources = o.sources;
  // Only what the loop observed; never an invented state.
  if (converger) {
    if (auto st = converger->StatusOf(o.key)) {
      v.status.state = reconciler::WorkloadStateName(st->state);
      v.status.reason = st->reason;
      v.status.observed = api::ObservedView{st->ready, st->updated, st->available, st->version};
    }
  }
  return v;
}

nlohmann::ordered_json ObjectJson(const store::StoredObject& o,
                                  const reconciler::Converger* converger) {
  return api::Encode(ObjectViewOf(o, converger));
}

HttpResponse Forbidden(const Principal& who, std::string_view ns) {
  std::string where = ns.empty() ? "objects without a namespace" : "namespace " + std::string(ns);
  return ErrorResponse(
      403, "permission",
      "this token is scoped to namespace " + who.ns.value_or("") + " and may not access " + where);
}

namespace {

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// "unknown X \"word\" ...; did you mean \"close\"? (accepted: a, b)".
std::string UnknownName(std::string_view what, std::string_view word, std::string_view where,
                        const std::vector<std::string>& accepted) {
  std::string message =
      "unknown " + std::string(what) + " \"" + std::string(word) + "\" " + std::string(where);
  if (accepted.empty()) return message + " (it takes none)";
  std::string close = manifests::ClosestMatch(word, accepted);
  if (!close.empty()) message += "; did you mean \"" + close + "\"?";
  return message + " (accepted: " + JoinNames(accepted) + ")";
}

// An empty body, or an empty JSON object (what the CLI sends to routes that
// take none).
bool EmptyBody(std::string_view body) {
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return true;
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  return j.is_object() && j.empty();
}

}  // namespace

std::optional<nlohmann::json> ParseBody(const HttpRequest& request, HttpResponse& error,
                                        std::span<const std::string_view> fields) {
  // A member given twice would silently keep the last one (the parser's
  // choice): {"namespace": "team-a", "namespace": null} must not read as an
  // admin token to one reader and a team token to another.
  std::vector<std::set<std::string>> open_objects;
  std::optional<std::string> repeated;
  auto watch = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) open_objects.emplace_back();
    if (event == Event::object_end && !open_objects.empty()) open_objects.pop_back();
    if (event == Event::key && !open_objects.empty() && parsed.is_string() && !repeated &&
        !open_objects.back().insert(parsed.get<std::string>()).second) {
      repeated = parsed.get<std::string>();
    }
    return true;
  };
  auto body = nlohmann::json::parse(request.body, watch, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    error = ErrorResponse(400, "invalid", "the request body is not valid JSON");
    return std::nullopt;
  }
  if (repeated) {
    error = ErrorResponse(
        400, "invalid",
        "the request body names \"" + *repeated + "\" twice in one object; give each field once");
    return std::nullopt;
  }
  if (!body.is_object()) {
    error = ErrorResponse(400, "invalid", "the request body must be a JSON object");
    return std::nullopt;
  }
  for (const auto& item : body.items()) {
    const std::string& key = item.key();
    bool known = false;
    for (std::string_view f : fields) known |= f == key;
    if (known) continue;
    std::vector<std::string> accepted(fields.begin(), fields.end());
    error = ErrorResponse(
        400, "invalid",
        UnknownName("field", key, "in the body of " + request.method + " " + request.path,
                    accepted) +
            "; nothing was changed");
    return std::nullopt;
  }
  return body;
}

std::optional<HttpResponse> CheckRequestShape(std::string_view method, std::string_view pattern,
                                              const HttpRequest& request) {
  static const api::Route kNone{};
  const api::Route* shape = api::FindRoute(method, pattern);
  if (shape == nullptr) shape = &kNone;
  std::string route = std::string(method) + " " + std::string(pattern);
  if (!shape->any_query) {
    for (const auto& [key, value] : request.query) {
      if (std::find(shape->query.begin(), shape->query.end(), key) != shape->query.end()) continue;
      return ErrorResponse(
          400, "invalid",
          UnknownName("query parameter", key, "for " + route,
                      std::vector<std::string>(shape->query.begin(), shape->query.end())));
    }
  }
  if (!shape->body && !EmptyBody(request.body)) {
    return ErrorResponse(400, "invalid", route + " takes no request body: send none (or {})");
  }
  return std::nullopt;
}

Result<bool> QueryFlag(const HttpRequest& request, const std::string& key) {
  auto it = request.query.find(key);
  if (it == request.query.end()) return false;
  if (it->second.empty() || it->second == "1" || it->second == "true") return true;
  if (it->second == "0" || it->second == "false") return false;
  return Fail(ErrorCode::kInvalid, "query parameter " + key + " must be 1, true, 0 or false",
              it->second);
}

}  // namespace prisn::server
