"""Realistic field values, chosen by the field's name and type.

What real traffic carries, not what a fuzzer makes: resource names, dotted type
names, URLs, paths, hostnames, UUIDs, hex and base64 ids, e-mail addresses,
sentences (some multi-line, some not ASCII), enum-like tokens; timestamps, ports,
counters, durations, latencies, ratios; trace ids and hashes as bytes. Every
function takes a seeded ``random.Random``: the same seed gives the same values.
"""

from __future__ import annotations

import hashlib
import random
import string
import uuid

WORDS = [
    "order", "sample", "user", "account", "project", "location", "instance", "cluster",
    "node", "pod", "service", "request", "response", "payment", "invoice", "customer",
    "product", "item", "cart", "session", "token", "event", "metric", "trace", "span",
    "log", "bucket", "object", "table", "dataset", "job", "task", "queue", "topic",
    "region", "zone", "alpha", "beta", "gamma", "delta", "prod", "staging", "dev",
    "default", "primary", "secondary", "backup", "cache", "billing", "storage", "compute",
    "network", "firewall", "router", "gateway", "proxy", "frontend", "backend", "api",
    "worker", "scheduler", "controller", "operator", "admin", "viewer", "editor", "owner",
    "member", "group", "role",
]
NAMES = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov",
         "Ken Thompson", "Margaret Hamilton", "Donald Knuth", "Frances Allen", "John McCarthy",
         "Zoë Müller", "José Álvarez", "Søren Kierkegaard", "山田太郎", "Ирина Петрова",
         "Nguyễn Văn An", "Łukasz Żółć", "O'Brien", "Jean-Luc Picard", "李小龙"]
TLDS = ["com", "org", "net", "io", "dev", "cloud", "internal", "local", "co.uk", "de"]
SENTENCES = [
    "The request was rejected because the quota was exceeded.",
    "Permission denied on resource project.",
    "Deadline exceeded while waiting for the backend.",
    "Invalid argument: field 'name' must not be empty.",
    "Retry the request after the indicated delay.",
    "The caller does not have permission to execute the specified operation.",
    "Resource has been exhausted (e.g. check quota).",
    "Der Auftrag wurde erfolgreich übermittelt.",
    "La requête a échoué : délai d'attente dépassé.",
    "リクエストは正常に処理されました。",
    "connection reset by peer",
    "upstream connect error or disconnect/reset before headers",
    "Lists all the operations that match the specified filter in the request.",
    "Required. The resource name of the operation to be cancelled.",
]
VERBS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
MIME = ["application/json", "application/grpc", "text/plain; charset=utf-8", "image/png",
        "application/x-protobuf", "text/html", "application/octet-stream"]
LANGS = ["en", "en-US", "fr-FR", "de", "ja-JP", "pt-BR", "zh-Hans"]
TIMEZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CHF"]
COUNTRIES = ["US", "FR", "DE", "JP", "GB", "BR", "IN"]


def word(rng: random.Random) -> str:
    return rng.choice(WORDS)


def identifier(rng: random.Random) -> str:
    """snake_case, camelCase or PascalCase, as in schemas and code."""
    parts = [word(rng) for _ in range(rng.randint(1, 3))]
    style = rng.randrange(3)
    if style == 0:
        return "_".join(parts)
    if style == 1:
        return parts[0] + "".join(p.capitalize() for p in parts[1:])
    return "".join(p.capitalize() for p in parts)


def dotted_name(rng: random.Random) -> str:
    """A package-qualified name: ``google.cloud.billing.v1.Invoice``."""
    package = ["google", "acme", "io", "com.example", "grpc", "opentelemetry"][rng.randrange(6)]
    middle = ".".join(word(rng) for _ in range(rng.randint(0, 2)))
    version = rng.choice(["v1", "v2", "v1beta1", "v1alpha", ""])
    leaf = "".join(w.capitalize() for w in (word(rng), word(rng)))
    return ".".join(p for p in (package, middle, version, leaf) if p)


