#include "server/http_types.h"

#include "api/types_server.h"

namespace prisn::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size())
        return Fail(ErrorCode::kInvalid, "a %-escape is cut short in the request target");
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0)
        return Fail(ErrorCode::kInvalid, "a %-escape in the request target is not hex");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

HttpResponse JsonResponse(int status, const nlohmann::ordered_json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  return r;
}

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message,
                           nlohmann::json details) {
  api::ErrorBody body{{std::string(code), std::string(message), std::move(details)}};
  return JsonResponse(status, api::Encode(body));
}

HttpResponse ErrorResponse(const Error& error, nlohmann::json details) {
  int status = 500;
  switch (error.code) {
    case ErrorCode::kInvalid:
      status = 400;
      break;
    case ErrorCode::kNotFound:
      status = 404;
      break;
    case ErrorCode::kConflict:
      status = 409;
      break;
    case ErrorCode::kPermission:
      status = 403;
      break;
    case ErrorCode::kUnavailable:
      status = 503;
      break;
    case ErrorCode::kTimeout:
      status = 504;
      break;
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      status = 500;
      break;
  }
  return ErrorResponse(status, ErrorCodeName(error.code), error.ToString(), std::move(details));
}

Status ParseTarget(std::string_view target, HttpRequest& out) {
  if (!target.starts_with('/'))
    return Fail(ErrorCode::kInvalid, "the request target must start with '/'");
  size_t q = target.find('?');
  auto path = PercentDecode(target.substr(0, q), false);
  if (!path) return std::unexpected(path.error());
  out.path = std::move(*path);
  out.query.clear();
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), true);
    if (!key) return std::unexpected(key.error());
    std::string value;
    if (eq != std::string_view::npos) {
      auto decoded = PercentDecode(pair.substr(eq + 1), true);
      if (!decoded) return std::unexpected(decoded.error());
      value = std::move(*decoded);
    }
    out.query[*key] = std::move(value);
  }
  return {};
}

}  // namespace prisn::server
