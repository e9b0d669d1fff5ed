"""MLflow tracking and model registry for autocoder (MLflow 3.17 with a local SQLite store).

Why: every trained bundle is a registered model version with its params, resolved config, audit metrics
and the bundle itself as artifacts, so `models:/autocoder@champion` loads the exact bytes in a fresh
process, and promotion (alias "champion") is an auditable registry operation with a metric gate.

The bundle is logged as a pyfunc model (artifacts={"bundle": dir}) so it registers through MLflow's own
model logging; `CodingPipeline.load("models:/...")` downloads those artifacts and loads the directory
directly (no pickle is needed to serve it).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from autocoder.errors import ModelNotFoundError, ServiceUnavailableError
from autocoder.paths import data_home

log = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "autocoder"


def _quiet_env() -> None:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


_quiet_env()  # before mlflow is imported below: no telemetry lookups or files


def tracking_uri(configured: str | None = None) -> str:
    """MLFLOW_TRACKING_URI (env) > configured > sqlite:///<data_home>/mlflow.db."""
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    if configured:
        return configured
    return f"sqlite:///{data_home() / 'mlflow.db'}"


def artifact_root() -> str:
    p = data_home() / "mlartifacts"
    p.mkdir(parents=True, exist_ok=True)
    return p.as_uri()


def setup(configured_uri: str | None = None, experiment: str | None = None):
    """Point MLflow at our store (and experiment, created with an explicit artifact location)."""
    _quiet_env()
    import mlflow

    uri = tracking_uri(configured_uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if experiment:
        exp = mlflow.get_experiment_by_name(experiment)
        if exp is None:
            mlflow.create_experiment(experiment, artifact_location=f"{artifact_root()}/{experiment}")
        mlflow.set_experiment(experiment)
    return mlflow


try:  # the pyfunc wrapper needs mlflow's base class; training always has mlflow installed
    import mlflow.pyfunc as _pyfunc

    class AutocoderPyfunc(_pyfunc.PythonModel):
        """pyfunc face of a bundle: predict(list of {"id","text",...} dicts | DataFrame) -> result dicts."""

        def load_context(self, context):  # pragma: no cover - exercised through mlflow.pyfunc.load_model
            from autocoder.pipeline import CodingPipeline

            self.pipe = CodingPipeline.load(context.artifacts["bundle"])

        def predict(self, context, model_input, params=None):  # pragma: no cover
            from autocoder.schemas import Episode

            records = model_input.to_dict("records") if hasattr(model_input, "to_dict") else list(model_input)
            eps = [Episode.model_validate(r) for r in records]
            return [r.model_dump(exclude_none=True) for r in self.pipe.predict(eps)]
except ImportError:  # pragma: no cover
    AutocoderPyfunc = None  # type: ignore[assignment,misc]


def log_and_register(bundle_dir: Path, *, params: dict, metrics: dict, config: dict, tags: dict | None = None,
                     configured_uri: str | None = None, experiment: str = "autocoder",
                     model_name: str = DEFAULT_MODEL_NAME, alias: str | None = "candidate") -> tuple[str, str]:
    """One MLflow run: params, resolved config, metrics, bundle (as pyfunc artifacts); register + alias.

    Returns (run_id, registered version)."""
    mlflow = setup(configured_uri, experiment)
    from mlflow import MlflowClient

    with mlflow.start_run(run_name=bundle_dir.name) as run:
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_dict(config, "config/train_config.json")
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))})
        if tags:
            mlflow.set_tags({k: str(v) for k, v in tags.items()})
        import mlflow.pyfunc

        info = mlflow.pyfunc.log_model(
            name="model", python_model=AutocoderPyfunc(), artifacts={"bundle": str(bundle_dir)},
            pip_requirements=[f"mlflow=={mlflow.__version__}"], registered_model_name=model_name)
        version = str(info.registered_model_version)
        run_id = run.info.run_id
    client = MlflowClient()
    if tags:
        for k, v in tags.items():
            client.set_model_version_tag(model_name, version, k, str(v))
    if alias:
        client.set_registered_model_alias(model_name, alias, version)
    return run_id, version


def _find_bundle(root: Path) -> Path | None:
    for card in sorted(root.rglob("model_card.json")):
        return card.parent
    return None


def get_version(name: str, alias: str | None = None, version: str | None = None):
    """The registry's ModelVersion for an alias or a version number (None if it does not exist)."""
    setup()
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    try:
        if alias:
            return client.get_model_version_by_alias(name, alias)
        if version in (None, "latest"):
            versions = client.search_model_versions(f"name='{name}'")
            return max(versions, key=lambda v: int(v.version)) if versions else None
        return client.get_model_version(name, str(version))
    except MlflowException as exc:
        if "RESOURCE_DOES_NOT_EXIST" in str(getattr(exc, "error_code", "")) or "not found" in str(exc).lower() \
                or "does not exist" in str(exc).lower():
            return None
        raise ServiceUnavailableError(f"MLflow registry at {tracking_uri()} failed: {exc}") from exc


def download_registered(name: str, alias: str | None = None, version: str | None = None) -> tuple[Path, dict]:
    """Download a registered version's bundle once into <data_home>/model_cache; return (dir, info)."""
    mv = get_version(name, alias=alias, version=version)
    if mv is None:
        what = f"alias @{alias}" if alias else f"version {version or 'latest'}"
        raise ModelNotFoundError(f"no registered model {name!r} with {what} in {tracking_uri()} "
                                 "(train one with `autocoder train`, promote with `autocoder promote`)")
    cache = data_home() / "model_cache" / f"{name}-v{mv.version}"
    found = _find_bundle(cache) if cache.is_dir() else None
    if found is None:
        import mlflow

        tmp = cache.with_name(cache.name + ".download")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}/{mv.version}", dst_path=str(tmp))
        if _find_bundle(tmp) is None:
            raise ModelNotFoundError(f"registered model {name} v{mv.version} has no autocoder bundle in its artifacts")
        if cache.exists():
            shutil.rmtree(cache)
        tmp.rename(cache)
        found = _find_bundle(cache)
    return found, {"name": name, "version": str(mv.version), "run_id": mv.run_id, "alias": alias}


def set_alias(name: str, alias: str, version: str) -> None:
    setup()
    from mlflow import MlflowClient

    MlflowClient().set_registered_model_alias(name, alias, str(version))


def set_version_tags(name: str, version: str, tags: dict) -> None:
    setup()
    from mlflow import MlflowClient

    client = MlflowClient()
    for k, v in tags.items():
        client.set_model_version_tag(name, str(version), k, str(v))
