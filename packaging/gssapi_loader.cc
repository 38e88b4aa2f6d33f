// The GSS-API entry points libgit2 calls for HTTP "Negotiate" (Kerberos)
// authentication, for the static release binary only. Kerberos has no
// static archive in Debian, and linking libgssapi_krb5.so would make every
// host install MIT Kerberos to run prisn. Instead each call loads
// libgssapi_krb5.so.2 at first use and forwards to it; on a host without
// Kerberos the calls fail with GSS_S_FAILURE and libgit2 offers the other
// authentication methods, as it does when no Kerberos ticket exists.
//
// Only pointers and integers cross these functions, so the MIT types are
// declared here by their C ABI (gssapi.h is not installed with libgit2).
#include <dlfcn.h>

#include <cstddef>
#include <cstdint>
#include <mutex>

extern "C" {

using OM_uint32 = std::uint32_t;
struct gss_OID_desc {
  OM_uint32 length;
  void* elements;
};
using gss_OID = gss_OID_desc*;
}

namespace {

constexpr OM_uint32 kGssFailure = 13u << 16;  // GSS_S_FAILURE

void* Library() {
  static void* handle = nullptr;
  static std::once_flag once;
  std::call_once(once, [] { handle = ::dlopen("libgssapi_krb5.so.2", RTLD_NOW | RTLD_LOCAL); });
  return handle;
}

template <typename Fn>
Fn Resolve(const char* name) {
  void* lib = Library();
  return lib ? reinterpret_cast<Fn>(::dlsym(lib, name)) : nullptr;
}

// 1.2.840.113554.1.2.1.4: the host-based service name type (RFC 2743 4.1).
unsigned char kHostBasedServiceOid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x04};
gss_OID_desc kHostBasedService{sizeof kHostBasedServiceOid, kHostBasedServiceOid};

}  // namespace

extern "C" {

// MIT compares name types by content, so this copy stands for the library's.
gss_OID GSS_C_NT_HOSTBASED_SERVICE = &kHostBasedService;

#define PRISN_GSS_FORWARD(name, params, args) \
  OM_uint32 name params {                     \
    using Fn = OM_uint32(*) params;           \
    static Fn fn = Resolve<Fn>(#name);        \
    if (fn == nullptr) {                      \
      if (minor != nullptr) *minor = 0;       \
      return kGssFailure;                     \
    }                                         \
    return fn args;                           \
  }

PRISN_GSS_FORWARD(gss_delete_sec_context, (OM_uint32 * minor, void* ctx, void* token),
                  (minor, ctx, token))
PRISN_GSS_FORWARD(gss_display_status,
                  (OM_uint32 * minor, OM_uint32 status, int type, gss_OID mech, OM_uint32* ctx,
                   void* out),
                  (minor, status, type, mech, ctx, out))
PRISN_GSS_FORWARD(gss_import_name, (OM_uint32 * minor, void* in, gss_OID type, void* out),
                  (minor, in, type, out))
PRISN_GSS_FORWARD(gss_indicate_mechs, (OM_uint32 * minor, void* mechs), (minor, mechs))
PRISN_GSS_FORWARD(gss_init_sec_context,
                  (OM_uint32 * minor, void* cred, void* ctx, void* target, gss_OID mech,
                   OM_uint32 flags, OM_uint32 time, void* bindings, void* in, void* actual_mech,
                   void* out, OM_uint32* ret_flags, OM_uint32* ret_time),
                  (minor, cred, ctx, target, mech, flags, time, bindings, in, actual_mech, out,
                   ret_flags, ret_time))
PRISN_GSS_FORWARD(gss_release_buffer, (OM_uint32 * minor, void* buffer), (minor, buffer))
PRISN_GSS_FORWARD(gss_release_name, (OM_uint32 * minor, void* name), (minor, name))
PRISN_GSS_FORWARD(gss_release_oid_set, (OM_uint32 * minor, void* set), (minor, set))

#undef PRISN_GSS_FORWARD
}
