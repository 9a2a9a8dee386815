#include "node/dashboard.hpp"

#include <string>

namespace p2psip::node {

void install_dashboard(ops::http_server& http) {
  for (const auto& f : dashboard_files()) {
    auto serve = [&f](const ops::http_request&, ops::reply_fn reply) {
      reply(ops::http_response::text(200, std::string(f.type), std::string(f.body)));
    };
    if (f.path == "/index.html") http.public_route("/", serve);
    http.public_route(std::string(f.path), serve);
  }
}

}  // namespace p2psip::node
