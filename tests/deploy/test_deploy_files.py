"""Static checks of the deployment files: Collector config, Dockerfile, docker compose, Kubernetes.

Reads: ``otel-config.yaml``, ``deploy/**`` and ``pyproject.toml``. Writes: nothing. Config keys: none.

Nothing here builds an image or starts a container (CI has neither Docker nor Kubernetes); the tests
check the structure and the cross-references between files that would otherwise only fail at deploy time:
ports, probe paths, mounted files, pipeline wiring. The gateway config is only parsed as YAML here: its
loader has tests of its own.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
OTEL_CONFIG = REPO / "otel-config.yaml"
GATEWAY_CONFIG = DEPLOY / "config" / "inferwatch.yaml"
COMPOSE = DEPLOY / "docker-compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
KUBERNETES = DEPLOY / "kubernetes"
K8S_FILES = ("namespace.yaml", "configmap.yaml", "statefulset.yaml", "service.yaml")

GRPC_PORT = 4317
HTTP_PORT = 4318
DATA_DIR = "/var/lib/inferwatch"
CONFIG_IN_IMAGE = "/etc/inferwatch/inferwatch.yaml"
SIGNALS = ("traces", "metrics", "logs")
ENV_REFERENCE = re.compile(r"\$\{[^}]*\}")
GATEWAY_ENV_SYNTAX = re.compile(r"\$\{[A-Z_][A-Z0-9_]*(?::-[^}]*)?\}")


# --- helpers ------------------------------------------------------------------------------------------


def load_documents(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc is not None]


def load_one(path: Path) -> dict[str, Any]:
    documents = load_documents(path)
    assert len(documents) == 1, f"{path}: expected one YAML document, found {len(documents)}"
    assert isinstance(documents[0], dict), f"{path}: top level must be a mapping"
    return documents[0]


def component_type(component_id: str) -> str:
    """Collector component ids are ``type`` or ``type/name``."""
    return component_id.split("/", 1)[0]


def k8s_objects() -> list[dict[str, Any]]:
    objects = []
    for name in K8S_FILES:
        objects.extend(load_documents(KUBERNETES / name))
    return objects


def k8s_object(kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in k8s_objects() if o.get("kind") == kind and o["metadata"].get("name") == name]
    assert len(matches) == 1, f"expected exactly one {kind} {name!r}, found {len(matches)}"
    return matches[0]


def the_statefulset() -> dict[str, Any]:
    sets = [o for o in k8s_objects() if o.get("kind") == "StatefulSet"]
    assert len(sets) == 1, f"expected one StatefulSet, found {len(sets)}"
    return sets[0]


def gateway_container(statefulset: dict[str, Any]) -> dict[str, Any]:
    containers = statefulset["spec"]["template"]["spec"]["containers"]
    matches = [c for c in containers if c["name"] == "inferwatch"]
    assert len(matches) == 1, "the StatefulSet must have one container named inferwatch"
    return matches[0]


def container_port_number(container: dict[str, Any], port: int | str) -> int:
    """A probe's or Service's port, given as a number or a container port name, as a number."""
    declared = {p["containerPort"] for p in container.get("ports", [])}
    if isinstance(port, int):
        assert port in declared, f"port {port} is not a containerPort of {container['name']}: {declared}"
        return port
    by_name = {p["name"]: p["containerPort"] for p in container.get("ports", []) if "name" in p}
    assert port in by_name, f"port name {port!r} is not declared by container {container['name']}"
    return by_name[port]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        line, pending = pending + line, ""
        keyword, _, arguments = line.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    assert not pending, "Dockerfile ends inside a continued line"
    return instructions


def dockerfile_args(keyword: str) -> list[str]:
    return [arguments for instruction, arguments in dockerfile_instructions() if instruction == keyword]


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), f"expected the JSON (exec) form, got {arguments!r}"
    assert all(isinstance(item, str) for item in value)
    return value


def without_flags(arguments: str) -> list[str]:
    """Words of an instruction after its ``--flag=value`` options (HEALTHCHECK, COPY)."""
    words = shlex.split(arguments) if not arguments.lstrip().startswith("[") else exec_form(arguments)
    return [w for w in words if not w.startswith("--")]


def compose() -> dict[str, Any]:
    return load_one(COMPOSE)


def compose_service(name: str) -> dict[str, Any]:
    services = compose()["services"]
    assert name in services, f"docker-compose.yaml has no service {name!r}: {sorted(services)}"
    return services[name]


def compose_environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def bind_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of the service's bind mounts (sources that are paths, not named volumes)."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            if volume.get("type") == "bind":
                mounts.append((volume["source"], volume["target"]))
            continue
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts.append((source, target))
    return mounts


def published_ports(service: dict[str, Any]) -> dict[int, int]:
    """Container port -> host port, from the short ``"[ip:]host:container[/proto]"`` syntax."""
    mapping = {}
    for entry in service.get("ports", []):
        parts = str(entry).split("/")[0].split(":")
        assert len(parts) >= 2, f"port {entry!r} is not published on the host"
        mapping[int(parts[-1])] = int(parts[-2])
    return mapping


# --- every file -----------------------------------------------------------------------------------------


def test_every_yaml_file_parses_to_mappings() -> None:
    # Alert rule files may be a top-level list (the guide's format); tests/processors/alerting loads them.
    rules = DEPLOY / "rules"
    paths = sorted(
        path
        for path in [OTEL_CONFIG, *DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")]
        if rules not in path.parents
    )
    expected = {OTEL_CONFIG, GATEWAY_CONFIG, COMPOSE, *(KUBERNETES / name for name in K8S_FILES)}
    assert expected <= set(paths), f"missing deploy files: {sorted(map(str, expected - set(paths)))}"
    for path in paths:
        documents = load_documents(path)
        assert documents, f"{path} is empty"
        for document in documents:
            assert isinstance(document, dict), f"{path}: every document must be a mapping"


# --- otel-config.yaml -----------------------------------------------------------------------------------


def test_collector_receives_otlp_grpc_and_http_on_all_interfaces() -> None:
    protocols = load_one(OTEL_CONFIG)["receivers"]["otlp"]["protocols"]
    assert set(protocols) == {"grpc", "http"}
    assert protocols["grpc"]["endpoint"] == f"0.0.0.0:{GRPC_PORT}"
    assert protocols["http"]["endpoint"] == f"0.0.0.0:{HTTP_PORT}"


def test_collector_pipelines_start_with_memory_limiter_and_batch() -> None:
    pipelines = load_one(OTEL_CONFIG)["service"]["pipelines"]
    assert {component_type(name) for name in pipelines} == set(SIGNALS)
    for name, pipeline in pipelines.items():
        processors = pipeline.get("processors", [])
        assert processors, f"pipeline {name} has no processors"
        assert component_type(processors[0]) == "memory_limiter", f"{name}: memory_limiter must be first"
        assert "batch" in map(component_type, processors), f"{name}: no batch processor"
        assert processors.index("batch") > 0


def test_collector_memory_limiter_settings() -> None:
    limiter = load_one(OTEL_CONFIG)["processors"]["memory_limiter"]
    assert limiter == {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 25}


def test_collector_exports_to_the_gateway_with_retries_and_a_queue() -> None:
    exporter = load_one(OTEL_CONFIG)["exporters"]["otlp"]
    assert exporter["endpoint"] == "${env:INFERWATCH_ENDPOINT:-inferwatch:4317}"
    assert exporter["endpoint"].rstrip("}").endswith(f":{GRPC_PORT}")
    assert exporter["tls"]["insecure"] is True
    assert exporter["compression"] == "gzip"
    assert exporter["retry_on_failure"] == {
        "enabled": True,
        "initial_interval": "1s",
        "max_interval": "30s",
        "max_elapsed_time": "300s",
    }
    queue = exporter["sending_queue"]
    assert queue["enabled"] is True
    assert queue["num_consumers"] == 4
    assert queue["queue_size"] == 5000
    assert "storage" not in queue, "a persistent queue needs its file_storage extension (left commented out)"


def test_collector_pipelines_export_to_the_gateway_exporter() -> None:
    config = load_one(OTEL_CONFIG)
    for name, pipeline in config["service"]["pipelines"].items():
        assert pipeline["receivers"] == ["otlp"], name
        assert "otlp" in pipeline["exporters"], name


@pytest.mark.parametrize("kind", ["receivers", "processors", "exporters"])
def test_collector_components_in_pipelines_are_defined_and_all_defined_ones_used(kind: str) -> None:
    config = load_one(OTEL_CONFIG)
    defined = set(config.get(kind) or {})
    used = {component for pipeline in config["service"]["pipelines"].values() for component in pipeline[kind]}
    assert used - defined == set(), f"{kind} used in pipelines but not defined"
    assert defined - used == set(), f"{kind} defined but not used in any pipeline"


def test_collector_extensions_are_defined_and_enabled() -> None:
    config = load_one(OTEL_CONFIG)
    defined = set(config.get("extensions") or {})
    enabled = set(config["service"].get("extensions", []))
    assert enabled - defined == set(), "extensions enabled in service but not defined"
    assert defined - enabled == set(), "extensions defined but not enabled in service"
    assert "health_check" in enabled
    assert config["extensions"]["health_check"]["endpoint"].startswith("0.0.0.0:")


def test_collector_env_references_use_the_env_provider() -> None:
    text = "\n".join(line.split("#", 1)[0] for line in OTEL_CONFIG.read_text(encoding="utf-8").splitlines())
    references = ENV_REFERENCE.findall(text)
    assert references, "expected ${env:INFERWATCH_ENDPOINT...}"
    for reference in references:
        assert reference.startswith("${env:"), f"{reference}: the Collector expects ${{env:NAME}}"


# --- gateway config (deploy/config/inferwatch.yaml and the ConfigMap) ------------------------------------


def assert_gateway_config_for_containers(config: dict[str, Any], where: str) -> None:
    receivers = config["receivers"]
    assert receivers["grpc"]["endpoint"] == f"0.0.0.0:{GRPC_PORT}", where
    assert receivers["http"]["endpoint"] == f"0.0.0.0:{HTTP_PORT}", where
    assert config["data_dir"] == DATA_DIR, where
    assert config["clickhouse"]["dsn"] == "${INFERWATCH_CLICKHOUSE_DSN:-}", where


def test_gateway_config_binds_all_interfaces_and_defaults_to_embedded_clickhouse() -> None:
    assert_gateway_config_for_containers(load_one(GATEWAY_CONFIG), str(GATEWAY_CONFIG))


def test_gateway_config_uses_only_documented_top_level_keys_and_env_syntax() -> None:
    config = load_one(GATEWAY_CONFIG)
    assert set(config) <= {
        "data_dir",
        "log_level",
        "receivers",
        "clickhouse",
        "ingest",
        "query_api",
        "alerting",
        "performance",
        "notifications",
    }
    text = GATEWAY_CONFIG.read_text(encoding="utf-8")
    for line in text.splitlines():
        value = line.split("#", 1)[0]
        for reference in ENV_REFERENCE.findall(value):
            assert GATEWAY_ENV_SYNTAX.fullmatch(reference), (
                f"{reference}: use ${{NAME}} or ${{NAME:-default}}"
            )
            # Unquoted, an empty substitution would turn the value into YAML null.
            assert re.search(r':\s*"\$\{', value), f"quote substituted values: {line.strip()}"


def test_gateway_config_loads_and_its_rule_and_trigger_files_are_valid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The image's config through the real loader, with /etc/inferwatch/ standing for deploy/ (Dockerfile)."""
    from gateway.alerting.evaluator import load_rule_files
    from gateway.config import load_config_text
    from gateway.performance.retraining import load_trigger_files

    copies = {destination: source for source, destination in _dockerfile_copies().items()}
    text = GATEWAY_CONFIG.read_text(encoding="utf-8")
    for destination, source in copies.items():
        if destination.startswith("/etc/inferwatch/") and (REPO / source).is_dir():
            text = text.replace(destination + "/", str(REPO / source) + "/").replace(
                destination, str(REPO / source)
            )
    config = load_config_text(text, source=str(GATEWAY_CONFIG), environ={})
    assert config.notifications.opsgenie.enabled is False
    assert config.notifications.opsgenie.api_key_env == "INFERWATCH_GENIE_KEY"
    groups = load_rule_files(config.alerting.rule_files)
    assert sum(len(group.rules) for group in groups) >= 20
    assert {rule.severity for group in groups for rule in group.rules} == {"P0", "P1", "P2", "P3"}
    triggers = load_trigger_files(config.performance.trigger_files)
    assert len(triggers) == 8