def hostname(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return f"{word(rng)}-{rng.randint(0, 99)}.{word(rng)}.{rng.choice(TLDS)}"
    if kind == 1:
        return f"{word(rng)}.googleapis.com"
    if kind == 2:
        return f"ip-10-{rng.randint(0, 255)}-{rng.randint(0, 255)}-{rng.randint(0, 255)}.ec2.internal"
    return f"{word(rng)}-{uuid.UUID(int=rng.getrandbits(128)).hex[:5]}-{rng.randint(0, 9)}"


def url(rng: random.Random) -> str:
    scheme = rng.choice(["https", "https", "http", "grpc", "s3", "gs"])
    query = "" if rng.random() < 0.6 else f"?{word(rng)}={rng.randint(0, 999)}&page={rng.randint(1, 9)}"
    return f"{scheme}://{hostname(rng)}{path(rng)}{query}"


def path(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return "/" + "/".join(word(rng) for _ in range(rng.randint(1, 4)))
    if kind == 1:
        return f"/v1/{word(rng)}s/{rng.randint(1, 10**6)}"
    if kind == 2:
        return f"/{dotted_name(rng)}/{identifier(rng).capitalize()}"
    return f"src/{word(rng)}/{identifier(rng)}.{rng.choice(['py', 'go', 'proto', 'rs', 'java'])}"


def resource_name(rng: random.Random) -> str:
    parts = ["projects", f"{word(rng)}-{rng.randint(100, 99999)}"]
    if rng.random() < 0.7:
        parts += ["locations", rng.choice(["us-central1", "europe-west1", "global", "asia-east1"])]
    if rng.random() < 0.7:
        parts += [word(rng) + "s", uuid_text(rng) if rng.random() < 0.3 else word(rng)]
    return "/".join(parts)


def uuid_text(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def hex_id(rng: random.Random, size: int | None = None) -> str:
    return rng.randbytes(size or rng.choice([4, 8, 16, 20, 32])).hex()


def any_id(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return uuid_text(rng)
    if kind == 1:
        return hex_id(rng)
    if kind == 2:
        return str(rng.randint(1, 10**12))
    if kind == 3:
        return f"{word(rng)}-{rng.randint(1, 99999)}"
    if kind == 4:
        alphabet = string.ascii_letters + string.digits
        return "".join(rng.choice(alphabet) for _ in range(rng.choice([11, 22, 27])))
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(26))


def email(rng: random.Random) -> str:
    return f"{word(rng)}.{word(rng)}{rng.randint(0, 99)}@{word(rng)}.{rng.choice(TLDS)}"


def sentence(rng: random.Random) -> str:
    text = rng.choice(SENTENCES)
    if rng.random() < 0.15:
        text += "\n" + rng.choice(SENTENCES)
    if rng.random() < 0.1:
        text = " " + text + "\n"  # leading comment style of protoc's source info
    return text


def semver(rng: random.Random) -> str:
    return f"{rng.randint(0, 3)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}" + (
        rng.choice(["", "", "-beta", "-rc.1"]))


def http_pattern(rng: random.Random) -> str:
    collection = word(rng) + "s"
    return rng.choice([f"/v1/{{name=projects/*/{collection}/*}}",
                       f"/v1/{{parent=projects/*}}/{collection}",
                       f"/v2/{collection}/{{id}}:{word(rng)}",
                       f"/v1/{collection}"])


def text_for(name: str, rng: random.Random) -> str:
    """A realistic value for a string field called ``name``."""
    n = name.lower()
    if n == "type_url":
        return "type.googleapis.com/" + dotted_name(rng)
    if "url" in n or "uri" in n or "link" in n or n == "referer":
        return url(rng)
    if "email" in n or n == "principal":
        return email(rng)
    if "host" in n or "domain" in n or "authority" in n or n == "server_ip":
        return hostname(rng)
    if n.endswith("ip") or ("address" in n and "postal" not in n):
        return f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if n in ("get", "put", "post", "delete", "patch") or "pattern" in n or "template" in n:
        return http_pattern(rng)
    if "path" in n or n in ("file", "filename", "source_file", "dependency", "file_name"):
        return path(rng)
    if n in ("selector", "full_name", "type_name", "extendee", "input_type", "output_type",
             "service", "package", "metric_kind", "root_url") or ("type" in n and n != "type"):
        return (".") * (n in ("type_name", "extendee", "input_type", "output_type")) + dotted_name(rng)
    if n.endswith("_id") or n in ("id", "uid", "etag", "request_id", "nonce") or "token" in n:
        return any_id(rng)
    if "version" in n:
        return semver(rng)
    if n in ("method", "verb", "http_method", "request_method"):
        return rng.choice(VERBS)
    if "mime" in n or "content_type" in n:
        return rng.choice(MIME)
    if "lang" in n or "locale" in n:
        return rng.choice(LANGS)
    if "time_zone" in n or "timezone" in n:
        return rng.choice(TIMEZONES)
    if "currency" in n:
        return rng.choice(CURRENCIES)
    if "region_code" in n or "country" in n:
        return rng.choice(COUNTRIES)
    if n in ("description", "message", "detail", "details", "summary", "comment", "text",
             "leading_comments", "trailing_comments", "body", "reason_text", "documentation",
             "overview", "status_message", "error_message", "deprecation_description"):
        return sentence(rng)
    if n in ("display_name", "person_name", "recipients", "organization", "author"):
        return rng.choice(NAMES)
    if n in ("name", "resource", "parent", "resource_name", "service_name"):
        kind = rng.randrange(4)
        return (resource_name(rng), identifier(rng), dotted_name(rng), word(rng))[kind]
    if n in ("key", "label", "labels", "attribute"):
        return rng.choice([identifier(rng), f"{word(rng)}.{word(rng)}",
                           f"{word(rng)}.{word(rng)}.{word(rng)}", word(rng)])
    if n in ("reason", "code", "status", "state", "kind", "severity", "unit"):
        return rng.choice([identifier(rng).upper(), word(rng).upper() + "_" + word(rng).upper(),
                           rng.choice(["ms", "s", "By", "1", "{request}", "%"])])
    return random_text(rng)


def random_text(rng: random.Random) -> str:
    """Any of the kinds of text above, for a field whose name says nothing."""
    pick = rng.randrange(12)
    return (word, identifier, dotted_name, hostname, url, path, resource_name, uuid_text,
            any_id, email, sentence, semver)[pick](rng)


def bytes_for(name: str, rng: random.Random) -> bytes:
    """A realistic value for a bytes field called ``name``: binary, as bytes fields are."""
    n = name.lower()
    if n in ("trace_id",):
        return rng.randbytes(16)
    if n in ("span_id", "parent_span_id"):
        return rng.randbytes(8)
    if "sha256" in n or "digest" in n or "hash" in n:
        return hashlib.sha256(rng.randbytes(8)).digest()
    if "etag" in n or "token" in n or "key" in n or "nonce" in n or "signature" in n:
        return rng.randbytes(rng.choice([12, 16, 24, 32, 64]))
    kind = rng.randrange(5)
    if kind == 0:
        return hashlib.sha1(rng.randbytes(8)).digest()
    if kind == 1:
        return uuid.UUID(int=rng.getrandbits(128)).bytes
    if kind == 2:
        return rng.randbytes(rng.randint(1, 64))
    if kind == 3:
        return rng.randbytes(rng.choice([4, 8, 16]))  # ids, IPv4/IPv6 addresses
    return rng.randbytes(rng.randint(100, 600))  # blobs, images, ciphertext


def int_for(name: str, bits: int, signed: bool, rng: random.Random) -> int:
    """A realistic integer for a field called ``name`` of ``bits`` width."""
    n = name.lower()
    if "unix_nano" in n or (n.endswith("_nanos") and "time" in n):
        value = rng.randint(1_700_000_000, 1_800_000_000) * 10**9 + rng.randint(0, 10**9 - 1)
    elif n == "seconds" or n.endswith("_seconds") or "epoch" in n:
        value = rng.choice([rng.randint(0, 3600), rng.randint(1_600_000_000, 1_800_000_000)])
    elif n == "nanos":
        value = rng.choice([0, rng.randint(0, 999_999_999), rng.randint(0, 999) * 10**6])
    elif "port" in n:
        value = rng.choice([80, 443, 8080, 50051, rng.randint(1024, 65535)])
    elif "count" in n or n in ("size", "total", "length", "number", "index", "line", "column"):
        value = int(rng.expovariate(1 / rng.choice([3, 30, 1000])))
    elif n in ("code", "status", "status_code", "http_status", "response_code"):
        value = rng.choice([0, 0, 1, 3, 5, 7, 13, 14, 200, 404, 500, 503])
    elif "size" in n or "bytes" in n:
        value = int(rng.expovariate(1 / 4096))
    elif "flags" in n or "mask" in n:
        value = rng.choice([0, 1, 256, 257, rng.getrandbits(8)])
    else:
        value = rng.choice([0, 1, 2, 3, rng.randint(0, 100), rng.randint(0, 10**6),
                            rng.randint(0, 2**31 - 1), rng.randint(-1000, -1)])
    if not signed:
        value = abs(value)
    limit = 1 << (bits - 1 if signed else bits)
    return max(min(value, limit - 1), -limit if signed else 0)


def float_for(name: str, rng: random.Random) -> float:
    n = name.lower()
    if "ratio" in n or "fraction" in n or "probability" in n or "sampling" in n:
        return rng.random()
    if "latitude" in n:
        return rng.uniform(-90, 90)
    if "longitude" in n:
        return rng.uniform(-180, 180)
    if n in ("w", "x", "y", "z", "red", "green", "blue", "alpha", "value"):
        return rng.choice([0.0, 0.5, 1.0, rng.random()])
    return rng.choice([0.0, 1.0, rng.random() * 100, rng.expovariate(1 / 250),
                       round(rng.uniform(-50, 50), 2), float(rng.randint(0, 10**6))])
