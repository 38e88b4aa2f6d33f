#include "api/client.h"

#include <fmt/core.h>

#include <chrono>

#include "api/types_server.h"

namespace prisn::api {
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
      "no prisn server answers at {}; start one with `prisn server start` (or set {})", c.server,
      kEnvServer);
}

}  // namespace

Error ErrorFromResponse(long status, std::string_view body) {
  ErrorCode code = CodeFromStatus(status);
  auto j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (auto e = Decode<ErrorBody>(j, DecodeMode::kLenient); e && !e->error.message.empty()) {
    if (!e->error.code.empty()) code = CodeFromName(e->error.code, code);
    return Error{code, std::move(e->error.message), {}};
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
  if (connection_.origin == kEnvListen && server.ends_with(":0")) {
    return Fail(ErrorCode::kUnavailable, UnreachableMessage(connection_));
  }
  HttpRequest request;
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
    auto j = Json::parse(response, nullptr, /*allow_exceptions=*/false);
    if (auto e = Decode<ErrorBody>(j, DecodeMode::kLenient)) details_ = std::move(e->error.details);
    Error error = ErrorFromResponse(status, response);
    if (status == 401) {
      error.message += connection_.token.empty()
                           ? " (no token found: pass --token, set " + std::string(kEnvToken) +
                                 ", or use the "
                                 "context file `prisn server start` writes)"
                           : " (the token was refused: pass a valid one with --token or " +
                                 std::string(kEnvToken) + ")";
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

}  // namespace prisn::api