def _dockerfile_copies() -> dict[str, str]:
    copied: dict[str, str] = {}
    for arguments in dockerfile_args("COPY"):
        *sources, destination = without_flags(arguments)
        for source in sources:
            copied[source.rstrip("/")] = destination.rstrip("/")
    return copied


def test_configmap_embeds_the_gateway_config() -> None:
    configmap = k8s_object("ConfigMap", "inferwatch-config")
    embedded = yaml.safe_load(configmap["data"]["inferwatch.yaml"])
    assert isinstance(embedded, dict)
    assert_gateway_config_for_containers(embedded, "configmap.yaml")
    assert embedded == load_one(GATEWAY_CONFIG), "configmap.yaml and deploy/config/inferwatch.yaml differ"


# --- Kubernetes -------------------------------------------------------------------------------------------


def test_manifests_have_api_version_kind_name_and_namespace() -> None:
    objects = k8s_objects()
    namespaces = [o for o in objects if o.get("kind") == "Namespace"]
    assert len(namespaces) == 1
    namespace = namespaces[0]["metadata"]["name"]
    for obj in objects:
        assert obj.get("apiVersion"), obj
        assert obj.get("kind"), obj
        assert obj.get("metadata", {}).get("name"), obj
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") == namespace, f"{obj['kind']} {obj['metadata']['name']}"
    kinds = {o["kind"]: o["apiVersion"] for o in objects}
    assert kinds == {"Namespace": "v1", "ConfigMap": "v1", "StatefulSet": "apps/v1", "Service": "v1"}


