#include "net/l7_tls.h"

#include <fmt/format.h>

namespace prisn::net {

namespace ssl = boost::asio::ssl;

Result<std::shared_ptr<ssl::context>> MakeTlsServerContext(const std::string& cert_pem,
                                                            const std::string& key_pem) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       ec);
  if (ec) return Fail(ErrorCode::kInternal, fmt::format("TLS options: {}", ec.message()));
  context->use_certificate_chain(boost::asio::buffer(cert_pem), ec);
  if (ec) return Fail(ErrorCode::kInvalid, fmt::format("TLS certificate: {}", ec.message()));
  context->use_private_key(boost::asio::buffer(key_pem), ssl::context::pem, ec);
  if (ec) return Fail(ErrorCode::kInvalid, fmt::format("TLS private key: {}", ec.message()));
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return Fail(ErrorCode::kInvalid, "TLS private key does not match the certificate");
  }
  return context;
}

}  // namespace prisn::net
