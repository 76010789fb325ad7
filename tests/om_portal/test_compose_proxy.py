"""The stack publishes the web port where only the TLS proxy reaches it, and believes
X-Forwarded-For from that proxy only (issue 14, Medium 4)."""

import ipaddress

import yaml

from tests.om_portal.test_deploy_files import APP_SERVICES, REQUIRED, run_compose_config


def test_the_web_port_is_not_published_beside_the_proxy(tmp_path):
    result = run_compose_config(tmp_path, REQUIRED)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    published = config["services"]["web"]["ports"]
    # Loopback by default: the proxy on this host, nobody else (0.0.0.0 would be everyone).
    assert [str(port).split(":")[0] for port in published] == ["127.0.0.1"]
    subnet = ipaddress.ip_network(config["networks"]["default"]["ipam"]["config"][0]["subnet"])
    for name in APP_SERVICES:
        environment = config["services"][name]["environment"]
        proxies = [ipaddress.ip_network(p, strict=False) for p in environment["TRUSTED_PROXIES"].split(",")]
        # The gateway of the stack's own network, where the published port's traffic comes from.
        assert proxies == [ipaddress.ip_network(next(subnet.hosts()))]
        assert 0 < int(environment["API_TOKEN_LIFETIME_HOURS"]) <= 168
