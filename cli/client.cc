#include "cli/client.h"

#include <fmt/core.h>

#include <chrono>

namespace prisn::cli {
namespace {

using namespace std::chrono_literals;

ErrorCode CodeFromName(std::string_view name, ErrorCode fallback) {
  // Codes of docs/API.md that have no ErrorCode of their own.
  if (name == "unauthenticated") return ErrorCode::kPermission;
  if (name == "method_not_allowed" || name == "too_large") return ErrorCode::kInvalid;
  for (ErrorCode code : {ErrorCode::kInvalid, ErrorCode::kNotFound, ErrorCode::kConflict,
                         ErrorCode::kIo, ErrorCode::kUnavailable, ErrorCode::kPermission,
                         ErrorCode::kTimeout, ErrorCode::kInternal}) {
    if (ErrorCodeName(code) == name) return code;
  }
  return fallback;
}

ErrorCode CodeFromStatus(long status) {
  switch (status) {
    case 400:
    case 413:
    case 415:
    case 422:
      return ErrorCode::kInvalid;
    case 401:
    case 403:
      return ErrorCode::kPermission;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
    case 412:
      return ErrorCode::kConflict;
    case 408:
    case 504:
      return ErrorCode::kTimeout;
    case 502:
    case 503:
      return ErrorCode::kUnavailable;
    default:
      return ErrorCode::kInternal;
  }
}

// No API answer comes near this; a larger one is a broken server.
constexpr size_t kMaxAnswer = size_t{256} << 20;

std::string UnreachableMessage(const Connection& c) {
  return fmt::format(
      "no prisn server answers at {}; start one with `prisn server start` (or set "
      "PRISN_SERVER)",
      c.server);
}

}  // namespace

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char ch : text) {
    bool unreserved = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 0xF]);
    }
  }
  return out;
}

Error ErrorFromResponse(long status, std::string_view body) {
  ErrorCode code = CodeFromStatus(status);
  auto j = nlohmann::ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded() && j.is_object() && j.contains("error")) {
    const auto& e = j["error"];
    if (e.is_object()) {
      std::string message = e.value("message", std::string());
      if (e.contains("code") && e["code"].is_string()) {
        code = CodeFromName(e["code"].get<std::string>(), code);
      }
      if (!message.empty()) return Error{code, std::move(message), {}};
    } else if (e.is_string()) {
      return Error{code, e.get<std::string>(), {}};
    }
  }
  std::string text(body.substr(0, 200));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return Error{code,
               text.empty() ? fmt::format("the server answered HTTP {}", status)
                            : fmt::format("the server answered HTTP {}: {}", status, text),
               {}};
}

ApiClient::ApiClient(Connection connection) : connection_(std::move(connection)) {}

Result<nlohmann::ordered_json> ApiClient::Get(std::string_view path) {
  return Send("GET", path, nullptr);
}
Result<nlohmann::ordered_json> ApiClient::Post(std::string_view path,
                                               const nlohmann::ordered_json& body) {
  return Send("POST", path, body);
}
Result<nlohmann::ordered_json> ApiClient::Put(std::string_view path,
                                              const nlohmann::ordered_json& body) {
  return Send("PUT", path, body);
}
Result<nlohmann::ordered_json> ApiClient::Delete(std::string_view path,
                                                 const nlohmann::ordered_json& body) {
  return Send("DELETE", path, body);
}

Result<nlohmann::ordered_json> ApiClient::Send(const char* method, std::string_view path,
                                               const nlohmann::ordered_json& body) {
  details_ = nullptr;
  std::string_view server = connection_.server;
  if (!server.starts_with("http://") && !server.starts_with("https://")) {
    return Fail(ErrorCode::kInvalid,
                fmt::format("not a server URL: \"{}\" (expected http://HOST:PORT)", server),
                "server from " + connection_.origin);
  }
  // PRISN_LISTEN with port 0 names a daemon that picks its port at start and
  // has not written it to its state dir yet: nothing can answer there.
  if (connection_.origin == "PRISN_LISTEN" && server.ends_with(":0")) {
    return Fail(ErrorCode::kUnavailable, UnreachableMessage(connection_));
  }
  net::HttpRequest request;
  request.method = method;
  request.url = connection_.server + std::string(path);
  request.headers.emplace_back("Accept", "application/json");
  if (!body.is_null()) request.body = body.dump();
  if (!request.body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  if (!connection_.token.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + connection_.token);
  }
  request.headers.emplace_back("User-Agent", "prisn-cli");
  request.connect_timeout = 5s;
  request.total_timeout = 300s;
  request.max_body = kMaxAnswer;

  auto answer = http_.Request(request);
  if (!answer) {
    const Error& e = answer.error();
    switch (e.code) {
      case ErrorCode::kUnavailable:
        return Fail(ErrorCode::kUnavailable, UnreachableMessage(connection_));
      case ErrorCode::kTimeout:
        return Fail(
            ErrorCode::kTimeout,
            fmt::format("the prisn server at {} did not answer in time", connection_.server));
      case ErrorCode::kInvalid:
        return Fail(
            ErrorCode::kInvalid,
            fmt::format("not a server URL: \"{}\" (expected http://HOST:PORT)", connection_.server),
            "server from " + connection_.origin);
      default:
        return Fail(ErrorCode::kUnavailable,
                    fmt::format("talking to the prisn server at {} failed: {}", connection_.server,
                                e.message));
    }
  }
  if (answer->truncated) {
    return Fail(ErrorCode::kInternal,
                fmt::format("the server at {} answered with more than {} MiB", connection_.server,
                            kMaxAnswer >> 20),
                std::string(path));
  }
  long status = answer->status;
  const std::string& response = answer->body;
  if (status < 200 || status >= 300) {
    auto j = nlohmann::ordered_json::parse(response, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_object()) {
      details_ = j["error"].value("details", nlohmann::ordered_json());
    }
    Error error = ErrorFromResponse(status, response);
    if (status == 401) {
      error.message += connection_.token.empty()
                           ? " (no token found: pass --token, set PRISN_TOKEN, or use the "
                             "context file `prisn server start` writes)"
                           : " (the token was refused: pass a valid one with --token or "
                             "PRISN_TOKEN)";
    }
    return std::unexpected(std::move(error));
  }
  if (response.empty()) return nlohmann::ordered_json();
  auto j = nlohmann::ordered_json::parse(response, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Fail(ErrorCode::kInternal,
                fmt::format("the server at {} answered with something that is not JSON",
                            connection_.server),
                std::string(path));
  }
  return j;
}

}  // namespace prisn::cli
