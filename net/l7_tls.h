#pragma once
// TLS termination for Ingress listeners: a server context from PEM text.

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "util/error.h"

namespace prisn::net {

// A TLS 1.2+ server context holding the certificate chain and private key.
// kInvalid when either does not parse or they do not belong together.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsServerContext(
    const std::string& cert_pem, const std::string& key_pem);

}  // namespace prisn::net
