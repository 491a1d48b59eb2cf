# Varnish in front of syndic (SPEC §8). Needs vmod-xkey (Debian:
# varnish-modules). Run syndic with --cdn-max-age (say 86400) and
# --purge varnish+http://VARNISH_HOST:PORT/; syndic then purges by surrogate
# key on every change, so Varnish may keep each response for a day.
vcl 4.1;

import xkey;

backend syndic {
    .host = "127.0.0.1";
    .port = "8080";
    .connect_timeout = 1s;
    .first_byte_timeout = 10s;
    .probe = {
        .url = "/healthz";
        .interval = 2s;
        .timeout = 1s;
        .window = 3;
        .threshold = 2;
    }
}

# Who may purge: the syndic nodes.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "No xkey-purge header"));
        }
        # A hard purge: the next request fetches the new content, never a
        # stale copy (a soft purge would serve it once more).
        set req.http.x-purged = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.x-purged));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # The write API's reads carry a token: never shared.
    if (req.http.Authorization || req.url ~ "^/api/v1/(articles|categories)" ) {
        return (pass);
    }
    # Metrics and health are the node's own.
    if (req.url ~ "^/(metrics|healthz|readyz)") {
        return (pass);
    }
    unset req.http.Cookie;
    return (hash);
}

sub vcl_backend_response {
    # syndic names what each response depends on; xkey reads `xkey`.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
    # Errors are not kept: a category created after a 404 must show at once.
    if (beresp.status >= 400) {
        set beresp.ttl = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # The TTL comes from s-maxage. Past it, serve the old copy while one
    # background fetch revalidates it, and for a day if syndic cannot answer
    # (syndic's stale-if-error); keep it a day longer for conditional
    # requests (If-None-Match / If-Modified-Since) to syndic.
    set beresp.grace = 24h;
    set beresp.keep = 24h;
    return (deliver);
}

sub vcl_deliver {
    # The keys are for this cache only.
    unset resp.http.xkey;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
