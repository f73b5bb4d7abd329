"""The compose check itself: each service's settings that hand the container the host, per rule."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import yaml

from mergeguard.scanners.compose.document import Document, Service, end_line, line, scalar

_TRUE = frozenset({"true", "yes", "on", "y"})  # compose-go's toBoolean (YAML 1.1's spellings, `y` too)
# `net` is version 1's `network_mode`.
_HOST_NAMESPACES = {
    "network_mode": "COMPOSE-002",
    "net": "COMPOSE-002",
    "pid": "COMPOSE-003",
    "ipc": "COMPOSE-004",
    "uts": "COMPOSE-005",
}
_HOST_CAPABILITIES = frozenset({"SYS_ADMIN", "ALL"})  # COMPOSE-006; any other added one: COMPOSE-007
# What Docker gives every container already (moby's `DefaultCapabilities`): adding one changes nothing.
_DOCKER_DEFAULT = frozenset(
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
        "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    }
)  # fmt: skip
_UNCONFINED = {("seccomp", "unconfined"), ("apparmor", "unconfined"), ("label", "disable")}
_SYSTEM_DIRECTORIES = frozenset({"/", "/etc", "/proc", "/sys"})
_SOCKETS = ("/docker.sock", "/docker.sock.raw", "/podman.sock")  # `.raw`: Docker Desktop's own
_SOCKET_DIRECTORIES = frozenset({"/run", "/var/run"})  # the whole directory shares the sockets in it


@dataclass(frozen=True, slots=True)
class Hit:
    """One rule broken by one service, at the lines of the setting that breaks it."""

    rule: str
    service: str
    line: int
    end_line: int
    detail: str


def check(document: Document) -> list[Hit]:
    """Every rule broken by every service of the file."""
    return [hit for service in document.services() for each in _CHECKS for hit in each(document, service)]


def _at(rule: str, service: Service, node: yaml.Node, detail: str) -> Hit:
    return Hit(rule, service.name, line(node), end_line(node), detail)


def _privileged(document: Document, service: Service) -> Iterator[Hit]:
    value = _value(service, "privileged")
    if value is not None and (scalar(value) or "").strip().lower() in _TRUE:
        yield _at("COMPOSE-001", service, value, "privileged: true")


def _namespaces(document: Document, service: Service) -> Iterator[Hit]:
    for key, rule in _HOST_NAMESPACES.items():
        value = _value(service, key)
        if value is not None and (scalar(value) or "").strip().lower() == "host":
            yield _at(rule, service, value, f"{key}: host")


def _capabilities(document: Document, service: Service) -> Iterator[Hit]:
    for item in _list(document, service, "cap_add"):
        name = (scalar(item) or "").strip().upper().removeprefix("CAP_")
        if name in _HOST_CAPABILITIES:
            yield _at("COMPOSE-006", service, item, f"cap_add: {name}")
        elif name and name not in _DOCKER_DEFAULT and "$" not in name:  # `${CAP}`: unknown until run
            yield _at("COMPOSE-007", service, item, f"cap_add: {name}")


def _security_options(document: Document, service: Service) -> Iterator[Hit]:
    for item in _list(document, service, "security_opt"):
        text = "".join((scalar(item) or "").split()).lower()
        option, _, value = text.replace("=", ":", 1).partition(":")
        if (option, value) in _UNCONFINED:
            yield _at("COMPOSE-008", service, item, f"security_opt: {option}:{value}")
        elif option == "no-new-privileges" and value == "false":
            yield _at("COMPOSE-009", service, item, "security_opt: no-new-privileges:false")
        elif option == "systempaths" and value == "unconfined":
            yield _at("COMPOSE-013", service, item, "security_opt: systempaths=unconfined")


def _volumes(document: Document, service: Service) -> Iterator[Hit]:
    for item in _list(document, service, "volumes"):
        source = _mount_source(document, item)
        if source is None or not source.startswith("/"):
            continue  # a named volume, a relative path (the project's own files), or unknown
        clean = posixpath.normpath(source).replace("//", "/")
        if clean.endswith(_SOCKETS) or clean in _SOCKET_DIRECTORIES:
            yield _at("COMPOSE-010", service, item, f"volume from {clean}")
        elif clean in _SYSTEM_DIRECTORIES:
            yield _at("COMPOSE-011", service, item, f"volume from {clean}")


def _mount_source(document: Document, item: yaml.Node) -> str | None:
    """The host side of a volume: `SRC:DST[:MODE]` (short syntax) or `source:` (long syntax); for a
    named volume, the host directory its `driver_opts` bind (`type: none`, `o: bind`, `device: /`).
    A long `source` that is an absolute path is that path whatever `type` says: no volume is named
    so (Docker refuses the name), and compose merges a later document's entry for the same target
    into it (`{target: /h, type: bind}` after `{target: /h, type: volume, source: /}`)."""
    if isinstance(item, yaml.MappingNode):
        keys = document.mapping(item)
        kind = scalar(keys["type"][1]) if "type" in keys else "volume"
        source = scalar(keys["source"][1]) if "source" in keys else None
        if kind == "bind" or source is None or source.strip().startswith("/"):
            return source.strip() if source is not None else None
        return _bound_device(document, source.strip())
    text = scalar(item)
    if text is None or ":" not in text:
        return None  # an anonymous volume: a path in the container only
    source = text.split(":", 1)[0].strip()
    return source if source.startswith(("/", ".", "~", "$")) else _bound_device(document, source)


def _bound_device(document: Document, name: str) -> str | None:
    """The host path the named volume `name` binds (the local driver's `o: bind` and `device`), if any."""
    options = document.driver_opts(name)
    flags = (scalar(options["o"][1]) or "") if "o" in options else ""
    device = scalar(options["device"][1]) if "device" in options else None
    binds = {"bind", "rbind"} & {flag.strip() for flag in flags.split(",")}
    return device.strip() if device is not None and binds else None


def _environment(document: Document, service: Service) -> Iterator[Hit]:
    value = _value(service, "environment")
    if value is None:
        return
    if isinstance(value, yaml.MappingNode):
        pairs = [(k, scalar(v[1]) or "", v[1]) for k, v in document.mapping(value).items()]
    else:
        texts = [(scalar(item) or "", item) for item in document.items(value)]
        pairs = [(t.partition("=")[0], t.partition("=")[2], item) for t, item in texts]
    for name, setting, node in pairs:
        if name.strip() == "POSTGRES_HOST_AUTH_METHOD" and setting.strip().lower() == "trust":
            yield _at("COMPOSE-012", service, node, "POSTGRES_HOST_AUTH_METHOD: trust")


def _value(service: Service, key: str) -> yaml.Node | None:
    pair = service.keys.get(key)
    return pair[1] if pair is not None else None


def _list(document: Document, service: Service, key: str) -> list[yaml.Node]:
    value = _value(service, key)
    return document.items(value) if value is not None else []


_CHECKS: tuple[Callable[[Document, Service], Iterator[Hit]], ...] = (
    _privileged,
    _namespaces,
    _capabilities,
    _security_options,
    _volumes,
    _environment,
)
