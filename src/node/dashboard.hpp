// The dashboard: a page the node serves on its API listener (GET /), built
// into the binary (src/node/dashboard/, embedded by cmake/embed_files.cmake).
// The page draws what the API's JSON routes say (/status, /nodes, /key,
// /bindings, /ladder, /metrics); its files are public routes, the data
// needs the API token like everything else (the page takes it from the
// address: http://HOST:PORT/#token=TOKEN).
#pragma once

#include <span>
#include <string_view>

#include "ops/http_server.hpp"

namespace p2psip::node {

struct web_file {
  std::string_view path;  // "/index.html"
  std::string_view type;  // its Content-Type
  std::string_view body;
};

std::span<const web_file> dashboard_files();

// GET / and GET /<file> for every file of the dashboard.
void install_dashboard(ops::http_server& http);

}  // namespace p2psip::node