def test_statefulset_runs_one_non_root_replica_with_a_volume_for_data_dir() -> None:
    statefulset = the_statefulset()
    spec = statefulset["spec"]
    pod = spec["template"]["spec"]
    assert spec["replicas"] == 1, "embedded ClickHouse: one replica"
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()
    assert pod["terminationGracePeriodSeconds"] == 30
    governing = k8s_object("Service", spec["serviceName"])
    assert governing["spec"].get("clusterIP") == "None", "serviceName must name a headless Service"

    security = pod["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] != 0
    container = gateway_container(statefulset)
    assert container["securityContext"]["allowPrivilegeEscalation"] is False

    claims = {claim["metadata"]["name"]: claim for claim in spec["volumeClaimTemplates"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    assert mounts.get(DATA_DIR) in claims, f"{DATA_DIR} must be mounted from a volumeClaimTemplate"
    assert claims[mounts[DATA_DIR]]["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert load_one(GATEWAY_CONFIG)["data_dir"] == DATA_DIR

    resources = container["resources"]
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources[bound]), f"resources.{bound} needs cpu and memory"


def test_statefulset_mounts_the_configmap_where_the_command_reads_it() -> None:
    statefulset = the_statefulset()
    pod = statefulset["spec"]["template"]["spec"]
    container = gateway_container(statefulset)
    args = container.get("args") or exec_form(dockerfile_args("CMD")[-1])
    config_path = args[args.index("--config") + 1]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounted = [
        mount
        for mount in container["volumeMounts"]
        if config_path == mount["mountPath"] or config_path.startswith(mount["mountPath"].rstrip("/") + "/")
    ]
    assert len(mounted) == 1, f"{config_path} must come from exactly one volume mount"
    configmap_name = volumes[mounted[0]["name"]]["configMap"]["name"]
    configmap = k8s_object("ConfigMap", configmap_name)
    key = mounted[0].get("subPath") or config_path.rsplit("/", 1)[-1]
    assert key in configmap["data"], f"ConfigMap {configmap_name} has no key {key}"


@pytest.mark.parametrize(("probe", "path"), [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")])
def test_probes_use_the_gateway_health_endpoints_on_the_http_port(probe: str, path: str) -> None:
    container = gateway_container(the_statefulset())
    http_get = container[probe]["httpGet"]
    assert http_get["path"] == path
    assert container_port_number(container, http_get["port"]) == HTTP_PORT


def test_services_target_the_container_ports() -> None:
    statefulset = the_statefulset()
    container = gateway_container(statefulset)
    pod_labels = statefulset["spec"]["template"]["metadata"]["labels"]
    services = [o for o in k8s_objects() if o["kind"] == "Service"]
    assert services
    for service in services:
        spec = service["spec"]
        assert spec["selector"].items() <= pod_labels.items(), f"{service['metadata']['name']} selects no pod"
        for port in spec["ports"]:
            target = port.get("targetPort", port["port"])
            assert container_port_number(container, target) == port["port"], port


def test_client_service_is_cluster_ip_with_named_otlp_ports() -> None:
    service = k8s_object("Service", "inferwatch")
    assert service["spec"]["type"] == "ClusterIP"
    ports = {port["name"]: port for port in service["spec"]["ports"]}
    assert ports["otlp-grpc"]["port"] == GRPC_PORT
    assert ports["otlp-grpc"]["appProtocol"] == "grpc"
    assert ports["otlp-http"]["port"] == HTTP_PORT


# --- docker compose ---------------------------------------------------------------------------------------


def test_compose_defines_the_three_services() -> None:
    services = compose()["services"]
    assert set(services) == {"clickhouse", "inferwatch", "otel-collector"}
    assert services["clickhouse"]["image"].startswith("clickhouse/clickhouse-server")
    assert services["otel-collector"]["image"].startswith("otel/opentelemetry-collector-contrib")


def test_compose_builds_the_gateway_from_the_repository_dockerfile() -> None:
    build = compose_service("inferwatch")["build"]
    context = (COMPOSE.parent / build["context"]).resolve()
    assert context == REPO
    assert (context / build["dockerfile"]).resolve() == DOCKERFILE


def test_compose_bind_mounts_exist_in_the_repository() -> None:
    for name, service in compose()["services"].items():
        for source, _ in bind_mounts(service):
            assert not source.startswith("/"), f"{name}: absolute host path {source}"
            assert (COMPOSE.parent / source).is_file(), f"{name}: {source} does not exist"


def test_compose_mounts_the_collector_config_where_the_collector_reads_it() -> None:
    collector = compose_service("otel-collector")
    mounts = dict(bind_mounts(collector))
    assert (COMPOSE.parent / "../otel-config.yaml").resolve() == OTEL_CONFIG
    target = mounts.get("../otel-config.yaml")
    assert target, "otel-config.yaml must be mounted into the collector"
    assert f"--config={target}" in collector["command"]
    assert compose_environment(collector)["INFERWATCH_ENDPOINT"] == f"inferwatch:{GRPC_PORT}"


def test_compose_gateway_uses_the_clickhouse_service_once_healthy() -> None:
    gateway = compose_service("inferwatch")
    dsn = compose_environment(gateway)["INFERWATCH_CLICKHOUSE_DSN"]
    assert re.fullmatch(r"http://[^:@/]+:[^@/]+@clickhouse:8123/\w+", dsn), dsn
    assert gateway["depends_on"]["clickhouse"]["condition"] == "service_healthy"
    assert compose_service("clickhouse")["healthcheck"]["test"]
    assert dict(bind_mounts(gateway)).get("./config/inferwatch.yaml") == CONFIG_IN_IMAGE


def test_compose_publishes_collector_on_standard_ports_and_gateway_on_offset_ports() -> None:
    assert published_ports(compose_service("otel-collector"))[GRPC_PORT] == GRPC_PORT
    assert published_ports(compose_service("otel-collector"))[HTTP_PORT] == HTTP_PORT
    gateway = published_ports(compose_service("inferwatch"))
    assert gateway == {GRPC_PORT: 14317, HTTP_PORT: 14318}


# --- Dockerfile -------------------------------------------------------------------------------------------


def test_dockerfile_base_image_entrypoint_and_command() -> None:
    assert dockerfile_args("FROM") == ["python:3.11-slim"]
    assert exec_form(dockerfile_args("ENTRYPOINT")[-1]) == ["inferwatch"]
    assert exec_form(dockerfile_args("CMD")[-1]) == ["serve", "--config", CONFIG_IN_IMAGE]
    assert any(re.search(r"\bpip install \.(\s|$)", run) for run in dockerfile_args("RUN"))


def test_dockerfile_exposes_the_otlp_ports_and_declares_the_data_volume() -> None:
    exposed = {port for arguments in dockerfile_args("EXPOSE") for port in arguments.split()}
    assert {str(GRPC_PORT), str(HTTP_PORT)} <= exposed
    volumes = [v for arguments in dockerfile_args("VOLUME") for v in without_flags(arguments)]
    assert DATA_DIR in volumes


def test_dockerfile_runs_as_a_non_root_user() -> None:
    instructions = dockerfile_instructions()
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users, "no USER instruction: the gateway would run as root"
    user, _, group = users[-1].partition(":")
    assert user not in {"root", "0"}, f"USER {users[-1]} is root"
    assert group not in {"root", "0"}, f"USER {users[-1]}: root group"


def test_dockerfile_healthcheck_polls_readyz_with_python() -> None:
    healthchecks = dockerfile_args("HEALTHCHECK")
    assert len(healthchecks) == 1
    _, _, command = healthchecks[0].partition("CMD ")
    words = exec_form(command.strip())
    assert words[:2] == ["python", "-c"]
    code = words[2]
    compile(code, "<HEALTHCHECK>", "exec")
    assert "urllib.request" in code
    assert f"http://127.0.0.1:{HTTP_PORT}/readyz" in code
    assert "curl" not in healthchecks[0] and "wget" not in healthchecks[0]


def test_dockerfile_copies_files_that_exist() -> None:
    copied_to: dict[str, str] = {}
    for arguments in dockerfile_args("COPY"):
        assert "--from" not in arguments, "single-stage build expected"
        *sources, destination = without_flags(arguments)
        for source in sources:
            if not any(char in source for char in "*?["):
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"
            copied_to[source.rstrip("/")] = destination
    assert "pyproject.toml" in copied_to
    assert copied_to.get("deploy/config/inferwatch.yaml") == CONFIG_IN_IMAGE


def test_dockerfile_copies_every_package_of_the_project() -> None:
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*").rstrip(".") for pattern in patterns}
    copied = {source.rstrip("/") for a in dockerfile_args("COPY") for source in without_flags(a)[:-1]}
    assert packages <= copied, f"packages not copied into the image: {sorted(packages - copied)}"
