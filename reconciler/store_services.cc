// Service addresses (table service_addresses). A handful of rows that change
// when a Deployment gains or loses a port; statements are prepared per call.
#include "reconciler/store_impl.h"

namespace prisn::store {

Result<std::vector<ServiceAddress>> Store::ListServiceAddresses() {
  auto s = impl_->db.Prepare(
      "SELECT namespace, name, address, port FROM service_addresses ORDER BY namespace, name");
  if (!s) return std::unexpected(s.error());
  std::vector<ServiceAddress> out;
  for (;;) {
    auto row = s->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({s->Text(0), s->Text(1), s->Text(2), static_cast<int>(s->Int(3))});
  }
  return out;
}

Status Store::PutServiceAddress(const ServiceAddress& a) {
  Impl& impl = *impl_;
  auto s = impl.db.Prepare(
      "INSERT INTO service_addresses (namespace, name, address, port, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (namespace, name) DO UPDATE SET "
      "address = excluded.address, port = excluded.port");
  if (!s) return std::unexpected(s.error());
  s->Bind(1, a.ns).Bind(2, a.name).Bind(3, a.address).Bind(4, int64_t{a.port}).Bind(5, impl.Now());
  if (auto st = s->Run(); !st) {
    if (st.error().message.find("UNIQUE") != std::string::npos)
      return Fail(ErrorCode::kConflict, "the address is held by another service", a.address);
    return st;
  }
  return {};
}

Status Store::DeleteServiceAddress(const std::string& ns, const std::string& name) {
  auto s = impl_->db.Prepare("DELETE FROM service_addresses WHERE namespace = ?1 AND name = ?2");
  if (!s) return std::unexpected(s.error());
  s->Bind(1, ns).Bind(2, name);
  return s->Run();
}

}  // namespace prisn::store
