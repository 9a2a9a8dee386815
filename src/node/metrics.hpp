// GET /metrics: the node in the Prometheus text format, for a scraper
// (Prometheus, VictoriaMetrics, Grafana Agent) and `promtool check metrics`.
//
// Names follow the conventions of the field (prometheus.io/docs/practices/
// naming, and the Kamailio and OpenSIPS exporters' choices): the p2psip_
// prefix, _total on counters, base units (seconds, bytes), the message's
// method, status code and class as labels (sip_requests_received_total
// {method="INVITE"}, sip_responses_sent_total{code="486",class="4xx"}).
// Process metrics carry the process_ prefix every exporter uses, so the
// dashboards people already have show them. docs/operations.md lists them.
#pragma once

#include <string>

#include "node/api.hpp"

namespace p2psip::node {

std::string metrics_of(const api_sources& sources, const ops::http_counters& api);

}  // namespace p2psip::node
