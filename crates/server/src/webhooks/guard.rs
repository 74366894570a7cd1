//! Server-side request forgery: a webhook URL is a client telling the
//! service where to connect. Only `http` and `https` are taken, and no
//! address that is loopback, private, shared (CGNAT), link-local (with the
//! cloud metadata address), multicast, broadcast or unspecified, unless its
//! host is in `webhooks.allowed_hosts`. Names are checked when an endpoint
//! is registered and again at every connection, by the resolver the
//! sending client uses: the address connected to is the address checked,
//! so a name that resolves elsewhere later (DNS rebinding) is refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use url::{Host, Url};

/// Why an address may not be sent to, or `None` when it may.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(v6),
        },
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(match () {
        _ if ip == Ipv4Addr::new(169, 254, 169, 254) => "the cloud metadata address",
        _ if ip.is_loopback() => "a loopback address",
        _ if ip.is_private() => "a private address",
        _ if a == 100 && (64..128).contains(&b) => "a shared (carrier-grade NAT) address",
        _ if ip.is_link_local() => "a link-local address",
        _ if ip.is_multicast() => "a multicast address",
        _ if ip.is_broadcast() => "the broadcast address",
        _ if ip.is_unspecified() || a == 0 => "an unspecified address",
        _ => return None,
    })
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    Some(match () {
        _ if ip.is_loopback() => "a loopback address",
        _ if ip.is_unspecified() => "an unspecified address",
        _ if first & 0xfe00 == 0xfc00 => "a private address",
        _ if first & 0xffc0 == 0xfe80 => "a link-local address",
        _ if ip.is_multicast() => "a multicast address",
        // fd00:ec2::254, the metadata address over IPv6, is in fc00::/7 above.
        _ => return None,
    })
}

/// The hosts a deployment allows despite their addresses.
#[derive(Clone, Debug, Default)]
pub struct AllowedHosts(Arc<Vec<String>>);

impl AllowedHosts {
    pub fn new(hosts: &[String]) -> Self {
        AllowedHosts(Arc::new(hosts.iter().map(|h| h.trim().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase()).collect()))
    }

    fn allows(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        self.0.iter().any(|h| *h == host)
    }
}

/// A webhook URL, checked: `http` or `https`, a host, and (when the host
/// is an address) an address that may be sent to.
///
/// # Errors
/// What is wrong with it, for the client.
pub fn check_url(text: &str, allowed: &AllowedHosts) -> Result<Url, String> {
    if text.len() > 2048 {
        return Err("the webhook URL is longer than 2048 characters".to_string());
    }
    let url = Url::parse(text).map_err(|e| format!("the webhook URL is not a URL: {e}"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!("webhook URLs are http or https, not {}", url.scheme()));
    }
    let host = url.host_str().ok_or("the webhook URL has no host")?.to_string();
    if allowed.allows(&host) {
        return Ok(url);
    }
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        _ => None,
    };
    if let Some(reason) = ip.and_then(forbidden) {
        return Err(format!("webhooks are not sent to {reason} ({host})"));
    }
    Ok(url)
}

/// [`check_url`], then the host's addresses: refused when every address it
/// resolves to is forbidden (at registration; the resolver checks again
/// at each connection).
///
/// # Errors
/// What is wrong with it, for the client.
pub async fn check_url_resolving(text: &str, allowed: &AllowedHosts) -> Result<Url, String> {
    let url = check_url(text, allowed)?;
    let host = url.host_str().unwrap_or_default().to_string();
    if allowed.allows(&host) || matches!(url.host(), Some(Host::Ipv4(_) | Host::Ipv6(_))) {
        return Ok(url);
    }
    resolve(&host, allowed).await?;
    Ok(url)
}

/// The addresses of `host` that may be sent to.
///
/// # Errors
/// The name does not resolve, or only to forbidden addresses.
async fn resolve(host: &str, allowed: &AllowedHosts) -> Result<Vec<SocketAddr>, String> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await.map_err(|e| format!("the webhook host {host} does not resolve: {e}"))?.collect();
    if allowed.allows(host) {
        return Ok(addresses);
    }
    let mut reasons = Vec::new();
    let usable: Vec<SocketAddr> = addresses
        .into_iter()
        .filter(|a| match forbidden(a.ip()) {
            Some(reason) => {
                reasons.push(reason);
                false
            }
            None => true,
        })
        .collect();
    if usable.is_empty() {
        let reason = reasons.first().copied().unwrap_or("no address");
        return Err(format!("webhooks are not sent to {reason} ({host} resolves to it)"));
    }
    Ok(usable)
}

/// The resolver of the client that sends webhooks: only addresses that may
/// be sent to are ever connected to.
#[derive(Clone, Debug, Default)]
pub struct GuardedResolver {
    pub allowed: AllowedHosts,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allowed = self.allowed.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addresses = resolve(&host, &allowed).await?;
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_internal_class_is_refused_and_public_addresses_pass() {
        let none = AllowedHosts::default();
        for (url, class) in [
            ("http://127.0.0.1:8080/hook", "loopback"),
            ("http://[::1]/hook", "loopback"),
            ("http://10.1.2.3/", "private"),
            ("http://172.16.0.9/", "private"),
            ("http://192.168.1.1/", "private"),
            ("http://[fd00::1]/", "private"),
            ("http://100.64.0.1/", "shared"),
            ("http://169.254.169.254/latest/meta-data/", "metadata"),
            ("http://169.254.1.1/", "link-local"),
            ("http://[fe80::1]/", "link-local"),
            ("http://224.0.0.1/", "multicast"),
            ("http://[ff02::1]/", "multicast"),
            ("http://255.255.255.255/", "broadcast"),
            ("http://0.0.0.0/", "unspecified"),
            ("http://[::ffff:127.0.0.1]/", "loopback"),
            ("http://[::ffff:169.254.169.254]/", "metadata"),
        ] {
            let error = check_url(url, &none).unwrap_err();
            assert!(error.contains(class), "{url}: {error}");
        }
        for url in ["ftp://example.com/", "file:///etc/passwd", "gopher://example.com/"] {
            assert!(check_url(url, &none).unwrap_err().contains("http or https"), "{url}");
        }
        for url in ["https://example.com/hook", "http://93.184.216.34/", "https://[2606:2800:220:1::1]/"] {
            assert!(check_url(url, &none).is_ok(), "{url}");
        }
        let allowed = AllowedHosts::new(&["127.0.0.1".to_string(), "Receiver.Internal".to_string()]);
        assert!(check_url("http://127.0.0.1:9000/", &allowed).is_ok());
        assert!(check_url("http://receiver.internal/", &allowed).is_ok());
        assert!(check_url("http://127.0.0.2/", &allowed).is_err());
    }

    #[tokio::test]
    async fn a_name_is_checked_by_the_address_it_resolves_to() {
        let none = AllowedHosts::default();
        let error = check_url_resolving("http://localhost:9/", &none).await.unwrap_err();
        assert!(error.contains("loopback") && error.contains("localhost"), "{error}");
        // The sending client's resolver refuses it at connection time as well.
        let resolver = GuardedResolver { allowed: none };
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let refused = reqwest::dns::Resolve::resolve(&resolver, name).await;
        assert!(refused.is_err());
        let allowed = GuardedResolver { allowed: AllowedHosts::new(&["localhost".to_string()]) };
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        assert!(reqwest::dns::Resolve::resolve(&allowed, name).await.unwrap().next().is_some());
    }
}
